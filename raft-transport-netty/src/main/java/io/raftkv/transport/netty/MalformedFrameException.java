package io.raftkv.transport.netty;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * A frame that cannot be accepted: too large, unknown version or type, truncated or malformed payload, or a
 * handshake that does not match (or, for {@link Reason#TLS}, a connection whose TLS handshake failed). The connection it came on is closed; the node keeps serving everyone else.
 * It extends Netty's {@link CorruptedFrameException} so that Netty's decoders pass it through unwrapped.
 */
public final class MalformedFrameException extends CorruptedFrameException {

    /** Why a frame was rejected; used as the {@code reason} tag of the rejection metric. */
    public enum Reason {
        TOO_LARGE, BAD_VERSION, UNKNOWN_TYPE, MALFORMED, HANDSHAKE,
        /** The TLS handshake failed (untrusted certificate, wrong host name, not TLS at all). */
        TLS;

        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;

    public MalformedFrameException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public MalformedFrameException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
