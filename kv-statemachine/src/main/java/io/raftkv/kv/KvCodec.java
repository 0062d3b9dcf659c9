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
    static final int OP_SET = 0x05;
    static final int OP_INCR_BY = 0x06;
    static final int OP_APPEND = 0x07;
    static final int OP_DELETE_KEYS = 0x08;
    static final int OP_CLEAR = 0x09;
    static final int OP_TRANSACTION = 0x0a;

    static final int OP_GET = 0x10;
    static final int OP_SIZE = 0x11;
    static final int OP_DIGEST = 0x12;
    static final int OP_EXISTS = 0x13;
    static final int OP_MULTI_GET = 0x14;
    static final int OP_STRLEN = 0x15;
    static final int OP_SCAN = 0x16;

    static final int RES_OK = 0x20;
    static final int RES_FOUND = 0x21;
    static final int RES_NOT_FOUND = 0x22;
    static final int RES_CAS_FAILED = 0x23;
    static final int RES_TOO_LARGE = 0x24;
    static final int RES_INVALID = 0x25;
    static final int RES_STATS = 0x26;
    static final int RES_DIGEST = 0x27;
    static final int RES_INT = 0x28;
    static final int RES_VALUES = 0x29;
    static final int RES_SET = 0x2a;
    static final int RES_INTEGER_ERROR = 0x2b;
    static final int RES_SCAN_PAGE = 0x2c;
    static final int RES_TX_RESULTS = 0x2d;
    static final int RES_TX_ABORTED = 0x2e;

    /** SetOutcome flag bits. */
    static final int SET_APPLIED = 0x01;
    static final int SET_HAS_PREVIOUS = 0x02;

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
        if (command instanceof KvCommand.Set st) {
            int size = 3 + ByteWriter.lengthPrefixedSize(st.key()) + ByteWriter.lengthPrefixedSize(st.value());
            return header(size, OP_SET).writeLengthPrefixed(st.key()).writeLengthPrefixed(st.value())
                    .writeByte(st.condition().code()).toByteArray();
        }
        if (command instanceof KvCommand.IncrBy i) {
            return header(2 + ByteWriter.lengthPrefixedSize(i.key()) + 8, OP_INCR_BY).writeLengthPrefixed(i.key())
                    .writeLong(i.delta()).toByteArray();
        }
        if (command instanceof KvCommand.Append a) {
            int size = 2 + ByteWriter.lengthPrefixedSize(a.key()) + ByteWriter.lengthPrefixedSize(a.value());
            return header(size, OP_APPEND).writeLengthPrefixed(a.key()).writeLengthPrefixed(a.value()).toByteArray();
        }
        if (command instanceof KvCommand.DeleteKeys d) {
            return encodeList(OP_DELETE_KEYS, d.keys());
        }
        if (command instanceof KvCommand.Clear) {
            return header(2, OP_CLEAR).toByteArray();
        }
        if (command instanceof KvCommand.Transaction t) {
            List<byte[]> ops = new ArrayList<>(t.operations().size());
            for (KvOperation op : t.operations()) {
                ops.add(op instanceof KvCommand c ? encodeCommand(c) : encodeQuery((KvQuery) op));
            }
            return encodeList(OP_TRANSACTION, ops);
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    /** opcode, item count (varint), then each item length-prefixed. */
    private static byte[] encodeList(int op, List<byte[]> items) {
        long size = 2 + ByteWriter.varLongSize(items.size());
        for (byte[] b : items) {
            size += ByteWriter.lengthPrefixedSize(b);
        }
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("message of " + size + " bytes cannot be encoded in one array");
        }
        ByteWriter w = header((int) size, op).writeVarLong(items.size());
        for (byte[] b : items) {
            w.writeLengthPrefixed(b);
        }
        return w.toByteArray();
    }

    /** An item count followed by that many length-prefixed byte strings (each at least its 1-byte length). */
    private static List<byte[]> decodeList(ByteReader r, String what) {
        int count = r.readCount(what + " count", 1);
        List<byte[]> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(r.readLengthPrefixed(what));
        }
        return items;
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
            case OP_SET -> new KvCommand.Set(r.readLengthPrefixed("key"), r.readLengthPrefixed("value"),
                    KvCommand.Condition.fromCode(r.readUnsignedByte("SET condition")));
            case OP_INCR_BY -> new KvCommand.IncrBy(r.readLengthPrefixed("key"), r.readLong("delta"));
            case OP_APPEND -> new KvCommand.Append(r.readLengthPrefixed("key"), r.readLengthPrefixed("value"));
            case OP_DELETE_KEYS -> new KvCommand.DeleteKeys(decodeList(r, "key"));
            case OP_CLEAR -> new KvCommand.Clear();
            case OP_TRANSACTION -> decodeTransaction(r);
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

    private static KvCommand decodeTransaction(ByteReader r) {
        List<KvOperation> ops = new ArrayList<>();
        for (byte[] op : decodeList(r, "transaction operation")) {
            // byte 1 is the opcode; commands and queries live in disjoint ranges
            if (op.length < 2) {
                throw new KvCodecException("transaction operation of " + op.length + " bytes");
            }
            int opcode = op[1] & 0xff;
            if (opcode == OP_TRANSACTION || opcode == OP_DIGEST || opcode == OP_SCAN) {
                // Checked before decoding: nesting would let a small input recurse deeply.
                throw new KvCodecException("a transaction cannot hold opcode 0x" + Integer.toHexString(opcode));
            }
            ops.add(opcode < OP_GET ? decodeCommand(op) : decodeQuery(op));
        }
        return new KvCommand.Transaction(ops);
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
        if (query instanceof KvQuery.Exists e) {
            return encodeList(OP_EXISTS, e.keys());
        }
        if (query instanceof KvQuery.MultiGet m) {
            return encodeList(OP_MULTI_GET, m.keys());
        }
        if (query instanceof KvQuery.Strlen st) {
            return header(2 + ByteWriter.lengthPrefixedSize(st.key()), OP_STRLEN).writeLengthPrefixed(st.key())
                    .toByteArray();
        }
        if (query instanceof KvQuery.Scan sc) {
            return header(2 + 8 + ByteWriter.varLongSize(sc.count()), OP_SCAN).writeLong(sc.cursor())
                    .writeVarLong(sc.count()).toByteArray();
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
            case OP_EXISTS -> new KvQuery.Exists(decodeList(r, "key"));
            case OP_MULTI_GET -> new KvQuery.MultiGet(decodeList(r, "key"));
            case OP_STRLEN -> new KvQuery.Strlen(r.readLengthPrefixed("key"));
            case OP_SCAN -> decodeScan(r);
            default -> throw new KvCodecException("unknown query opcode 0x" + Integer.toHexString(op));
        };
        r.expectEnd();
        return query;
    }

    private static KvQuery decodeScan(ByteReader r) {
        long cursor = r.readLong("scan cursor");
        long count = r.readVarLong("scan count");
        if (count < 1 || count > Integer.MAX_VALUE) {
            throw new KvCodecException("scan count " + Long.toUnsignedString(count) + " is out of range");
        }
        return new KvQuery.Scan(cursor, (int) count);
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
        if (result instanceof KvResult.Int i) {
            return header(10, RES_INT).writeLong(i.value()).toByteArray();
        }
        if (result instanceof KvResult.Values v) {
            long size = 2 + ByteWriter.varLongSize(v.values().size());
            for (byte[] b : v.values()) {
                size += 1 + (b == null ? 0 : ByteWriter.lengthPrefixedSize(b));
            }
            if (size > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("values of " + size + " bytes cannot be encoded in one array");
            }
            ByteWriter w = header((int) size, RES_VALUES).writeVarLong(v.values().size());
            for (byte[] b : v.values()) {
                if (b == null) {
                    w.writeByte(0);
                } else {
                    w.writeByte(1).writeLengthPrefixed(b);
                }
            }
            return w.toByteArray();
        }
        if (result instanceof KvResult.SetOutcome so) {
            int flags = (so.applied() ? SET_APPLIED : 0) | (so.previous() != null ? SET_HAS_PREVIOUS : 0);
            int size = 3 + (so.previous() == null ? 0 : ByteWriter.lengthPrefixedSize(so.previous()));
            ByteWriter w = header(size, RES_SET).writeByte(flags);
            if (so.previous() != null) {
                w.writeLengthPrefixed(so.previous());
            }
            return w.toByteArray();
        }
        if (result instanceof KvResult.IntegerError ie) {
            return header(3, RES_INTEGER_ERROR).writeByte(ie.problem().code()).toByteArray();
        }
        if (result instanceof KvResult.ScanPage p) {
            long size = 2 + 8 + ByteWriter.varLongSize(p.keys().size());
            for (byte[] k : p.keys()) {
                size += ByteWriter.lengthPrefixedSize(k);
            }
            ByteWriter w = header((int) size, RES_SCAN_PAGE).writeLong(p.nextCursor()).writeVarLong(p.keys().size());
            for (byte[] k : p.keys()) {
                w.writeLengthPrefixed(k);
            }
            return w.toByteArray();
        }
        if (result instanceof KvResult.TxResults t) {
            List<byte[]> parts = new ArrayList<>(t.results().size());
            for (KvResult r : t.results()) {
                parts.add(encodeResult(r));
            }
            return encodeList(RES_TX_RESULTS, parts);
        }
        if (result instanceof KvResult.TxAborted a) {
            byte[] cause = encodeResult(a.cause());
            int size = 2 + ByteWriter.varLongSize(a.index()) + ByteWriter.lengthPrefixedSize(cause);
            return header(size, RES_TX_ABORTED).writeVarLong(a.index()).writeLengthPrefixed(cause).toByteArray();
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
            case RES_INT -> new KvResult.Int(r.readLong("integer"));
            case RES_VALUES -> decodeValues(r);
            case RES_SET -> decodeSetOutcome(r);
            case RES_INTEGER_ERROR -> new KvResult.IntegerError(
                    KvResult.IntegerProblem.fromCode(r.readUnsignedByte("integer problem")));
            case RES_SCAN_PAGE -> new KvResult.ScanPage(r.readLong("next cursor"), decodeList(r, "key"));
            case RES_TX_RESULTS -> decodeTxResults(r);
            case RES_TX_ABORTED -> decodeTxAborted(r);
            default -> throw new KvCodecException("unknown result code 0x" + Integer.toHexString(op));
        };
        r.expectEnd();
        return result;
    }

    private static KvResult decodeValues(ByteReader r) {
        int count = r.readCount("value count", 1);
        List<byte[]> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int present = r.readUnsignedByte("value-present flag");
            switch (present) {
                case 0 -> values.add(null);
                case 1 -> values.add(r.readLengthPrefixed("value"));
                default -> throw new KvCodecException("value-present flag must be 0 or 1, was " + present);
            }
        }
        return new KvResult.Values(values);
    }

    private static KvResult decodeSetOutcome(ByteReader r) {
        int flags = r.readUnsignedByte("SET result flags");
        if ((flags & ~(SET_APPLIED | SET_HAS_PREVIOUS)) != 0) {
            throw new KvCodecException("unknown SET result flags 0x" + Integer.toHexString(flags));
        }
        byte[] previous = (flags & SET_HAS_PREVIOUS) != 0 ? r.readLengthPrefixed("previous value") : null;
        return new KvResult.SetOutcome((flags & SET_APPLIED) != 0, previous);
    }

    private static KvResult decodeTxResults(ByteReader r) {
        List<KvResult> results = new ArrayList<>();
        for (byte[] part : decodeList(r, "transaction result")) {
            results.add(decodeNestedResult(part));
        }
        return new KvResult.TxResults(results);
    }

    private static KvResult decodeTxAborted(ByteReader r) {
        long index = r.readVarLong("failed operation index");
        if (index < 0 || index > Integer.MAX_VALUE) {
            throw new KvCodecException("failed operation index " + Long.toUnsignedString(index) + " is out of range");
        }
        return new KvResult.TxAborted((int) index, decodeNestedResult(r.readLengthPrefixed("failure")));
    }

    /** A result inside a transaction's result: never another transaction result (bounded recursion). */
    private static KvResult decodeNestedResult(byte[] part) {
        if (part.length >= 2 && ((part[1] & 0xff) == RES_TX_RESULTS || (part[1] & 0xff) == RES_TX_ABORTED)) {
            throw new KvCodecException("a transaction result cannot hold another transaction result");
        }
        return decodeResult(part);
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
