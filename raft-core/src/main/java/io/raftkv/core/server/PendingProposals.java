package io.raftkv.core.server;

import io.raftkv.core.Proposal;
import io.raftkv.core.message.LogEntry;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Proposals appended to the leader's log and waiting for their outcome, keyed by log index.
 *
 * <p>Two threads complete them and may race: the apply thread ({@link #onApplied}) when the index is applied, and
 * the raft thread ({@link #failIf}) when leadership is lost. {@link Map#remove} decides
 * the race: whoever removes the entry completes the future, so every future completes exactly once.
 *
 * <p>How the outcome is decided (Log Matching, §5.3: same index and term means same entry):
 * <ul>
 *   <li>the entry applied at the proposal's index has the proposal's term: it is the proposal; complete with the
 *       state machine's result;</li>
 *   <li>it has another term: a later leader overwrote the proposal, which will never apply:
 *       {@link NotCommittedException};</li>
 *   <li>leadership was lost before the index was applied: {@link OutcomeUnknownException} — a new leader may
 *       still commit the entry (§5.4.2).</li>
 * </ul>
 */
final class PendingProposals {

    /** One proposal in flight. {@code startNanos} feeds the proposal latency timer. */
    record Pending(long index, long term, CompletableFuture<byte[]> future, long startNanos) {
    }

    private static final byte[] NO_RESULT = new byte[0];

    private final ConcurrentHashMap<Long, Pending> byIndex = new ConcurrentHashMap<>();

    /** Raft thread: the core accepted a proposal at {@code proposal.index()}. */
    void register(Proposal proposal, CompletableFuture<byte[]> future, long startNanos) {
        Pending previous = byIndex.put(proposal.index(),
                new Pending(proposal.index(), proposal.term(), future, startNanos));
        if (previous != null) {
            // Only possible if a leadership change went unnoticed; the new entry at this index replaced the old one,
            // so the old proposal is certainly not applied.
            previous.future.completeExceptionally(
                    new NotCommittedException(previous.index, previous.term, proposal.term()));
        }
    }

    /**
     * Apply thread: {@code entry} was applied (for a COMMAND, with {@code result}). Returns the completed proposal,
     * or null if no proposal of this server waited for this index.
     */
    Pending onApplied(LogEntry entry, byte[] result) {
        Pending p = byIndex.remove(entry.index());
        if (p == null) {
            return null;
        }
        if (p.term == entry.term()) {
            // Same index, same term: the very entry we proposed (Log Matching, §5.3). A configuration change has no
            // state-machine result.
            p.future.complete(result == null ? NO_RESULT : result);
        } else {
            p.future.completeExceptionally(new NotCommittedException(p.index, p.term, entry.term()));
        }
        return p;
    }

    /** Fails every pending proposal with the error {@code reason} builds for it. */
    void failAll(Function<Pending, Throwable> reason) {
        failIf(p -> true, reason);
    }

    /** Fails the pending proposals {@code which} selects, with the error {@code reason} builds for each. */
    void failIf(Predicate<Pending> which, Function<Pending, Throwable> reason) {
        Iterator<Pending> it = byIndex.values().iterator();
        while (it.hasNext()) {
            Pending p = it.next();
            // remove(key, value) loses the race cleanly against onApplied.
            if (which.test(p) && byIndex.remove(p.index, p)) {
                p.future.completeExceptionally(reason.apply(p));
            }
        }
    }

    int size() {
        return byIndex.size();
    }
}
