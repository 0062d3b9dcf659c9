package io.raftkv.sql;

/**
 * Bytes that are not a valid encoding (unknown version or opcode, a length past the end, bad UTF-8, trailing
 * bytes). {@link SqlStateMachine} turns it into a {@link SqlResult.Invalid} result; it never escapes
 * {@code apply} or {@code query}.
 */
public final class SqlCodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SqlCodecException(String message) {
        super(message);
    }
}
