package io.raftkv.sim;

import io.raftkv.core.NotLeaderException;
import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.Role;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.session.SessionFormatException;
import io.raftkv.core.session.SessionFrame;
import io.raftkv.core.session.SessionReply;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Client sessions under the simulator (thesis §6.3), when {@link SimConfig#sessions()} is set: the clients, and
 * the {@link Invariant#EXACTLY_ONCE} check of what every node applies.
 *
 * <p><b>The clients.</b> Each registers a session, then keeps up to {@code window} writes in flight. A write is
 * sent to the leader ({@code RaftNode.propose}) or, one time in four, through a follower that hands it to the
 * leader it knows ({@code RaftNode.forward}, the path {@code RaftServer} takes). Its answer is what the node it was
 * sent to applies for that very entry — the driver completes a proposal from its own apply — and is lost with
 * probability {@code answerLoss}. A write without an answer after {@code retryTicks} (lost answer, crashed node,
 * leader change, overwritten entry) is sent again with the same (session, seq), to whoever leads then. An unknown
 * session (expired, evicted) makes the client drop its writes and register again; a seq the session no longer
 * answers (acknowledged, evicted) is dropped.
 *
 * <p><b>The check</b>, on every apply of every node: an (session, seq) is applied (answered "not a repeat") at one
 * log index only, and every entry answered from the table carries exactly that apply's result. With the
 * {@code SKIP_DEDUP} mutation a resent write is applied a second time, and this check fails.
 *
 * <p>Randomness comes from a stream of its own (see {@link Simulation}), so runs without sessions do not change.
 */
final class SessionClients {

    /** One send of a frame: to which node (incarnation), which bytes, when. */
    private record Attempt(String node, int incarnation, byte[] frame, long sentAt) {
    }

    /** A write of a client: its seq, command, and the send awaiting an answer (null: to be sent). */
    private static final class Write {
        final long seq;
        final byte[] command;
        Attempt attempt;
        int sends;

        Write(long seq, byte[] command) {
            this.seq = seq;
            this.command = command;
        }
    }

    private static final class Client {
        final int id;
        long session = -1;
        Attempt registering;
        long nextSeq = 1;
        final TreeMap<Long, Write> inFlight = new TreeMap<>();

        Client(int id) {
            this.id = id;
        }
    }

    private record Key(long session, long seq) {
    }

    private record FirstApply(long index, byte[] result, String node) {
    }

    private final Simulation sim;
    private final List<SimNode> nodes;
    private final SimConfig.Sessions config;
    private final SplittableRandom random;
    private final Client[] clients;
    /** (session, seq) → where it was applied and its result. Looked up only, never iterated. */
    private final Map<Key, FirstApply> firstApply = new HashMap<>();
    private long answered;
    private long repeats;

    SessionClients(Simulation sim, List<SimNode> nodes, SimConfig.Sessions config, SplittableRandom random) {
        this.sim = sim;
        this.nodes = nodes;
        this.config = config;
        this.random = random;
        this.clients = new Client[config.clients()];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new Client(i);
        }
    }

    int clients() {
        return clients.length;
    }

    /** Session writes whose answer reached their client. */
    long answered() {
        return answered;
    }

    /** Of those, answered from the table (a resend of an applied write). */
    long repeats() {
        return repeats;
    }

    /** Delay until the next step of a client. */
    long nextGap() {
        double meanUnits = Simulation.TICK / config.stepsPerTick();
        return 1 + (long) (random.nextDouble() * 2 * meanUnits);
    }

    // ------------------------------------------------------------------------------------------- the clients

    /** A client's step: (re)send what is due, start a new write if its window has room. */
    void step(int clientId) {
        Client c = clients[clientId];
        long now = sim.now();
        if (c.session < 0) {
            if (c.registering == null || due(c.registering, now)) {
                c.registering = send(c, new SessionFrame.Register(now, config.options().sessionTimeout().toMillis())
                        .encode(), "register");
            }
            return;
        }
        for (Write w : c.inFlight.values()) {
            if (w.attempt == null || due(w.attempt, now)) {
                sendWrite(c, w);
            }
        }
        if (c.inFlight.size() < config.window()) {
            long seq = c.nextSeq++;
            Write w = new Write(seq, ("s" + c.id + "." + seq).getBytes(StandardCharsets.US_ASCII));
            c.inFlight.put(seq, w);
            sendWrite(c, w);
        }
    }

    private boolean due(Attempt a, long now) {
        return now - a.sentAt() >= (long) config.retryTicks() * Simulation.TICK;
    }

    private void sendWrite(Client c, Write w) {
        // The client has the answers of every seq below its lowest write in flight (thesis §6.3).
        long acked = c.inFlight.firstKey();
        byte[] frame = new SessionFrame.Invoke(sim.now(), c.session, w.seq, acked, w.command).encode();
        w.sends++;
        w.attempt = send(c, frame, "session " + c.session + " seq " + w.seq + (w.sends > 1 ? " (resend #" + (w.sends - 1) + ")" : ""));
    }

    /** Sends a frame to the leader or through a follower; null if nobody took it (it is resent at the next step). */
    private Attempt send(Client c, byte[] frame, String what) {
        SimNode leader = sim.leader();
        SimNode via = leader;
        if (random.nextInt(4) == 0) {
            List<SimNode> others = new ArrayList<>();
            for (SimNode n : nodes) {
                if (n.isUp() && n.role() != Role.LEADER) {
                    others.add(n);
                }
            }
            if (!others.isEmpty()) {
                via = others.get(random.nextInt(others.size()));
            }
        }
        if (via == null) {
            return null;
        }
        try {
            if (via.role() == Role.LEADER) {
                via.propose(frame);
            } else {
                via.forward(List.of(frame));
            }
        } catch (NotLeaderException | ProposalRejectedException e) {
            trace("client " + c.id + ": " + what + " refused by " + via.id + ": " + e.getMessage());
            return null;
        }
        trace("client " + c.id + ": " + what + " sent to " + via.id);
        return new Attempt(via.id, via.incarnation(), frame, sim.now());
    }

    // ------------------------------------------------------------------------------------------- applies

    /** {@code node} applied {@code entry} with {@code result}: check it, and answer the client that sent it there. */
    void onApplied(SimNode node, LogEntry entry, byte[] result) {
        if (entry.type() != EntryType.COMMAND || !SessionFrame.isFrame(entry.data())) {
            return;
        }
        SessionFrame frame;
        SessionReply reply;
        try {
            frame = SessionFrame.decode(entry.data());
            reply = SessionReply.decode(result);
        } catch (SessionFormatException e) {
            throw sim.violation(Invariant.CORE_CONTRACT, node.id + " applied session frame "
                    + MessageFormat.entry(entry) + " and answered something that is not a session reply: " + e.getMessage());
        }
        if (frame instanceof SessionFrame.Invoke invoke) {
            checkExactlyOnce(node, entry, invoke, reply);
        }
        for (Client c : clients) {
            if (c.registering != null && sentHere(c.registering, node, entry)) {
                deliverRegistration(c, reply);
                return; // two clients may send identical register bytes: each entry answers one of them
            }
            for (Write w : c.inFlight.values()) {
                if (w.attempt != null && sentHere(w.attempt, node, entry)) {
                    deliver(c, w, reply);
                    break;
                }
            }
        }
    }

    /** Thesis §6.3: applied at one index at most; a repeat carries that apply's answer. */
    private void checkExactlyOnce(SimNode node, LogEntry entry, SessionFrame.Invoke invoke, SessionReply reply) {
        if (!(reply instanceof SessionReply.Answered a)) {
            return;
        }
        Key key = new Key(invoke.sessionId(), invoke.seq());
        FirstApply first = firstApply.get(key);
        if (!a.repeated()) {
            if (first == null) {
                firstApply.put(key, new FirstApply(entry.index(), a.result(), node.id));
            } else if (first.index() != entry.index()) {
                throw sim.violation(Invariant.EXACTLY_ONCE, node.id + " applied session " + invoke.sessionId()
                        + " seq " + invoke.seq() + " at " + MessageFormat.entry(entry) + ", but " + first.node()
                        + " had applied it already at index " + first.index() + ": a resent write took effect twice");
            }
            return;
        }
        if (first == null || first.index() >= entry.index()) {
            throw sim.violation(Invariant.EXACTLY_ONCE, node.id + " answered session " + invoke.sessionId() + " seq "
                    + invoke.seq() + " at " + MessageFormat.entry(entry) + " from its table, but it was never applied"
                    + " before that index" + (first == null ? "" : " (first applied at " + first.index() + ")"));
        }
        if (!Arrays.equals(first.result(), a.result())) {
            throw sim.violation(Invariant.EXACTLY_ONCE, node.id + " answered session " + invoke.sessionId() + " seq "
                    + invoke.seq() + " at " + MessageFormat.entry(entry) + " with " + MessageFormat.data(a.result())
                    + " but its one apply at index " + first.index() + " answered " + MessageFormat.data(first.result()));
        }
    }

    /** The node a frame was sent to answers it when it applies that very entry (same bytes, same incarnation). */
    private static boolean sentHere(Attempt a, SimNode node, LogEntry entry) {
        return a.node().equals(node.id) && a.incarnation() == node.incarnation() && Arrays.equals(a.frame(), entry.data());
    }

    private boolean lost(Client c, String what) {
        if (random.nextDouble() < config.answerLoss()) {
            trace("client " + c.id + ": answer to " + what + " LOST");
            return true;
        }
        return false;
    }

    private void deliverRegistration(Client c, SessionReply reply) {
        if (lost(c, "register")) {
            return; // resent when due: a second session; the first one expires or is evicted unused
        }
        c.registering = null;
        if (reply instanceof SessionReply.Registered r) {
            c.session = r.sessionId();
            trace("client " + c.id + ": session " + r.sessionId());
        } else {
            throw sim.violation(Invariant.CORE_CONTRACT, "a register was answered " + reply);
        }
    }

    private void deliver(Client c, Write w, SessionReply reply) {
        if (lost(c, "session " + c.session + " seq " + w.seq)) {
            return;
        }
        if (reply instanceof SessionReply.Answered a) {
            c.inFlight.remove(w.seq);
            answered++;
            if (a.repeated()) {
                repeats++;
            }
            trace("client " + c.id + ": seq " + w.seq + " answered " + MessageFormat.data(a.result())
                    + (a.repeated() ? " (from the table: a resend of an applied write)" : ""));
        } else if (reply instanceof SessionReply.UnknownSession) {
            // Expired or evicted: what is in flight can no longer be told; start a new session.
            trace("client " + c.id + ": session " + c.session + " unknown; " + c.inFlight.size()
                    + " write(s) of unknown outcome dropped, registering again");
            c.inFlight.clear();
            c.session = -1;
            c.registering = null;
        } else if (reply instanceof SessionReply.SequenceTooOld t) {
            trace("client " + c.id + ": seq " + w.seq + " no longer answered (" + t.reason() + "); dropped");
            c.inFlight.remove(w.seq);
        } else {
            throw sim.violation(Invariant.CORE_CONTRACT, "session " + c.session + " seq " + w.seq + " was answered "
                    + reply);
        }
    }

    private void trace(String what) {
        if (sim.tracer().on()) {
            sim.tracer().system(sim.now(), "session", what);
        }
    }
}
