package io.raftkv.verify;

/** A saved history that cannot be read: malformed JSON, a missing field, or an inconsistent operation. */
public final class HistoryFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public HistoryFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    public HistoryFormatException(String message) {
        super(message);
    }
}
