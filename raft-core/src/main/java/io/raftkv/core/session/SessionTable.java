package io.raftkv.core.session;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The replicated session table of thesis §6.3: per client session, the answers the client may still ask for, so
 * that a command repeated with the same (session, seq) is answered without being applied again.
 *
 * <p>Everything here is deterministic: the next table depends only on the current table, the frames applied and
 * the {@link SessionOptions} caps (equal on all servers). No clock is read (time comes from the frames' stamps),
 * and no hash order is ever iterated: sessions are visited in {@link #byDeadline} order, answers in sequence
 * order. Apply thread only; not thread-safe.
 */
final class SessionTable {

    /** One client session (mutable; re-inserted into {@link #byDeadline} whenever its deadline moves). */
    static final class Session {
        final long id;
        final long timeoutMillis;
        /** Cluster time of the session's last activity (register, command, keep-alive). */
        long lastActive;
        /** The client has the answers of every seq below this (it said so). */
        long ackedBelow;
        /** No seq below this is applied or answered any more: {@code ackedBelow} or past the last evicted answer. */
        long floor;
        /** seq → the inner result of its first apply, for every applied seq at or above {@link #floor}. */
        final TreeMap<Long, byte[]> answers = new TreeMap<>();

        Session(long id, long timeoutMillis, long lastActive) {
            this.id = id;
            this.timeoutMillis = timeoutMillis;
            this.lastActive = lastActive;
        }

        /** The cluster time after which the session has expired. */
        long deadline() {
            long d = lastActive + timeoutMillis;
            return d < lastActive ? Long.MAX_VALUE : d; // saturate: a huge timeout never wraps into the past
        }
    }

    /**
     * What one kept answer costs besides its bytes (map entry, boxed seq, array header: measured ~85 bytes on a
     * 64-bit JVM), so that {@link SessionOptions#maxAnswerBytes()} bounds memory, not just payload.
     */
    static final int ANSWER_OVERHEAD_BYTES = 80;

    static long cost(byte[] answer) {
        return answer.length + (long) ANSWER_OVERHEAD_BYTES;
    }

    /** Expiry and eviction order: nearest deadline first, then lowest id. Both are replicated, so is the order. */
    private static final Comparator<Session> BY_DEADLINE =
            Comparator.comparingLong(Session::deadline).thenComparingLong(s -> s.id);

    private final SessionOptions options;
    /** Thesis §6.3: the time all servers agree on, the largest stamp applied so far (never goes back). */
    private long clusterTime;
    /** Looked up only, never iterated (iteration order of a HashMap is not part of the replicated state). */
    private final Map<Long, Session> sessions = new HashMap<>();
    private final TreeSet<Session> byDeadline = new TreeSet<>(BY_DEADLINE);
    private long answerCount;
    private long answerBytes;

    /** What the table did, for metrics; outlives the table across restores, and is not snapshotted. */
    private final Counters counters;

    /** Counts of what tables did (apply thread writes, any thread reads). */
    static final class Counters {
        volatile long expired;
        volatile long evictedSessions;
        volatile long evictedAnswers;
    }

    SessionTable(SessionOptions options, Counters counters) {
        this.options = options;
        this.counters = counters;
    }

    // ------------------------------------------------------------------------------------------- time

    /**
     * Thesis §6.3: time comes from the log, never from this server's clock. The cluster time moves to a frame's
     * stamp if that is later, so it is monotonic however the proposers' clocks disagree (a leader change to a
     * server whose clock is behind does not make time go back); then every session idle for longer than its
     * timeout by that time expires — on every server at the same entry.
     */
    void advanceClock(long stampMillis) {
        if (stampMillis > clusterTime) {
            clusterTime = stampMillis;
        }
        expire();
    }

    private void expire() {
        // Thesis §6.3: expire sessions by the replicated time only. Nearest deadline first, so this stops at the
        // first session still alive.
        while (!byDeadline.isEmpty() && byDeadline.first().deadline() < clusterTime) {
            remove(byDeadline.first());
            counters.expired++;
        }
    }

    long clusterTime() {
        return clusterTime;
    }

    // ------------------------------------------------------------------------------------------- sessions

    /**
     * Thesis §6.3: registers session {@code id} (the register entry's log index: unique, and the same on every
     * server). At the cap, the session whose expiry is nearest — the least recently active one — is evicted
     * first; its client then gets {@link SessionReply.UnknownSession}, never a silent new session.
     */
    SessionReply register(long id, long timeoutMillis) {
        while (sessions.size() >= options.maxSessions()) {
            remove(byDeadline.first());
            counters.evictedSessions++;
        }
        Session s = new Session(id, timeoutMillis, clusterTime);
        if (sessions.putIfAbsent(id, s) != null) {
            // Cannot happen: ids are log indexes and each index is applied once (§5.4.3).
            throw new IllegalStateException("session " + id + " registered twice");
        }
        byDeadline.add(s);
        return new SessionReply.Registered(id, timeoutMillis);
    }

    /**
     * Thesis §6.3, before applying a client command: look the (session, seq) up. Returns null if the command must
     * be applied now (then call {@link #record}), else the reply that answers it without applying anything: the
     * stored answer of a repeat, an unknown session, or a sequence number the session no longer answers.
     */
    SessionReply check(long sessionId, long seq, long ackedBelow) {
        Session s = sessions.get(sessionId);
        if (s == null) {
            return new SessionReply.UnknownSession(sessionId); // thesis §6.3: explicit, never a new session
        }
        touch(s);
        acknowledge(s, ackedBelow);
        if (seq < s.floor) {
            // Thesis §6.3: its answer is gone, so whether it was applied cannot be told here; applying it now
            // could apply it twice. Refuse it.
            return new SessionReply.SequenceTooOld(seq, s.floor,
                    seq < s.ackedBelow ? SessionReply.Reason.ACKNOWLEDGED : SessionReply.Reason.EVICTED);
        }
        byte[] answer = s.answers.get(seq);
        if (answer != null && options.mutation() != SessionOptions.UnsafeMutation.SKIP_DEDUP) {
            return new SessionReply.Answered(answer, true); // thesis §6.3: a repeat gets the stored answer
        }
        return null;
    }

    /**
     * Thesis §6.3: keeps the answer of an (session, seq) just applied, for the client's retries; then enforces the
     * caps, forgetting the lowest sequence numbers first and moving the session's floor past them so that none of
     * them can ever be applied again.
     */
    void record(long sessionId, long seq, byte[] answer) {
        Session s = sessions.get(sessionId);
        byte[] previous = s.answers.put(seq, answer);
        if (previous != null) { // only under the SKIP_DEDUP mutation
            answerCount--;
            answerBytes -= cost(previous);
        }
        answerCount++;
        answerBytes += cost(answer);
        while (s.answers.size() > options.maxAnswersPerSession()) {
            evictLowestAnswer(s);
        }
        if (answerBytes > options.maxAnswerBytes()) {
            evictAnswersUntilWithinBytes();
        }
    }

    /** A keep-alive (thesis §6.3: activity through the log). Returns false for an unknown session. */
    boolean keepAlive(long sessionId, long ackedBelow) {
        Session s = sessions.get(sessionId);
        if (s == null) {
            return false;
        }
        touch(s);
        acknowledge(s, ackedBelow);
        return true;
    }

    /** Ends a session. Returns false for an unknown session. */
    boolean close(long sessionId) {
        Session s = sessions.get(sessionId);
        if (s == null) {
            return false;
        }
        remove(s);
        return true;
    }

    /** Thesis §6.3: any activity of a session postpones its expiry. */
    private void touch(Session s) {
        if (s.lastActive != clusterTime) {
            byDeadline.remove(s);
            s.lastActive = clusterTime;
            byDeadline.add(s);
        }
    }

    /** Thesis §6.3: answers the client acknowledged are dropped; the acknowledgement never goes back. */
    private void acknowledge(Session s, long ackedBelow) {
        if (ackedBelow <= s.ackedBelow) {
            return;
        }
        s.ackedBelow = ackedBelow;
        if (ackedBelow > s.floor) {
            s.floor = ackedBelow;
        }
        Map<Long, byte[]> gone = s.answers.headMap(ackedBelow);
        for (byte[] a : gone.values()) {
            answerCount--;
            answerBytes -= cost(a);
        }
        gone.clear();
    }

    private void evictLowestAnswer(Session s) {
        Map.Entry<Long, byte[]> lowest = s.answers.pollFirstEntry();
        answerCount--;
        answerBytes -= cost(lowest.getValue());
        counters.evictedAnswers++;
        // The floor moves past it: a retry of this seq is now refused, never applied a second time.
        s.floor = Math.max(s.floor, lowest.getKey() + 1);
    }

    /** Least recently active sessions give up their answers first (deterministic: the deadline order). */
    private void evictAnswersUntilWithinBytes() {
        Iterator<Session> it = byDeadline.iterator();
        while (answerBytes > options.maxAnswerBytes() && it.hasNext()) {
            Session s = it.next();
            while (answerBytes > options.maxAnswerBytes() && !s.answers.isEmpty()) {
                evictLowestAnswer(s);
            }
        }
    }

    private void remove(Session s) {
        sessions.remove(s.id);
        byDeadline.remove(s);
        for (byte[] a : s.answers.values()) {
            answerCount--;
            answerBytes -= cost(a);
        }
    }

    // ------------------------------------------------------------------------------------------- inspection

    int sessionCount() {
        return sessions.size();
    }

    long answerCount() {
        return answerCount;
    }

    long answerBytes() {
        return answerBytes;
    }

    /** The session's state, or null (tests). */
    Session session(long id) {
        return sessions.get(id);
    }

    // ------------------------------------------------------------------------------------------- snapshots

    /** One session as captured for a snapshot: immutable, safe to write out on another thread. */
    record SessionImage(long id, long timeoutMillis, long lastActive, long ackedBelow, long floor, long[] seqs,
                        byte[][] answers) {
    }

    /** The whole table as captured for a snapshot (sessions in deadline order). */
    record Image(long clusterTime, List<SessionImage> sessions) {
    }

    /**
     * Captures the table: O(sessions + answers) references (answers are never modified, so they are shared, not
     * copied). With the default caps that is at most 10,000 sessions and their few outstanding answers.
     */
    Image image() {
        List<SessionImage> out = new ArrayList<>(sessions.size());
        for (Session s : byDeadline) {
            long[] seqs = new long[s.answers.size()];
            byte[][] answers = new byte[seqs.length][];
            int i = 0;
            for (Map.Entry<Long, byte[]> e : s.answers.entrySet()) {
                seqs[i] = e.getKey();
                answers[i++] = e.getValue();
            }
            out.add(new SessionImage(s.id, s.timeoutMillis, s.lastActive, s.ackedBelow, s.floor, seqs, answers));
        }
        return new Image(clusterTime, out);
    }

    /**
     * Rebuilds a table from an image, checking that it is one a table could have produced.
     *
     * @throws SessionFormatException if it is not (duplicate ids, answers below the floor, out of order)
     */
    static SessionTable from(Image image, SessionOptions options, Counters counters) {
        SessionTable t = new SessionTable(options, counters);
        t.clusterTime = image.clusterTime();
        for (SessionImage si : image.sessions()) {
            if (si.timeoutMillis() < 1 || si.ackedBelow() > si.floor()) {
                throw new SessionFormatException("session " + si.id() + ": timeout " + si.timeoutMillis()
                        + ", ackedBelow " + si.ackedBelow() + " above floor " + si.floor());
            }
            Session s = new Session(si.id(), si.timeoutMillis(), si.lastActive());
            s.ackedBelow = si.ackedBelow();
            s.floor = si.floor();
            long previous = -1;
            for (int i = 0; i < si.seqs().length; i++) {
                long seq = si.seqs()[i];
                if (seq < s.floor || seq <= previous) {
                    throw new SessionFormatException("session " + si.id() + ": answer for seq " + seq
                            + " below its floor " + s.floor + " or out of order");
                }
                previous = seq;
                s.answers.put(seq, si.answers()[i]);
                t.answerCount++;
                t.answerBytes += cost(si.answers()[i]);
            }
            if (t.sessions.putIfAbsent(s.id, s) != null) {
                throw new SessionFormatException("session " + s.id + " occurs twice");
            }
            t.byDeadline.add(s);
        }
        return t;
    }
}
