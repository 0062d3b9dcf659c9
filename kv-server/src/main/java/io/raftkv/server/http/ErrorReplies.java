package io.raftkv.server.http;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.NotCommittedException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.ShutdownException;
import io.raftkv.plugin.http.Reply;

import java.util.concurrent.TimeoutException;

/**
 * How a failed proposal or read becomes a status code. The codes say what a client may conclude (docs/design.md §7):
 * <ul>
 *   <li><b>503 not applied</b>: the command certainly did not take effect (no leader, overloaded, overwritten by
 *       another leader's entry, shutting down). Retrying is safe.</li>
 *   <li><b>504 outcome unknown</b>: the entry was proposed and then leadership was lost, or the request timed out
 *       waiting for it: it may still commit. Retry only idempotent commands, or read back first.</li>
 * </ul>
 * A read that times out is a 503: reads change nothing, so they are always safe to retry.
 */
final class ErrorReplies {
    private ErrorReplies() {
    }

    static Reply of(Throwable cause, boolean isWrite) {
        if (cause instanceof NotLeaderException e) {
            // The server held the request for a leader that never came within its leader wait: not proposed.
            return Reply.error(503, "no leader took the request in time (" + e.getMessage() + "); retry");
        }
        if (cause instanceof OutcomeUnknownException) {
            return Reply.error(504, cause.getMessage());
        }
        if (cause instanceof TimeoutException) {
            return isWrite
                    ? Reply.error(504, "timed out waiting for the write to be applied; it may or may not take effect")
                    : Reply.error(503, "timed out waiting for a read index, or for this server to apply up to it;"
                    + " retry");
        }
        if (cause instanceof OverloadedException || cause instanceof NotCommittedException
                || cause instanceof ShutdownException || cause instanceof ProposalRejectedException) {
            return Reply.error(503, cause.getMessage());
        }
        return Reply.error(500, "internal error: " + cause);
    }
}
