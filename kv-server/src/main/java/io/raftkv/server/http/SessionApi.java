package io.raftkv.server.http;

import io.raftkv.core.server.RaftServer;
import io.raftkv.core.session.SessionFormatException;
import io.raftkv.core.session.SessionFrame;
import io.raftkv.core.session.SessionReply;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Client sessions over HTTP (thesis §6.3; the table itself is raft-core's {@link SessionStateMachine}), for any
 * state machine's write routes: {@link #envelope} wraps a write's command in a session frame when the request
 * carries the session headers, and {@link #unwrap} turns the state machine's reply back into the result the
 * route would get without a session (or the session layer's own answer).
 *
 * <ul>
 *   <li>{@code POST /session} → 200 {@code {"session":"<id>","timeoutMs":N}} (a log entry; the id is its index).</li>
 *   <li>Writes with {@code Raftkv-Session: <id>}, {@code Raftkv-Seq: <n>} (from 1) and optionally
 *       {@code Raftkv-Acked: <k>} (the client has the answers of every seq below k): a repeat of an (id, n) that
 *       was applied gets the first answer's status and body, on any server, and changes nothing. 410 for an
 *       unknown or expired session, 400 for a seq below what was acknowledged (or whose answer was evicted),
 *       400 for malformed headers. Without the headers a write behaves as it always did.</li>
 *   <li>{@code POST /session/{id}/keepalive} (may carry {@code Raftkv-Acked}) → 204 or 410;
 *       {@code DELETE /session/{id}} → 204 or 410.</li>
 * </ul>
 * Failures to commit are the usual 503 (not applied) and 504 (outcome unknown: retry with the same seq).
 *
 * <p>The server keeps sessions around every plugin's state machine that allows it
 * ({@code PluginInstance.clientSessions()}); for one that does not (a database that persists itself), the session
 * routes and headers are refused with 400.
 */
public final class SessionApi {
    public static final String SESSION_HEADER = "Raftkv-Session";
    public static final String SEQ_HEADER = "Raftkv-Seq";
    public static final String ACKED_HEADER = "Raftkv-Acked";
    private static final String NO_SESSIONS = "this server's state machine keeps no client sessions (it persists"
            + " itself; see PluginInstance.clientSessions)";

    private final RaftServer raft;
    private final SessionStateMachine sessions;
    private final Duration requestTimeout;
    private final Executor completions;
    private final Clock clock;

    /**
     * @param sessions the table around the state machine, or null if this state machine keeps no sessions
     * @param clock    stamps the frames this server proposes (thesis §6.3: the table's time comes from these stamps,
     *              never from a clock at apply)
     */
    public SessionApi(RaftServer raft, SessionStateMachine sessions, Duration requestTimeout, Executor completions,
                      Clock clock) {
        this.raft = raft;
        this.sessions = sessions;
        this.requestTimeout = requestTimeout;
        this.completions = completions;
        this.clock = clock;
    }

    /** Client sessions alive here, as of this server's last applied session entry. */
    public int sessionCount() {
        return sessions == null ? 0 : sessions.stats().sessions();
    }

    /** What to propose for a write: the command as is, its session frame, or a 400 without proposing. */
    public record Envelope(byte[] proposal, boolean inSession, Reply rejected) {
    }

    /** Wraps {@code command} in an {@link SessionFrame.Invoke} if the request carries the session headers. */
    public Envelope envelope(Request req, byte[] command) {
        String session = req.header(SESSION_HEADER);
        String seq = req.header(SEQ_HEADER);
        String acked = req.header(ACKED_HEADER);
        if (session == null) {
            if (seq != null || acked != null) {
                return rejected(400, SEQ_HEADER + " and " + ACKED_HEADER + " need " + SESSION_HEADER);
            }
            if (sessions != null && SessionFrame.isFrame(command)) {
                // The session wrapper would take it for one of its own frames: a client could close or expire
                // other clients' sessions. Only the server writes frames (thesis §6.3's table is the cluster's).
                return rejected(400, "a command must not begin with byte 0xFE, the tag of the server's session"
                        + " frames");
            }
            return new Envelope(command, false, null);
        }
        if (sessions == null) {
            return rejected(400, NO_SESSIONS);
        }
        if (seq == null) {
            return rejected(400, SEQ_HEADER + " is required with " + SESSION_HEADER);
        }
        long id;
        long n;
        long k;
        try {
            id = parse(session, SESSION_HEADER, 0);
            n = parse(seq, SEQ_HEADER, 1);
            k = acked == null ? 0 : parse(acked, ACKED_HEADER, 0);
        } catch (IllegalArgumentException e) {
            return rejected(400, e.getMessage());
        }
        if (n < k) {
            // The apply would refuse it too (thesis §6.3); no need to spend a log entry on a client bug.
            return new Envelope(null, true, tooOld(new SessionReply.SequenceTooOld(n, k, SessionReply.Reason.ACKNOWLEDGED)));
        }
        return new Envelope(new SessionFrame.Invoke(clock.millis(), id, n, k, command).encode(), true, null);
    }

    /**
     * The answer to a write proposed with {@link #envelope}, as the route would get it without a session: for a
     * session write, the inner state machine's result of the first apply (the same for every repeat), or a failure
     * with {@link Refused} carrying the session layer's own answer (410, 400). Completing the returned future —
     * a caller's timeout — completes {@code proposed} too, so the proposal frees its place in the pending bound.
     */
    public CompletableFuture<byte[]> unwrap(CompletableFuture<byte[]> proposed, boolean inSession) {
        if (!inSession) {
            return proposed;
        }
        CompletableFuture<byte[]> inner = new CompletableFuture<>();
        proposed.whenComplete((bytes, error) -> {
            if (error != null) {
                inner.completeExceptionally(error);
                return;
            }
            SessionReply reply = decode(bytes);
            if (reply instanceof SessionReply.Answered a) {
                inner.complete(a.result());
            } else {
                inner.completeExceptionally(new Refused(reply == null ? undecodable() : sessionError(reply)));
            }
        });
        inner.whenComplete((bytes, error) -> {
            if (error != null) {
                proposed.completeExceptionally(error);
            }
        });
        return inner;
    }

    /** A session write the session layer answered itself (unknown session, seq too old): its HTTP answer. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Reply reply;

        Refused(Reply reply) {
            super("refused by the session layer: " + reply.status(), null, false, false);
            this.reply = reply;
        }

        public Reply reply() {
            return reply;
        }
    }

    /** {@code POST /session}: a new session (a log entry, so every server knows it). */
    public CompletableFuture<Reply> open(Request req) {
        if (sessions == null) {
            return done(Reply.error(400, NO_SESSIONS));
        }
        long timeout = sessions.options().sessionTimeout().toMillis();
        return propose(req, new SessionFrame.Register(clock.millis(), timeout), reply -> {
            if (reply instanceof SessionReply.Registered r) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("session", Long.toString(r.sessionId()));
                body.put("timeoutMs", r.timeoutMillis());
                return Reply.json(200, body);
            }
            return sessionError(reply);
        });
    }

    /** {@code POST /session/{id}/keepalive}: activity without a command (and an acknowledgement, if given). */
    public CompletableFuture<Reply> keepAlive(Request req, String id) {
        long session;
        long acked;
        try {
            session = parse(id, "session id", 0);
            String a = req.header(ACKED_HEADER);
            acked = a == null ? 0 : parse(a, ACKED_HEADER, 0);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        return propose(req, new SessionFrame.KeepAlive(clock.millis(), session, acked), this::doneOrError);
    }

    /** {@code DELETE /session/{id}}: ends the session, freeing its answers on every server. */
    public CompletableFuture<Reply> close(Request req, String id) {
        long session;
        try {
            session = parse(id, "session id", 0);
        } catch (IllegalArgumentException e) {
            return done(Reply.error(400, e.getMessage()));
        }
        return propose(req, new SessionFrame.Close(clock.millis(), session), this::doneOrError);
    }

    private Reply doneOrError(SessionReply reply) {
        return reply instanceof SessionReply.Done ? Reply.noContent() : sessionError(reply);
    }

    private CompletableFuture<Reply> propose(Request req, SessionFrame frame, Function<SessionReply, Reply> onReply) {
        if (sessions == null) {
            return done(Reply.error(400, NO_SESSIONS));
        }
        return raft.propose(frame.encode()).orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .handleAsync((bytes, error) -> {
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        return ErrorReplies.of(cause, true);
                    }
                    SessionReply reply = decode(bytes);
                    return reply == null ? undecodable() : onReply.apply(reply);
                }, req.loop() != null ? req.loop() : completions);
    }

    /** The session layer's own answers (never the inner machine's). */
    static Reply sessionError(SessionReply reply) {
        if (reply instanceof SessionReply.UnknownSession u) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", "session " + u.sessionId() + " is unknown or expired (thesis §6.3: never silently a"
                    + " new one); open a new session with POST /session. A write of this session whose outcome"
                    + " you did not learn can no longer be told");
            body.put("session", Long.toString(u.sessionId()));
            return Reply.json(410, body);
        }
        if (reply instanceof SessionReply.SequenceTooOld t) {
            return tooOld(t);
        }
        if (reply instanceof SessionReply.Malformed m) {
            return Reply.error(400, m.reason());
        }
        return Reply.error(500, "unexpected session reply " + reply);
    }

    private static Reply tooOld(SessionReply.SequenceTooOld t) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", t.reason() == SessionReply.Reason.ACKNOWLEDGED
                ? "sequence number " + t.seq() + " is below " + t.floor() + ", which the session acknowledged"
                + " (" + ACKED_HEADER + "): its answer is gone; nothing was applied"
                : "the answer of sequence number " + t.seq() + " was evicted (too many answers kept for this"
                + " session or in total); its outcome can no longer be told; nothing was applied");
        body.put("reason", t.reason() == SessionReply.Reason.ACKNOWLEDGED ? "acknowledged" : "evicted");
        body.put("floor", t.floor());
        return Reply.json(400, body);
    }

    /** The reply, or null if the bytes are not one (a server bug, not the client's). */
    private static SessionReply decode(byte[] bytes) {
        try {
            return SessionReply.decode(bytes);
        } catch (SessionFormatException e) {
            return null;
        }
    }

    private static Reply undecodable() {
        return Reply.error(500, "undecodable session reply from the state machine");
    }

    private static long parse(String value, String what, long min) {
        long v;
        try {
            v = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a decimal number, got '" + abbreviate(value) + "'");
        }
        if (v < min) {
            throw new IllegalArgumentException(what + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    private static Envelope rejected(int status, String message) {
        return new Envelope(null, true, Reply.error(status, message));
    }

    private static String abbreviate(String s) {
        return s.length() <= 32 ? s : s.substring(0, 32) + "...";
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }
}
