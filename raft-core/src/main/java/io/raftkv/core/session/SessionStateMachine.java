package io.raftkv.core.session;

import io.raftkv.core.statemachine.StateMachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Exactly-once client commands for any {@link StateMachine}: a wrapper that keeps the client session table of
 * thesis §6.3 in the replicated state, next to the state machine it wraps.
 *
 * <p><b>Why.</b> A client that gets no answer (a timeout, a dropped connection, a leader change:
 * {@code OutcomeUnknownException}, HTTP 504) cannot tell whether its command was applied. Retrying a
 * compare-and-set or an increment blindly may apply it twice. With a session, the client numbers its commands
 * (seq = 1, 2, …) and retries with the <em>same</em> (session, seq), on any server: the first apply stores its
 * answer in the table, and every later entry with that (session, seq) gets the stored answer and applies nothing.
 *
 * <p><b>What goes into the log.</b> Commands a proposer wraps in a {@link SessionFrame} (recognised by its first
 * byte {@link SessionFrame#TAG}); every other command passes to the inner machine unchanged, so clients without
 * sessions work as before. The frames:
 * <ul>
 *   <li>{@link SessionFrame.Register}: a new session whose id is the entry's log index;</li>
 *   <li>{@link SessionFrame.Invoke}: (session, seq, ackedBelow, command): applied once, answered always;</li>
 *   <li>{@link SessionFrame.KeepAlive}, {@link SessionFrame.Close}.</li>
 * </ul>
 * {@code apply} returns an encoded {@link SessionReply} for a frame (decode it with {@link SessionReply#decode}),
 * and the inner machine's own result bytes for a plain command.
 *
 * <p><b>Expiry by log time (thesis §6.3).</b> Each frame carries its proposer's wall clock. The table's
 * <em>cluster time</em> is the largest stamp applied so far — monotonic across leaders and proposers, and equal on
 * every server at every index — and a session idle for longer than its timeout by that time expires. No server's
 * own clock is read at apply. The skew this accepts: if the servers' clocks agree within δ, a session expires
 * between {@code timeout − 2δ} and {@code timeout} (plus the time until the next session entry) after its last
 * activity; a server whose clock runs ahead by Δ can expire sessions up to Δ early. Expiry never breaks
 * exactly-once: an expired session's commands get {@link SessionReply.UnknownSession}, never a second apply. Keep
 * clocks synchronised (NTP) and the timeout long compared with δ (default 1 hour).
 *
 * <p><b>Bounded memory.</b> {@link SessionOptions} caps the sessions, the answers per session and the answer
 * bytes; what is evicted is chosen deterministically (nearest expiry first, lowest seq first), and a seq whose
 * answer is gone is refused ({@link SessionReply.SequenceTooOld}), never applied again.
 *
 * <p><b>The SPI contract.</b> {@code apply}, {@code skip}, {@code snapshot} and {@code restore} run on the apply
 * thread, as the driver calls them; the table is touched only there. An entry the inner machine does not apply
 * (a session frame that is not a fresh command) is {@linkplain StateMachine#skip skipped} on the inner machine, so
 * its {@code lastAppliedIndex} follows the log as it would without the wrapper; {@link #lastAppliedIndex()} is
 * this wrapper's own count (right even for an inner machine that ignores {@code skip}). {@code query} is passed to
 * the inner machine on any thread. A snapshot is the table's section ({@link SessionSnapshotFormat}: versioned,
 * checksummed) followed by the inner machine's snapshot; {@code restore} verifies the section before the inner
 * machine reads its part, and replaces the table only once both succeeded.
 *
 * <p><b>Restriction.</b> The table lives in memory and is rebuilt from the snapshot and the log at start, so the
 * inner machine must start empty too ({@code lastAppliedIndex() == 0}): a machine that persists itself and starts
 * ahead of the log would skip the entries that rebuild the table. Such a machine needs to keep the table in its own
 * storage, in the same transaction as each apply (see {@code raft-core/README.md}, "Sessions").
 */
public final class SessionStateMachine implements StateMachine, AutoCloseable {
    private final StateMachine inner;
    private final SessionOptions options;
    /** Apply thread only. */
    private SessionTable table;
    /** lastApplied (Figure 2) of the wrapper: every index applied, skipped or restored. Written by the apply thread. */
    private volatile long appliedIndex;

    // Published for metrics after each apply (the table itself is not thread-safe).
    private volatile int sessionCount;
    private volatile long answerCount;
    private volatile long answerBytes;
    private volatile long clusterTime;
    private volatile long repeatsAnswered;
    private volatile long unknownSession;
    private volatile long sequenceTooOld;
    private final SessionTable.Counters counters = new SessionTable.Counters();

    /**
     * @throws IllegalArgumentException if {@code inner} is not empty (see "Restriction" above)
     */
    public SessionStateMachine(StateMachine inner, SessionOptions options) {
        this.inner = Objects.requireNonNull(inner, "inner");
        this.options = Objects.requireNonNull(options, "options");
        if (inner.lastAppliedIndex() != 0) {
            throw new IllegalArgumentException("the inner state machine is at applied index "
                    + inner.lastAppliedIndex() + ": the session table is rebuilt from the snapshot and the log, so"
                    + " the state machine it wraps must start empty as well");
        }
        this.table = new SessionTable(options, counters);
    }

    /** The wrapped state machine. */
    public StateMachine inner() {
        return inner;
    }

    public SessionOptions options() {
        return options;
    }

    // ------------------------------------------------------------------------------------------- apply

    @Override
    public byte[] apply(long index, byte[] command) {
        requireNext("apply", index);
        if (!SessionFrame.isFrame(command)) {
            byte[] result = inner.apply(index, command); // no session: the inner machine's own command, as before
            appliedIndex = index;
            return result;
        }
        SessionFrame frame;
        try {
            frame = SessionFrame.decode(command);
        } catch (SessionFormatException e) {
            // Deterministic: every server rejects the same bytes alike and the index is consumed (the SPI's
            // failure contract).
            return skipped(index, new SessionReply.Malformed("malformed session frame: " + e.getMessage()));
        }
        table.advanceClock(frame.stampMillis()); // thesis §6.3: log time, then expiry, before anything else
        SessionReply reply;
        if (frame instanceof SessionFrame.Invoke invoke) {
            reply = table.check(invoke.sessionId(), invoke.seq(), invoke.ackedBelow());
            if (reply == null) {
                // Thesis §6.3: the first apply of this (session, seq): apply, and keep the answer for retries.
                byte[] result = inner.apply(index, invoke.command());
                table.record(invoke.sessionId(), invoke.seq(), result);
                appliedIndex = index;
                publish(null);
                return new SessionReply.Answered(result, false).encode();
            }
        } else if (frame instanceof SessionFrame.Register register) {
            reply = table.register(index, register.timeoutMillis()); // thesis §6.3: the id is the entry's index
        } else if (frame instanceof SessionFrame.KeepAlive keepAlive) {
            reply = table.keepAlive(keepAlive.sessionId(), keepAlive.ackedBelow()) ? SessionReply.DONE
                    : new SessionReply.UnknownSession(keepAlive.sessionId());
        } else {
            SessionFrame.Close close = (SessionFrame.Close) frame;
            reply = table.close(close.sessionId()) ? SessionReply.DONE : new SessionReply.UnknownSession(close.sessionId());
        }
        return skipped(index, reply);
    }

    /** The entry changes nothing in the inner machine: its index still moves (the SPI's skip contract). */
    private byte[] skipped(long index, SessionReply reply) {
        inner.skip(index);
        appliedIndex = index;
        publish(reply);
        return reply.encode();
    }

    private void publish(SessionReply reply) {
        if (reply instanceof SessionReply.Answered) {
            repeatsAnswered++;
        } else if (reply instanceof SessionReply.UnknownSession) {
            unknownSession++;
        } else if (reply instanceof SessionReply.SequenceTooOld) {
            sequenceTooOld++;
        }
        sessionCount = table.sessionCount();
        answerCount = table.answerCount();
        answerBytes = table.answerBytes();
        clusterTime = table.clusterTime();
    }

    @Override
    public void skip(long index) {
        requireNext("skip", index);
        inner.skip(index);
        appliedIndex = index;
    }

    private void requireNext(String what, long index) {
        if (index <= appliedIndex) {
            throw new IllegalStateException(what + "(" + index + ") after index " + appliedIndex
                    + " was applied: each index must be applied once, in increasing order");
        }
    }

    @Override
    public byte[] query(byte[] request) {
        return inner.query(request);
    }

    @Override
    public long lastAppliedIndex() {
        return appliedIndex;
    }

    // ------------------------------------------------------------------------------------------- snapshots

    /**
     * Captures the table (O(sessions + answers) references, see {@link SessionTable#image}) and the inner machine's
     * snapshot, on the apply thread; both are written out later, table section first.
     */
    @Override
    public Snapshot snapshot() {
        SessionTable.Image image = table.image();
        Snapshot innerSnapshot = inner.snapshot();
        return new Snapshot() {
            @Override
            public void writeTo(OutputStream out) throws IOException {
                SessionSnapshotFormat.write(image, out);
                innerSnapshot.writeTo(out);
            }

            @Override
            public void close() {
                innerSnapshot.close();
            }
        };
    }

    /**
     * Reads and verifies the table section, lets the inner machine restore from the rest, and only then replaces
     * the table: on any failure both keep their previous state (the inner machine's restore promises the same).
     */
    @Override
    public void restore(long lastIncludedIndex, InputStream in) throws IOException {
        SessionSnapshotFormat.Read read = SessionSnapshotFormat.read(in);
        SessionTable restored;
        try {
            restored = read.image() == null ? new SessionTable(options, counters)
                    : SessionTable.from(read.image(), options, counters);
        } catch (SessionFormatException e) {
            throw new IOException("session snapshot is inconsistent: " + e.getMessage(), e);
        }
        inner.restore(lastIncludedIndex, read.inner());
        table = restored;
        appliedIndex = lastIncludedIndex;
        publish(null);
    }

    /** Closes the wrapped state machine if it holds resources ({@link AutoCloseable}); the table holds none. */
    @Override
    public void close() throws Exception {
        if (inner instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    // ------------------------------------------------------------------------------------------- inspection

    /** What the table holds and did, as of the last apply; any thread. */
    public SessionStats stats() {
        return new SessionStats(sessionCount, answerCount, answerBytes, clusterTime, repeatsAnswered,
                unknownSession, sequenceTooOld, counters.expired, counters.evictedSessions, counters.evictedAnswers);
    }

    /** The session table (tests in this package). Apply thread only. */
    SessionTable table() {
        return table;
    }
}
