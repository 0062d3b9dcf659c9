package io.raftkv.core.session;

/** Codes and helpers of the frame and reply encodings (see {@link SessionFrame} and {@link SessionReply}). */
final class Wire {
    private Wire() {
    }

    // Frame ops and reply codes are in every stored log and every answer: never renumber.
    static final int OP_REGISTER = 0x01;
    static final int OP_INVOKE = 0x02;
    static final int OP_KEEP_ALIVE = 0x03;
    static final int OP_CLOSE = 0x04;

    static final int RES_REGISTERED = 0x10;
    static final int RES_ANSWERED = 0x11;
    static final int RES_REPEATED = 0x12;
    static final int RES_UNKNOWN_SESSION = 0x13;
    static final int RES_SEQUENCE_TOO_OLD = 0x14;
    static final int RES_DONE = 0x15;
    static final int RES_MALFORMED = 0x16;

    /** A frame's header (tag, version, op, stamp) in a writer sized for {@code bodyBytes} more. */
    static SessionBytes.Writer frame(int op, long stamp, int bodyBytes) {
        return new SessionBytes.Writer(3 + SessionBytes.varLongSize(stamp) + bodyBytes)
                .u8(SessionFrame.TAG).u8(SessionFrame.VERSION).u8(op).varLong(stamp);
    }

    /** A reply's header (tag, version, code) in a writer sized for {@code bodyBytes} more. */
    static SessionBytes.Writer reply(int code, int bodyBytes) {
        return new SessionBytes.Writer(3 + bodyBytes).u8(SessionFrame.TAG).u8(SessionFrame.VERSION).u8(code);
    }

    /** Reads and checks tag and version; returns the op or code that follows. */
    static int readHeader(SessionBytes.Reader r, String what) {
        if (r.remaining() == 0 || r.u8("tag") != (SessionFrame.TAG & 0xff)) {
            throw new SessionFormatException("not a session " + what + " (first byte must be 0xfe)");
        }
        int version = r.u8("version");
        if (version != SessionFrame.VERSION) {
            throw new SessionFormatException("unsupported session " + what + " version " + version
                    + " (this build reads " + SessionFrame.VERSION + ")");
        }
        return r.u8(what.equals("frame") ? "op" : "code");
    }

    static void requireNonNegative(long v, String what) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " must not be negative, got " + v);
        }
    }
}
