package io.raftkv.server.http;

import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.ShutdownException;
import io.raftkv.core.server.SnapshotInfo;
import io.raftkv.core.server.SnapshotRejectedException;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * {@code POST /snapshot}: takes a snapshot of this server's state machine now (§7), whatever the thresholds say,
 * and answers once it is durable. Not forwarded: a snapshot is local to each server (every server compacts its own
 * log), so the operator asks the server whose log should shrink.
 *
 * <pre>
 * 200 {"index":..., "term":..., "bytes":..., "millis":..., "takenAt":"2026-...Z"}   durable; log compacted behind it
 * 409 {"error":"... being written ..."}       another snapshot is being written right now: retry when it is done
 * 409 {"error":"nothing applied since ..."}   the newest snapshot already covers everything applied
 * 503 {"error":...}                           not ready yet (restarted, term of the applied entry unknown) or stopping
 * 500 {"error":...}                           writing failed (disk full?); the previous snapshot and the log are intact
 * </pre>
 */
public final class SnapshotApi {
    private final RaftServer raft;
    private final Executor completions;

    public SnapshotApi(RaftServer raft, Executor completions) {
        this.raft = raft;
        this.completions = completions;
    }

    /** {@code POST /snapshot} (no body needed). */
    public CompletableFuture<Reply> take(Request req) {
        // No timeout here: the future always completes (durable, refused, failed, or server stopped), and a big
        // state takes as long as the disk needs; an impatient client can hang up without harm.
        return raft.takeSnapshot().handleAsync((info, error) -> error == null ? taken(info) : failed(error),
                completions);
    }

    static Reply taken(SnapshotInfo info) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("index", info.index());
        out.put("term", info.term());
        out.put("bytes", info.bytes());
        out.put("millis", info.duration() == null ? null : info.duration().toMillis());
        out.put("takenAt", info.completedAt() == null ? null : info.completedAt().toString());
        return Reply.json(200, out);
    }

    private static Reply failed(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SnapshotRejectedException r) {
            return Reply.error(r.reason() == SnapshotRejectedException.Reason.NOT_READY ? 503 : 409, r.getMessage());
        }
        if (cause instanceof ShutdownException) {
            return Reply.error(503, cause.getMessage());
        }
        return Reply.error(500, "snapshot failed (the previous snapshot and the log are intact): " + cause);
    }
}
