package io.raftkv.core.session;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A command of the session layer, as a proposer encodes it into the Raft log (thesis §6.3). A
 * {@link SessionStateMachine} recognises its frames by their first byte, {@link #TAG}; every other command passes
 * to the state machine it wraps unchanged, so <b>an inner state machine's commands must never begin with
 * {@code 0xFE}</b> (a byte that never occurs in UTF-8 text; raftkv's own codecs begin with a version byte 0x01).
 *
 * <p>Every frame carries {@link #stampMillis()}: the proposing server's wall clock. Apply never reads a clock; it
 * advances the session table's cluster time to the largest stamp seen so far, and expires sessions by that time
 * alone, so every server expires the same sessions at the same log index (see {@link SessionStateMachine}).
 *
 * <pre>
 * 0xFE | version 0x01 | op | stamp (varint) | body
 *   op 0x01 Register   body: timeoutMillis
 *   op 0x02 Invoke     body: session, seq, ackedBelow, then the inner command (all remaining bytes)
 *   op 0x03 KeepAlive  body: session, ackedBelow
 *   op 0x04 Close      body: session
 * </pre>
 * Varints are unsigned LEB128 in shortest form; values must fit a non-negative {@code long}.
 */
public sealed interface SessionFrame permits SessionFrame.Register, SessionFrame.Invoke, SessionFrame.KeepAlive,
        SessionFrame.Close {

    /** First byte of every session frame and reply. */
    byte TAG = (byte) 0xFE;
    /** Format version of frames and replies. */
    int VERSION = 1;

    /** The proposing server's wall clock, in milliseconds since the epoch, when it proposed the frame. */
    long stampMillis();

    /** The bytes to propose. */
    byte[] encode();

    /** True if {@code command} is a session frame (else it belongs to the inner state machine). */
    static boolean isFrame(byte[] command) {
        return command.length > 0 && command[0] == TAG;
    }

    /**
     * Registers a new session; its id is the index of this entry in the log (thesis §6.3: the id comes from the
     * log, so every server assigns the same one).
     *
     * @param timeoutMillis how long the session lives without activity, in cluster time
     */
    record Register(long stampMillis, long timeoutMillis) implements SessionFrame {
        public Register {
            Wire.requireNonNegative(stampMillis, "stampMillis");
            if (timeoutMillis < 1) {
                throw new IllegalArgumentException("timeoutMillis must be positive, got " + timeoutMillis);
            }
        }

        @Override
        public byte[] encode() {
            return Wire.frame(Wire.OP_REGISTER, stampMillis, 1 + SessionBytes.varLongSize(timeoutMillis))
                    .varLong(timeoutMillis).toByteArray();
        }
    }

    /**
     * A client command under a session: applied at most once per (session, seq); a repeat is answered from the
     * table.
     *
     * @param seq        the client's sequence number for this command, from 1
     * @param ackedBelow the lowest sequence number whose answer the client has not received yet: it has every
     *                   answer below it, which the table may therefore forget
     * @param command    the inner state machine's command (not copied)
     */
    record Invoke(long stampMillis, long sessionId, long seq, long ackedBelow, byte[] command) implements SessionFrame {
        public Invoke {
            Wire.requireNonNegative(stampMillis, "stampMillis");
            Wire.requireNonNegative(sessionId, "sessionId");
            Wire.requireNonNegative(ackedBelow, "ackedBelow");
            if (seq < 1) {
                throw new IllegalArgumentException("seq starts at 1, got " + seq);
            }
            java.util.Objects.requireNonNull(command, "command");
        }

        @Override
        public byte[] encode() {
            int size = SessionBytes.varLongSize(sessionId) + SessionBytes.varLongSize(seq)
                    + SessionBytes.varLongSize(ackedBelow) + command.length;
            return Wire.frame(Wire.OP_INVOKE, stampMillis, size).varLong(sessionId).varLong(seq).varLong(ackedBelow)
                    .raw(command).toByteArray();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Invoke i && i.stampMillis == stampMillis && i.sessionId == sessionId && i.seq == seq
                    && i.ackedBelow == ackedBelow && Arrays.equals(i.command, command);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(stampMillis, sessionId, seq, ackedBelow, Arrays.hashCode(command));
        }

        @Override
        public String toString() {
            return "Invoke[session " + sessionId + " seq " + seq + " ackedBelow " + ackedBelow + " at " + stampMillis
                    + ", " + command.length + " bytes " + HexFormat.of().formatHex(command, 0, Math.min(16, command.length))
                    + (command.length > 16 ? "…" : "") + "]";
        }
    }

    /** Keeps an idle session alive (activity without a command); may acknowledge answers as well. */
    record KeepAlive(long stampMillis, long sessionId, long ackedBelow) implements SessionFrame {
        public KeepAlive {
            Wire.requireNonNegative(stampMillis, "stampMillis");
            Wire.requireNonNegative(sessionId, "sessionId");
            Wire.requireNonNegative(ackedBelow, "ackedBelow");
        }

        @Override
        public byte[] encode() {
            return Wire.frame(Wire.OP_KEEP_ALIVE, stampMillis, SessionBytes.varLongSize(sessionId)
                    + SessionBytes.varLongSize(ackedBelow)).varLong(sessionId).varLong(ackedBelow).toByteArray();
        }
    }

    /** Ends a session at once, freeing its answers (a client that is done). */
    record Close(long stampMillis, long sessionId) implements SessionFrame {
        public Close {
            Wire.requireNonNegative(stampMillis, "stampMillis");
            Wire.requireNonNegative(sessionId, "sessionId");
        }

        @Override
        public byte[] encode() {
            return Wire.frame(Wire.OP_CLOSE, stampMillis, SessionBytes.varLongSize(sessionId)).varLong(sessionId).toByteArray();
        }
    }

    /**
     * Decodes a frame.
     *
     * @throws SessionFormatException if the bytes are not a valid frame (wrong tag, version or op, truncated,
     *                                trailing bytes, values out of range)
     */
    static SessionFrame decode(byte[] bytes) {
        SessionBytes.Reader r = new SessionBytes.Reader(bytes);
        int op = Wire.readHeader(r, "frame");
        long stamp = r.nonNegative("stamp");
        SessionFrame frame;
        switch (op) {
            case Wire.OP_REGISTER -> {
                long timeout = r.nonNegative("timeoutMillis");
                if (timeout < 1) {
                    throw new SessionFormatException("register with timeoutMillis 0");
                }
                frame = new Register(stamp, timeout);
            }
            case Wire.OP_INVOKE -> {
                long session = r.nonNegative("session");
                long seq = r.nonNegative("seq");
                long acked = r.nonNegative("ackedBelow");
                if (seq < 1) {
                    throw new SessionFormatException("invoke with seq 0 (sequence numbers start at 1)");
                }
                return new Invoke(stamp, session, seq, acked, r.rest());
            }
            case Wire.OP_KEEP_ALIVE -> frame = new KeepAlive(stamp, r.nonNegative("session"), r.nonNegative("ackedBelow"));
            case Wire.OP_CLOSE -> frame = new Close(stamp, r.nonNegative("session"));
            default -> throw new SessionFormatException("unknown session frame op 0x" + Integer.toHexString(op));
        }
        r.expectEnd("session frame");
        return frame;
    }

}
