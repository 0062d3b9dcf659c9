package io.raftkv.fault;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Injects one fault at a time: quiet for {@code 0.5-1.5 s}, a random fault from the enabled kinds held for
 * {@code 1.5-4 s} (longer than the 0.5-1 s election timeout, so a paused or cut-off leader is replaced while it
 * cannot notice), then healed. Every fault is healed before the next one starts, and {@link #healAll} undoes
 * whatever may be left when the run ends. Runs on one thread.
 */
public final class Nemesis {
    private final ServerProcesses servers;
    private final Optional<IptablesPartitioner> partitioner;
    private final Optional<NodeDisks> disks;
    private final long diskReserveBytes;
    private final ClusterProbe probe;
    private final SplittableRandom random;
    private final List<FaultKind> kinds;
    private final Consumer<String> log;
    private final Map<FaultKind, Integer> counts = Collections.synchronizedMap(new EnumMap<>(FaultKind.class));
    private final List<String> timeline = Collections.synchronizedList(new ArrayList<>());
    /** What a disk fault's victim said about itself that was not true. */
    private final List<String> findings = Collections.synchronizedList(new ArrayList<>());
    private final long origin;
    private volatile int leaderPauses;
    private volatile long lastHealedAt;

    /**
     * @param kinds            the faults to choose from; PARTITION is dropped when {@code partitioner} is empty, the
     *                         disk faults when {@code disks} is
     * @param diskReserveBytes the servers' free-space reserve: a DISK_FULL leaves half of it free (the reserve
     *                         alarm), or nothing at all (a write finds no space)
     */
    public Nemesis(ServerProcesses servers, Optional<IptablesPartitioner> partitioner, Optional<NodeDisks> disks,
                   long diskReserveBytes, ClusterProbe probe, long seed, List<FaultKind> kinds, long origin,
                   Consumer<String> log) {
        this.servers = servers;
        this.partitioner = partitioner;
        this.disks = disks;
        this.diskReserveBytes = diskReserveBytes;
        this.probe = probe;
        this.random = new SplittableRandom(seed);
        this.kinds = kinds.stream().filter(k -> k != FaultKind.PARTITION || partitioner.isPresent())
                .filter(k -> (k != FaultKind.DISK_FULL && k != FaultKind.DISK_STALL) || disks.isPresent()).toList();
        this.origin = origin;
        this.log = log;
        this.lastHealedAt = System.nanoTime();
    }

    public List<FaultKind> kinds() {
        return kinds;
    }

    /** Injects and heals faults until {@code endNanos} (System.nanoTime), at most one round past it. */
    public void run(long endNanos) throws IOException, InterruptedException {
        if (kinds.isEmpty()) {
            return;
        }
        while (System.nanoTime() < endNanos - 1_000_000_000L && !Thread.currentThread().isInterrupted()) {
            Thread.sleep(500 + random.nextInt(1000));
            Fault fault = inject(kinds.get(random.nextInt(kinds.size())));
            Thread.sleep(1500 + random.nextInt(2500));
            heal(fault);
        }
    }

    Fault inject(FaultKind kind) throws IOException, InterruptedException {
        Optional<String> leader = probe.leader();
        List<String> ids = servers.ids();
        boolean hitLeader = leader.isPresent() && random.nextBoolean();
        String victim = hitLeader ? leader.get() : ids.get(random.nextInt(ids.size()));
        boolean victimLeads = leader.isPresent() && leader.get().equals(victim);
        Fault fault = switch (kind) {
            case KILL -> {
                servers.kill(victim);
                yield new Fault.Kill(victim, victimLeads);
            }
            case PAUSE -> {
                servers.pause(victim);
                if (victimLeads) {
                    leaderPauses++;
                }
                yield new Fault.Pause(victim, victimLeads);
            }
            case RESTART_ALL -> {
                for (String id : ids) {
                    servers.kill(id);
                }
                for (String id : ids) {
                    servers.start(id);
                }
                yield new Fault.RestartAll();
            }
            case PARTITION -> partition(leader, hitLeader);
            case DISK_FULL -> {
                long left = random.nextBoolean() ? diskReserveBytes / 2 : 0;
                disks.orElseThrow().fill(victim, left);
                yield new Fault.DiskFull(victim, victimLeads, left);
            }
            case DISK_STALL -> {
                boolean frozen = random.nextBoolean();
                if (frozen) {
                    disks.orElseThrow().freeze(victim);
                } else {
                    disks.orElseThrow().stallSyncs(victim);
                }
                yield new Fault.DiskStall(victim, victimLeads, frozen);
            }
        };
        counts.merge(kind, 1, Integer::sum);
        note(fault.describe());
        return fault;
    }

    /** A minority (1 of 3; 1 or 2 of 5) against the rest; with {@code isolateLeader} the old leader is in it. */
    private Fault partition(Optional<String> leader, boolean isolateLeader) throws IOException, InterruptedException {
        List<String> shuffled = new ArrayList<>(servers.ids());
        Collections.shuffle(shuffled, new java.util.Random(random.nextLong()));
        if (isolateLeader && leader.isPresent()) {
            shuffled.remove(leader.get());
            shuffled.add(0, leader.get());
        }
        int minoritySize = 1 + random.nextInt((shuffled.size() - 1) / 2);
        List<String> minority = List.copyOf(shuffled.subList(0, minoritySize));
        List<String> majority = List.copyOf(shuffled.subList(minoritySize, shuffled.size()));
        partitioner.orElseThrow().cut(hosts(minority), hosts(majority));
        return new Fault.Partition(minority, majority, leader.isPresent() && minority.contains(leader.get()));
    }

    private List<String> hosts(List<String> ids) {
        return ids.stream().map(id -> servers.node(id).host()).toList();
    }

    void heal(Fault fault) throws IOException, InterruptedException {
        checkHonesty(fault);
        if (fault instanceof Fault.Kill k) {
            servers.start(k.node());
        } else if (fault instanceof Fault.Pause p) {
            servers.resume(p.node());
        } else if (fault instanceof Fault.Partition) {
            partitioner.orElseThrow().heal();
        } else if (fault instanceof Fault.DiskFull f) {
            disks.orElseThrow().free(f.node());
        } else if (fault instanceof Fault.DiskStall f) {
            if (f.frozen()) {
                disks.orElseThrow().thaw(f.node());
            } else {
                disks.orElseThrow().releaseSyncs(f.node());
            }
        }
        // RestartAll restarted everything at once already.
        lastHealedAt = System.nanoTime();
        note("healed");
    }

    /**
     * Undoes everything: partitions removed, paused nodes resumed, stopped nodes started. Safe to call at any
     * time and more than once; returns when the last fault was healed (System.nanoTime).
     */
    public long healAll() throws IOException, InterruptedException {
        if (partitioner.isPresent()) {
            partitioner.get().heal();
        }
        if (disks.isPresent()) {
            disks.get().healAll(); // first: a process blocked on a frozen disk cannot even be killed
        }
        for (String id : servers.ids()) {
            servers.resume(id);
        }
        for (String id : servers.ids()) {
            if (!servers.isRunning(id)) {
                servers.start(id);
            }
        }
        lastHealedAt = System.nanoTime();
        return lastHealedAt;
    }

    /**
     * Just before a disk fault is healed, its victim's {@code /status} must tell the truth: a node whose disk was
     * filled below its reserve raises the {@code nospace} alarm, and a node whose disk is frozen never claims to
     * lead while another node leads in a later term.
     */
    private void checkHonesty(Fault fault) {
        if (fault instanceof Fault.DiskFull f) {
            Optional<com.fasterxml.jackson.databind.JsonNode> s = probe.statusBody(f.node());
            note(f.node() + " /status: " + s.map(j -> j.path("role").asText() + " alarms " + j.path("alarms"))
                    .orElse("no answer"));
            if (s.isPresent() && !s.get().path("alarms").toString().contains("\"nospace\"")) {
                findings.add(f.node() + "'s disk was filled to " + f.leftBytes() + " bytes free, but its /status raised"
                        + " no nospace alarm: " + s.get());
            }
        } else if (fault instanceof Fault.DiskStall f) {
            Optional<com.fasterxml.jackson.databind.JsonNode> s = probe.statusBody(f.node());
            note(f.node() + " /status: " + s.map(j -> j.path("role").asText() + " term " + j.path("term").asLong()
                    + " alarms " + j.path("alarms")).orElse("no answer"));
            Optional<String> leader = probe.leader();
            if (s.isPresent() && "leader".equals(s.get().path("role").asText()) && leader.isPresent()
                    && !leader.get().equals(f.node())) {
                findings.add(f.node() + " (disk frozen) claims to lead in term " + s.get().path("term").asLong()
                        + " while " + leader.get() + " leads in a later term");
            }
        }
    }

    /** Untrue statements of disk-fault victims about themselves (each a problem of the run). */
    public List<String> findings() {
        synchronized (findings) {
            return List.copyOf(findings);
        }
    }

    private void note(String what) {
        String line = String.format("%8.3f s  %s", (System.nanoTime() - origin) / 1e9, what);
        timeline.add(line);
        log.accept("nemesis " + line.trim());
    }

    public Map<FaultKind, Integer> counts() {
        synchronized (counts) {
            return new EnumMap<>(counts);
        }
    }

    /** How many times the paused node was the leader: beyond the lease's drift bound, each time. */
    public int leaderPauses() {
        return leaderPauses;
    }

    public List<String> timeline() {
        synchronized (timeline) {
            return List.copyOf(timeline);
        }
    }
}
