package io.raftkv.sim;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.LogEntry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks the four safety properties of Raft (Figure 3 of the paper) over the whole history of a run, in time
 * proportional to what changed: the driver reports each change (a leader observed, entries appended, commit index
 * advanced, entries applied) and each report is checked against global records.
 *
 * <ul>
 *   <li><b>Election Safety</b> (§5.2): a map term → the one node ever seen leading it.</li>
 *   <li><b>Log Matching</b> (§5.3): for every (index, term) the first entry any log held there and the term at
 *       index-1 in that log. Every newly appended entry must equal the recorded one and sit after the same
 *       previous term. By induction on the index, two logs that share an (index, term) then share the whole
 *       prefix — without ever rescanning a log.</li>
 *   <li><b>Leader Completeness</b> (§5.4): every committed index is recorded with its entry and the lowest term
 *       in which any node marked it committed. A leader of term T must hold the last entry committed in a term
 *       before T — checked when it becomes leader and, for leaders already in office, whenever a commit is
 *       recorded. By Log Matching, holding that entry's (index, term) means holding every earlier one. Two nodes
 *       marking different entries committed at one index is reported here as well.</li>
 *   <li><b>State Machine Safety</b> (§5.4.3): for every index the entry first applied there (and the state
 *       machine's result); every other application at that index must match. A state machine whose results
 *       differ across nodes for the same entry is nondeterministic, which breaks the same property.</li>
 * </ul>
 *
 * <p>Lookups use a HashMap; nothing iterates over it, so the run stays deterministic.
 */
public final class InvariantChecker {

    /** Term → leader. Sorted so a report can list leaders in term order. */
    private final TreeMap<Long, String> leaderOfTerm = new TreeMap<>();
    /** Joint configurations (C_old,new) committed, for the statistics. */
    private int jointCommitted;

    private record IndexTerm(long index, long term) {
    }

    private record FirstSeen(LogEntry entry, long prevTerm, String node) {
    }

    /** (index, term) → first entry and previous term seen there. Only looked up, never iterated. */
    private final Map<IndexTerm, FirstSeen> seen = new HashMap<>();

    /** committed.get(i-1): the entry committed at index i. */
    private final List<LogEntry> committed = new ArrayList<>();
    /** committedInTerm[i-1]: lowest term in which any node marked index i committed; non-decreasing in i. */
    private long[] committedInTerm = new long[64];
    private final List<String> committedBy = new ArrayList<>();

    private final List<LogEntry> applied = new ArrayList<>();
    private final List<byte[]> results = new ArrayList<>();
    private final List<String> appliedBy = new ArrayList<>();
    /** Commands the client generated as unique, with the index they were first applied at (0: not yet). */
    private final Map<String, Long> uniqueCommands = new HashMap<>();

    private long time;

    /** Sets the simulated time stamped on violations. */
    public void at(long now) {
        this.time = now;
    }

    // ---------------------------------------------------------------------------------------------- election

    /**
     * {@code node} is observed leading {@code term}. Call when a node becomes leader (not on every step).
     * Checks Election Safety and Leader Completeness for the new leader.
     */
    public void onLeader(String node, long term, LogView log) {
        String previous = leaderOfTerm.putIfAbsent(term, node);
        if (previous != null && !previous.equals(node)) {
            // §5.2: each server votes for at most one candidate per term, so at most one can gather a majority.
            throw violation(Invariant.ELECTION_SAFETY, "two leaders in term " + term + ": " + previous + " and " + node);
        }
        long k = lastCommittedBefore(term);
        if (k > 0) {
            requireHolds(node, term, log, k, "on becoming leader");
        }
    }

    /** Number of terms that had a leader. */
    public int elections() {
        return leaderOfTerm.size();
    }

    /** Number of joint configurations (C_old,new, §6) committed. */
    public int jointCommitted() {
        return jointCommitted;
    }

    // ------------------------------------------------------------------------------------------ log matching

    /**
     * {@code node} appended {@code entry} to its log, after an entry of term {@code prevTerm} ({@code -1} if the
     * previous entry is compacted away and unknown).
     */
    public void onAppended(String node, LogEntry entry, long prevTerm) {
        IndexTerm key = new IndexTerm(entry.index(), entry.term());
        FirstSeen first = seen.get(key);
        if (first == null) {
            seen.put(key, new FirstSeen(entry, prevTerm, node));
            return;
        }
        // §5.3: a leader creates at most one entry per index in its term, so (index, term) names one entry...
        if (!first.entry().equals(entry)) {
            throw violation(Invariant.LOG_MATCHING, node + " appended " + MessageFormat.entry(entry) + " but "
                    + first.node() + " holds " + MessageFormat.entry(first.entry()) + " with the same index and term");
        }
        // ...and the consistency check of AppendEntries keeps the entry before it the same: by induction, the logs
        // agree on the whole prefix.
        if (prevTerm >= 0 && first.prevTerm() >= 0 && prevTerm != first.prevTerm()) {
            throw violation(Invariant.LOG_MATCHING, node + " holds " + MessageFormat.entry(entry) + " after an entry of term "
                    + prevTerm + " but " + first.node() + " holds it after term " + first.prevTerm());
        }
    }

    // ---------------------------------------------------------------------------------------- configuration

    /**
     * {@code node} appended the configuration entry {@code entry} holding {@code next}, and the configuration
     * before it in that log (the previous configuration entry, else the snapshot's, else the bootstrap) is
     * {@code previous}. Every majority of {@code previous} must share a server with every majority of
     * {@code next} — two disjoint majorities could otherwise elect two leaders in one term or commit different
     * entries at one index. A majority of a simple configuration is a majority of its voters; one of a joint
     * configuration C_old,new is a majority of C_old together with one of C_new (§6). So the step is safe if some
     * half of {@code previous} and some half of {@code next} (a simple configuration is its own only half) have
     * voter sets that differ by at most one server (thesis §4.1: then any majorities of the two overlap). That
     * covers single-server changes, entering C_old,new from C_old and leaving it for C_new; a step to a wholly
     * different set of voters is reported. (Learners count towards no majority, so they are unrestricted.)
     */
    public void onConfigurationAppended(String node, LogEntry entry, Configuration previous, Configuration next) {
        for (Configuration before : halves(previous)) {
            for (Configuration after : halves(next)) {
                if (votersChanged(before, after).size() <= 1) {
                    return;
                }
            }
        }
        String what = previous.isJoint() || next.isJoint()
                ? "no half of it is within one voter of a half of the configuration before it (§6)"
                : "voters " + votersChanged(previous, next) + " changed at once (single-server changes only, thesis §4.1)";
        throw violation(Invariant.CONFIGURATION_CHANGE, node + " appended configuration " + next + " at "
                + entry.index() + "@" + entry.term() + " after " + previous + ": " + what);
    }

    private static List<Configuration> halves(Configuration c) {
        return c.isJoint() ? List.of(c.oldConfiguration(), c.newConfiguration()) : List.of(c);
    }

    /** Voters of one configuration but not of the other. */
    private static TreeSet<String> votersChanged(Configuration a, Configuration b) {
        TreeSet<String> changed = new TreeSet<>(a.voterIds());
        changed.addAll(b.voterIds());
        TreeSet<String> both = new TreeSet<>(a.voterIds());
        both.retainAll(b.voterIds());
        changed.removeAll(both);
        return changed;
    }

    // ------------------------------------------------------------------------------------ commit, completeness

    /**
     * {@code node}, in {@code term}, advanced its commit index from {@code from} to {@code to}.
     *
     * @param leaders the logs of the nodes currently leading, keyed by term, to check Leader Completeness for
     *                leaders already in office
     */
    public void onCommitted(String node, long term, long from, long to, LogView log, Map<Long, LeaderLog> leaders) {
        if (to > log.lastIndex()) {
            throw violation(Invariant.CORE_CONTRACT, node + " marked index " + to + " committed but its log ends at "
                    + log.lastIndex());
        }
        long start = Math.max(from + 1, log.firstIndex());
        for (long i = start; i <= to; i++) {
            LogEntry e = log.entry(i);
            int pos = (int) (i - 1);
            if (pos < committed.size() && committed.get(pos) != null) {
                LogEntry known = committed.get(pos);
                if (!known.equals(e)) {
                    throw violation(Invariant.LEADER_COMPLETENESS, node + " (term " + term + ") committed "
                            + MessageFormat.entry(e) + " but " + committedBy.get(pos) + " committed "
                            + MessageFormat.entry(known) + " at that index in term " + committedInTerm[pos]);
                }
                if (term < committedInTerm[pos]) {
                    committedInTerm[pos] = term;
                    committedBy.set(pos, node);
                }
            } else {
                // A hole (pos < size) is an index some node's commit jumped over inside a snapshot (§7).
                boolean hole = pos < committed.size();
                while (committed.size() <= pos) {
                    committed.add(null);
                    committedBy.add(null);
                }
                committed.set(pos, e);
                committedBy.set(pos, node);
                if (e.type() == io.raftkv.core.message.EntryType.CONFIGURATION && Configuration.decode(e.data()).isJoint()) {
                    jointCommitted++;
                }
                if (pos >= committedInTerm.length) {
                    committedInTerm = Arrays.copyOf(committedInTerm, Math.max(pos + 1, committedInTerm.length * 2));
                }
                long inTerm = term;
                if (hole) {
                    // Whoever committed a later index committed this one no later: keep the terms non-decreasing.
                    for (int j = pos + 1; j < committed.size(); j++) {
                        if (committed.get(j) != null) {
                            inTerm = Math.min(inTerm, committedInTerm[j]);
                            break;
                        }
                    }
                }
                committedInTerm[pos] = inTerm;
            }
        }
        // §5.4: leaders of later terms already in office must hold what was just committed.
        for (Map.Entry<Long, LeaderLog> leader : leaders.entrySet()) {
            if (leader.getKey() > term) {
                requireHolds(leader.getValue().node(), leader.getKey(), leader.getValue().log(), to, "as commits advance");
            }
        }
    }

    /** A leader in office: its id and log. */
    public record LeaderLog(String node, LogView log) {
    }

    /** Highest index ever committed by any node. */
    public long maxCommitted() {
        return committed.size();
    }

    /** The largest committed index whose commit happened in a term before {@code term}, 0 if none. */
    private long lastCommittedBefore(long term) {
        // committedInTerm is non-decreasing in the index (a commit of index j commits every i < j in the same
        // term), so binary search. Holes (never committed by anyone yet, possible only below a snapshot) are
        // skipped by treating them as the next recorded value.
        int lo = 0;
        int hi = committed.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (committed.get(mid) != null && committedInTerm[mid] < term) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private void requireHolds(String node, long term, LogView log, long index, String when) {
        LogEntry c = committed.get((int) (index - 1));
        if (c == null || index < log.firstIndex()) {
            return;
        }
        if (index > log.lastIndex() || log.term(index) != c.term()) {
            String has = index > log.lastIndex() ? "its log ends at " + log.lastIndex() : "it has term " + log.term(index) + " there";
            throw violation(Invariant.LEADER_COMPLETENESS, node + " leads term " + term + " (" + when + ") without "
                    + MessageFormat.entry(c) + ", committed by " + committedBy.get((int) (index - 1)) + " in term "
                    + committedInTerm[(int) (index - 1)] + "; " + has);
        }
    }

    // ------------------------------------------------------------------------------------------------- apply

    /** The client submitted {@code command}, which it never submits again: it may apply at one index at most. */
    public void onSubmittedUnique(byte[] command) {
        uniqueCommands.putIfAbsent(new String(command, java.nio.charset.StandardCharsets.ISO_8859_1), 0L);
    }

    /** {@code node} applied {@code entry}; {@code result} is the state machine's answer (null for a no-op). */
    public void onApplied(String node, LogEntry entry, byte[] result) {
        if (entry.type() == io.raftkv.core.message.EntryType.COMMAND && !uniqueCommands.isEmpty()) {
            String command = new String(entry.data(), java.nio.charset.StandardCharsets.ISO_8859_1);
            Long at = uniqueCommands.get(command);
            if (at != null && at != 0 && at != entry.index()) {
                // A client command the client sent once must take effect once, however it travelled.
                throw violation(Invariant.FORWARDING, node + " applied " + MessageFormat.entry(entry) + " holding "
                        + MessageFormat.data(entry.data()) + ", already applied at index " + at);
            }
            if (at != null && at == 0) {
                uniqueCommands.put(command, entry.index());
            }
        }
        int pos = (int) (entry.index() - 1);
        if (pos < applied.size() && applied.get(pos) != null) {
            LogEntry known = applied.get(pos);
            if (!known.equals(entry)) {
                // §5.4.3: if a server applied an entry at an index, no other server ever applies a different one there.
                throw violation(Invariant.STATE_MACHINE_SAFETY, node + " applied " + MessageFormat.entry(entry) + " but "
                        + appliedBy.get(pos) + " applied " + MessageFormat.entry(known) + " at that index");
            }
            if (!Arrays.equals(results.get(pos), result)) {
                throw violation(Invariant.STATE_MACHINE_SAFETY, "nondeterministic state machine: " + node + " got result "
                        + MessageFormat.data(result == null ? new byte[0] : result) + " for " + MessageFormat.entry(entry)
                        + " but " + appliedBy.get(pos) + " got " + MessageFormat.data(results.get(pos) == null ? new byte[0] : results.get(pos)));
            }
            return;
        }
        while (applied.size() <= pos) {
            applied.add(null);
            results.add(null);
            appliedBy.add(null);
        }
        applied.set(pos, entry);
        results.set(pos, result);
        appliedBy.set(pos, node);
    }

    /**
     * {@code node} restored its state machine from a snapshot covering indexes up to {@code index}, and the
     * restored state says it applied exactly {@code contents} (index, command) — the commands in order. State
     * Machine Safety (§5.4.3) across snapshots (§7): those must be precisely the commands first applied at
     * those indexes anywhere, none missing and none different.
     */
    public void onRestored(String node, long index, List<RecordingStateMachine.Applied> contents) {
        int next = 0;
        for (int pos = 0; pos < index; pos++) {
            LogEntry known = pos < applied.size() ? applied.get(pos) : null;
            boolean command = known != null && known.type() == io.raftkv.core.message.EntryType.COMMAND;
            RecordingStateMachine.Applied restored = next < contents.size() && contents.get(next).index() == pos + 1
                    ? contents.get(next) : null;
            if (restored != null) {
                next++;
            }
            if (known == null) {
                if (restored != null) {
                    throw violation(Invariant.STATE_MACHINE_SAFETY, node + " restored a snapshot holding command "
                            + MessageFormat.data(restored.command()) + " at " + (pos + 1) + ", which no node applied");
                }
                continue; // never applied anywhere yet: nothing to compare with (cannot happen for a real snapshot)
            }
            if (command != (restored != null) || command && !Arrays.equals(known.data(), restored.command())) {
                throw violation(Invariant.STATE_MACHINE_SAFETY, node + " restored a snapshot up to " + index
                        + " that holds " + (restored == null ? "nothing" : MessageFormat.data(restored.command()))
                        + " at " + (pos + 1) + " but " + appliedBy.get(pos) + " applied " + MessageFormat.entry(known));
            }
        }
        if (next != contents.size()) {
            throw violation(Invariant.STATE_MACHINE_SAFETY, node + " restored a snapshot up to " + index
                    + " holding commands beyond it, from " + contents.get(next).index());
        }
    }

    /** Highest index any node applied. */
    public long maxApplied() {
        return applied.size();
    }

    private InvariantViolation violation(Invariant invariant, String message) {
        return new InvariantViolation(invariant, time, message);
    }
}
