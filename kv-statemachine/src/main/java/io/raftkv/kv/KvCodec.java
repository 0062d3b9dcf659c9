package io.raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary encodings of {@link KvCommand}, {@link KvQuery} and {@link KvResult}, documented byte by byte in
 * the module README. Every message starts with a version byte ({@link #VERSION}) and an opcode; lengths are
 * unsigned LEB128 varints in shortest form, so each value has exactly one encoding.
 *
 * <p>Decoders are total over their input: any byte array either decodes or raises {@link KvCodecException}
 * (never another exception, never an allocation larger than the input). Commands are decoded on every server,
 * so this decoding is part of the deterministic state machine.
 */
public final class KvCodec {
    /** Format version of commands, queries and results. */
    public static final int VERSION = 1;

    // Opcodes live in disjoint ranges, so a query sent to apply (or a command to query) fails with a clear
    // "unknown opcode" instead of being misread. Never renumber: they are in every stored log.
    static final int OP_PUT = 0x01;
    static final int OP_DELETE = 0x02;
    static final int OP_CAS = 0x03;
    static final int OP_PUT_BATCH = 0x04;

    static final int OP_GET = 0x10;
    static final int OP_SIZE = 0x11;
    static final int OP_DIGEST = 0x12;

    static final int RES_OK = 0x20;
    static final int RES_FOUND = 0x21;
    static final int RES_NOT_FOUND = 0x22;
    static final int RES_CAS_FAILED = 0x23;
    static final int RES_TOO_LARGE = 0x24;
    static final int RES_INVALID = 0x25;
    static final int RES_STATS = 0x26;
    static final int RES_DIGEST = 0x27;

    /** CAS flag bits. */
    static final int CAS_HAS_EXPECTED = 0x01;
    static final int CAS_HAS_NEW_VALUE = 0x02;

    /** Bytes of a {@link KvResult.StateDigest} digest (SHA-256). */
    public static final int DIGEST_BYTES = 32;
    /** Invalid reasons are cut to this many UTF-8 bytes, to keep results small. */
    static final int MAX_REASON_BYTES = 1024;

    private KvCodec() {
    }

    // ---------------------------------------------------------------- commands

    /** Encodes a command into the bytes a client proposes. */
    public static byte[] encodeCommand(KvCommand command) {
        if (command instanceof KvCommand.Put p) {
            int size = 2 + ByteWriter.lengthPrefixedSize(p.key()) + ByteWriter.lengthPrefixedSize(p.value());
            return header(size, OP_PUT).writeLengthPrefixed(p.key()).writeLengthPrefixed(p.value()).toByteArray();
        }
        if (command instanceof KvCommand.Delete d) {
            int size = 2 + ByteWriter.lengthPrefixedSize(d.key());
            return header(size, OP_DELETE).writeLengthPrefixed(d.key()).toByteArray();
        }
        if (command instanceof KvCommand.CompareAndSet c) {
            int flags = (c.expected() != null ? CAS_HAS_EXPECTED : 0) | (c.newValue() != null ? CAS_HAS_NEW_VALUE : 0);
            int size = 3 + ByteWriter.lengthPrefixedSize(c.key())
                    + (c.expected() != null ? ByteWriter.lengthPrefixedSize(c.expected()) : 0)
                    + (c.newValue() != null ? ByteWriter.lengthPrefixedSize(c.newValue()) : 0);
            ByteWriter w = header(size, OP_CAS).writeLengthPrefixed(c.key()).writeByte(flags);
            if (c.expected() != null) {
                w.writeLengthPrefixed(c.expected());
            }
            if (c.newValue() != null) {
                w.writeLengthPrefixed(c.newValue());
            }
            return w.toByteArray();
        }
        if (command instanceof KvCommand.PutBatch b) {
            long size = 2 + ByteWriter.varLongSize(b.entries().size());
            for (KvCommand.Entry e : b.entries()) {
                size += ByteWriter.lengthPrefixedSize(e.key()) + (long) ByteWriter.lengthPrefixedSize(e.value());
            }
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("batch of " + size + " bytes cannot be encoded in one array");
            }
            ByteWriter w = header((int) size, OP_PUT_BATCH).writeVarLong(b.entries().size());
            for (KvCommand.Entry e : b.entries()) {
                w.writeLengthPrefixed(e.key()).writeLengthPrefixed(e.value());
            }
            return w.toByteArray();
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    /**
     * Decodes command bytes.
     *
     * @throws KvCodecException if the bytes are not a valid command encoding
     */
    public static KvCommand decodeCommand(byte[] bytes) {
        ByteReader r = new ByteReader(bytes);
        int op = readHeader(r);
        KvCommand command = switch (op) {
            case OP_PUT -> new KvCommand.Put(r.readLengthPrefixed("key"), r.readLengthPrefixed("value"));
            case OP_DELETE -> new KvCommand.Delete(r.readLengthPrefixed("key"));
            case OP_CAS -> decodeCas(r);
            case OP_PUT_BATCH -> decodeBatch(r);
            default -> throw new KvCodecException("unknown command opcode 0x" + Integer.toHexString(op));
        };
        r.expectEnd();
        return command;
    }

    private static KvCommand decodeCas(ByteReader r) {
        byte[] key = r.readLengthPrefixed("key");
        int flags = r.readUnsignedByte("CAS flags");
        if ((flags & ~(CAS_HAS_EXPECTED | CAS_HAS_NEW_VALUE)) != 0) {
            throw new KvCodecException("unknown CAS flags 0x" + Integer.toHexString(flags));
        }
        byte[] expected = (flags & CAS_HAS_EXPECTED) != 0 ? r.readLengthPrefixed("expected value") : null;
        byte[] newValue = (flags & CAS_HAS_NEW_VALUE) != 0 ? r.readLengthPrefixed("new value") : null;
        return new KvCommand.CompareAndSet(key, expected, newValue);
    }

    private static KvCommand decodeBatch(ByteReader r) {
        // Each entry takes at least 2 bytes (two zero lengths): bounds the list before we allocate it.
        int count = r.readCount("batch entry count", 2);
        List<KvCommand.Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(new KvCommand.Entry(r.readLengthPrefixed("key"), r.readLengthPrefixed("value")));
        }
        return new KvCommand.PutBatch(entries);
    }

    // ---------------------------------------------------------------- queries

    /** Encodes a query into the bytes handed to {@link KvStateMachine#query(byte[])}. */
    public static byte[] encodeQuery(KvQuery query) {
        if (query instanceof KvQuery.Get g) {
            return header(2 + ByteWriter.lengthPrefixedSize(g.key()), OP_GET).writeLengthPrefixed(g.key())
                    .toByteArray();
        }
        if (query instanceof KvQuery.Size) {
            return header(2, OP_SIZE).toByteArray();
        }
        if (query instanceof KvQuery.Digest) {
            return header(2, OP_DIGEST).toByteArray();
        }
        throw new IllegalArgumentException("unknown query " + query);
    }

    /**
     * Decodes query bytes.
     *
     * @throws KvCodecException if the bytes are not a valid query encoding
     */
    public static KvQuery decodeQuery(byte[] bytes) {
        ByteReader r = new ByteReader(bytes);
        int op = readHeader(r);
        KvQuery query = switch (op) {
            case OP_GET -> new KvQuery.Get(r.readLengthPrefixed("key"));
            case OP_SIZE -> new KvQuery.Size();
            case OP_DIGEST -> new KvQuery.Digest();
            default -> throw new KvCodecException("unknown query opcode 0x" + Integer.toHexString(op));
        };
        r.expectEnd();
        return query;
    }

    // ---------------------------------------------------------------- results

    /** Encodes a result. */
    public static byte[] encodeResult(KvResult result) {
        if (result instanceof KvResult.Ok) {
            return header(2, RES_OK).toByteArray();
        }
        if (result instanceof KvResult.Found f) {
            return header(2 + ByteWriter.lengthPrefixedSize(f.value()), RES_FOUND).writeLengthPrefixed(f.value())
                    .toByteArray();
        }
        if (result instanceof KvResult.NotFound) {
            return header(2, RES_NOT_FOUND).toByteArray();
        }
        if (result instanceof KvResult.CasFailed c) {
            if (c.current() == null) {
                return header(3, RES_CAS_FAILED).writeByte(0).toByteArray();
            }
            return header(3 + ByteWriter.lengthPrefixedSize(c.current()), RES_CAS_FAILED).writeByte(1)
                    .writeLengthPrefixed(c.current()).toByteArray();
        }
        if (result instanceof KvResult.TooLarge t) {
            requireNonNegative(t.actual(), "actual");
            requireNonNegative(t.max(), "max");
            int size = 3 + ByteWriter.varLongSize(t.actual()) + ByteWriter.varLongSize(t.max());
            return header(size, RES_TOO_LARGE).writeByte(t.limit().code()).writeVarLong(t.actual())
                    .writeVarLong(t.max()).toByteArray();
        }
        if (result instanceof KvResult.Invalid i) {
            byte[] reason = truncateUtf8(i.reason());
            return header(2 + ByteWriter.lengthPrefixedSize(reason), RES_INVALID).writeLengthPrefixed(reason)
                    .toByteArray();
        }
        if (result instanceof KvResult.Stats s) {
            requireNonNegative(s.size(), "size");
            requireNonNegative(s.lastAppliedIndex(), "lastAppliedIndex");
            int size = 2 + ByteWriter.varLongSize(s.size()) + ByteWriter.varLongSize(s.lastAppliedIndex());
            return header(size, RES_STATS).writeVarLong(s.size()).writeVarLong(s.lastAppliedIndex()).toByteArray();
        }
        if (result instanceof KvResult.StateDigest d) {
            if (d.digest().length != DIGEST_BYTES) {
                throw new IllegalArgumentException("digest must be " + DIGEST_BYTES + " bytes");
            }
            requireNonNegative(d.size(), "size");
            requireNonNegative(d.lastAppliedIndex(), "lastAppliedIndex");
            int size = 2 + DIGEST_BYTES + ByteWriter.varLongSize(d.size()) + ByteWriter.varLongSize(d.lastAppliedIndex());
            return header(size, RES_DIGEST).writeFixed(d.digest()).writeVarLong(d.size())
                    .writeVarLong(d.lastAppliedIndex()).toByteArray();
        }
        throw new IllegalArgumentException("unknown result " + result);
    }

    /**
     * Decodes result bytes.
     *
     * @throws KvCodecException if the bytes are not a valid result encoding
     */
    public static KvResult decodeResult(byte[] bytes) {
        ByteReader r = new ByteReader(bytes);
        int op = readHeader(r);
        KvResult result = switch (op) {
            case RES_OK -> KvResult.OK;
            case RES_FOUND -> new KvResult.Found(r.readLengthPrefixed("value"));
            case RES_NOT_FOUND -> KvResult.NOT_FOUND;
            case RES_CAS_FAILED -> decodeCasFailed(r);
            case RES_TOO_LARGE -> new KvResult.TooLarge(KvResult.Limit.fromCode(r.readUnsignedByte("limit")),
                    readNonNegative(r, "actual"), readNonNegative(r, "max"));
            case RES_INVALID -> new KvResult.Invalid(new String(r.readLengthPrefixed("reason"), StandardCharsets.UTF_8));
            case RES_STATS -> new KvResult.Stats(readNonNegative(r, "size"), readNonNegative(r, "lastAppliedIndex"));
            case RES_DIGEST -> new KvResult.StateDigest(r.readFixed(DIGEST_BYTES, "digest"), readNonNegative(r, "size"),
                    readNonNegative(r, "lastAppliedIndex"));
            default -> throw new KvCodecException("unknown result code 0x" + Integer.toHexString(op));
        };
        r.expectEnd();
        return result;
    }

    private static KvResult decodeCasFailed(ByteReader r) {
        int present = r.readUnsignedByte("CAS current-present flag");
        return switch (present) {
            case 0 -> new KvResult.CasFailed(null);
            case 1 -> new KvResult.CasFailed(r.readLengthPrefixed("current value"));
            default -> throw new KvCodecException("CAS current-present flag must be 0 or 1, was " + present);
        };
    }

    // ---------------------------------------------------------------- helpers

    private static ByteWriter header(int size, int op) {
        return new ByteWriter(size).writeByte(VERSION).writeByte(op);
    }

    private static int readHeader(ByteReader r) {
        if (r.remaining() == 0) {
            throw new KvCodecException("empty input");
        }
        int version = r.readUnsignedByte("version");
        if (version != VERSION) {
            throw new KvCodecException("unsupported format version " + version + " (this build reads " + VERSION + ")");
        }
        return r.readUnsignedByte("opcode");
    }

    private static long readNonNegative(ByteReader r, String what) {
        long v = r.readVarLong(what);
        if (v < 0) {
            throw new KvCodecException(what + " " + Long.toUnsignedString(v) + " is out of range");
        }
        return v;
    }

    private static void requireNonNegative(long v, String what) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + v);
        }
    }

    /** Cuts a reason to {@link #MAX_REASON_BYTES} UTF-8 bytes without splitting a character. */
    private static byte[] truncateUtf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_REASON_BYTES) {
            return b;
        }
        int end = MAX_REASON_BYTES;
        while (end > 0 && (b[end] & 0xc0) == 0x80) {
            end--; // b[end] is a continuation byte: back up to the start of its character
        }
        return java.util.Arrays.copyOf(b, end);
    }
}
