package io.raftkv.server.http;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.DiskAlarm;
import io.raftkv.core.server.DiskFullException;
import io.raftkv.core.server.DiskStalledException;
import io.raftkv.core.server.NotCommittedException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.ShutdownException;
import io.raftkv.plugin.http.Reply;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * How a failed proposal or read becomes a status code. The codes say what a client may conclude (docs/design.md §7):
 * <ul>
 *   <li><b>503 not applied</b>: the command certainly did not take effect (no leader, overloaded, overwritten by
 *       another leader's entry, shutting down). Retrying is safe.</li>
 *   <li><b>504 outcome unknown</b>: the entry was proposed and then leadership was lost, or the request timed out
 *       waiting for it: it may still commit. Retry only idempotent commands, or read back first.</li>
 *   <li><b>507 insufficient storage</b>: this server's disk is below its free-space reserve
 *       ({@link DiskFullException}); nothing was proposed. Retry on another server, or once space is freed. The body
 *       names the directory and its free space: {@code {"error", "alarm": {"alarm": "nospace", "store",
 *       "directory", "freeBytes", "reserveBytes", "writeFailed"}}}.</li>
 * </ul>
 * A server whose disk is stalled answers 503 ({@link DiskStalledException}, with its {@code alarm}); a stopped one
 * 503 naming the fatal error.
 * A read that times out is a 503: reads change nothing, so they are always safe to retry.
 */
final class ErrorReplies {
    private ErrorReplies() {
    }

    static Reply of(Throwable cause, boolean isWrite) {
        if (cause instanceof SessionApi.Refused r) {
            return r.reply(); // the session layer's own answer: 410 unknown session, 400 seq already acknowledged
        }
        if (cause instanceof NotLeaderException e) {
            // The server held the request for a leader that never came within its leader wait: not proposed.
            return Reply.error(503, "no leader took the request in time (" + e.getMessage() + "); retry");
        }
        if (cause instanceof DiskFullException full) {
            return withAlarm(507, full.getMessage(), full.alarm());
        }
        if (cause instanceof DiskStalledException stalled) {
            return withAlarm(503, stalled.getMessage(), stalled.alarm());
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

    private static Reply withAlarm(int status, String message, DiskAlarm alarm) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        body.put("alarm", alarmJson(alarm));
        return Reply.json(status, body);
    }

    /** A disk alarm as JSON (in error bodies and {@code /status}). */
    static Map<String, Object> alarmJson(DiskAlarm alarm) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("alarm", alarm.kind());
        out.put("message", alarm.message());
        if (alarm instanceof DiskAlarm.NoSpace n) {
            out.put("store", n.store());
            out.put("directory", n.directory() == null ? null : n.directory().toString());
            out.put("freeBytes", n.freeBytes());
            out.put("reserveBytes", n.reserveBytes());
            out.put("writeFailed", n.writeFailed());
        } else if (alarm instanceof DiskAlarm.Stalled st) {
            out.put("store", st.store());
            out.put("directory", st.directory() == null ? null : st.directory().toString());
            out.put("operation", st.operation());
            out.put("stalledMillis", st.elapsed().toMillis());
        }
        return out;
    }
}
