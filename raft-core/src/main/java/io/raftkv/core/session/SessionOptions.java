package io.raftkv.core.session;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits of a {@link SessionStateMachine}'s session table (thesis §6.3: the table must stay bounded).
 *
 * <p>The caps take part in apply (they decide which session or answer is evicted), so, like any input of a
 * deterministic state machine, <b>they must be equal on all servers of a cluster</b>; otherwise two servers could
 * evict differently and later answer the same retry differently. The timeout is the exception: it is written into
 * each session's register entry by the server that proposes it, so servers configured differently still agree.
 *
 * @param sessionTimeout       how long a session lives without activity, in cluster time (default 1 hour, as in
 *                             LogCabin): the window in which a client may still retry a write of unknown outcome
 * @param maxSessions          most sessions at once; registering one more evicts the one whose expiry is nearest
 *                             (the least recently active) (default 10,000)
 * @param maxAnswersPerSession most answers kept for one session; storing one more forgets its lowest sequence
 *                             number's answer (default 256: far more than a client has outstanding)
 * @param maxAnswerBytes       most memory of answers kept in the whole table, each counted as its length plus 80
 *                             bytes of bookkeeping; beyond it the answers of the least recently active sessions
 *                             are forgotten first, lowest sequence number first (default 64 MiB)
 * @param mutation             a deliberate bug for mutation tests only ({@link UnsafeMutation#NONE} otherwise)
 */
public record SessionOptions(Duration sessionTimeout, int maxSessions, int maxAnswersPerSession, long maxAnswerBytes,
                             UnsafeMutation mutation) {

    /** 1 hour, 10,000 sessions, 256 answers per session, 64 MiB of answers. */
    public static SessionOptions defaults() {
        return new SessionOptions(Duration.ofHours(1), 10_000, 256, 64L << 20, UnsafeMutation.NONE);
    }

    public SessionOptions {
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        if (sessionTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("sessionTimeout must be at least 1 ms, got " + sessionTimeout);
        }
        if (maxSessions < 1 || maxAnswersPerSession < 1 || maxAnswerBytes < 0) {
            throw new IllegalArgumentException("session caps must be positive: maxSessions " + maxSessions
                    + ", maxAnswersPerSession " + maxAnswersPerSession + ", maxAnswerBytes " + maxAnswerBytes);
        }
        mutation = mutation == null ? UnsafeMutation.NONE : mutation;
    }

    public SessionOptions withSessionTimeout(Duration timeout) {
        return new SessionOptions(timeout, maxSessions, maxAnswersPerSession, maxAnswerBytes, mutation);
    }

    public SessionOptions withMaxSessions(int n) {
        return new SessionOptions(sessionTimeout, n, maxAnswersPerSession, maxAnswerBytes, mutation);
    }

    public SessionOptions withMaxAnswersPerSession(int n) {
        return new SessionOptions(sessionTimeout, maxSessions, n, maxAnswerBytes, mutation);
    }

    public SessionOptions withMaxAnswerBytes(long bytes) {
        return new SessionOptions(sessionTimeout, maxSessions, maxAnswersPerSession, bytes, mutation);
    }

    public SessionOptions withUnsafeMutation(UnsafeMutation m) {
        return new SessionOptions(sessionTimeout, maxSessions, maxAnswersPerSession, maxAnswerBytes, m);
    }

    /**
     * Deliberate bugs, for mutation tests only: each breaks one rule of thesis §6.3 so that a test can prove the
     * simulator's or the fault harness's checks catch it.
     */
    public enum UnsafeMutation {
        /** No mutation: the session layer as specified. */
        NONE,
        /** A repeated (session, sequence number) is applied again instead of answered from the table. */
        SKIP_DEDUP
    }
}
