package io.raftkv.sql;

import java.util.List;

/** A read-only request, answered by {@link SqlStateMachine#query} from a read-only connection. */
public sealed interface SqlQuery {

    /**
     * Statements run in one read transaction (so they see one state) on a read-only connection; each answers
     * with its rows or its error.
     */
    record Read(List<SqlStatement> statements) implements SqlQuery {
        public Read {
            statements = List.copyOf(statements);
        }
    }

    /** A digest of the whole database with the applied index it belongs to (see {@link SqlResult.StateDigest}). */
    enum Digest implements SqlQuery {
        INSTANCE
    }
}
