package io.raftkv.sql;

import java.util.Arrays;
import java.util.Objects;

/**
 * One SQLite value, by storage class: a bound parameter or a cell of a result row. SQLite has exactly these five
 * (https://sqlite.org/datatype3.html); booleans are integers, dates are text, real or integer.
 */
public sealed interface SqlValue {

    /** NULL. */
    SqlValue NULL = Null.INSTANCE;

    static SqlValue of(long v) {
        return new Integer(v);
    }

    static SqlValue of(double v) {
        return new Real(v);
    }

    static SqlValue of(String v) {
        return v == null ? NULL : new Text(v);
    }

    static SqlValue of(byte[] v) {
        return v == null ? NULL : new Blob(v);
    }

    /**
     * The value of a JDBC object as sqlite-jdbc hands it out ({@code ResultSet.getObject}): null, Integer, Long,
     * Double, String or byte[].
     */
    static SqlValue ofJdbc(Object o) {
        if (o == null) {
            return NULL;
        }
        if (o instanceof java.lang.Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            return of(((Number) o).longValue());
        }
        if (o instanceof Double || o instanceof Float) {
            return of(((Number) o).doubleValue());
        }
        if (o instanceof String s) {
            return of(s);
        }
        if (o instanceof byte[] b) {
            return of(b);
        }
        throw new IllegalArgumentException("not an SQLite value: " + o.getClass().getName());
    }

    /** The storage class as SQLite's {@code typeof()} names it. */
    String typeName();

    /** NULL. */
    enum Null implements SqlValue {
        INSTANCE;

        @Override
        public String typeName() {
            return "null";
        }

        @Override
        public String toString() {
            return "NULL";
        }
    }

    /** A 64-bit signed integer. */
    record Integer(long value) implements SqlValue {
        @Override
        public String typeName() {
            return "integer";
        }
    }

    /** An IEEE 754 double. */
    record Real(double value) implements SqlValue {
        @Override
        public String typeName() {
            return "real";
        }
    }

    /** Text (SQLite stores it as UTF-8). */
    record Text(String value) implements SqlValue {
        public Text {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String typeName() {
            return "text";
        }
    }

    /** Bytes. Compared by content. */
    record Blob(byte[] value) implements SqlValue {
        public Blob {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String typeName() {
            return "blob";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Blob b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Blob[" + java.util.HexFormat.of().formatHex(value, 0, Math.min(value.length, 32))
                    + (value.length > 32 ? "… (" + value.length + " bytes)" : "") + "]";
        }
    }
}
