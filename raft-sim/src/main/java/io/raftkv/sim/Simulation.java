package io.raftkv.sim;

import io.raftkv.core.Role;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.RaftMessage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One deterministic run of a {@link Schedule}: a single thread pops events from a queue ordered by
 * (time, sequence number) — node ticks, message deliveries, faults, client proposals — and after each one the
 * {@link InvariantChecker} has seen every change. No wall clock, no threads, no hash-order iteration: the same
 * schedule gives the same run, byte for byte.
 */
public final class Simulation {

    /** Time units per tick. Message delays and event phases are finer than a tick so that events interleave. */
    public static final int TICK = 10;

    /** A run that generates this many events without ending is itself a failure (a livelock or a bug). */
    private static final long MAX_EVENTS = 5_000_000;

    private final SimConfig config;
    private final Schedule schedule;
    private final Tracer tracer;
    private final SimEvents events;
    private final InvariantChecker checker = new InvariantChecker();
    private final EventQueue queue = new EventQueue();
    private final List<SimNode> nodes = new ArrayList<>();
    private final SimNetwork network;
    private final FaultInjector faults;
    private final ClientWorkload client;
    /** Session clients (thesis §6.3), or null when the config has none. */
    private final SessionClients sessions;
    private final ReadChecker reads;
    private final SplittableRandom random;
    private final long nodeSeedBase;
    private final Random crashRandom;
    private final Configuration bootstrap;
    private long now;
    private boolean healed;
    /** The test's own workload for this run, or null for the built-in {@code c1, c2, …}. */
    private final WorkloadRun workload;

    public Simulation(SimConfig config, Schedule schedule, boolean trace) {
        this(config, schedule, trace, false, null);
    }

    /** With {@code events}, also records the run's events for {@link #writeEvents} (the cluster view's replay). */
    public Simulation(SimConfig config, Schedule schedule, boolean trace, boolean events) {
        this(config, schedule, trace, events, null);
    }

    /** A run whose clients send {@code workload}'s commands and queries (null: the built-in {@code c1, c2, …}). */
    public Simulation(SimConfig config, Schedule schedule, boolean trace, Workload workload) {
        this(config, schedule, trace, false, workload);
    }

    /** Both: a workload's run with its events recorded. */
    public Simulation(SimConfig config, Schedule schedule, boolean trace, boolean events, Workload workload) {
        if (config.nodes() != schedule.nodes()) {
            throw new IllegalArgumentException("config has " + config.nodes() + " nodes, schedule " + schedule.nodes());
        }
        SimConfig effective = schedule.flowControl() == null ? config : config.withRaftOptions(config.raftOptions()
                .withMaxAppendBytes(schedule.flowControl().maxAppendBytes())
                .withInflight(schedule.flowControl().maxInflightMessages(), config.raftOptions().maxInflightBytes()));
        if (schedule.membership() != null && !schedule.membership().autoPromote()) {
            effective = effective.withRaftOptions(effective.raftOptions()
                    .withAutoPromoteLearners(false, effective.raftOptions().promoteLagEntries()));
        }
        this.config = effective;
        this.schedule = schedule;
        this.tracer = trace ? Tracer.enabled() : Tracer.disabled();
        this.events = new SimEvents(this, events);
        // Independent streams per concern, all from the seed: the fault schedule is generated from the seed
        // separately, so dropping a fault while shrinking does not change how the generator drew the others.
        SplittableRandom root = new SplittableRandom(schedule.seed());
        this.random = root.split();
        int servers = config.nodes() + schedule.spares();
        this.network = new SimNetwork(ids(servers), schedule.initialNetwork(), root.split());
        SplittableRandom clientRandom = root.split();
        this.reads = new ReadChecker(this);
        this.nodeSeedBase = root.nextLong();
        this.crashRandom = new Random(root.nextLong());
        // Drawn last, so that every stream drawn before keeps the values it had before forwarding existed.
        this.client = new ClientWorkload(this, nodes, config, clientRandom, new SplittableRandom(root.nextLong()));
        // Session clients draw from a stream of their own, derived from the seed but not from the root: runs
        // without sessions keep every draw they had before sessions existed.
        this.sessions = config.sessions() == null ? null : new SessionClients(this, nodes, config.sessions(),
                new SplittableRandom(schedule.seed() ^ 0x510E527FADE682D1L));
        this.bootstrap = Configuration.ofVoterIds(ids(config.nodes()).toArray(new String[0]));
        for (int i = 0; i < servers; i++) {
            // Spares start with no configuration: they know no peers and never campaign until a leader adds them.
            nodes.add(new SimNode(this, "n" + (i + 1), i, i < config.nodes() ? bootstrap : Configuration.EMPTY));
        }
        this.faults = new FaultInjector(this, Collections.unmodifiableList(nodes), network);
        // Split last: every stream above is the one the seed gives without a workload.
        this.workload = workload == null ? null : new WorkloadRun(this, workload, root.split());
    }

    static List<String> ids(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            ids.add("n" + i);
        }
        return ids;
    }

    /** Runs to the end: liveness established after the heal, the hard stop, or the first violation. */
    public SimResult run() {
        InvariantViolation violation = null;
        try {
            runLoop();
        } catch (InvariantViolation v) {
            violation = v;
        } catch (RuntimeException | StackOverflowError e) {
            // RaftNode (or the state machine) threw: that is a bug too, reported with where it happened.
            violation = new InvariantViolation(Invariant.CORE_CONTRACT, now, "exception: " + e, e);
        }
        violation = finishNodes(violation);
        tallyAccepted();
        if (violation != null && tracer.on()) {
            tracer.system(now, "checker", "VIOLATION " + violation.getMessage());
        }
        if (violation != null) {
            events.violation(violation.getMessage());
        }
        SimStats stats = new SimStats(checker.elections(), checker.maxCommitted(), faults.injected(),
                network.delivered(), network.dropped(), client.accepted(), reads.served(), now / TICK,
                checker.jointCommitted());
        return new SimResult(schedule, violation, stats, tracer.text());
    }

    /** Compares the live nodes' digests where they stand (if the run passed so far) and closes state machines. */
    private InvariantViolation finishNodes(InvariantViolation violation) {
        for (SimNode n : nodes) {
            try {
                if (violation == null) {
                    n.finish();
                } else {
                    n.closeStateMachine();
                }
            } catch (InvariantViolation v) {
                violation = v;
                n.closeStateMachine();
            } catch (RuntimeException e) {
                violation = violation != null ? violation
                        : new InvariantViolation(Invariant.CORE_CONTRACT, now, "exception: " + e, e);
            }
        }
        return violation;
    }

    /** What this run's workload exercised, or null without one. */
    public WorkloadTally workloadTally() {
        return workload == null ? null : workload.tally();
    }

    /** Called once at the end of the run. */
    private void tallyAccepted() {
        if (workload != null) {
            workload.tally().countProposed(client.accepted());
        }
    }

    private void runLoop() {
        for (SimNode n : nodes) {
            n.start();
            // Each node ticks at its own phase within the tick: clocks are not in lockstep.
            queue.schedule(1 + random.nextInt(TICK), new SimEvent.Tick(n.index));
        }
        for (ScheduledFault f : schedule.faults()) {
            if (f.tick() < schedule.faultTicks()) {
                queue.schedule(f.tick() * TICK + TICK / 2, new SimEvent.Inject(f));
            }
        }
        if (sessions != null) {
            for (int c = 0; c < sessions.clients(); c++) {
                queue.schedule(sessions.nextGap(), new SimEvent.SessionStep(c));
            }
        }
        long first = client.firstProposalTime();
        if (first >= 0) {
            queue.schedule(first, new SimEvent.Propose());
        }
        queue.schedule(schedule.faultTicks() * TICK, new SimEvent.Heal());
        long stopAt = schedule.maxTicks() == Long.MAX_VALUE ? Long.MAX_VALUE : schedule.maxTicks() * TICK;
        long events = 0;
        while (!queue.isEmpty() && !client.done()) {
            EventQueue.Scheduled next = queue.poll();
            if (next.time() > stopAt) {
                break;
            }
            if (++events > MAX_EVENTS) {
                throw violation(Invariant.CORE_CONTRACT, "run did not end after " + MAX_EVENTS + " events");
            }
            now = next.time();
            checker.at(now);
            dispatch(next.event());
            if (healed) {
                long propose = client.afterStep();
                if (propose >= 0) {
                    queue.schedule(now + propose, new SimEvent.Propose());
                }
            }
        }
    }

    private void dispatch(SimEvent event) {
        if (event instanceof SimEvent.Tick t) {
            SimNode n = nodes.get(t.node());
            if (n.isUp()) {
                n.tick();
            }
            queue.schedule(now + TICK, event);
        } else if (event instanceof SimEvent.Deliver d) {
            deliver(d);
        } else if (event instanceof SimEvent.Inject i) {
            if (!healed) { // a triggered fault may come due after the heal: faults are over by then
                faults.inject(i.fault());
            }
        } else if (event instanceof SimEvent.Propose) {
            long next = client.onPropose();
            if (next >= 0 && (healed || now + next < schedule.faultTicks() * TICK)) {
                queue.schedule(now + next, event);
            }
        } else if (event instanceof SimEvent.SessionStep step) {
            if (!healed) { // the clients stop with the faults; liveness is the plain client's to check
                sessions.step(step.client());
                queue.schedule(now + sessions.nextGap(), event);
            }
        } else if (event instanceof SimEvent.Heal) {
            heal();
        } else {
            throw new IllegalStateException("unknown event " + event);
        }
    }

    private void heal() {
        healed = true;
        faults.disarm();
        network.heal();
        network.setQuality(NetworkQuality.HEALTHY);
        if (tracer.on()) {
            tracer.system(now, "fault", "end of faults: heal network, restart crashed nodes; liveness checks start");
        }
        events.fault("end of faults: heal network, restart crashed nodes", network);
        for (SimNode n : nodes) {
            if (n.isUp()) {
                n.strikeArmedCrash();
            }
            if (!n.isUp()) {
                n.start();
            }
        }
        client.onHeal();
    }

    private void deliver(SimEvent.Deliver d) {
        RaftMessage m = d.message();
        SimNode to = nodes.get(network.indexOf(m.to()));
        String reason = !to.isUp() ? "receiver down"
                : network.isBlocked(network.indexOf(m.from()), to.index) ? "partitioned in flight" : null;
        if (reason != null) {
            network.countDropped();
            if (tracer.on()) {
                tracer.system(now, "net", "drop " + MessageFormat.route(m) + " " + MessageFormat.message(m) + " (" + reason + ")");
            }
            events.droppedInFlight(m, reason);
            return;
        }
        network.countDelivered();
        to.receive(m);
    }

    // ------------------------------------------------------------------------------- services for SimNode

    /** Called by a node's driver for each message it sends. */
    void send(SimNode from, RaftMessage m) {
        int toIndex;
        try {
            toIndex = network.indexOf(m.to());
        } catch (IllegalArgumentException e) {
            throw violation(Invariant.CORE_CONTRACT, from.id + " sent to unknown node " + m.to());
        }
        if (toIndex == from.index) {
            throw violation(Invariant.CORE_CONTRACT, from.id + " sent a message to itself: " + MessageFormat.message(m));
        }
        String reason = network.dropReason(m);
        if (tracer.on()) {
            tracer.node(now, from.id, from.role(), from.raft().currentTerm(), "send " + MessageFormat.route(m) + " "
                    + MessageFormat.message(m) + (reason == null ? "" : " DROPPED (" + reason + ")"));
        }
        events.sent(from.id, m, reason);
        if (reason != null) {
            network.countDropped();
            return;
        }
        queue.schedule(now + network.delay(), new SimEvent.Deliver(m, false));
        if (network.duplicate()) {
            long at = now + network.delay();
            if (tracer.on()) {
                tracer.system(now, "net", "duplicate " + MessageFormat.route(m) + " arrives again at " + Tracer.formatTime(at));
            }
            queue.schedule(at, new SimEvent.Deliver(m, true));
        }
    }

    /** Schedules a triggered fault (see {@link Fault.AfterNextElection}); it fires as a fault of its own. */
    void scheduleFault(long delay, Fault fault) {
        queue.schedule(now + delay, new SimEvent.Inject(new ScheduledFault(-1, (now + delay) / TICK, fault)));
    }

    /** Called by a node's driver when, as leader, it advances its commit index. */
    void onLeaderCommit(SimNode leader) {
        faults.onLeaderCommit(leader);
    }

    /** Called by a node's driver when it becomes leader. */
    void onNewLeader(SimNode leader) {
        faults.onNewLeader(leader);
    }

    /** The live leader with the highest term (ties broken by node order), or null. */
    SimNode leader() {
        SimNode best = null;
        for (SimNode n : nodes) {
            if (n.isUp() && n.role() == Role.LEADER && (best == null || n.raft().currentTerm() > best.raft().currentTerm())) {
                best = n;
            }
        }
        return best;
    }

    /** Live leaders by term, for Leader Completeness checks on leaders in office. */
    TreeMap<Long, InvariantChecker.LeaderLog> leaders() {
        TreeMap<Long, InvariantChecker.LeaderLog> out = new TreeMap<>();
        for (SimNode n : nodes) {
            if (n.isUp() && n.role() == Role.LEADER) {
                out.put(n.raft().currentTerm(), new InvariantChecker.LeaderLog(n.id, n));
            }
        }
        return out;
    }

    long nodeSeed(int index, int incarnation) {
        return nodeSeedBase ^ (0x9E3779B97F4A7C15L * (index + 1)) ^ (0xC2B2AE3D27D4EB4FL * (incarnation + 1));
    }

    /** The configuration the cluster was bootstrapped with: what precedes the first configuration entry of any log. */
    Configuration bootstrap() {
        return bootstrap;
    }

    /** The snapshot policy of this run, or null if nodes never snapshot. */
    Schedule.Snapshots snapshots() {
        return schedule.snapshots();
    }

    Random crashRandom() {
        return crashRandom;
    }

    InvariantViolation violation(Invariant invariant, String message) {
        return new InvariantViolation(invariant, now, message);
    }

    long now() {
        return now;
    }

    Tracer tracer() {
        return tracer;
    }

    SimEvents events() {
        return events;
    }

    /** Writes the recorded events (see {@link SimEvents}) of this finished run to {@code file}. */
    public void writeEvents(java.nio.file.Path file, SimResult result) throws java.io.IOException {
        if (!events.on()) {
            throw new IllegalStateException("this simulation did not record events");
        }
        events.writeTo(file, schedule, result);
    }

    ReadChecker reads() {
        return reads;
    }

    /** The test's workload in this run, or null. */
    WorkloadRun workload() {
        return workload;
    }

    InvariantChecker checker() {
        return checker;
    }

    /** The session clients, or null. */
    SessionClients sessions() {
        return sessions;
    }

    SimConfig config() {
        return config;
    }
}
