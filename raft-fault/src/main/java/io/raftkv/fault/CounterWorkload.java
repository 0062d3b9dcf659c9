package io.raftkv.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.fault.JsonHttpClient.Answer;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The counter workload: clients increment counters ({@code ctr0}, {@code ctr1}, …) by compare-and-set — read the
 * value v, then {@code POST /cas} v → v+1 — and count the increments the cluster told them succeeded. At the end
 * each counter must equal exactly that count.
 *
 * <p><b>With sessions</b> (thesis §6.3) every CAS carries {@code Raftkv-Session}/{@code Raftkv-Seq}, and a CAS
 * whose outcome is unknown (504, a response timeout, a reset) is resent with the same (session, seq) — to the next
 * node — until a server answers it. The first apply's answer comes back however often it is resent: a CAS that
 * swapped answers 200, never the 409 a blind resend would meet. So every increment is applied once and counted
 * once, and the counters end exactly at the acknowledged counts.
 *
 * <p><b>Without sessions</b> the same clients resend the same CAS blindly. When the first try was applied and its
 * answer lost, the resend meets the counter it already moved and answers 409, the client concludes "not applied",
 * reads again and increments again: one intended increment, applied twice. The counters then end above the
 * acknowledged counts — the proof that the check bites ({@code CounterWithoutSessionsIT}).
 *
 * <p>A client stops starting increments when told to, but finishes resolving the one in flight (bounded by
 * {@code resolveWindow} after the stop): an increment left unresolved is counted as in doubt, which with sessions
 * is itself a failure of the run.
 */
public final class CounterWorkload {
    /** After {@link #stop()}, how long a client may still resend the increment it has in flight (the runs' value). */
    public static final Duration RESOLVE_WINDOW = Duration.ofSeconds(30);

    private final ServerProcesses servers;
    private final int counters;
    private final boolean sessions;
    private final Duration resolveWindow;
    private final JsonHttpClient http;
    private final AtomicLongArray acknowledged;
    private final AtomicLong resends = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong conflictsAfterUnknown = new AtomicLong();
    private final AtomicLong inDoubt = new AtomicLong();
    private final AtomicLong sessionsOpened = new AtomicLong();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private volatile boolean stopped;
    private volatile long stoppedAt;

    /**
     * @param sessions      CAS in a session with resends of the same (session, seq); false: blind resends
     * @param timeout       HTTP response timeout of one try (then: outcome unknown, resend)
     * @param resolveWindow after {@link #stop()}, how long a client may still resend an increment in flight
     */
    public CounterWorkload(ServerProcesses servers, int counters, boolean sessions, Duration timeout,
                           Duration resolveWindow) {
        this.servers = servers;
        this.counters = counters;
        this.sessions = sessions;
        this.resolveWindow = resolveWindow;
        this.acknowledged = new AtomicLongArray(counters);
        this.http = new JsonHttpClient(servers, timeout);
    }

    public int counters() {
        return counters;
    }

    public String counter(int i) {
        return "ctr" + i;
    }

    public boolean sessions() {
        return sessions;
    }

    /** Increments of counter {@code i} the cluster acknowledged (200). */
    public long acknowledged(int i) {
        return acknowledged.get(i);
    }

    /** Tries resent because the previous one's outcome was unknown. */
    public long resends() {
        return resends.get();
    }

    /** CAS answered 409 (someone else moved the counter first, or, without sessions, a resend of an applied CAS). */
    public long conflicts() {
        return conflicts.get();
    }

    /** 409s met by a resend after an unknown outcome: without sessions, the candidates for a double apply. */
    public long conflictsAfterUnknown() {
        return conflictsAfterUnknown.get();
    }

    /** Increments whose outcome no server could tell in the end. */
    public long inDoubt() {
        return inDoubt.get();
    }

    public long sessionsOpened() {
        return sessionsOpened.get();
    }

    /** What went wrong that is not a counter mismatch (unexpected answers). */
    public List<String> problems() {
        return new ArrayList<>(problems);
    }

    /** No new increments; increments in flight are still resolved (see the class comment). */
    public void stop() {
        stoppedAt = System.nanoTime();
        stopped = true;
    }

    private boolean resolveWindowOver() {
        return stopped && System.nanoTime() - stoppedAt > resolveWindow.toNanos();
    }

    // ------------------------------------------------------------------------------------------- the client

    /** Where an increment ended. */
    private enum Outcome { SWAPPED, CONFLICT, SESSION_GONE, IN_DOUBT, GAVE_UP }

    /** The body of client thread {@code process}, starting at {@code node}. Returns when stopped. */
    public void runClient(int process, String node, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> ids = servers.ids();
        int home = ids.indexOf(node);
        String session = null;
        long nextSeq = 1;
        while (!stopped && !Thread.currentThread().isInterrupted()) {
            int k = random.nextInt(counters);
            Long current = read(ids.get(home), k);
            if (current == null) {
                sleep(50);
                continue;
            }
            boolean done = false;
            while (!done && !resolveWindowOver()) {
                if (sessions && session == null) {
                    session = open(home, ids);
                    nextSeq = 1;
                    if (session == null) {
                        break; // stopped before a session opened
                    }
                }
                long seq = nextSeq++;
                long[] seen = {current};
                Outcome o = increment(home, ids, session, seq, k, current, seen);
                switch (o) {
                    case SWAPPED -> {
                        acknowledged.incrementAndGet(k);
                        done = true;
                    }
                    case CONFLICT -> {
                        current = seen[0];
                        done = stopped; // definite: nothing applied; a stopped client starts nothing new
                    }
                    case SESSION_GONE -> session = null; // nothing of it applied: the same increment, new session
                    case IN_DOUBT, GAVE_UP -> done = true;
                }
            }
        }
    }

    /** Resends one CAS (same session and seq) until it is definitely answered; {@code seen[0]} gets a 409's value. */
    private Outcome increment(int home, List<String> ids, String session, long seq, int k, long expect, long[] seen) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("expect", expect == 0 ? null : Long.toString(expect));
        body.put("value", Long.toString(expect + 1));
        byte[] json;
        try {
            json = JsonHttpClient.JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        boolean maybeApplied = false;
        for (int attempt = 0; ; attempt++) {
            if (resolveWindowOver()) {
                if (maybeApplied) {
                    inDoubt.incrementAndGet();
                    return Outcome.IN_DOUBT;
                }
                return Outcome.GAVE_UP;
            }
            // The first try goes to the client's own node; a resend to the next one (any node answers alike).
            String node = ids.get((home + attempt) % ids.size());
            HttpRequest.Builder b = http.request(node, "/cas/" + counter(k))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json));
            if (session != null) {
                // Thesis §6.3: the same (session, seq) on every try; the client has every answer below seq.
                b.header("Raftkv-Session", session).header("Raftkv-Seq", Long.toString(seq))
                        .header("Raftkv-Acked", Long.toString(seq));
            }
            Answer a = http.send(b.build());
            if (a.status() == 200) {
                return Outcome.SWAPPED;
            }
            if (a.status() == 409) {
                conflicts.incrementAndGet();
                if (maybeApplied) {
                    conflictsAfterUnknown.incrementAndGet();
                }
                JsonNode cur = a.body() == null ? null : a.body().get("current");
                seen[0] = cur == null || cur.isNull() ? 0 : Long.parseLong(cur.asText());
                return Outcome.CONFLICT;
            }
            if (a.unknown()) {
                maybeApplied = true;
                resends.incrementAndGet();
            } else if (a.status() == 410 || a.status() == 400) {
                if (maybeApplied) {
                    // Thesis §6.3: the session (or the answer) is gone while the outcome was unknown.
                    problems.add("increment of " + counter(k) + " in session " + session + " seq " + seq
                            + " lost its session while its outcome was unknown: " + a.status() + " " + a.body());
                    inDoubt.incrementAndGet();
                    return Outcome.IN_DOUBT;
                }
                if (a.status() == 410) {
                    return Outcome.SESSION_GONE;
                }
                problems.add("CAS on " + node + " answered 400: " + a.body());
                return Outcome.GAVE_UP;
            } else if (a.status() != 503 && a.sent()) {
                problems.add("CAS on " + node + " answered " + a.status() + ": " + a.body());
                return maybeApplied ? Outcome.IN_DOUBT : Outcome.GAVE_UP;
            }
            sleep(attempt < 3 ? 20 : 100); // 503 or not sent: nothing applied; the node is down, paused or leaderless
        }
    }

    /** Opens a session ({@code POST /session}), trying the nodes in turn; null once stopped. */
    private String open(int home, List<String> ids) {
        for (int attempt = 0; !stopped; attempt++) {
            String node = ids.get((home + attempt) % ids.size());
            Answer a = http.send(http.request(node, "/session").POST(HttpRequest.BodyPublishers.noBody()).build());
            if (a.status() == 200 && a.body() != null && a.body().has("session")) {
                sessionsOpened.incrementAndGet();
                return a.body().get("session").asText();
            }
            sleep(100); // a lost answer leaves a session nobody uses; it expires on its own
        }
        return null;
    }

    /** Linearizable read of counter {@code k} (absent = 0); null if it did not succeed. */
    public Long read(String node, int k) {
        Answer a = http.send(http.request(node, "/key/" + counter(k) + "?level=linearizable").GET().build());
        if (a.status() == 404) {
            return 0L;
        }
        if (a.status() == 200 && a.body() != null && a.body().has(counter(k))) {
            return Long.parseLong(a.body().get(counter(k)).asText());
        }
        return null;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
