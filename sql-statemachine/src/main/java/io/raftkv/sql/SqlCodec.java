package io.raftkv.sql;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The binary encodings of {@link SqlCommand}, {@link SqlQuery} and {@link SqlResult}, documented byte by byte in
 * the module README. Every message starts with a version byte ({@link #VERSION}) and an opcode; integers are
 * big-endian, strings are a 4-byte length and UTF-8, counts are 4 bytes.
 *
 * <p>Decoders are total over their input: any byte array either decodes or raises {@link SqlCodecException} —
 * never another exception, never an allocation larger than the input. Commands are decoded on every server, so
 * this decoding is part of the deterministic state machine.
 */
public final class SqlCodec {
    /** Format version of commands, queries and results. */
    public static final int VERSION = 1;

    // Opcodes live in disjoint ranges so that a query sent to apply (or a result to query) fails clearly.
    // Never renumber: they are in every stored log.
    static final int OP_EXECUTE = 0x01;
    static final int OP_READ = 0x10;
    static final int OP_DIGEST = 0x11;
    static final int RES_RESULTS = 0x20;
    static final int RES_INVALID = 0x21;
    static final int RES_DIGEST = 0x22;

    static final int FLAG_TRANSACTION = 0x01;

    static final int TAG_NULL = 0;
    static final int TAG_INTEGER = 1;
    static final int TAG_REAL = 2;
    static final int TAG_TEXT = 3;
    static final int TAG_BLOB = 4;

    static final int RESULT_CHANGED = 0;
    static final int RESULT_ROWS = 1;
    static final int RESULT_ERROR = 2;

    private SqlCodec() {
    }

    // ------------------------------------------------------------------------------------------ commands

    /** Encodes a command into the bytes a client proposes. */
    public static byte[] encodeCommand(SqlCommand command) {
        Out out = new Out(OP_EXECUTE);
        out.u8(command.transaction() ? FLAG_TRANSACTION : 0);
        out.i64(command.timeMillis());
        out.i64(command.randomSeed());
        out.statements(command.statements());
        return out.bytes();
    }

    /**
     * Decodes command bytes.
     *
     * @throws SqlCodecException if the bytes are not a valid command encoding
     */
    public static SqlCommand decodeCommand(byte[] bytes) {
        In in = new In(bytes);
        int op = in.header();
        if (op != OP_EXECUTE) {
            throw new SqlCodecException("unknown command opcode 0x" + Integer.toHexString(op));
        }
        int flags = in.u8("flags");
        if ((flags & ~FLAG_TRANSACTION) != 0) {
            throw new SqlCodecException("unknown command flags 0x" + Integer.toHexString(flags));
        }
        long time = in.i64("time");
        long seed = in.i64("random seed");
        List<SqlStatement> statements = in.statements();
        in.expectEnd();
        return new SqlCommand(statements, (flags & FLAG_TRANSACTION) != 0, time, seed);
    }

    // ------------------------------------------------------------------------------------------- queries

    public static byte[] encodeQuery(SqlQuery query) {
        if (query instanceof SqlQuery.Read r) {
            Out out = new Out(OP_READ);
            out.statements(r.statements());
            return out.bytes();
        }
        if (query instanceof SqlQuery.Digest) {
            return new Out(OP_DIGEST).bytes();
        }
        throw new IllegalArgumentException("unknown query " + query);
    }

    /** @throws SqlCodecException if the bytes are not a valid query encoding */
    public static SqlQuery decodeQuery(byte[] bytes) {
        In in = new In(bytes);
        int op = in.header();
        SqlQuery q = switch (op) {
            case OP_READ -> new SqlQuery.Read(in.statements());
            case OP_DIGEST -> SqlQuery.Digest.INSTANCE;
            default -> throw new SqlCodecException("unknown query opcode 0x" + Integer.toHexString(op));
        };
        in.expectEnd();
        return q;
    }

    // ------------------------------------------------------------------------------------------- results

    public static byte[] encodeResult(SqlResult result) {
        if (result instanceof SqlResult.Results r) {
            Out out = new Out(RES_RESULTS);
            out.u32(r.results().size());
            for (SqlResult.StatementResult s : r.results()) {
                if (s instanceof SqlResult.Changed c) {
                    out.u8(RESULT_CHANGED);
                    out.i64(c.lastInsertId());
                    out.i64(c.rowsAffected());
                    out.u8(c.returning() == null ? 0 : 1);
                    if (c.returning() != null) {
                        out.rows(c.returning());
                    }
                } else if (s instanceof SqlResult.Rows rows) {
                    out.u8(RESULT_ROWS);
                    out.rows(rows);
                } else if (s instanceof SqlResult.Error e) {
                    out.u8(RESULT_ERROR);
                    out.string(e.message());
                }
            }
            return out.bytes();
        }
        if (result instanceof SqlResult.Invalid i) {
            Out out = new Out(RES_INVALID);
            out.string(i.reason());
            return out.bytes();
        }
        if (result instanceof SqlResult.StateDigest d) {
            Out out = new Out(RES_DIGEST);
            out.raw(d.digest());
            out.i64(d.appliedIndex());
            return out.bytes();
        }
        throw new IllegalArgumentException("unknown result " + result);
    }

    /** @throws SqlCodecException if the bytes are not a valid result encoding */
    public static SqlResult decodeResult(byte[] bytes) {
        In in = new In(bytes);
        int op = in.header();
        SqlResult r = switch (op) {
            case RES_RESULTS -> {
                int n = in.count("result count", 1);
                List<SqlResult.StatementResult> results = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int tag = in.u8("result tag");
                    results.add(switch (tag) {
                        case RESULT_CHANGED -> {
                            long id = in.i64("last insert id");
                            long affected = in.i64("rows affected");
                            int has = in.u8("returning flag");
                            if (has > 1) {
                                throw new SqlCodecException("bad returning flag " + has);
                            }
                            yield new SqlResult.Changed(id, affected, has == 1 ? in.rows() : null);
                        }
                        case RESULT_ROWS -> in.rows();
                        case RESULT_ERROR -> new SqlResult.Error(in.string("error"));
                        default -> throw new SqlCodecException("unknown statement result tag " + tag);
                    });
                }
                yield new SqlResult.Results(results);
            }
            case RES_INVALID -> new SqlResult.Invalid(in.string("reason"));
            case RES_DIGEST -> new SqlResult.StateDigest(in.raw(32, "digest"), in.i64("applied index"));
            default -> throw new SqlCodecException("unknown result opcode 0x" + Integer.toHexString(op));
        };
        in.expectEnd();
        return r;
    }

    // ------------------------------------------------------------------------------------------ machinery

    private static final class Out {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
        private final DataOutputStream data = new DataOutputStream(buf);

        Out(int opcode) {
            u8(VERSION);
            u8(opcode);
        }

        void u8(int v) {
            buf.write(v);
        }

        void u32(int v) {
            try {
                data.writeInt(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
            }
        }

        void i64(long v) {
            try {
                data.writeLong(v);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void raw(byte[] b) {
            buf.writeBytes(b);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            raw(b);
        }

        void value(SqlValue v) {
            if (v instanceof SqlValue.Integer i) {
                u8(TAG_INTEGER);
                i64(i.value());
            } else if (v instanceof SqlValue.Real r) {
                u8(TAG_REAL);
                i64(Double.doubleToRawLongBits(r.value()));
            } else if (v instanceof SqlValue.Text t) {
                u8(TAG_TEXT);
                string(t.value());
            } else if (v instanceof SqlValue.Blob b) {
                u8(TAG_BLOB);
                u32(b.value().length);
                raw(b.value());
            } else {
                u8(TAG_NULL);
            }
        }

        void statements(List<SqlStatement> statements) {
            u32(statements.size());
            for (SqlStatement s : statements) {
                string(s.sql());
                u32(s.positional().size());
                for (SqlValue v : s.positional()) {
                    value(v);
                }
                u32(s.named().size());
                s.named().forEach((name, v) -> {
                    string(name);
                    value(v);
                });
            }
        }

        void rows(SqlResult.Rows rows) {
            u32(rows.columns().size());
            for (int i = 0; i < rows.columns().size(); i++) {
                string(rows.columns().get(i));
                string(rows.types().get(i));
            }
            u32(rows.values().size());
            for (List<SqlValue> row : rows.values()) {
                if (row.size() != rows.columns().size()) {
                    throw new IllegalArgumentException("a row has " + row.size() + " values for "
                            + rows.columns().size() + " columns");
                }
                for (SqlValue v : row) {
                    value(v);
                }
            }
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }

    private static final class In {
        private final ByteBuffer buf;

        In(byte[] bytes) {
            this.buf = ByteBuffer.wrap(bytes);
        }

        int header() {
            int version = u8("version");
            if (version != VERSION) {
                throw new SqlCodecException("unsupported version " + version + " (this build reads " + VERSION + ")");
            }
            return u8("opcode");
        }

        int u8(String what) {
            try {
                return buf.get() & 0xff;
            } catch (BufferUnderflowException e) {
                throw truncated(what);
            }
        }

        long i64(String what) {
            try {
                return buf.getLong();
            } catch (BufferUnderflowException e) {
                throw truncated(what);
            }
        }

        private int u32(String what) {
            try {
                return buf.getInt();
            } catch (BufferUnderflowException e) {
                throw truncated(what);
            }
        }

        /** A count of items that take at least {@code minItemBytes} each: it must fit in what remains. */
        int count(String what, int minItemBytes) {
            int at = buf.position();
            int n = u32(what);
            if (n < 0 || n > buf.remaining() / minItemBytes) {
                throw new SqlCodecException(what + " " + Integer.toUnsignedString(n) + " at offset " + at
                        + " cannot fit in the " + buf.remaining() + " bytes that remain");
            }
            return n;
        }

        byte[] raw(int len, String what) {
            if (len > buf.remaining()) {
                throw truncated(what);
            }
            byte[] b = new byte[len];
            buf.get(b);
            return b;
        }

        String string(String what) {
            int len = count(what + " length", 1);
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(buf.slice(buf.position(), len));
                buf.position(buf.position() + len);
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new SqlCodecException(what + " at offset " + buf.position() + " is not valid UTF-8");
            }
        }

        SqlValue value() {
            int tag = u8("value tag");
            return switch (tag) {
                case TAG_NULL -> SqlValue.NULL;
                case TAG_INTEGER -> SqlValue.of(i64("integer"));
                case TAG_REAL -> SqlValue.of(Double.longBitsToDouble(i64("real")));
                case TAG_TEXT -> SqlValue.of(string("text"));
                case TAG_BLOB -> SqlValue.of(raw(count("blob length", 1), "blob"));
                default -> throw new SqlCodecException("unknown value tag " + tag + " at offset " + (buf.position() - 1));
            };
        }

        List<SqlStatement> statements() {
            // A statement takes at least 12 bytes: three empty counts/lengths.
            int n = count("statement count", 12);
            List<SqlStatement> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String sql = string("sql");
                int p = count("positional parameter count", 1);
                List<SqlValue> positional = new ArrayList<>(p);
                for (int j = 0; j < p; j++) {
                    positional.add(value());
                }
                int named = count("named parameter count", 5);
                SortedMap<String, SqlValue> names = new TreeMap<>();
                String previous = null;
                for (int j = 0; j < named; j++) {
                    String name = string("parameter name");
                    // Sorted and unique: one encoding per statement.
                    if (previous != null && previous.compareTo(name) >= 0) {
                        throw new SqlCodecException("named parameters out of order or repeated: " + name);
                    }
                    previous = name;
                    names.put(name, value());
                }
                out.add(new SqlStatement(sql, positional, names));
            }
            return out;
        }

        SqlResult.Rows rows() {
            int columns = count("column count", 8);
            List<String> names = new ArrayList<>(columns);
            List<String> types = new ArrayList<>(columns);
            for (int i = 0; i < columns; i++) {
                names.add(string("column name"));
                types.add(string("column type"));
            }
            // Each row takes at least one byte per column; a result without columns has no rows.
            int rows = columns == 0 ? expectZero(count("row count", 1)) : count("row count", columns);
            List<List<SqlValue>> values = new ArrayList<>(rows);
            for (int r = 0; r < rows; r++) {
                List<SqlValue> row = new ArrayList<>(columns);
                for (int c = 0; c < columns; c++) {
                    row.add(value());
                }
                values.add(row);
            }
            return new SqlResult.Rows(names, types, values);
        }

        private static int expectZero(int rows) {
            if (rows != 0) {
                throw new SqlCodecException(rows + " rows without columns");
            }
            return 0;
        }

        void expectEnd() {
            if (buf.hasRemaining()) {
                throw new SqlCodecException(buf.remaining() + " unexpected trailing bytes at offset " + buf.position());
            }
        }

        private SqlCodecException truncated(String what) {
            return new SqlCodecException("truncated at offset " + buf.position() + " while reading " + what);
        }
    }
}
