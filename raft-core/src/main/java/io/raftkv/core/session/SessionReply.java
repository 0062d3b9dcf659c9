package io.raftkv.core.session;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link SessionStateMachine} answers to a {@link SessionFrame}: the bytes its {@code apply} returns, which
 * the driver hands to the proposer ({@code RaftServer.propose} completes with them). Decode them with
 * {@link #decode}. Every outcome is a deterministic result (the same on every server), never an exception.
 *
 * <pre>
 * 0xFE | version 0x01 | code | body
 *   0x10 Registered      session, timeoutMillis
 *   0x11 Answered        the inner state machine's result (all remaining bytes): applied now
 *   0x12 Answered        the same, answered from the table: a repeat of an applied (session, seq)
 *   0x13 UnknownSession  session
 *   0x14 SequenceTooOld  seq, floor, reason (1 = acknowledged, 2 = evicted)
 *   0x15 Done            (keep-alive or close took effect)
 *   0x16 Malformed       reason (UTF-8, the remaining bytes)
 * </pre>
 */
public sealed interface SessionReply permits SessionReply.Registered, SessionReply.Answered,
        SessionReply.UnknownSession, SessionReply.SequenceTooOld, SessionReply.Done, SessionReply.Malformed {

    /** The encoded reply. */
    byte[] encode();

    /** A new session: its id (the register entry's log index) and how long it lives without activity. */
    record Registered(long sessionId, long timeoutMillis) implements SessionReply {
        @Override
        public byte[] encode() {
            return Wire.reply(Wire.RES_REGISTERED, 20).varLong(sessionId).varLong(timeoutMillis).toByteArray();
        }
    }

    /**
     * The inner state machine's result for the command of an (session, seq).
     *
     * @param result   the inner result bytes (not copied)
     * @param repeated false if the command was applied by this entry; true if this entry repeated an (session,
     *                 seq) that was applied before, and {@code result} is the stored answer of that first apply
     *                 (nothing was applied now). A client sees the same answer either way.
     */
    record Answered(byte[] result, boolean repeated) implements SessionReply {
        public Answered {
            Objects.requireNonNull(result, "result");
        }

        @Override
        public byte[] encode() {
            return Wire.reply(repeated ? Wire.RES_REPEATED : Wire.RES_ANSWERED, result.length).raw(result).toByteArray();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Answered a && a.repeated == repeated && Arrays.equals(a.result, result);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(result) * 31 + Boolean.hashCode(repeated);
        }

        @Override
        public String toString() {
            return "Answered[" + result.length + " bytes" + (repeated ? ", repeated" : "") + "]";
        }
    }

    /**
     * The session does not exist here: never registered, expired, evicted, or closed (thesis §6.3: an explicit
     * error, never a silently new session). Nothing was applied. A command of this session whose outcome the
     * client did not learn can no longer be told; a new command needs a new session.
     */
    record UnknownSession(long sessionId) implements SessionReply {
        @Override
        public byte[] encode() {
            return Wire.reply(Wire.RES_UNKNOWN_SESSION, 10).varLong(sessionId).toByteArray();
        }
    }

    /** Why a sequence number is below what the session still answers. */
    enum Reason {
        /** The client said it had the answer ({@code ackedBelow} above {@code seq}): a client bug or a stale retry. */
        ACKNOWLEDGED(1),
        /** The table forgot the answer to stay within its caps; the command's outcome can no longer be told. */
        EVICTED(2);

        private final int code;

        Reason(int code) {
            this.code = code;
        }

        int code() {
            return code;
        }

        static Reason fromCode(int code) {
            for (Reason r : values()) {
                if (r.code == code) {
                    return r;
                }
            }
            throw new SessionFormatException("unknown SequenceTooOld reason " + code);
        }
    }

    /**
     * {@code seq} is below {@code floor}, the lowest sequence number the session still answers: its answer was
     * acknowledged or evicted. Nothing was applied (thesis §6.3: applying it could apply it twice).
     */
    record SequenceTooOld(long seq, long floor, Reason reason) implements SessionReply {
        public SequenceTooOld {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public byte[] encode() {
            return Wire.reply(Wire.RES_SEQUENCE_TOO_OLD, 21).varLong(seq).varLong(floor).u8(reason.code())
                    .toByteArray();
        }
    }

    /** A keep-alive or close took effect. */
    record Done() implements SessionReply {
        @Override
        public byte[] encode() {
            return Wire.reply(Wire.RES_DONE, 0).toByteArray();
        }
    }

    /** The frame's bytes did not decode; nothing was applied (the entry's index is consumed like any other). */
    record Malformed(String reason) implements SessionReply {
        public Malformed {
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public byte[] encode() {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            return Wire.reply(Wire.RES_MALFORMED, text.length).raw(text).toByteArray();
        }
    }

    /** The shared {@link Done} instance. */
    Done DONE = new Done();

    /**
     * Decodes the bytes a {@link SessionStateMachine} returned for a frame.
     *
     * @throws SessionFormatException if they are not a session reply
     */
    static SessionReply decode(byte[] bytes) {
        SessionBytes.Reader r = new SessionBytes.Reader(bytes);
        int code = Wire.readHeader(r, "reply");
        SessionReply reply = switch (code) {
            case Wire.RES_REGISTERED -> new Registered(r.nonNegative("session"), r.nonNegative("timeoutMillis"));
            case Wire.RES_ANSWERED -> new Answered(r.rest(), false);
            case Wire.RES_REPEATED -> new Answered(r.rest(), true);
            case Wire.RES_UNKNOWN_SESSION -> new UnknownSession(r.nonNegative("session"));
            case Wire.RES_SEQUENCE_TOO_OLD -> new SequenceTooOld(r.nonNegative("seq"), r.nonNegative("floor"),
                    Reason.fromCode(r.u8("reason")));
            case Wire.RES_DONE -> DONE;
            case Wire.RES_MALFORMED -> new Malformed(new String(r.rest(), StandardCharsets.UTF_8));
            default -> throw new SessionFormatException("unknown session reply code 0x" + Integer.toHexString(code));
        };
        r.expectEnd("session reply");
        return reply;
    }
}
