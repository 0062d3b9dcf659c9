package io.raftkv.verify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The Wing &amp; Gong search, with Lowe's memoisation, for one key (G. Lowe, "Testing for linearizability",
 * Concurrency and Computation 2017; the same algorithm as porcupine and Knossos' "wgl" checker).
 *
 * <p><b>The idea.</b> Put every operation's invocation ("call") and completion ("return") in one list sorted by
 * time. The calls before the first return in the list are exactly the operations that may be linearized next:
 * each was invoked before any pending operation completed. Linearizing one means checking it against the model
 * ({@link RegisterModel#step}) and, if its result fits, removing its call and return from the list ("lifting"
 * it) and starting over at the head. Reaching a return means the operation returning there cannot be put off any
 * longer and nothing fits before it: undo the last linearization and try the next candidate after it. Removed
 * entries keep their links, so undo is O(1) relinking (dancing links). The history is linearizable when every
 * operation with a known outcome has been linearized; it is not when undo runs out.
 *
 * <p><b>Memoisation</b> ({@link SearchCache}): two paths that linearized the same set of operations and left the
 * same value have the same futures, so the second is skipped. This turns the search from factorial into, on
 * realistic histories, roughly linear in their length.
 *
 * <p><b>UNKNOWN operations</b> have no return entry (their completion is +infinity): they are never forced, may be
 * linearized whenever they are invoked, and need not be linearized at all. They live in a second list, and in
 * each configuration the search tries the definite candidates first and the UNKNOWN ones only after those:
 * lazily, so that an unknown write is taken only when something needs its effect. Together with the cache's
 * dominance rule this keeps writes that timed out from multiplying the search.
 *
 * <p>Not thread-safe; one instance searches one key once.
 */
final class WglSearch {
    private static final int CHECK_EVERY_STEPS = 1024;

    /** How the search ended. */
    enum Status { LINEARIZABLE, VIOLATION, OUT_OF_STEPS, OUT_OF_TIME, OUT_OF_MEMORY, INTERRUPTED }

    /**
     * The result of a search.
     *
     * @param longestPrefix for a violation: the longest linearization found (most definite operations), in order
     */
    record Result(Status status, long steps, List<CompiledOp> longestPrefix, long cachedConfigurations) {
    }

    /** A call or a return in the time-ordered list. */
    private static final class Entry {
        final CompiledOp op;
        final boolean isCall;
        final long time;
        Entry match;
        Entry prev;
        Entry next;

        Entry(CompiledOp op, boolean isCall, long time) {
            this.op = op;
            this.isCall = isCall;
            this.time = time;
        }
    }

    private final KeyHistory history;
    private final CheckOptions options;

    WglSearch(KeyHistory history, CheckOptions options) {
        this.history = history;
        this.options = options;
    }

    Result run() {
        Entry definiteHead = buildDefiniteList(history.definite);
        Entry unknownHead = buildUnknownList(history.unknown);
        long[] definiteSet = new long[words(history.definite.size())];
        long[] unknownSet = new long[words(history.unknown.size())];
        SearchCache cache = new SearchCache();

        int depth = 0;
        int capacity = history.checked() + 1;
        Entry[] stackEntry = new Entry[capacity];
        int[] stackState = new int[capacity];
        long[] stackFirstReturn = new long[capacity];

        int state = RegisterModel.ABSENT;
        int remainingDefinite = history.definite.size();
        int bestDefinite = -1;
        List<CompiledOp> bestPrefix = List.of();

        long deadline = System.nanoTime() + options.timeBudgetPerKey().toNanos();
        long steps = 0;

        // The candidate being considered: in phase 1 `entry` walks the definite list up to its first return; in
        // phase 2 `unknownEntry` walks the unknown list over calls invoked no later than that return.
        Entry entry = definiteHead.next;
        boolean phaseTwo = false;
        Entry unknownEntry = null;
        long firstReturn = Long.MAX_VALUE;

        while (remainingDefinite > 0) {
            steps++;
            if (steps % CHECK_EVERY_STEPS == 0) {
                Status stop = budgetExceeded(steps, deadline, cache);
                if (stop != null) {
                    return new Result(stop, steps, bestPrefix, cache.size());
                }
            }

            Entry candidate;
            if (!phaseTwo) {
                // A definite operation's return is always in the list while it is pending, so entry != null.
                if (entry.isCall) {
                    candidate = entry;
                } else {
                    firstReturn = entry.time;
                    phaseTwo = true;
                    unknownEntry = unknownHead.next;
                    continue;
                }
            } else if (unknownEntry != null && unknownEntry.time <= firstReturn) {
                candidate = unknownEntry;
            } else {
                candidate = null;
            }

            if (candidate != null) {
                CompiledOp op = candidate.op;
                int next = RegisterModel.step(state, op);
                boolean entered = false;
                if (next != RegisterModel.ILLEGAL) {
                    long[] set = op.unknown ? unknownSet : definiteSet;
                    set[op.bit >>> 6] |= 1L << op.bit;
                    if (cache.visit(next, definiteSet, unknownSet)) {
                        entered = true;
                    } else {
                        set[op.bit >>> 6] &= ~(1L << op.bit);
                    }
                }
                if (entered) {
                    stackEntry[depth] = candidate;
                    stackState[depth] = state;
                    stackFirstReturn[depth] = firstReturn;
                    depth++;
                    state = next;
                    lift(candidate);
                    if (!op.unknown) {
                        remainingDefinite--;
                        int done = history.definite.size() - remainingDefinite;
                        if (done > bestDefinite) {
                            bestDefinite = done;
                            bestPrefix = prefix(stackEntry, depth);
                        }
                    }
                    entry = definiteHead.next;
                    phaseTwo = false;
                } else if (!phaseTwo) {
                    entry = entry.next;
                } else {
                    unknownEntry = unknownEntry.next;
                }
                continue;
            }

            // No candidate fits before the first pending return: undo the last linearization.
            if (depth == 0) {
                return new Result(Status.VIOLATION, steps, bestPrefix, cache.size());
            }
            depth--;
            Entry undone = stackEntry[depth];
            state = stackState[depth];
            CompiledOp op = undone.op;
            if (op.unknown) {
                unknownSet[op.bit >>> 6] &= ~(1L << op.bit);
            } else {
                definiteSet[op.bit >>> 6] &= ~(1L << op.bit);
                remainingDefinite++;
            }
            unlift(undone);
            if (op.unknown) {
                // Continue phase 2 of the configuration we came back to; its first return has not changed.
                phaseTwo = true;
                firstReturn = stackFirstReturn[depth];
                unknownEntry = undone.next;
            } else {
                phaseTwo = false;
                entry = undone.next;
            }
        }
        return new Result(Status.LINEARIZABLE, steps, List.of(), cache.size());
    }

    private Status budgetExceeded(long steps, long deadline, SearchCache cache) {
        if (Thread.currentThread().isInterrupted()) {
            return Status.INTERRUPTED;
        }
        if (steps >= options.stepBudgetPerKey()) {
            return Status.OUT_OF_STEPS;
        }
        if (cache.estimatedBytes() > options.memoryBudgetPerKey()) {
            return Status.OUT_OF_MEMORY;
        }
        if (System.nanoTime() - deadline > 0) {
            return Status.OUT_OF_TIME;
        }
        return null;
    }

    private static List<CompiledOp> prefix(Entry[] stack, int depth) {
        List<CompiledOp> ops = new ArrayList<>(depth);
        for (int i = 0; i < depth; i++) {
            ops.add(stack[i].op);
        }
        return ops;
    }

    private static int words(int bits) {
        return Math.max(1, (bits + 63) >>> 6);
    }

    /**
     * Calls and returns of the definite operations by time. At equal times calls come first: two operations whose
     * completion and invocation carry the same clock reading are treated as concurrent, since the clock cannot
     * tell which came first.
     */
    private static Entry buildDefiniteList(List<CompiledOp> ops) {
        List<Entry> entries = new ArrayList<>(2 * ops.size());
        for (CompiledOp op : ops) {
            Entry call = new Entry(op, true, op.invokedAt);
            Entry ret = new Entry(op, false, op.completedAt);
            call.match = ret;
            entries.add(call);
            entries.add(ret);
        }
        entries.sort(Comparator.comparingLong((Entry e) -> e.time).thenComparing(e -> !e.isCall));
        return link(entries);
    }

    private static Entry buildUnknownList(List<CompiledOp> ops) {
        List<Entry> entries = new ArrayList<>(ops.size());
        for (CompiledOp op : ops) {
            entries.add(new Entry(op, true, op.invokedAt));
        }
        entries.sort(Comparator.comparingLong(e -> e.time));
        return link(entries);
    }

    private static Entry link(List<Entry> entries) {
        Entry head = new Entry(null, false, Long.MIN_VALUE);
        Entry last = head;
        for (Entry e : entries) {
            last.next = e;
            e.prev = last;
            last = e;
        }
        return head;
    }

    /** Removes a call and its return from the list; both keep their own links for {@link #unlift}. */
    private static void lift(Entry call) {
        unlink(call);
        if (call.match != null) {
            unlink(call.match);
        }
    }

    /** Undoes {@link #lift}; must be called in the reverse order of the lifts. */
    private static void unlift(Entry call) {
        if (call.match != null) {
            relink(call.match);
        }
        relink(call);
    }

    private static void unlink(Entry e) {
        e.prev.next = e.next;
        if (e.next != null) {
            e.next.prev = e.prev;
        }
    }

    private static void relink(Entry e) {
        e.prev.next = e;
        if (e.next != null) {
            e.next.prev = e;
        }
    }
}
