package io.raftkv.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Generates a fault schedule from a seed. Each schedule draws its own "temperament" — how often faults come, how
 * lossy the network is — so that a batch of seeds covers calm runs and violent ones. The mix is aimed at what
 * breaks Raft implementations: crashing the <em>current leader</em> (often mid-persist, losing unsynced entries)
 * and bringing it back while entries are partially replicated (the Figure 8 scenario of §5.4.2), isolating the
 * leader, minority/majority and one-way partitions, and bursts of loss, duplication and reordering.
 */
public final class ScheduleGenerator {

    /** Relative weight of each fault kind (RESTART and HEAL_NETWORK also follow crashes and partitions). */
    private static final int[] MIXED = weights(30, 5, 18, 14, 10, 8, 15);

    /**
     * Leader churn: the leader is isolated or crashed every few ticks and comes back soon, so that terms pile up
     * with partially replicated tails — the Figure 8 shape (§5.4.2) and stale candidates (§5.4.1).
     */
    private static final int[] CHURN = weights(25, 10, 5, 40, 0, 20, 0);

    private static int[] weights(int crash, int restart, int partition, int isolateLeader, int blockLink, int heal,
                                 int linkQuality) {
        int[] w = new int[FaultKind.values().length];
        w[FaultKind.CRASH.ordinal()] = crash;
        w[FaultKind.RESTART.ordinal()] = restart;
        w[FaultKind.PARTITION.ordinal()] = partition;
        w[FaultKind.ISOLATE_LEADER.ordinal()] = isolateLeader;
        w[FaultKind.BLOCK_LINK.ordinal()] = blockLink;
        w[FaultKind.HEAL_NETWORK.ordinal()] = heal;
        w[FaultKind.LINK_QUALITY.ordinal()] = linkQuality;
        return w;
    }

    private final SimConfig config;

    public ScheduleGenerator(SimConfig config) {
        this.config = config;
    }

    public Schedule generate(long seed) {
        // A stream of its own (not the run's), so the schedule for a seed never depends on how the run goes.
        SplittableRandom r = new SplittableRandom(seed ^ 0x6A09E667F3BCC909L);
        int n = config.nodes();
        List<String> ids = Simulation.ids(n);
        long faultTicks = config.minFaultTicks() + r.nextInt(config.maxFaultTicks() - config.minFaultTicks() + 1);
        NetworkQuality initial = r.nextInt(3) == 0 ? NetworkQuality.HEALTHY : randomQuality(r, 0.1);
        int profile = r.nextInt(6);
        boolean figure8 = profile == 0;
        boolean churn = profile == 1 || figure8;
        int[] weights = churn ? CHURN : MIXED;
        // Some schedules replicate in small batches with a short pipeline (see Schedule.FlowControl).
        Schedule.FlowControl flowControl = !churn && r.nextInt(3) != 0 ? null
                : new Schedule.FlowControl(30 + r.nextInt(100), 1 + r.nextInt(4));
        // Mean ticks between faults: from a storm (every 3 ticks) to a drizzle (every 30).
        int meanGap = churn ? 3 + r.nextInt(8) : 3 + r.nextInt(28);
        List<Pending> out = new ArrayList<>();
        long t = 5 + r.nextInt(20);
        while (t < faultTicks - 2 && out.size() < 200) {
            if (figure8) {
                // Episodes one after another, each given time to play out; nothing else interferes.
                figure8Episode(r, out, t, n);
                t += 80 + r.nextInt(30);
                continue;
            }
            FaultKind kind = pick(r, weights);
            switch (kind) {
                case CRASH -> {
                    Fault.Target target = r.nextInt(10) < 6 ? new Fault.Target.Leader()
                            : new Fault.Target.Node(ids.get(r.nextInt(n)));
                    Fault.CrashPoint point = Fault.CrashPoint.values()[r.nextInt(Fault.CrashPoint.values().length)];
                    Fault crash = new Fault.Crash(target, point);
                    if (churn && target instanceof Fault.Target.Leader && r.nextBoolean()) {
                        crash = new Fault.AfterNextElection(r.nextInt(3 * Simulation.TICK), crash);
                    }
                    out.add(new Pending(t, crash));
                    if (r.nextInt(10) < 8) {
                        // Mostly quick restarts: a leader that comes back with a partially replicated tail is what
                        // makes a stale entry reappear in a later term (Figure 8).
                        long back = t + 1 + (r.nextInt(3) == 0 ? r.nextInt(60) : r.nextInt(15));
                        out.add(new Pending(back, new Fault.Restart()));
                    }
                }
                case RESTART -> out.add(new Pending(t, new Fault.Restart()));
                case PARTITION -> {
                    TreeSet<String> side = new TreeSet<>();
                    int size = 1 + r.nextInt(Math.max(1, n / 2));
                    while (side.size() < size) {
                        side.add(ids.get(r.nextInt(n)));
                    }
                    out.add(new Pending(t, new Fault.Partition(side)));
                    maybeHeal(r, out, t);
                }
                case ISOLATE_LEADER -> {
                    out.add(new Pending(t, churn && r.nextBoolean()
                            ? new Fault.AfterNextElection(r.nextInt(3 * Simulation.TICK), new Fault.IsolateLeader())
                            : new Fault.IsolateLeader()));
                    maybeHeal(r, out, t);
                }
                case BLOCK_LINK -> {
                    int from = r.nextInt(n);
                    int to = (from + 1 + r.nextInt(Math.max(1, n - 1))) % n;
                    if (from != to) {
                        out.add(new Pending(t, new Fault.BlockLink(ids.get(from), ids.get(to))));
                        maybeHeal(r, out, t);
                    }
                }
                case HEAL_NETWORK -> out.add(new Pending(t, new Fault.HealNetwork()));
                case LINK_QUALITY -> out.add(new Pending(t, new Fault.LinkQuality(randomQuality(r, 0.5))));
            }
            t += 1 + r.nextInt(2 * meanGap);
        }
        // Membership changes and leadership transfers come from a stream of their own, so that the schedules
        // without them (3 in 4, and every Figure 8 one) are exactly what they were before they existed.
        SplittableRandom m = new SplittableRandom(seed ^ 0xBB67AE8584CAA73BL);
        Schedule.Membership membership = null;
        if (!figure8 && m.nextInt(4) == 0) {
            int spares = 1 + m.nextInt(2);
            // A third of them promote learners only when told to (Promote faults), not automatically.
            boolean autoPromote = new SplittableRandom(seed ^ 0xA54FF53A5F1D36F1L).nextInt(3) != 0;
            membership = new Schedule.Membership(spares, autoPromote);
            membershipChanges(m, out, faultTicks, Simulation.ids(n + spares), spares);
        }
        // Snapshots (§7), again from a stream of their own: 1 in 3 schedules other than Figure 8 compact their logs,
        // so that restarts come from snapshots and lagging or new followers need InstallSnapshot.
        SplittableRandom c = new SplittableRandom(seed ^ 0x3C6EF372FE94F82BL);
        Schedule.Snapshots snapshots = figure8 || c.nextInt(3) != 0 ? null
                : new Schedule.Snapshots(20 + c.nextInt(61), c.nextInt(30), 16 + c.nextInt(400));
        out.removeIf(p -> p.tick >= faultTicks);
        // Stable sort: faults generated for the same tick keep their generation order.
        out.sort(Comparator.comparingLong(Pending::tick));
        List<ScheduledFault> faults = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            faults.add(new ScheduledFault(i, out.get(i).tick, out.get(i).fault));
        }
        return new Schedule(seed, n, initial, faults, faultTicks, Long.MAX_VALUE, flowControl, membership, snapshots);
    }

    private record Pending(long tick, Fault fault) {
    }

    /**
     * Figure 8 of the paper (§5.4.2) as a chain of triggers, for an n-node cluster:
     * <ol>
     *   <li>the leader is cut off with a minority of followers, where it keeps appending client entries of its
     *       term (S1 and S2 in the figure hold index 2 of term 2);</li>
     *   <li>right after the majority elects a new leader (S5, term 3), the network heals but that leader is
     *       isolated at once, before its no-op reaches anyone (index 2 of term 3 on S5 only);</li>
     *   <li>the next leader (S1, term 4) brings followers up to date — in small batches, so an entry of term 2
     *       can reach a majority before its own no-op does; right after its first commit the network heals, and
     *       it is cut off and crashes, so S5 can campaign among followers that never saw the term-4 no-op (with
     *       Raft's rule that first commit includes the no-op, so a majority holds it and S5 cannot win);</li>
     *   <li>the crashed leader restarts once someone else has been elected.</li>
     * </ol>
     * With Raft's rule the term-2 entry is not committed at step 3 and S5 may legitimately overwrite it; with
     * commit-by-counting it is, and S5 winning breaks Leader Completeness.
     */
    private static void figure8Episode(SplittableRandom r, List<Pending> out, long t, int nodes) {
        // The crash also cuts the leader off, so what it sent last dies on the wire with it: no follower receives
        // the no-op after the leader is gone. The crashed leader restarts once someone else has been elected.
        Fault restartLater = new Fault.AfterNextElection((10 + r.nextInt(20)) * (long) Simulation.TICK,
                new Fault.Steps(List.of(new Fault.HealNetwork(), new Fault.Restart())));
        Fault crashAfterFirstCommit = new Fault.AfterNextCommit(r.nextInt(3), new Fault.Steps(List.of(
                new Fault.HealNetwork(), new Fault.IsolateLeader(),
                new Fault.Crash(new Fault.Target.Leader(), Fault.CrashPoint.CLEAN), restartLater)));
        Fault isolateNextLeader = new Fault.AfterNextElection(r.nextInt(3), new Fault.Steps(List.of(
                new Fault.HealNetwork(), new Fault.IsolateLeader(), crashAfterFirstCommit)));
        out.add(new Pending(t, new Fault.Steps(List.of(new Fault.IsolateLeader((nodes - 1) / 2 - 1), isolateNextLeader))));
    }

    /**
     * Single-server membership changes (thesis §4.1) and leadership transfers (§3.10) mixed into the other
     * faults: spares join as learners (and are auto-promoted once caught up, or promoted explicitly), members
     * — the leader too (§4.2.2) — are removed and may come back later, and leadership moves to a chosen voter or
     * to whoever is most caught up. Targets are drawn from every server; a change that does not apply when it
     * fires is rejected by the leader and does nothing.
     */
    private static void membershipChanges(SplittableRandom m, List<Pending> out, long faultTicks, List<String> all,
                                          int spares) {
        long t = 10 + m.nextInt(20);
        while (t < faultTicks - 2) {
            Fault.Target any = new Fault.Target.Node(all.get(m.nextInt(all.size())));
            int kind = m.nextInt(12);
            if (kind >= 9) {
                jointChange(m, out, t, all);
                t += 5 + m.nextInt(30);
                continue;
            }
            Fault f = switch (kind) {
                // Mostly a spare (never a member yet); else anyone, e.g. a server removed earlier.
                case 0, 1, 2 -> new Fault.ChangeMembership(Fault.Change.ADD_LEARNER, m.nextInt(3) == 0 ? any
                        : new Fault.Target.Node(all.get(all.size() - spares + m.nextInt(spares))));
                case 3 -> new Fault.ChangeMembership(Fault.Change.PROMOTE, any);
                case 4 -> new Fault.ChangeMembership(Fault.Change.REMOVE, new Fault.Target.Leader());
                case 5, 6 -> new Fault.ChangeMembership(Fault.Change.REMOVE, any);
                default -> new Fault.TransferLeadership(m.nextBoolean() ? null : all.get(m.nextInt(all.size())));
            };
            out.add(new Pending(t, f));
            if (f instanceof Fault.ChangeMembership c && c.change() == Fault.Change.ADD_LEARNER) {
                // As an operator would: promote the new learner a little later (RaftNode refuses if it already
                // is a voter, or is not caught up yet — or, with auto-promotion, has been promoted already).
                out.add(new Pending(t + 5 + m.nextInt(30), new Fault.ChangeMembership(Fault.Change.PROMOTE, c.target())));
            }
            t += 5 + m.nextInt(30);
        }
    }

    /**
     * A joint-consensus change (§6) to a random set of voters — often without the current leader — alone or
     * interrupted: right away the leader is cut off with a majority of C_new holding as little of C_old as possible
     * (the split only "majorities of both" makes safe), or it crashes right after its next commit (before or after it appended C_new), or it is
     * isolated; the network heals and the crashed leader restarts later.
     */
    private static void jointChange(SplittableRandom m, List<Pending> out, long t, List<String> all) {
        TreeSet<String> voters = new TreeSet<>();
        int size = 1 + m.nextInt(Math.min(5, all.size()));
        while (voters.size() < size) {
            voters.add(all.get(m.nextInt(all.size())));
        }
        Fault change = new Fault.Reconfigure(voters, m.nextInt(3) == 0);
        switch (m.nextInt(5)) {
            case 0 -> out.add(new Pending(t, change));
            case 1, 2 -> {
                out.add(new Pending(t, new Fault.Steps(List.of(change, new Fault.IsolateLeaderWithNewMajority()))));
                out.add(new Pending(t + 20 + m.nextInt(40), new Fault.HealNetwork()));
            }
            case 3 -> {
                Fault.CrashPoint point = Fault.CrashPoint.values()[m.nextInt(Fault.CrashPoint.values().length)];
                out.add(new Pending(t, new Fault.Steps(List.of(change, new Fault.AfterNextCommit(
                        m.nextInt(2 * Simulation.TICK), new Fault.Crash(new Fault.Target.Leader(), point))))));
                out.add(new Pending(t + 5 + m.nextInt(30), new Fault.Restart()));
            }
            default -> {
                out.add(new Pending(t, change));
                out.add(new Pending(t + m.nextInt(3), new Fault.IsolateLeader()));
                out.add(new Pending(t + 10 + m.nextInt(30), new Fault.HealNetwork()));
            }
        }
    }

    private static void maybeHeal(SplittableRandom r, List<Pending> out, long t) {
        if (r.nextInt(10) < 7) {
            out.add(new Pending(t + 3 + r.nextInt(40), new Fault.HealNetwork()));
        }
    }

    private static NetworkQuality randomQuality(SplittableRandom r, double maxLoss) {
        double loss = r.nextInt(3) == 0 ? 0 : r.nextDouble() * maxLoss;
        double dup = r.nextInt(3) == 0 ? 0 : r.nextDouble() * 0.2;
        double reorder = r.nextInt(3) == 0 ? 0 : r.nextDouble() * 0.3;
        int max = 1 + r.nextInt(3 * Simulation.TICK);
        return new NetworkQuality(loss, dup, reorder, 1, max);
    }

    private static FaultKind pick(SplittableRandom r, int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int x = r.nextInt(total);
        for (FaultKind k : FaultKind.values()) {
            x -= weights[k.ordinal()];
            if (x < 0) {
                return k;
            }
        }
        throw new AssertionError("weights exhausted");
    }
}
