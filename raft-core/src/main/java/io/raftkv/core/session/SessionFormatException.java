package io.raftkv.core.session;

/**
 * Bytes that are not a valid session frame, reply or table image. Decoding is total: any byte array either decodes
 * or raises this (never another exception, never an allocation larger than the input).
 */
public final class SessionFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SessionFormatException(String message) {
        super(message, null, false, false);
    }
}
