package io.raftkv.transport.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.VoteRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class MessageCodecTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    static LongStream seeds() {
        long base = Long.getLong("codec.seed", 20261124L);
        return LongStream.range(base, base + Integer.getInteger("codec.seeds", 100));
    }

    /** Decodes a whole frame as the FrameDecoder does: length, version, type, payload. */
    static Object decodeFrame(ByteBuf frame) {
        long length = frame.readUnsignedInt();
        assertEquals(frame.readableBytes(), length, "length field");
        assertEquals(WireFormat.PROTOCOL_VERSION, frame.readUnsignedByte(), "version");
        byte type = frame.readByte();
        return MessageCodec.decode(type, frame.slice());
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyMessageTypeRoundTrips(long seed) {
        RandomMessages gen = new RandomMessages(seed);
        for (int kind = 0; kind < RandomMessages.TYPE_COUNT; kind++) {
            RaftMessage original = gen.message(kind);
            String context = "seed=" + seed + " (rerun with -Dcodec.seed=" + seed + " -Dcodec.seeds=1) message="
                    + RandomMessages.describe(original);
            ByteBuf frame = MessageCodec.encode(ALLOC, original);
            try {
                Object decoded = decodeFrame(frame);
                RandomMessages.assertSameMessage(original, (RaftMessage) decoded, context);
            } catch (RuntimeException e) {
                throw new AssertionError(context, e);
            } finally {
                frame.release();
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyTruncationOfAValidPayloadIsRejectedAsMalformed(long seed) {
        RandomMessages gen = new RandomMessages(seed);
        for (int kind = 0; kind < RandomMessages.TYPE_COUNT; kind++) {
            RaftMessage original = gen.message(kind);
            ByteBuf frame = MessageCodec.encode(ALLOC, original);
            try {
                byte type = frame.getByte(5);
                int payloadStart = 6;
                int payloadLength = frame.readableBytes() - payloadStart;
                // Every cut for small payloads; a sample of cuts for big ones (bounded time).
                int step = Math.max(1, payloadLength / 300);
                for (int cut = 0; cut < payloadLength; cut += step) {
                    ByteBuf truncated = frame.slice(payloadStart, cut);
                    int finalCut = cut;
                    assertThrows(MalformedFrameException.class, () -> MessageCodec.decode(type, truncated),
                            () -> "seed=" + seed + " cut=" + finalCut + " of " + payloadLength + " "
                                    + RandomMessages.describe(original));
                }
            } finally {
                frame.release();
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void mutatedPayloadsDecodeOrFailOnlyAsMalformed(long seed) {
        RandomMessages gen = new RandomMessages(seed);
        for (int kind = 0; kind < RandomMessages.TYPE_COUNT; kind++) {
            RaftMessage original = gen.message(kind);
            ByteBuf frame = MessageCodec.encode(ALLOC, original);
            try {
                byte[] payload = new byte[frame.readableBytes() - 6];
                frame.getBytes(6, payload);
                byte type = frame.getByte(5);
                for (int round = 0; round < 20; round++) {
                    byte[] mutated = payload.clone();
                    int flips = 1 + gen.random().nextInt(4);
                    for (int i = 0; i < flips && mutated.length > 0; i++) {
                        mutated[gen.random().nextInt(mutated.length)] = (byte) gen.random().nextInt(256);
                    }
                    try {
                        MessageCodec.decode(type, Unpooled.wrappedBuffer(mutated));
                    } catch (MalformedFrameException expected) {
                        // fine: rejected cleanly
                    } catch (RuntimeException | OutOfMemoryError e) {
                        fail("seed=" + seed + " round=" + round + ": mutated payload escaped as " + e, e);
                    }
                }
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void largePayloadsRoundTrip() {
        RandomMessages gen = new RandomMessages(7);
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            byte[] data = new byte[64 * 1024];
            gen.random().nextBytes(data);
            entries.add(LogEntry.command(1000 + i, 3, data));
        }
        AppendEntriesRequest ae = new AppendEntriesRequest("a", "b", 3, 999, 2, entries, 1010, 42);
        ByteBuf frame = MessageCodec.encode(ALLOC, ae);
        try {
            assertEquals(ae, decodeFrame(frame));
        } finally {
            frame.release();
        }
        byte[] snapshot = new byte[4 << 20];
        gen.random().nextBytes(snapshot);
        InstallSnapshotRequest is = new InstallSnapshotRequest("a", "b", 3, 500, 2,
                Configuration.ofVoters(List.of(Member.voter("a", "127.0.0.2:7000"), Member.voter("b", "127.0.0.3:7000"))),
                1 << 30, snapshot, true);
        ByteBuf frame2 = MessageCodec.encode(ALLOC, is);
        try {
            RandomMessages.assertSameMessage(is, (RaftMessage) decodeFrame(frame2), "4 MiB snapshot chunk");
        } finally {
            frame2.release();
        }
    }

    @Test
    void smallValuesTakeOneByteVarints() {
        VoteRequest vote = new VoteRequest("a", "b", 5, 100, 4, true, false);
        ByteBuf frame = MessageCodec.encode(ALLOC, vote);
        try {
            // 4 length + 1 version + 1 type + (1+1 "a") + (1+1 "b") + 3 one-byte varints + 1 flags
            assertEquals(14, frame.readableBytes());
            assertArrayEquals(new byte[]{0, 0, 0, 10, WireFormat.PROTOCOL_VERSION, 0x10, 1, 'a', 1, 'b', 5, 100, 4, 1},
                    toArray(frame), "the byte layout documented in the README");
        } finally {
            frame.release();
        }
    }

    @Test
    void handshakeRoundTrips() {
        Handshake h = new Handshake(WireFormat.PROTOCOL_VERSION, "cluster-\u00e9", "n1");
        ByteBuf frame = MessageCodec.encode(ALLOC, h);
        try {
            assertEquals(h, decodeFrame(frame));
        } finally {
            frame.release();
        }
    }

    @Test
    void countsLargerThanTheRemainingBytesAreRejectedBeforeAllocating() {
        // AppendEntries with an entry count of 2^31-1 in a 20-byte payload: must fail without allocating.
        ByteBuf payload = Unpooled.buffer();
        Varints.writeString(payload, "a");
        Varints.writeString(payload, "b");
        for (int i = 0; i < 5; i++) {
            Varints.writeVarLong(payload, 1);
        }
        Varints.writeVarLong(payload, Integer.MAX_VALUE);
        MalformedFrameException e = assertThrows(MalformedFrameException.class,
                () -> MessageCodec.decode(WireFormat.APPEND_ENTRIES_REQUEST, payload));
        assertTrue(e.getMessage().contains("entry count"), e.getMessage());

        // A byte array claiming 2 GiB.
        ByteBuf snapshot = Unpooled.buffer();
        Varints.writeString(snapshot, "a");
        Varints.writeString(snapshot, "b");
        for (int i = 0; i < 3; i++) {
            Varints.writeVarLong(snapshot, 1);
        }
        Varints.writeVarLong(snapshot, 0); // no members
        Varints.writeVarLong(snapshot, 0); // offset
        snapshot.writeByte(1); // done
        Varints.writeVarLong(snapshot, Long.MAX_VALUE);
        assertThrows(MalformedFrameException.class,
                () -> MessageCodec.decode(WireFormat.INSTALL_SNAPSHOT_REQUEST, snapshot));

        // A string claiming more than MAX_STRING_BYTES.
        ByteBuf bigString = Unpooled.buffer();
        Varints.writeVarLong(bigString, WireFormat.MAX_STRING_BYTES + 1);
        bigString.writeZero(WireFormat.MAX_STRING_BYTES + 1);
        assertThrows(MalformedFrameException.class, () -> MessageCodec.decode(WireFormat.TIMEOUT_NOW, bigString));
    }

    @Test
    void unknownTypeTrailingBytesAndBadFieldsAreRejected() {
        MalformedFrameException unknown = assertThrows(MalformedFrameException.class,
                () -> MessageCodec.decode((byte) 0x7f, Unpooled.EMPTY_BUFFER));
        assertEquals(MalformedFrameException.Reason.UNKNOWN_TYPE, unknown.reason());

        ByteBuf frame = MessageCodec.encode(ALLOC, new io.raftkv.core.message.TimeoutNow("a", "b", 1));
        ByteBuf payload = Unpooled.buffer().writeBytes(frame, 6, frame.readableBytes() - 6).writeByte(0);
        frame.release();
        MalformedFrameException trailing = assertThrows(MalformedFrameException.class,
                () -> MessageCodec.decode(WireFormat.TIMEOUT_NOW, payload));
        assertTrue(trailing.getMessage().contains("trailing"), trailing.getMessage());

        // An entry with log index 0 (the core refuses it) and one with an unknown entry type.
        for (int[] bad : new int[][]{{0, 1}, {1, 9}}) {
            ByteBuf ae = Unpooled.buffer();
            Varints.writeString(ae, "a");
            Varints.writeString(ae, "b");
            for (int i = 0; i < 5; i++) {
                Varints.writeVarLong(ae, 1);
            }
            Varints.writeVarLong(ae, 1); // one entry
            Varints.writeVarLong(ae, bad[0]);
            Varints.writeVarLong(ae, 1);
            ae.writeByte(bad[1]);
            Varints.writeVarLong(ae, 0);
            assertThrows(MalformedFrameException.class,
                    () -> MessageCodec.decode(WireFormat.APPEND_ENTRIES_REQUEST, ae));
        }

        // Unknown flag bits and an overlong varint.
        ByteBuf flags = Unpooled.buffer();
        Varints.writeString(flags, "a");
        Varints.writeString(flags, "b");
        Varints.writeVarLong(flags, 1);
        flags.writeByte(0x80);
        assertThrows(MalformedFrameException.class, () -> MessageCodec.decode(WireFormat.VOTE_RESPONSE, flags));
        ByteBuf overlong = Unpooled.buffer();
        Varints.writeString(overlong, "a");
        Varints.writeString(overlong, "b");
        overlong.writeBytes(new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f});
        assertThrows(MalformedFrameException.class, () -> MessageCodec.decode(WireFormat.TIMEOUT_NOW, overlong));
    }

    @Test
    void forwardMessagesWithImpossibleFieldsAreMalformed() {
        // Accepted without a placement, rejected with one, and a command count beyond the frame.
        long[][] placements = {{0, 1, 1}, {1, 0, 1}, {5, 2, 0}};
        for (long[] p : placements) {
            ByteBuf r = Unpooled.buffer();
            Varints.writeString(r, "a");
            Varints.writeString(r, "b");
            Varints.writeVarLong(r, 1); // term
            Varints.writeVarLong(r, 7); // batch id
            Varints.writeVarLong(r, p[0]); // first index
            Varints.writeVarLong(r, p[1]); // count
            r.writeByte((int) p[2]); // accepted?
            if (p[2] == 0) {
                Varints.writeString(r, "why");
            }
            assertThrows(MalformedFrameException.class, () -> MessageCodec.decode(WireFormat.FORWARD_RESPONSE, r),
                    java.util.Arrays.toString(p));
        }
        ByteBuf req = Unpooled.buffer();
        Varints.writeString(req, "a");
        Varints.writeString(req, "b");
        Varints.writeVarLong(req, 1);
        Varints.writeVarLong(req, 7);
        Varints.writeVarLong(req, 1_000_000); // a million commands in a few bytes
        req.writeByte(0);
        MalformedFrameException e = assertThrows(MalformedFrameException.class,
                () -> MessageCodec.decode(WireFormat.FORWARD_REQUEST, req));
        assertTrue(e.getMessage().contains("command count"), e.getMessage());
    }

    @Test
    void aLongRejectionReasonIsCutToTheStringLimitNotDropped() {
        io.raftkv.core.message.ForwardResponse r = io.raftkv.core.message.ForwardResponse.rejected("a", "b", 3, 9,
                "\u00e9".repeat(WireFormat.MAX_STRING_BYTES));
        ByteBuf frame = MessageCodec.encode(ALLOC, r);
        ByteBuf payload = frame.slice(6, frame.readableBytes() - 6);
        io.raftkv.core.message.ForwardResponse back =
                (io.raftkv.core.message.ForwardResponse) MessageCodec.decode(WireFormat.FORWARD_RESPONSE, payload);
        frame.release();
        assertTrue(back.rejection().length() > 100 && r.rejection().startsWith(back.rejection()), back.rejection());
    }

    @Test
    void duplicateMemberIdsInASnapshotConfigurationAreMalformed() {
        ByteBuf p = installSnapshotPayload(List.of("same", "same"), 1);
        assertThrows(MalformedFrameException.class, () -> MessageCodec.decode(WireFormat.INSTALL_SNAPSHOT_REQUEST, p));
    }

    /** An InstallSnapshotRequest payload (header fields 1, empty data) whose members all carry {@code flags}. */
    private static ByteBuf installSnapshotPayload(List<String> memberIds, int flags) {
        ByteBuf p = Unpooled.buffer();
        Varints.writeString(p, "a");
        Varints.writeString(p, "b");
        for (int i = 0; i < 3; i++) {
            Varints.writeVarLong(p, 1);
        }
        Varints.writeVarLong(p, memberIds.size());
        for (String id : memberIds) {
            Varints.writeString(p, id);
            Varints.writeString(p, "");
            p.writeByte(flags);
        }
        Varints.writeVarLong(p, 0);
        p.writeByte(0);
        Varints.writeVarLong(p, 0);
        return p;
    }

    @Test
    void aSimpleConfigurationKeepsItsBytesAndAJointOneRoundTrips() {
        Configuration simple = Configuration.ofVoters(List.of(Member.voter("a", "h:1"), Member.learner("b", "h:2")));
        byte[] expected = {
                1, 'a', 1, 'b', 1, 10, 2, // from, to, term, lastIncludedIndex, lastIncludedTerm
                2, 1, 'a', 3, 'h', ':', '1', 1, 1, 'b', 3, 'h', ':', '2', 0, // members: flags 1 = voter, 0 = learner
                0, 1, 0}; // offset, done, data
        ByteBuf frame = MessageCodec.encode(ALLOC, new InstallSnapshotRequest("a", "b", 1, 10, 2, simple, 0, new byte[0], true));
        try {
            byte[] bytes = toArray(frame);
            assertArrayEquals(expected, java.util.Arrays.copyOfRange(bytes, 6, bytes.length),
                    "the layout documented in the README, unchanged by joint consensus");
        } finally {
            frame.release();
        }
        Configuration joint = Configuration.joint(simple, Configuration.ofVoters(List.of(Member.voter("b", "h:2"),
                Member.voter("c", "h:3"))));
        InstallSnapshotRequest is = new InstallSnapshotRequest("a", "b", 1, 10, 2, joint, 0, new byte[] {7}, true);
        ByteBuf frame2 = MessageCodec.encode(ALLOC, is);
        try {
            byte[] bytes = toArray(frame2);
            // a: old voter, not in C_new (0b1110); b: old learner, new voter (0b0011); c: new voter only (0b0001).
            assertArrayEquals(new byte[] {3, 1, 'a', 3, 'h', ':', '1', 0b1110}, java.util.Arrays.copyOfRange(bytes, 13, 21));
            RandomMessages.assertSameMessage(is, (RaftMessage) decodeFrame(frame2), "joint configuration");
        } finally {
            frame2.release();
        }
    }

    @Test
    void contradictoryMemberFlagsAreMalformed() {
        for (int flags : new int[] {0b0100, 0b1000, 0b1011, 0b10000}) {
            ByteBuf p = installSnapshotPayload(List.of("m"), flags);
            assertThrows(MalformedFrameException.class,
                    () -> MessageCodec.decode(WireFormat.INSTALL_SNAPSHOT_REQUEST, p), "flags " + flags);
        }
    }

    private static byte[] toArray(ByteBuf buf) {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), bytes);
        return bytes;
    }
}
