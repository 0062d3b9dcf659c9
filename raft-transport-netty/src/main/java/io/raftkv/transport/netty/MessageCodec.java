package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;

import java.util.ArrayList;
import java.util.List;

import static io.raftkv.transport.netty.MalformedFrameException.Reason.MALFORMED;
import static io.raftkv.transport.netty.MalformedFrameException.Reason.UNKNOWN_TYPE;
import static io.raftkv.transport.netty.Varints.readBoundedCount;
import static io.raftkv.transport.netty.Varints.readBytes;
import static io.raftkv.transport.netty.Varints.readFlags;
import static io.raftkv.transport.netty.Varints.readString;
import static io.raftkv.transport.netty.Varints.readVarLong;
import static io.raftkv.transport.netty.Varints.writeBytes;
import static io.raftkv.transport.netty.Varints.writeString;
import static io.raftkv.transport.netty.Varints.writeVarLong;

/**
 * Encodes {@link RaftMessage}s and {@link Handshake}s to frames and decodes payloads back, with plain
 * {@link ByteBuf} calls and no sockets, so it can be tested and benchmarked on its own. The layout of every
 * payload is documented byte by byte in the module README; this class is its reference implementation.
 *
 * <p><b>Copies.</b> Encoding writes each entry's bytes once, into a pooled buffer that goes straight to the
 * socket. Decoding reads from a slice of Netty's receive buffer and copies each entry's bytes once, into the
 * {@code byte[]} that {@link LogEntry} owns. There are no intermediate copies in either direction.
 *
 * <p><b>Bad input.</b> {@link #decode} throws {@link MalformedFrameException} for anything that does not parse
 * exactly: truncated fields, counts or lengths larger than the bytes left, unknown type or flag bits, values
 * the core's records refuse, or trailing bytes.
 */
public final class MessageCodec {
    private MessageCodec() {
    }

    /** Smallest possible encoded entry: index, term, type and length, one byte each. */
    private static final int MIN_ENTRY_BYTES = 4;
    /** Smallest possible encoded member: empty id and address lengths and the voter flag. */
    private static final int MIN_MEMBER_BYTES = 3;

    /** Encodes a full frame (length, version, type, payload) into a new buffer from {@code alloc}. */
    public static ByteBuf encode(ByteBufAllocator alloc, RaftMessage message) {
        ByteBuf out = alloc.ioBuffer(estimateSize(message));
        try {
            int start = beginFrame(out, typeOf(message));
            writePayload(out, message);
            endFrame(out, start);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /**
     * Appends one full frame to {@code out} (several frames may share a buffer: each carries its own length), and
     * returns the frame's size; on failure {@code out} is left as it was.
     */
    public static int encodeInto(ByteBuf out, RaftMessage message) {
        int start = out.writerIndex();
        try {
            beginFrame(out, typeOf(message));
            writePayload(out, message);
            endFrame(out, start);
            return out.writerIndex() - start;
        } catch (RuntimeException e) {
            out.writerIndex(start);
            throw e;
        }
    }

    /** A close upper estimate of a message's frame size, for sizing buffers up front. */
    public static int estimatedFrameSize(RaftMessage message) {
        return estimateSize(message);
    }

    /** Encodes a handshake frame. */
    public static ByteBuf encode(ByteBufAllocator alloc, Handshake handshake) {
        ByteBuf out = alloc.ioBuffer(64);
        int start = beginFrame(out, WireFormat.HANDSHAKE);
        out.writeByte(handshake.protocolVersion());
        writeString(out, handshake.clusterId());
        writeString(out, handshake.nodeId());
        endFrame(out, start);
        return out;
    }

    /**
     * Decodes one payload of the given frame type. Reads exactly the payload's readable bytes.
     *
     * @return a {@link Handshake} or a {@link RaftMessage}
     * @throws MalformedFrameException if the type is unknown or the payload does not parse exactly
     */
    public static Object decode(byte type, ByteBuf payload) {
        Object decoded;
        try {
            decoded = switch (type) {
                case WireFormat.HANDSHAKE -> new Handshake(readUnsignedByte(payload), readString(payload),
                        readString(payload));
                case WireFormat.VOTE_REQUEST -> readVoteRequest(payload);
                case WireFormat.VOTE_RESPONSE -> readVoteResponse(payload);
                case WireFormat.APPEND_ENTRIES_REQUEST -> readAppendEntriesRequest(payload);
                case WireFormat.APPEND_ENTRIES_RESPONSE -> readAppendEntriesResponse(payload);
                case WireFormat.INSTALL_SNAPSHOT_REQUEST -> readInstallSnapshotRequest(payload);
                case WireFormat.INSTALL_SNAPSHOT_RESPONSE -> readInstallSnapshotResponse(payload);
                case WireFormat.TIMEOUT_NOW -> new TimeoutNow(readString(payload), readString(payload),
                        readVarLong(payload));
                case WireFormat.READ_INDEX_REQUEST -> new ReadIndexRequest(readString(payload), readString(payload),
                        readVarLong(payload), readVarLong(payload));
                case WireFormat.READ_INDEX_RESPONSE -> readReadIndexResponse(payload);
                case WireFormat.FORWARD_REQUEST -> readForwardRequest(payload);
                case WireFormat.FORWARD_RESPONSE -> readForwardResponse(payload);
                default -> throw new MalformedFrameException(UNKNOWN_TYPE,
                        "unknown frame type 0x" + Integer.toHexString(type & 0xFF));
            };
        } catch (MalformedFrameException e) {
            throw e;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // The core's records validate their fields (log index >= 1, no duplicate member ids, ...); and a
            // read past the end must never escape as anything but a malformed frame.
            throw new MalformedFrameException(MALFORMED, "malformed payload of type 0x"
                    + Integer.toHexString(type & 0xFF) + ": " + e.getMessage(), e);
        }
        if (payload.isReadable()) {
            throw new MalformedFrameException(MALFORMED, payload.readableBytes() + " trailing bytes after type 0x"
                    + Integer.toHexString(type & 0xFF));
        }
        return decoded;
    }

    /** The frame type code of a message. */
    public static byte typeOf(RaftMessage message) {
        if (message instanceof VoteRequest) {
            return WireFormat.VOTE_REQUEST;
        } else if (message instanceof VoteResponse) {
            return WireFormat.VOTE_RESPONSE;
        } else if (message instanceof AppendEntriesRequest) {
            return WireFormat.APPEND_ENTRIES_REQUEST;
        } else if (message instanceof AppendEntriesResponse) {
            return WireFormat.APPEND_ENTRIES_RESPONSE;
        } else if (message instanceof InstallSnapshotRequest) {
            return WireFormat.INSTALL_SNAPSHOT_REQUEST;
        } else if (message instanceof InstallSnapshotResponse) {
            return WireFormat.INSTALL_SNAPSHOT_RESPONSE;
        } else if (message instanceof TimeoutNow) {
            return WireFormat.TIMEOUT_NOW;
        } else if (message instanceof ReadIndexRequest) {
            return WireFormat.READ_INDEX_REQUEST;
        } else if (message instanceof ReadIndexResponse) {
            return WireFormat.READ_INDEX_RESPONSE;
        } else if (message instanceof ForwardRequest) {
            return WireFormat.FORWARD_REQUEST;
        } else if (message instanceof ForwardResponse) {
            return WireFormat.FORWARD_RESPONSE;
        }
        throw new IllegalArgumentException("no wire type for " + message.getClass());
    }

    // ---------------------------------------------------------------- encoding

    private static int beginFrame(ByteBuf out, byte type) {
        int start = out.writerIndex();
        out.writeInt(0); // patched by endFrame once the payload size is known
        out.writeByte(WireFormat.PROTOCOL_VERSION);
        out.writeByte(type);
        return start;
    }

    private static void endFrame(ByteBuf out, int start) {
        out.setInt(start, out.writerIndex() - start - WireFormat.LENGTH_FIELD_BYTES);
    }

    /** A close upper estimate, so that one buffer of the right size is taken from the pool up front. */
    private static int estimateSize(RaftMessage message) {
        int size = 64 + message.from().length() * 3 + message.to().length() * 3;
        if (message instanceof AppendEntriesRequest ae) {
            for (LogEntry e : ae.entries()) {
                size += e.data().length + 25;
            }
        } else if (message instanceof ForwardRequest fr) {
            for (byte[] c : fr.commands()) {
                size += c.length + 5;
            }
        } else if (message instanceof ForwardResponse r && r.rejection() != null) {
            size += 3 * r.rejection().length();
        } else if (message instanceof InstallSnapshotRequest is) {
            size += is.data().length + 16;
            for (Member m : is.configuration().members()) {
                size += 16 + 3 * (m.id().length() + m.address().length());
            }
        }
        return size;
    }

    private static void writeHeaderFields(ByteBuf out, RaftMessage m) {
        writeString(out, m.from());
        writeString(out, m.to());
        writeVarLong(out, m.term());
    }

    private static void writePayload(ByteBuf out, RaftMessage message) {
        writeHeaderFields(out, message);
        if (message instanceof VoteRequest m) {
            writeVarLong(out, m.lastLogIndex());
            writeVarLong(out, m.lastLogTerm());
            out.writeByte(flag(m.preVote(), 0) | flag(m.transfer(), 1));
        } else if (message instanceof VoteResponse m) {
            out.writeByte(flag(m.granted(), 0) | flag(m.preVote(), 1));
        } else if (message instanceof AppendEntriesRequest m) {
            writeVarLong(out, m.prevLogIndex());
            writeVarLong(out, m.prevLogTerm());
            writeVarLong(out, m.leaderCommit());
            writeVarLong(out, m.seq());
            writeVarLong(out, m.entries().size());
            for (LogEntry e : m.entries()) {
                writeVarLong(out, e.index());
                writeVarLong(out, e.term());
                out.writeByte(e.type().code());
                writeBytes(out, e.data());
            }
        } else if (message instanceof AppendEntriesResponse m) {
            out.writeByte(flag(m.success(), 0));
            writeVarLong(out, m.matchIndex());
            writeVarLong(out, m.rejectedIndex());
            writeVarLong(out, m.conflictTerm());
            writeVarLong(out, m.conflictIndex());
            writeVarLong(out, m.lastLogIndex());
            writeVarLong(out, m.seq());
        } else if (message instanceof InstallSnapshotRequest m) {
            writeVarLong(out, m.lastIncludedIndex());
            writeVarLong(out, m.lastIncludedTerm());
            writeConfiguration(out, m.configuration());
            writeVarLong(out, m.offset());
            out.writeByte(flag(m.done(), 0));
            writeBytes(out, m.data());
        } else if (message instanceof InstallSnapshotResponse m) {
            writeVarLong(out, m.lastIncludedIndex());
            writeVarLong(out, m.nextOffset());
            writeVarLong(out, m.answeredOffset());
            out.writeByte(flag(m.done(), 0));
        } else if (message instanceof TimeoutNow) {
            // header fields only
        } else if (message instanceof ReadIndexRequest m) {
            writeVarLong(out, m.requestId());
        } else if (message instanceof ReadIndexResponse m) {
            writeVarLong(out, m.requestId());
            writeVarLong(out, m.readIndex());
            out.writeByte(flag(m.success(), 0));
        } else if (message instanceof ForwardRequest m) {
            writeVarLong(out, m.batchId());
            writeVarLong(out, m.commands().size());
            for (byte[] command : m.commands()) {
                writeBytes(out, command);
            }
        } else if (message instanceof ForwardResponse m) {
            writeVarLong(out, m.batchId());
            writeVarLong(out, m.firstIndex());
            writeVarLong(out, m.count());
            out.writeByte(flag(m.isAccepted(), 0));
            if (!m.isAccepted()) {
                writeString(out, truncateUtf8(m.rejection(), WireFormat.MAX_STRING_BYTES));
            }
        } else {
            throw new IllegalArgumentException("no wire type for " + message.getClass());
        }
    }

    /** The longest prefix of {@code s} whose UTF-8 form fits {@code maxBytes} (a reason text, cut, not refused). */
    private static String truncateUtf8(String s, int maxBytes) {
        if (io.netty.buffer.ByteBufUtil.utf8Bytes(s) <= maxBytes) {
            return s;
        }
        int end = Math.min(s.length(), maxBytes / 3);
        if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    private static int flag(boolean set, int bit) {
        return set ? 1 << bit : 0;
    }

    // ---------------------------------------------------------------- decoding

    private static int readUnsignedByte(ByteBuf in) {
        if (!in.isReadable()) {
            throw new MalformedFrameException(MALFORMED, "truncated byte field");
        }
        return in.readUnsignedByte();
    }

    private static boolean bit(byte flags, int bit) {
        return (flags & (1 << bit)) != 0;
    }

    private static VoteRequest readVoteRequest(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long lastLogIndex = readVarLong(in);
        long lastLogTerm = readVarLong(in);
        byte flags = readFlags(in, 0b11);
        return new VoteRequest(from, to, term, lastLogIndex, lastLogTerm, bit(flags, 0), bit(flags, 1));
    }

    private static VoteResponse readVoteResponse(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        byte flags = readFlags(in, 0b11);
        return new VoteResponse(from, to, term, bit(flags, 0), bit(flags, 1));
    }

    private static AppendEntriesRequest readAppendEntriesRequest(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long prevLogIndex = readVarLong(in);
        long prevLogTerm = readVarLong(in);
        long leaderCommit = readVarLong(in);
        long seq = readVarLong(in);
        int count = readBoundedCount(in, Integer.MAX_VALUE, MIN_ENTRY_BYTES, "entry count");
        List<LogEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long index = readVarLong(in);
            long entryTerm = readVarLong(in);
            EntryType type = EntryType.fromCode((byte) readUnsignedByte(in));
            entries.add(new LogEntry(index, entryTerm, type, readBytes(in)));
        }
        return new AppendEntriesRequest(from, to, term, prevLogIndex, prevLogTerm, entries, leaderCommit, seq);
    }

    private static AppendEntriesResponse readAppendEntriesResponse(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        byte flags = readFlags(in, 0b1);
        return new AppendEntriesResponse(from, to, term, bit(flags, 0), readVarLong(in), readVarLong(in),
                readVarLong(in), readVarLong(in), readVarLong(in), readVarLong(in));
    }

    private static InstallSnapshotRequest readInstallSnapshotRequest(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long lastIncludedIndex = readVarLong(in);
        long lastIncludedTerm = readVarLong(in);
        Configuration configuration = readConfiguration(in);
        long offset = readVarLong(in);
        boolean done = bit(readFlags(in, 0b1), 0);
        byte[] data = readBytes(in);
        return new InstallSnapshotRequest(from, to, term, lastIncludedIndex, lastIncludedTerm, configuration,
                offset, data, done);
    }

    // Member flags. A simple configuration sets only VOTER, exactly as before joint consensus; the other bits
    // describe a joint configuration C_old,new (§6), and a decoder that predates them rejects them as unknown flag
    // bits instead of misreading the cluster.
    private static final int VOTER = 0;             // votes in C_new (or in the only configuration)
    private static final int IN_OLD = 1;            // a member of C_old
    private static final int OLD_VOTER = 2;         // votes in C_old
    private static final int NOT_IN_NEW = 3;        // C_new removes it (it is in C_old only)
    private static final int MEMBER_FLAGS = 0b1111;

    /** {@code memberCount:varlong | memberCount × (id:string | address:string | flags)}; see the README. */
    private static void writeConfiguration(ByteBuf out, Configuration configuration) {
        Configuration oldHalf = configuration.oldConfiguration();
        Configuration newHalf = configuration.newConfiguration();
        boolean joint = configuration.isJoint();
        List<Member> members = configuration.members();
        writeVarLong(out, members.size());
        for (Member member : members) {
            String id = member.id();
            writeString(out, id);
            writeString(out, member.address());
            out.writeByte(flag(newHalf.isVoter(id), VOTER) | flag(joint && oldHalf.contains(id), IN_OLD)
                    | flag(joint && oldHalf.isVoter(id), OLD_VOTER) | flag(!newHalf.contains(id), NOT_IN_NEW));
        }
    }

    private static Configuration readConfiguration(ByteBuf in) {
        int count = readBoundedCount(in, Integer.MAX_VALUE, MIN_MEMBER_BYTES, "member count");
        List<Member> newMembers = new ArrayList<>(count);
        List<Member> oldMembers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = readString(in);
            String address = readString(in);
            byte flags = readFlags(in, MEMBER_FLAGS);
            boolean inOld = bit(flags, IN_OLD);
            boolean inNew = !bit(flags, NOT_IN_NEW);
            if ((!inOld && (bit(flags, OLD_VOTER) || !inNew)) || (!inNew && bit(flags, VOTER))) {
                throw new MalformedFrameException(MALFORMED, "contradictory flags 0x" + Integer.toHexString(flags)
                        + " for member " + id + " of the snapshot configuration");
            }
            if (inNew) {
                newMembers.add(new Member(id, address, bit(flags, VOTER)));
            }
            if (inOld) {
                oldMembers.add(new Member(id, address, bit(flags, OLD_VOTER)));
            }
        }
        try {
            Configuration newHalf = new Configuration(newMembers);
            return oldMembers.isEmpty() ? newHalf : Configuration.joint(new Configuration(oldMembers), newHalf);
        } catch (IllegalArgumentException e) {
            // Duplicate ids (Configuration would not merge them silently, but on the wire they mean a damaged
            // frame), or a joint configuration with a half that has no voter.
            throw new MalformedFrameException(MALFORMED, "bad snapshot configuration: " + e.getMessage());
        }
    }

    private static InstallSnapshotResponse readInstallSnapshotResponse(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long lastIncludedIndex = readVarLong(in);
        long nextOffset = readVarLong(in);
        long answeredOffset = readVarLong(in);
        boolean done = bit(readFlags(in, 0b1), 0);
        return new InstallSnapshotResponse(from, to, term, lastIncludedIndex, nextOffset, answeredOffset, done);
    }

    /** Smallest possible encoded command: its length, one byte. */
    private static final int MIN_COMMAND_BYTES = 1;

    private static ForwardRequest readForwardRequest(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long batchId = readVarLong(in);
        int count = readBoundedCount(in, Integer.MAX_VALUE, MIN_COMMAND_BYTES, "command count");
        List<byte[]> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            commands.add(readBytes(in));
        }
        return new ForwardRequest(from, to, term, batchId, commands);
    }

    private static ForwardResponse readForwardResponse(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long batchId = readVarLong(in);
        long firstIndex = readVarLong(in);
        int count = readBoundedCount(in, Integer.MAX_VALUE, 0, "appended count");
        boolean accepted = bit(readFlags(in, 0b1), 0);
        if (accepted) {
            if (firstIndex < 1 || count < 1) {
                throw new MalformedFrameException(MALFORMED, "accepted forward with first index " + firstIndex
                        + " and count " + count);
            }
            return ForwardResponse.accepted(from, to, term, batchId, firstIndex, count);
        }
        if (firstIndex != 0 || count != 0) {
            throw new MalformedFrameException(MALFORMED, "rejected forward with a placement");
        }
        return ForwardResponse.rejected(from, to, term, batchId, readString(in));
    }

    private static ReadIndexResponse readReadIndexResponse(ByteBuf in) {
        String from = readString(in);
        String to = readString(in);
        long term = readVarLong(in);
        long requestId = readVarLong(in);
        long readIndex = readVarLong(in);
        boolean success = bit(readFlags(in, 0b1), 0);
        return new ReadIndexResponse(from, to, term, requestId, readIndex, success);
    }
}
