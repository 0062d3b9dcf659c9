package io.raftkv.core.server;

/**
 * Base of the errors a {@link RaftServer} completes a future with. The subclasses say what the caller may
 * conclude about its command, which is what a client needs to decide whether a retry is safe:
 * <ul>
 *   <li>{@link OverloadedException}: refused at the door, never proposed; retry later.</li>
 *   <li>{@link NotCommittedException}: proposed, but another leader overwrote the entry; it will never be
 *       applied; safe to retry.</li>
 *   <li>{@link OutcomeUnknownException}: proposed and appended, then leadership (or the server) was lost before
 *       the outcome was known; it may or may not be applied. Retry only if the command is idempotent.</li>
 *   <li>{@link ShutdownException}: the server is stopping or stopped; nothing was proposed.</li>
 * </ul>
 * Not being the leader is reported with {@link io.raftkv.core.NotLeaderException} (the core's own type, carrying
 * the leader's id), so that one type means "go to the leader" everywhere in raftkv.
 */
public abstract class RaftException extends RuntimeException {

    protected RaftException(String message, Throwable cause) {
        // No stack trace: these are expected outcomes reported through futures, not bugs; filling stack traces
        // for every overloaded request would cost more than the request.
        super(message, cause, true, false);
    }

    /** True if the command certainly did not take effect, so resubmitting it cannot apply it twice. */
    public abstract boolean safeToRetry();
}
