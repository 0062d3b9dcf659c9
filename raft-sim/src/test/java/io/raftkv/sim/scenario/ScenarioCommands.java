package io.raftkv.sim.scenario;

import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.message.RaftMessage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Runs scenario commands, one line at a time, against a {@link ScenarioCluster}; the commands are listed in
 * raft-sim/README.md ("Scenario tests"). The first command must be {@code cluster}. A malformed command throws
 * {@link IllegalArgumentException}, which the runner reports with the file and line.
 */
final class ScenarioCommands {

    /** Message kinds a filter may name: the names the trace gives them (see {@code MessageFormat}). */
    static final Set<String> KINDS = Set.of("App", "AppResp", "Vote", "VoteResp", "PreVote", "PreVoteResp", "Snap",
            "SnapResp", "TimeoutNow", "ReadIndex", "ReadIndexResp", "Forward", "ForwardResp");

    private ScenarioCluster cluster;
    private RaftOptions.UnsafeMutation mutation = RaftOptions.UnsafeMutation.NONE;

    /**
     * Runs one command and returns its output. {@code quiet <command>} runs the command and prints nothing: for the
     * set-up a scenario is not about (follow it with {@code status} or {@code log} to show where it left things).
     */
    List<String> run(String line) {
        List<String> words = new ArrayList<>(Arrays.asList(line.trim().split("\\s+")));
        boolean quiet = words.get(0).equals("quiet") && words.size() > 1;
        if (quiet) {
            words.remove(0);
        }
        String command = words.remove(0);
        if (command.equals("cluster")) {
            cluster(words);
        } else if (cluster == null) {
            throw new IllegalArgumentException("the first command must be 'cluster'");
        } else {
            dispatch(command, words);
        }
        List<String> output = cluster.transcript().take();
        return quiet ? List.of() : output;
    }

    /** The safety violations the scenario showed. */
    List<String> violations() {
        return cluster == null ? List.of() : cluster.safety().violations();
    }

    /** True if the scenario runs with a deliberate bug ({@code cluster ... mutation=...}). */
    boolean mutated() {
        return mutation != RaftOptions.UnsafeMutation.NONE;
    }

    private void dispatch(String command, List<String> args) {
        switch (command) {
            case "add-node" -> cluster.addServer(single(command, args));
            case "tick" -> tick(args, false);
            case "elapse" -> tick(args, true);
            case "campaign" -> cluster.up(single(command, args)).campaign();
            case "propose" -> {
                requireAtLeast(command, args, 2, "propose <server> <command>...");
                cluster.up(args.get(0)).propose(args.subList(1, args.size()));
            }
            case "forward" -> {
                requireAtLeast(command, args, 2, "forward <server> <command>...");
                cluster.up(args.get(0)).forward(args.subList(1, args.size()));
            }
            case "deliver" -> cluster.deliver(filter(args), false);
            case "stabilize" -> cluster.deliver(filter(args), true);
            case "drop" -> cluster.drop(filter(args));
            case "duplicate" -> cluster.duplicate(filter(args));
            case "queue" -> {
                none(command, args);
                cluster.printQueue();
            }
            case "partition" -> cluster.partition(sides(args));
            case "isolate" -> isolate(single(command, args));
            case "heal" -> {
                none(command, args);
                cluster.heal();
            }
            case "crash" -> cluster.up(single(command, args)).crash();
            case "restart" -> restart(single(command, args));
            case "read-index" -> readIndex(args);
            case "lease" -> cluster.up(single(command, args)).leaseRead(cluster.nextReadId());
            case "transfer" -> {
                requireAtLeast(command, args, 1, "transfer <leader> [target]");
                cluster.up(args.get(0)).transferLeadership(args.size() > 1 ? args.get(1) : null);
            }
            case "add-learner" -> change(command, args, id -> new MembershipChange.AddLearner(id, ""));
            case "add-voter" -> change(command, args, id -> new MembershipChange.AddVoter(id, ""));
            case "promote" -> change(command, args, MembershipChange.Promote::new);
            case "remove" -> change(command, args, MembershipChange.Remove::new);
            case "compact" -> compact(args);
            case "status" -> servers(args).forEach(s -> s.status(cluster.transcript()));
            case "log" -> servers(args).forEach(s -> s.printLog(cluster.transcript()));
            default -> throw new IllegalArgumentException("unknown command '" + command + "'");
        }
    }

    /** {@code cluster n1 n2 n3 [prevote=false] [checkquorum=false] [election=10] ...}: the voters and the options. */
    private void cluster(List<String> args) {
        if (cluster != null) {
            throw new IllegalArgumentException("'cluster' may appear once, first");
        }
        RaftOptions.Builder options = RaftOptions.builder();
        List<String> voters = new ArrayList<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 0) {
                voters.add(a);
                continue;
            }
            String key = a.substring(0, eq);
            String value = a.substring(eq + 1);
            switch (key) {
                case "prevote" -> options.preVote(bool(a, value));
                case "checkquorum" -> options.checkQuorum(bool(a, value));
                case "election" -> options.electionTimeoutTicks(Integer.parseInt(value));
                case "heartbeat" -> options.heartbeatTicks(Integer.parseInt(value));
                case "max-append-bytes" -> options.maxAppendBytes(Long.parseLong(value));
                case "max-inflight" -> options.maxInflightMessages(Integer.parseInt(value));
                case "lease-drift" -> options.leaseDriftTicks(Integer.parseInt(value));
                case "auto-promote" -> options.autoPromoteLearners(bool(a, value));
                case "promote-lag" -> options.promoteLagEntries(Long.parseLong(value));
                case "mutation" -> {
                    mutation = RaftOptions.UnsafeMutation.valueOf(value);
                    options.unsafeMutation(mutation);
                }
                default -> throw new IllegalArgumentException("unknown cluster option '" + key + "'");
            }
        }
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("cluster <server>... [option=value]...");
        }
        cluster = new ScenarioCluster(options.build(), voters);
        for (ScenarioServer s : cluster.servers()) {
            cluster.transcript().node(s.id, "voter, election timeout " + s.electionTimeoutTicks() + " ticks");
        }
    }

    /**
     * {@code tick [server...] [count]}: every named (default: every running) server ticks, {@code count} times; the
     * messages this sends stay queued. {@code elapse} is the same, but delivers everything after each round of ticks
     * (until the network is quiet): time passing in a healthy network.
     */
    private void tick(List<String> args, boolean stabilizeAfterEach) {
        int count = 1;
        List<String> named = new ArrayList<>();
        for (String a : args) {
            if (a.chars().allMatch(Character::isDigit)) {
                count = Integer.parseInt(a);
            } else {
                cluster.server(a);
                named.add(a);
            }
        }
        for (int round = 1; round <= count; round++) {
            Runnable tickAll = () -> {
                for (ScenarioServer s : cluster.servers()) {
                    if (s.isUp() && (named.isEmpty() || named.contains(s.id))) {
                        s.tick();
                    }
                }
                if (stabilizeAfterEach) {
                    cluster.deliver(m -> true, true);
                }
            };
            if (count == 1) {
                tickAll.run();
            } else {
                cluster.transcript().nestedIfAny("[tick " + round + "]", tickAll);
            }
        }
    }

    /** {@code read-index <server> [count]}: count reads in one turn, which share one heartbeat round (thesis §6.4). */
    private void readIndex(List<String> args) {
        if (args.isEmpty() || args.size() > 2) {
            throw new IllegalArgumentException("read-index <server> [count]");
        }
        int count = args.size() == 2 ? Integer.parseInt(args.get(1)) : 1;
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(cluster.nextReadId());
        }
        cluster.up(args.get(0)).readIndex(ids);
    }

    private void isolate(String id) {
        List<String> rest = new ArrayList<>();
        cluster.servers().forEach(s -> rest.add(s.id));
        if (!rest.remove(cluster.server(id).id)) {
            throw new IllegalArgumentException("no server " + id);
        }
        cluster.partition(List.of(List.of(id), rest));
    }

    private void restart(String id) {
        ScenarioServer s = cluster.server(id);
        if (s.isUp()) {
            throw new IllegalArgumentException(id + " is running: crash it first");
        }
        s.restart();
    }

    private void change(String command, List<String> args, java.util.function.Function<String, MembershipChange> change) {
        if (args.size() != 2) {
            throw new IllegalArgumentException(command + " <leader> <server>");
        }
        cluster.up(args.get(0)).changeMembership(command, change.apply(args.get(1)));
    }

    /** {@code compact <server> [keep=N]}: snapshot at the applied index, keep N entries before it in the log. */
    private void compact(List<String> args) {
        requireAtLeast("compact", args, 1, "compact <server> [keep=N]");
        long keep = 0;
        for (String a : args.subList(1, args.size())) {
            if (!a.startsWith("keep=")) {
                throw new IllegalArgumentException("compact <server> [keep=N], got '" + a + "'");
            }
            keep = Long.parseLong(a.substring("keep=".length()));
        }
        cluster.up(args.get(0)).compact(keep);
    }

    private List<ScenarioServer> servers(List<String> ids) {
        if (ids.isEmpty()) {
            return new ArrayList<>(cluster.servers());
        }
        return ids.stream().map(cluster::server).toList();
    }

    /** {@code partition n1 n2 | n3 n4 n5}. */
    private static List<List<String>> sides(List<String> args) {
        List<List<String>> sides = new ArrayList<>();
        List<String> side = new ArrayList<>();
        for (String a : args) {
            if (a.equals("|")) {
                sides.add(side);
                side = new ArrayList<>();
            } else {
                side.add(a);
            }
        }
        sides.add(side);
        if (sides.size() < 2 || sides.stream().anyMatch(List::isEmpty)) {
            throw new IllegalArgumentException("partition <server>... | <server>... [| ...]");
        }
        return sides;
    }

    /**
     * Message filter: routes ({@code n1->n2}, {@code n1->*}, {@code *->n2}) and kinds ({@code App}, {@code Vote},
     * ...). A message matches if it matches one of the routes (or none is given) and one of the kinds (or none is
     * given).
     */
    static Predicate<RaftMessage> filter(List<String> args) {
        List<String[]> routes = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        for (String a : args) {
            int arrow = a.indexOf("->");
            if (arrow >= 0) {
                routes.add(new String[] {a.substring(0, arrow), a.substring(arrow + 2)});
            } else if (KINDS.contains(a)) {
                kinds.add(a);
            } else {
                throw new IllegalArgumentException("'" + a + "' is neither a route (n1->n2, n1->*, *->n2) nor a message kind "
                        + new java.util.TreeSet<>(KINDS));
            }
        }
        return m -> (routes.isEmpty() || routes.stream().anyMatch(r -> matches(r[0], m.from()) && matches(r[1], m.to())))
                && (kinds.isEmpty() || kinds.contains(ScenarioCluster.kind(m)));
    }

    private static boolean matches(String pattern, String id) {
        return pattern.equals("*") || pattern.equals(id);
    }

    private static boolean bool(String arg, String value) {
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(arg + ": expected true or false");
        }
        return Boolean.parseBoolean(value);
    }

    private static String single(String command, List<String> args) {
        if (args.size() != 1) {
            throw new IllegalArgumentException(command + " <server>");
        }
        return args.get(0);
    }

    private static void none(String command, List<String> args) {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException(command + " takes no arguments");
        }
    }

    private static void requireAtLeast(String command, List<String> args, int n, String usage) {
        if (args.size() < n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }
}
