package io.raftkv.kv;

/**
 * Bytes that are not a valid encoding (unknown version or opcode, a length past the end, trailing bytes).
 * {@link KvStateMachine} turns it into a {@link KvResult.Invalid} result; it never escapes {@code apply}.
 */
public final class KvCodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KvCodecException(String message) {
        super(message);
    }
}
