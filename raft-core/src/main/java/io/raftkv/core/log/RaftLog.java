package io.raftkv.core.log;

import io.raftkv.core.message.ConflictHint;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.LogStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The node's view of its log: the persisted part in a {@link LogStore}, followed by <em>unstable</em> entries
 * that were accepted but are not durable yet (the driver persists them from the next Ready). Unstable entries
 * may shadow a suffix of the store that a conflict made obsolete: the driver truncates the store from
 * {@code unstableOffset} before it appends them.
 *
 * <p>Also tracks {@code commitIndex} and how far committed entries were handed out for applying. The core only
 * reads the store; every write goes through the driver (the core stays free of I/O).
 */
public final class RaftLog {

    private final LogStore store;
    /** The snapshot the log starts after: entries up to snapshotIndex are captured by it (§7). */
    private long snapshotIndex;
    private long snapshotTerm;
    /** unstable.get(k) has index unstableOffset + k. Entries below unstableOffset are durable in the store. */
    private final ArrayList<LogEntry> unstable = new ArrayList<>();
    private long unstableOffset;
    private long commitIndex;
    /** Committed entries up to here were handed to the driver to apply. */
    private long appliedCursor;
    /** Committed entries are handed out no further than this (bounds the driver's apply backlog). */
    private long applyLimit = Long.MAX_VALUE;
    /** An installed snapshot discarded the log; the store still holds the stale entries until the driver resets it. */
    private boolean awaitingStoreReset;

    public RaftLog(LogStore store, long snapshotIndex, long snapshotTerm) {
        this.store = store;
        this.snapshotIndex = snapshotIndex;
        this.snapshotTerm = snapshotTerm;
        if (store.lastIndex() < snapshotIndex) {
            throw new IllegalStateException("log ends at " + store.lastIndex() + " before the snapshot at "
                    + snapshotIndex + ": the log must be reset to the snapshot first");
        }
        this.unstableOffset = store.lastIndex() + 1;
        this.commitIndex = snapshotIndex;
        this.appliedCursor = snapshotIndex;
    }

    public long snapshotIndex() {
        return snapshotIndex;
    }

    public long snapshotTerm() {
        return snapshotTerm;
    }

    /** The first index whose entry this node still holds (older ones are only in the snapshot). */
    public long firstIndex() {
        return Math.max(store.firstIndex(), 1);
    }

    public long lastIndex() {
        if (!unstable.isEmpty()) {
            return unstableOffset + unstable.size() - 1;
        }
        return Math.max(unstableOffset - 1, snapshotIndex);
    }

    public long lastTerm() {
        return term(lastIndex());
    }

    /** The last index that is durable locally. */
    public long stableIndex() {
        return Math.max(unstableOffset - 1, snapshotIndex);
    }

    /**
     * Term of the entry at {@code index}; 0 for index 0; -1 if this node does not know it (compacted away or
     * beyond the end of the log).
     */
    public long term(long index) {
        if (index == 0) {
            return 0;
        }
        if (index == snapshotIndex) {
            return snapshotTerm;
        }
        if (index > lastIndex()) {
            return -1;
        }
        if (index >= unstableOffset) {
            return unstable.get((int) (index - unstableOffset)).term();
        }
        if (index < store.firstIndex() || (awaitingStoreReset && index < snapshotIndex)) {
            return -1; // compacted, or stale entries below an installed snapshot awaiting the store's reset
        }
        return store.term(index);
    }

    public LogEntry entry(long index) {
        if (index >= unstableOffset && index <= lastIndex()) {
            return unstable.get((int) (index - unstableOffset));
        }
        return store.entry(index);
    }

    /** Entries {@code [from, toExclusive)} up to {@code maxBytes} (at least one if the range is not empty). */
    public List<LogEntry> entries(long from, long toExclusive, long maxBytes) {
        List<LogEntry> out = new ArrayList<>();
        if (from >= toExclusive) {
            return out;
        }
        long bytes = 0;
        if (from < unstableOffset) {
            List<LogEntry> stored = store.entries(from, Math.min(toExclusive, unstableOffset), maxBytes);
            for (LogEntry e : stored) {
                bytes += e.sizeInBytes();
                out.add(e);
            }
            if (out.isEmpty() || out.get(out.size() - 1).index() < Math.min(toExclusive, unstableOffset) - 1) {
                return out; // the byte limit stopped the store read
            }
        }
        for (long i = Math.max(from, unstableOffset); i < toExclusive; i++) {
            LogEntry e = unstable.get((int) (i - unstableOffset));
            bytes += e.sizeInBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /**
     * The election restriction's "at least as up-to-date" comparison (§5.4.1): a log whose last entry has a
     * later term is more up-to-date; with equal last terms, the longer log is.
     */
    public boolean isUpToDate(long candidateLastIndex, long candidateLastTerm) {
        long myLastTerm = lastTerm();
        return candidateLastTerm > myLastTerm
                || (candidateLastTerm == myLastTerm && candidateLastIndex >= lastIndex());
    }

    /** True if the entry at {@code index} has {@code term} (the AppendEntries consistency check, §5.3). */
    public boolean matchTerm(long index, long term) {
        return term(index) == term;
    }

    /** Leader append: entries continue the log at lastIndex()+1. Leader Append-Only (§5.3). */
    public void append(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (entries.get(0).index() != lastIndex() + 1) {
            throw new IllegalStateException("leader append at " + entries.get(0).index() + " but last index is " + lastIndex());
        }
        if (unstable.isEmpty()) {
            unstableOffset = entries.get(0).index();
        }
        unstable.addAll(entries);
    }

    /**
     * Follower append after a successful consistency check at {@code prevIndex}: skips entries it already has,
     * and on the first conflicting entry (same index, different term) deletes it and all that follow (§5.3,
     * AppendEntries receiver rule 3), then appends the rest (rule 4).
     *
     * @return the index of the last entry of the request now in the log (prevIndex + entries.size())
     */
    public long appendAfterMatch(long prevIndex, List<LogEntry> entries) {
        long lastNew = prevIndex + entries.size();
        for (int k = 0; k < entries.size(); k++) {
            LogEntry e = entries.get(k);
            if (e.index() <= snapshotIndex) {
                continue; // covered by our snapshot, hence committed and identical (Log Matching)
            }
            long existing = term(e.index());
            if (existing == e.term()) {
                continue; // already have it: never truncate on a stale or duplicated request
            }
            // State Machine Safety: a committed entry can never conflict; if it does the leader is broken.
            if (e.index() <= commitIndex) {
                throw new IllegalStateException("entry " + e.index() + " conflicts with the committed log (commit "
                        + commitIndex + "): existing term " + existing + ", new term " + e.term());
            }
            replaceFrom(entries.subList(k, entries.size()));
            break;
        }
        return lastNew;
    }

    private void replaceFrom(List<LogEntry> entries) {
        long first = entries.get(0).index();
        if (first == lastIndex() + 1) {
            if (unstable.isEmpty()) {
                unstableOffset = first;
            }
            unstable.addAll(entries);
        } else if (first <= unstableOffset) {
            // The new entries replace part of the persisted log: the driver truncates the store from here.
            unstable.clear();
            unstableOffset = first;
            unstable.addAll(entries);
        } else {
            unstable.subList((int) (first - unstableOffset), unstable.size()).clear();
            unstable.addAll(entries);
        }
    }

    /**
     * A snapshot covering entries up to {@code index} (which must be applied) is durable: entries up to there
     * are no longer needed (§7) and the store may drop them.
     */
    public void compactTo(long index, long term) {
        if (index <= snapshotIndex) {
            return;
        }
        if (index > appliedCursor || index > stableIndex()) {
            throw new IllegalStateException("snapshot at " + index + " beyond applied " + appliedCursor);
        }
        snapshotIndex = index;
        snapshotTerm = term;
    }

    /**
     * Installs a snapshot received from the leader (§7). If our log holds the snapshot's last entry (same index
     * and term), the entries after it are kept; otherwise the whole log is discarded and the driver must reset
     * the store. Returns true if the log was discarded.
     */
    public boolean restoreFromSnapshot(long index, long term) {
        if (awaitingStoreReset && index >= unstableOffset && index <= lastIndex() && term(index) == term) {
            // Two installs before one Ready, and entries appended between them: the store will be reset to this
            // (the newer) snapshot, and the entries after it must survive. Their acknowledgement is already queued
            // for after this Ready's persistence (§5.3): dropping them would let it claim entries this node never
            // wrote, and the leader would count it in a quorum for them (Leader Completeness, §5.4).
            unstable.subList(0, (int) (index - unstableOffset + 1)).clear();
            unstableOffset = index + 1;
            snapshotIndex = index;
            snapshotTerm = term;
            commitIndex = Math.max(commitIndex, index);
            appliedCursor = Math.max(appliedCursor, index);
            return true; // the store is reset to this snapshot; the kept entries follow as unstable ones
        }
        // A suffix can only be kept if the store still holds what this log believes precedes it. With a reset from
        // an earlier install still pending (two installs before one Ready) and this snapshot not among the entries
        // appended since, the store holds entries the first install discarded, and the one Ready names only the
        // newest snapshot: discard again, so the store is reset to this one.
        boolean keepSuffix = !awaitingStoreReset && index <= lastIndex() && term(index) == term;
        snapshotIndex = index;
        snapshotTerm = term;
        commitIndex = Math.max(commitIndex, index);
        appliedCursor = Math.max(appliedCursor, index);
        if (keepSuffix) {
            return false;
        }
        unstable.clear();
        unstableOffset = index + 1;
        commitIndex = index;
        appliedCursor = index;
        awaitingStoreReset = true;
        return true;
    }

    /** The driver reset the store to the installed snapshot. */
    public void storeReset() {
        awaitingStoreReset = false;
    }

    /** Entries the driver must persist next. */
    public List<LogEntry> unstableEntries() {
        return List.copyOf(unstable);
    }

    public boolean hasUnstable() {
        return !unstable.isEmpty();
    }

    /** The driver has durably persisted every entry up to {@code index} with {@code term}. */
    public void stableTo(long index, long term) {
        if (index < unstableOffset || index > lastIndex() || term(index) != term) {
            return; // superseded by a later truncation: that Ready's entries were replaced
        }
        int n = (int) (index - unstableOffset + 1);
        unstable.subList(0, n).clear();
        unstableOffset = index + 1;
    }

    public long commitIndex() {
        return commitIndex;
    }

    /** Advances the commit index (never backwards). */
    public void commitTo(long index) {
        if (index > commitIndex) {
            if (index > lastIndex()) {
                throw new IllegalStateException("commit " + index + " beyond last index " + lastIndex());
            }
            commitIndex = index;
        }
    }

    public long appliedCursor() {
        return appliedCursor;
    }

    /** Hands out committed entries no further than {@code limit} (the driver's apply backlog bound). */
    public void limitApplyTo(long limit) {
        applyLimit = limit;
    }

    private long applyHigh() {
        return Math.min(Math.min(commitIndex, stableIndex()), applyLimit);
    }

    /** True if committed, durable entries wait to be handed out for applying. */
    public boolean hasEntriesToApply() {
        return applyHigh() > appliedCursor;
    }

    /** Committed and locally durable entries not yet handed out, bounded by bytes. */
    public List<LogEntry> entriesToApply(long maxBytes) {
        long hi = applyHigh();
        if (hi <= appliedCursor) {
            return List.of();
        }
        return entries(appliedCursor + 1, hi + 1, maxBytes);
    }

    /** The driver took entries up to {@code index} for applying. */
    public void appliedTo(long index) {
        if (index > appliedCursor) {
            appliedCursor = index;
        }
    }

    /**
     * The fast-backtracking hint of §5.3 for a rejected AppendEntries at {@code prevIndex}: the term of our
     * entry there (0 if our log is shorter) and the first index we hold with that term.
     */
    public ConflictHint conflictHint(long prevIndex) {
        long last = lastIndex();
        if (prevIndex > last) {
            return ConflictHint.logTooShort(last);
        }
        long conflictTerm = term(prevIndex);
        long i = prevIndex;
        long floor = Math.max(firstIndex(), snapshotIndex + 1);
        while (i > floor && term(i - 1) == conflictTerm) {
            i--;
        }
        return new ConflictHint(conflictTerm, i);
    }
}
