package io.raftkv.sql;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** What a command or a query answers, encoded by {@link SqlCodec}. */
public sealed interface SqlResult {

    /** One result per statement, in order: {@link Changed} or {@link Error} for a command, {@link Rows} or {@link Error} for a read. */
    record Results(List<StatementResult> results) implements SqlResult {
        public Results {
            results = List.copyOf(results);
        }
    }

    /**
     * The request as a whole could not be taken: its bytes are not a command (or query), or it is empty. The
     * index is consumed all the same; nothing changed.
     */
    record Invalid(String reason) implements SqlResult {
        public Invalid {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * A SHA-256 over a canonical dump of the database (schema, then every table's rows in key order, with the
     * header's user_version and application_id), excluding the state machine's own bookkeeping; and the applied
     * index the dump was read at, in the same read transaction. Two servers at the same index must have the same
     * digest.
     */
    record StateDigest(byte[] digest, long appliedIndex) implements SqlResult {
        public StateDigest {
            if (digest.length != 32) {
                throw new IllegalArgumentException("a digest has 32 bytes, got " + digest.length);
            }
            digest = digest.clone();
        }

        @Override
        public byte[] digest() {
            return digest.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StateDigest d && d.appliedIndex == appliedIndex && Arrays.equals(d.digest, digest);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(digest) * 31 + Long.hashCode(appliedIndex);
        }

        @Override
        public String toString() {
            return "StateDigest[" + java.util.HexFormat.of().formatHex(digest) + " @" + appliedIndex + "]";
        }
    }

    /** The result of one statement. */
    sealed interface StatementResult {
    }

    /**
     * A statement of a command ran.
     *
     * @param lastInsertId the rowid of the last row inserted by this command so far (0 if none): SQLite's
     *                     {@code last_insert_rowid()}, reset at the start of every command so that it never
     *                     depends on what the server applied before
     * @param rowsAffected rows inserted, updated or deleted by this statement itself (not by its triggers);
     *                     0 for a statement that is not an INSERT, UPDATE or DELETE
     * @param returning    the rows of a {@code RETURNING} clause, or null if the statement returns none
     */
    record Changed(long lastInsertId, long rowsAffected, Rows returning) implements StatementResult {
    }

    /**
     * Rows of a query.
     *
     * @param columns column names
     * @param types   each column's declared type, lower case (as rqlite reports it); for an expression, the
     *                storage class of its first value ("" if there is no row)
     * @param values  the rows
     */
    record Rows(List<String> columns, List<String> types, List<List<SqlValue>> values) implements StatementResult {
        public Rows {
            columns = List.copyOf(columns);
            types = List.copyOf(types);
            values = values.stream().map(List::copyOf).toList();
            if (columns.size() != types.size()) {
                throw new IllegalArgumentException(columns.size() + " columns but " + types.size() + " types");
            }
            if (columns.isEmpty() && !values.isEmpty()) {
                throw new IllegalArgumentException("rows without columns");
            }
        }
    }

    /**
     * The statement failed: an SQL error (syntax, constraint, no such table, …) or a refusal of a statement that
     * could not give every server the same result (see {@link SqlGuard}). A failure is a result every server
     * reaches alike, never an exception.
     */
    record Error(String message) implements StatementResult {
        public Error {
            Objects.requireNonNull(message, "message");
        }
    }
}
