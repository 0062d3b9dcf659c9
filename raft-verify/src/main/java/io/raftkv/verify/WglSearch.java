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
 * linearized whenever they are invoked, and need not be linearized at all. Each one left pending can multiply
 * the configurations, so the search takes them as late and as rarely as possible:
 * <ul>
 *   <li>They live in a second list, and in each configuration the definite candidates are tried first.</li>
 *   <li><em>Normal form.</em> If the history is linearizable, it has a linearization in which every UNKNOWN
 *       operation {@code U} is immediately followed by an operation that needs it — one whose result does not
 *       fit the value before {@code U} but fits the value after (a read of {@code U}'s value, a CAS that expects
 *       it, a CAS that failed because of it, an UNKNOWN CAS that swaps because of it). Proof: take any
 *       linearization. If the operation {@code O} after {@code U} fits without {@code U} and does not change the
 *       value (a read, a failed CAS), swap them: {@code O} sees the old value, which fits, and {@code U} has no
 *       deadline, so real time still holds. If {@code O} changes the value it is a write ({@code U} is
 *       overwritten unseen: drop it; a successful CAS fitting both values would make {@code U} a no-op, which
 *       {@link RegisterModel#step} never takes). If nothing follows, drop {@code U}. Each move takes {@code U}
 *       later or removes it, so this ends. The search therefore lets only an operation that needed it follow an
 *       UNKNOWN one.</li>
 *   <li>The cache skips configurations dominated by ones with fewer UNKNOWN operations taken.</li>
 * </ul>
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

    private static final int[] NONE = new int[0];

    private final KeyHistory history;
    private final CheckOptions options;
    // Scratch space of usefulUnknowns, reused across calls.
    private int[] wantedStamp;
    private int[] wantedQueue;
    private int wantedGeneration;
    private final List<Integer> found = new ArrayList<>();

    WglSearch(KeyHistory history, CheckOptions options) {
        this.history = history;
        this.options = options;
    }

    Result run() {
        Entry definiteHead = buildDefiniteList(history.definite);
        int[][] unknownByValue = indexByValue(history);
        Entry[] unknownEntries = new Entry[history.unknown.size()];
        for (CompiledOp op : history.unknown) {
            unknownEntries[op.bit] = new Entry(op, true, op.invokedAt);
        }
        long[] definiteSet = new long[words(history.definite.size())];
        long[] unknownSet = new long[words(history.unknown.size())];
        SearchCache cache = new SearchCache();

        int depth = 0;
        int capacity = history.checked() + 1;
        Entry[] stackEntry = new Entry[capacity];
        int[] stackState = new int[capacity];
        long[] stackFirstReturn = new long[capacity];
        // Phase-2 candidates of the configuration at each depth, and where its scan is.
        int[][] phaseTwoCandidates = new int[capacity][];
        int[] phaseTwoNext = new int[capacity];

        int state = RegisterModel.ABSENT;
        int remainingDefinite = history.definite.size();
        int bestDefinite = -1;
        List<CompiledOp> bestPrefix = List.of();

        long deadline = System.nanoTime() + options.timeBudgetPerKey().toNanos();
        long steps = 0;

        // The candidate being considered: in phase 1 `entry` walks the definite list up to its first return; in
        // phase 2 the configuration's useful UNKNOWN operations (invoked no later than that return) are tried.
        Entry entry = definiteHead.next;
        boolean phaseTwo = false;
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
                    phaseTwoCandidates[depth] = usefulUnknowns(state, definiteHead, firstReturn, unknownByValue,
                            unknownEntries, unknownSet);
                    phaseTwoNext[depth] = 0;
                    continue;
                }
            } else if (phaseTwoNext[depth] < phaseTwoCandidates[depth].length) {
                candidate = unknownEntries[phaseTwoCandidates[depth][phaseTwoNext[depth]++]];
            } else {
                candidate = null;
            }

            if (candidate != null) {
                CompiledOp op = candidate.op;
                int next = RegisterModel.step(state, op);
                if (next != RegisterModel.ILLEGAL && depth > 0 && stackEntry[depth - 1].op.unknown
                        && RegisterModel.step(stackState[depth - 1], op) != RegisterModel.ILLEGAL) {
                    // The last operation taken has an unknown outcome; only an operation that needed it may follow
                    // (see "normal form" above). This one would fit without it.
                    next = RegisterModel.ILLEGAL;
                }
                boolean entered = false;
                if (next != RegisterModel.ILLEGAL) {
                    long[] set = op.unknown ? unknownSet : definiteSet;
                    set[op.bit >>> 6] |= 1L << op.bit;
                    // A configuration entered through an unknown operation only allows what needed it next, so it
                    // is memoised apart from the unrestricted one with the same operations and value.
                    int restriction = op.unknown ? state + 1 : 0;
                    if (cache.visit(next, restriction, definiteSet, unknownSet)) {
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
                    if (!op.unknown) {
                        lift(candidate); // UNKNOWN operations are not in the list: they have no return to remove
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
                // Continue phase 2 of the configuration we came back to, where it left off; its first return and
                // its candidates have not changed.
                phaseTwo = true;
                firstReturn = stackFirstReturn[depth];
            } else {
                definiteSet[op.bit >>> 6] &= ~(1L << op.bit);
                remainingDefinite++;
                unlift(undone);
                // Lowe: try the candidates after the one just undone.
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

    /** For each value id, the UNKNOWN operations that would set it, by invocation time. */
    private static int[][] indexByValue(KeyHistory history) {
        List<List<Integer>> byValue = new ArrayList<>();
        for (int v = 0; v < history.valueCount(); v++) {
            byValue.add(new ArrayList<>());
        }
        for (CompiledOp op : history.unknown) {
            byValue.get(op.value).add(op.bit);
        }
        int[][] index = new int[byValue.size()][];
        for (int v = 0; v < index.length; v++) {
            index[v] = byValue.get(v).stream().mapToInt(Integer::intValue).toArray();
        }
        return index;
    }

    /**
     * The UNKNOWN operations worth trying in a configuration: pending, invoked no later than the first pending
     * return, and needed (directly or through a chain of UNKNOWN compare-and-sets) by a definite candidate that
     * does not fit the current value. By the normal form (class comment) no other UNKNOWN operation can start a
     * linearization that the definite candidates cannot. A read needs its output, a swapped CAS its expected
     * value, an UNKNOWN CAS that would set a needed value needs its own expected value; a CAS that failed while
     * the value equals its expected one needs any other value, so then every pending UNKNOWN operation is tried.
     *
     * @return indexes into the unknown operations, ascending (by invocation time)
     */
    int[] usefulUnknowns(int state, Entry definiteHead, long firstReturn, int[][] unknownByValue,
                                 Entry[] unknownEntries, long[] unknownSet) {
        if (unknownEntries.length == 0) {
            return NONE;
        }
        if (wantedStamp == null) {
            wantedStamp = new int[unknownByValue.length];
            wantedQueue = new int[unknownByValue.length];
        }
        int stamp = ++wantedGeneration; // wantedStamp[v] == stamp: value v is wanted in this call
        int queued = 0;
        boolean anyValue = false;
        for (Entry e = definiteHead.next; e != null && e.isCall; e = e.next) {
            CompiledOp op = e.op;
            if (RegisterModel.step(state, op) != RegisterModel.ILLEGAL) {
                continue;
            }
            int want;
            if (op.kind == OpKind.READ) {
                want = op.output;
            } else if (op.kind == OpKind.CAS && op.swapped) {
                want = op.expected;
            } else {
                anyValue = true; // a failed CAS while the value equals its expected one: any other value helps
                continue;
            }
            if (wantedStamp[want] != stamp) {
                wantedStamp[want] = stamp;
                wantedQueue[queued++] = want;
            }
        }
        found.clear();
        if (anyValue) {
            boolean unobservedTaken = false;
            for (Entry e : unknownEntries) {
                if (e.op.invokedAt > firstReturn) {
                    break; // by invocation time: the rest came too late as well
                }
                if ((unknownSet[e.op.bit >>> 6] & (1L << e.op.bit)) != 0) {
                    continue;
                }
                // Writes of the shared unobserved value are interchangeable (KeyHistory): every pending one that
                // is eligible now stays eligible on this path, so trying the earliest is enough, and keeps the set
                // of those taken a prefix, which the memo recognises.
                if (e.op.value == history.unobserved && e.op.kind == OpKind.WRITE) {
                    if (unobservedTaken) {
                        continue;
                    }
                    unobservedTaken = true;
                }
                found.add(e.op.bit);
            }
        } else {
            for (int head = 0; head < queued; head++) {
                for (int bit : unknownByValue[wantedQueue[head]]) {
                    CompiledOp op = unknownEntries[bit].op;
                    if (op.invokedAt > firstReturn) {
                        break; // each value's list is by invocation time: the rest came too late as well
                    }
                    if ((unknownSet[bit >>> 6] & (1L << bit)) != 0) {
                        continue; // already linearized
                    }
                    found.add(bit);
                    if (op.kind == OpKind.CAS && wantedStamp[op.expected] != stamp) {
                        wantedStamp[op.expected] = stamp;
                        wantedQueue[queued++] = op.expected;
                    }
                }
            }
            found.sort(null);
        }
        if (found.isEmpty()) {
            return NONE;
        }
        int[] result = new int[found.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = found.get(i);
        }
        return result;
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
