package io.raftkv.sim.scenario;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.sim.MessageFormat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The servers of a scenario and the network between them. The network is one queue: every message a server sends
 * waits there, in send order, until a {@code deliver} or {@code stabilize} command hands it to its receiver (or a
 * {@code drop} command loses it). A partition drops what crosses it, at send and at delivery; a server that is down
 * loses what is delivered to it.
 */
final class ScenarioCluster {
    /** A bound on {@code stabilize}: a cluster still talking after this many deliveries is stuck in a loop. */
    private static final int MAX_STABILIZE_DELIVERIES = 10_000;

    private final RaftOptions options;
    private final Map<String, ScenarioServer> servers = new LinkedHashMap<>();
    private final List<RaftMessage> queue = new ArrayList<>();
    /** Partition side of each server; empty when the network is whole. */
    private final Map<String, Integer> sides = new TreeMap<>();
    private final Transcript transcript = new Transcript();
    private final SafetyWatch safety = new SafetyWatch();
    private long nextReadId = 1;

    ScenarioCluster(RaftOptions options, List<String> voters) {
        this.options = options;
        Configuration bootstrap = Configuration.ofVoterIds(voters.toArray(String[]::new));
        for (String id : voters) {
            add(id, bootstrap);
        }
    }

    /** A new server with an empty log and no configuration: it learns one from the leader once added. */
    ScenarioServer addServer(String id) {
        if (servers.containsKey(id)) {
            throw new IllegalArgumentException(id + " exists already");
        }
        return add(id, Configuration.EMPTY);
    }

    private ScenarioServer add(String id, Configuration bootstrap) {
        ScenarioServer s = new ScenarioServer(this, id, options, bootstrap, servers.size());
        servers.put(id, s);
        if (!sides.isEmpty()) {
            sides.put(id, -1); // joins during a partition: cut off from everyone until the heal
        }
        s.start();
        return s;
    }

    Transcript transcript() {
        return transcript;
    }

    SafetyWatch safety() {
        return safety;
    }

    RaftOptions options() {
        return options;
    }

    Collection<ScenarioServer> servers() {
        return servers.values();
    }

    ScenarioServer server(String id) {
        ScenarioServer s = servers.get(id);
        if (s == null) {
            throw new IllegalArgumentException("no server " + id + " (servers: " + servers.keySet() + ")");
        }
        return s;
    }

    /** A server that is up (commands to a crashed server are mistakes in the scenario). */
    ScenarioServer up(String id) {
        ScenarioServer s = server(id);
        if (!s.isUp()) {
            throw new IllegalArgumentException(id + " is down");
        }
        return s;
    }

    long nextReadId() {
        return nextReadId++;
    }

    // --------------------------------------------------------------------------------------------- network

    /** Called by a server's driver: the message joins the queue unless a partition is in the way. */
    void send(ScenarioServer from, RaftMessage m) {
        String line = "send " + describe(m);
        if (!linked(m.from(), m.to())) {
            transcript.node(from.id, line + " DROPPED (partitioned)");
            return;
        }
        transcript.node(from.id, line);
        queue.add(m);
    }

    /**
     * Delivers the queued messages that match {@code filter}, in queue order: those queued when the call starts, or,
     * with {@code untilQuiet}, also those their delivery causes, until none matches. Returns the number delivered.
     */
    int deliver(Predicate<RaftMessage> filter, boolean untilQuiet) {
        int delivered = 0;
        do {
            List<RaftMessage> round = take(filter);
            for (RaftMessage m : round) {
                deliverOne(m);
                if (++delivered > MAX_STABILIZE_DELIVERIES) {
                    throw new IllegalStateException("still delivering after " + MAX_STABILIZE_DELIVERIES + " messages");
                }
            }
            if (round.isEmpty()) {
                break;
            }
        } while (untilQuiet);
        return delivered;
    }

    private void deliverOne(RaftMessage m) {
        transcript.nested(describe(m), () -> {
            ScenarioServer to = servers.get(m.to());
            if (to == null) {
                transcript.add("dropped: no server " + m.to());
            } else if (!linked(m.from(), m.to())) {
                transcript.add("dropped: partitioned");
            } else if (!to.isUp()) {
                transcript.add("dropped: " + m.to() + " is down");
            } else {
                to.receive(m);
            }
        });
    }

    /** Removes the queued messages that match {@code filter}, writing each to the transcript. */
    void drop(Predicate<RaftMessage> filter) {
        for (RaftMessage m : take(filter)) {
            transcript.add("dropped " + describe(m));
        }
    }

    /**
     * Queues a second copy of each queued message that matches {@code filter}, at the end of the queue: the network
     * delivering a message twice, which the transport contract allows.
     */
    void duplicate(Predicate<RaftMessage> filter) {
        for (RaftMessage m : List.copyOf(queue)) {
            if (filter.test(m)) {
                transcript.add("duplicated " + describe(m));
                queue.add(m);
            }
        }
    }

    /** The queued messages, in order, without delivering them. */
    void printQueue() {
        queue.forEach(m -> transcript.add(describe(m)));
    }

    private List<RaftMessage> take(Predicate<RaftMessage> filter) {
        List<RaftMessage> taken = new ArrayList<>();
        queue.removeIf(m -> filter.test(m) && taken.add(m));
        return taken;
    }

    /** Cuts the network into the given sides; every server must be on exactly one. */
    void partition(List<List<String>> groups) {
        Map<String, Integer> next = new TreeMap<>();
        for (int side = 0; side < groups.size(); side++) {
            for (String id : groups.get(side)) {
                server(id);
                if (next.put(id, side) != null) {
                    throw new IllegalArgumentException(id + " is on two sides of the partition");
                }
            }
        }
        if (!next.keySet().containsAll(servers.keySet())) {
            List<String> missing = new ArrayList<>(servers.keySet());
            missing.removeAll(next.keySet());
            throw new IllegalArgumentException("partition leaves out " + missing + ": name every server");
        }
        sides.clear();
        sides.putAll(next);
    }

    void heal() {
        sides.clear();
    }

    private boolean linked(String a, String b) {
        if (sides.isEmpty()) {
            return true;
        }
        Integer sa = sides.get(a);
        Integer sb = sides.get(b);
        return sa != null && sa.equals(sb) && sa >= 0;
    }

    static String describe(RaftMessage m) {
        return MessageFormat.route(m) + " " + MessageFormat.message(m);
    }

    /** The kind of a message as the trace names it: {@code App}, {@code VoteResp}, {@code PreVote}, ... */
    static String kind(RaftMessage m) {
        String text = MessageFormat.message(m);
        return text.substring(0, text.indexOf('('));
    }
}
