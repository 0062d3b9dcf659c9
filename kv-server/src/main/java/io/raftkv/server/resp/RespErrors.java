package io.raftkv.server.resp;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.DiskFullException;
import io.raftkv.core.server.DiskStalledException;
import io.raftkv.core.server.NotCommittedException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ShutdownException;
import io.raftkv.plugin.resp.RespReply;

import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * How a failed proposal or read becomes a RESP error: the same classes of outcome as HTTP's 503/504
 * ({@code http.ErrorReplies}), with Redis-style codes a client can switch on:
 * <ul>
 *   <li>{@code CLUSTERDOWN}: no leader took the command within the leader wait (an election that did not end, a
 *       node cut off from the majority), or the node is stopping. <b>Not applied</b>; retry, here or elsewhere.</li>
 *   <li>{@code TRYAGAIN}: overloaded, overwritten by another leader's entry, a read that timed out. <b>Not
 *       applied</b> (reads change nothing); retry.</li>
 *   <li>{@code OUTCOMEUNKNOWN}: the write reached a leader that lost leadership or did not answer in time; it
 *       <b>may or may not</b> take effect. Read back before retrying a command that is not idempotent.</li>
 *   <li>{@code MISCONF}: this node's disk is below its free-space reserve (HTTP's 507; Redis's word for "cannot
 *       persist, writes refused"). <b>Not applied</b>; retry on another node or once space is freed. A node whose
 *       disk is stalled answers {@code TRYAGAIN} (HTTP's 503): another node will soon lead.</li>
 * </ul>
 */
public final class RespErrors {
    private RespErrors() {
    }

    /**
     * @param status the node's view now, for the reason of a CLUSTERDOWN
     */
    public static RespReply.Error of(Throwable failure, boolean isWrite, RaftStatus status) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof NotLeaderException e) {
            return RespReply.error("CLUSTERDOWN", "no leader: " + leaderView(status) + " ("
                    + (isWrite ? "no leader took the write in time: " : "no leader confirmed the read in time: ")
                    + e.getMessage() + "); " + (isWrite ? "not applied, " : "") + "retry");
        }
        if (cause instanceof DiskFullException) {
            return RespReply.error("MISCONF", cause.getMessage() + "; not applied, retry on another node or once space"
                    + " is freed");
        }
        if (cause instanceof DiskStalledException) {
            return RespReply.error("TRYAGAIN", cause.getMessage() + "; " + (isWrite ? "not applied, " : "")
                    + "retry on another node");
        }
        if (cause instanceof ShutdownException) {
            return RespReply.error("CLUSTERDOWN", "node " + status.id() + " is shutting down: " + cause.getMessage()
                    + (isWrite ? "; not applied" : "") + "; retry on another node");
        }
        if (cause instanceof OutcomeUnknownException) {
            return RespReply.error("OUTCOMEUNKNOWN", "the write may or may not have been applied: "
                    + cause.getMessage() + "; read before retrying");
        }
        if (cause instanceof TimeoutException) {
            return isWrite
                    ? RespReply.error("OUTCOMEUNKNOWN", "timed out waiting for the write to be applied ("
                    + cause.getMessage() + "); it may or may not take effect; read before retrying")
                    : RespReply.error("TRYAGAIN", "timed out waiting for a read index, or for this node to apply up"
                    + " to it (" + cause.getMessage() + "); retry");
        }
        if (cause instanceof OverloadedException) {
            return RespReply.error("TRYAGAIN", "overloaded: " + cause.getMessage() + "; not applied, retry");
        }
        if (cause instanceof NotCommittedException || cause instanceof ProposalRejectedException) {
            return RespReply.error("TRYAGAIN", cause.getMessage() + "; not applied, retry");
        }
        return RespReply.err("internal error: " + cause);
    }

    private static String leaderView(RaftStatus s) {
        return s.leaderId() == null ? s.id() + " knows no leader in term " + s.term()
                : s.id() + " last heard of leader " + s.leaderId() + " in term " + s.term();
    }
}
