package io.raftkv.core.trace;

import io.raftkv.core.Role;
import io.raftkv.core.SoftState;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.HardState;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.LongUnaryOperator;

/**
 * What a driver of {@code RaftNode} calls to report what it does — the same calls from the live server's raft
 * thread and from the simulator, so that both speak one vocabulary. Each method builds its event only if the
 * {@link TraceSink} is {@linkplain TraceSink#enabled() enabled}: with nobody listening a call costs one volatile
 * read. Stateless: it is as thread-safe as its sink.
 */
public final class TraceEmitter {
    /** At most this many log entries are described in a {@link TraceEvent.View}. */
    public static final int VIEW_TAIL = 48;

    /** An emitter that never emits. */
    public static final TraceEmitter OFF = new TraceEmitter(TraceSink.NONE);

    private final TraceSink sink;

    public TraceEmitter(TraceSink sink) {
        this.sink = sink;
    }

    public TraceSink sink() {
        return sink;
    }

    /** True if events are wanted now. */
    public boolean on() {
        return sink.enabled();
    }

    /** True if the sink asks for a {@link #view} now. */
    public boolean viewWanted() {
        return sink.enabled() && sink.viewWanted();
    }

    public void state(SoftState s) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.State(s.role(), s.term(), s.leaderId()));
        }
    }

    public void persisted(HardState h) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Persist(h.currentTerm(), h.votedFor()));
        }
    }

    /**
     * {@code entries} are about to be appended to a log whose last index is {@code lastIndexBefore}: reports the
     * suffix they replace (if they start at or below it, §5.3) and one append per run of entries of one term.
     */
    public void appending(List<LogEntry> entries, long lastIndexBefore) {
        if (entries.isEmpty() || !sink.enabled()) {
            return;
        }
        long first = entries.get(0).index();
        if (first <= lastIndexBefore) {
            sink.emit(new TraceEvent.Truncate(first, lastIndexBefore));
        }
        for (TraceEvent.TermRun run : runs(entries)) {
            sink.emit(new TraceEvent.Append(run.from(), run.to(), run.term()));
        }
    }

    public void committed(long index) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Commit(index));
        }
    }

    public void applied(long index) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Apply(index));
        }
    }

    public void sent(RaftMessage m) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Message(TraceEvent.Direction.SEND, m, null, 0));
        }
    }

    public void sent(Collection<? extends RaftMessage> messages) {
        if (!messages.isEmpty() && sink.enabled()) {
            for (RaftMessage m : messages) {
                sink.emit(new TraceEvent.Message(TraceEvent.Direction.SEND, m, null, 0));
            }
        }
    }

    public void received(RaftMessage m) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Message(TraceEvent.Direction.RECV, m, null, 0));
        }
    }

    public void dropped(RaftMessage m, String reason) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Message(TraceEvent.Direction.DROP, m, reason, 0));
        }
    }

    public void snapshot(TraceEvent.SnapshotOrigin origin, long index, long term, long bytes) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Snapshot(origin, index, term, bytes));
        }
    }

    /** The configuration in effect went from {@code before} (null at start) to {@code after}, held at {@code index}. */
    public void configuration(Configuration before, Configuration after, long index) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Config(index, after.members(), describeChange(before, after)));
        }
    }

    public void transfer(String target) {
        if (sink.enabled()) {
            sink.emit(new TraceEvent.Transfer(target));
        }
    }

    /**
     * Reports the whole visible state of the server; {@code termAt} gives the term of a log entry (or -1 if this
     * server does not hold it), and is asked only for the last {@link #VIEW_TAIL} entries after the snapshot.
     */
    public void view(Role role, long term, String vote, String leader, long commit, long applied, long lastIndex,
                     long snapshotIndex, LongUnaryOperator termAt, Configuration configuration) {
        if (!sink.enabled()) {
            return;
        }
        List<TraceEvent.TermRun> log = new ArrayList<>();
        long start = Math.max(snapshotIndex + 1, lastIndex - VIEW_TAIL + 1);
        for (long i = start; i <= lastIndex; i++) {
            long t = termAt.applyAsLong(i);
            if (t < 0) {
                continue; // compacted meanwhile: the runs start after it
            }
            TraceEvent.TermRun last = log.isEmpty() ? null : log.get(log.size() - 1);
            if (last != null && last.term() == t && last.to() == i - 1) {
                log.set(log.size() - 1, new TraceEvent.TermRun(last.from(), i, t));
            } else {
                log.add(new TraceEvent.TermRun(i, i, t));
            }
        }
        List<Member> members = configuration == null ? List.of() : configuration.members();
        sink.emit(new TraceEvent.View(role, term, vote, leader, commit, applied, lastIndex, snapshotIndex, log,
                members));
    }

    /** Emits any event (the simulator's faults, network changes, crashes, violations). */
    public void emit(TraceEvent event) {
        if (sink.enabled()) {
            sink.emit(event);
        }
    }

    /** Consecutive entries of one term, as runs. */
    static List<TraceEvent.TermRun> runs(List<LogEntry> entries) {
        List<TraceEvent.TermRun> runs = new ArrayList<>(1);
        long from = entries.get(0).index();
        long term = entries.get(0).term();
        long to = from;
        for (int i = 1; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            if (e.term() != term) {
                runs.add(new TraceEvent.TermRun(from, to, term));
                from = e.index();
                term = e.term();
            }
            to = e.index();
        }
        runs.add(new TraceEvent.TermRun(from, to, term));
        return runs;
    }

    /** What changed from {@code before} to {@code after}: {@code "add-learner n4, promote n3, remove n5"}. */
    static String describeChange(Configuration before, Configuration after) {
        if (before == null) {
            return "initial";
        }
        List<String> changes = new ArrayList<>();
        for (Member m : after.members()) {
            Optional<Member> old = before.member(m.id());
            if (old.isEmpty()) {
                changes.add((m.voter() ? "add-voter " : "add-learner ") + m.id());
            } else if (old.get().voter() != m.voter()) {
                changes.add((m.voter() ? "promote " : "demote ") + m.id());
            }
        }
        for (Member m : before.members()) {
            if (!after.contains(m.id())) {
                changes.add("remove " + m.id());
            }
        }
        return changes.isEmpty() ? "none" : String.join(", ", changes);
    }
}
