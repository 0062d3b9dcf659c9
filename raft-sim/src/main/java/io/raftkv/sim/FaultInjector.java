package io.raftkv.sim;

import java.util.ArrayList;
import java.util.List;

/** Turns a {@link Fault} into actions on the simulated nodes and network. */
final class FaultInjector {
    private final Simulation sim;
    private final List<SimNode> nodes;
    private final SimNetwork network;
    private long injected;
    /** Faults armed to fire after the next election, in arming order. */
    private final List<Fault.AfterNextElection> armed = new ArrayList<>();

    FaultInjector(Simulation sim, List<SimNode> nodes, SimNetwork network) {
        this.sim = sim;
        this.nodes = nodes;
        this.network = network;
    }

    long injected() {
        return injected;
    }

    void inject(ScheduledFault scheduled) {
        Fault fault = scheduled.fault();
        String effect = apply(fault);
        if (effect != null) {
            injected++;
        }
        if (sim.tracer().on()) {
            sim.tracer().system(sim.now(), "fault", scheduled + (effect == null ? " (no effect)" : effect.isEmpty() ? "" : " -> " + effect));
        }
    }

    /** The fault phase is over: armed faults never fire. */
    void disarm() {
        armed.clear();
    }

    /** A node became leader: fire the faults armed for that moment (each after its delay). */
    void onNewLeader(SimNode leader) {
        if (armed.isEmpty()) {
            return;
        }
        for (Fault.AfterNextElection a : armed) {
            sim.scheduleFault(a.delay(), a.then());
        }
        armed.clear();
    }

    /** Returns what it did ("" if nothing worth saying), or null if the fault had nothing to act on. */
    private String apply(Fault fault) {
        if (fault instanceof Fault.AfterNextElection a) {
            armed.add(a);
            return "armed";
        }
        if (fault instanceof Fault.Crash c) {
            SimNode target = resolve(c.target());
            if (target == null || !target.isUp()) {
                return null;
            }
            target.crash(c.point());
            return target.id;
        }
        if (fault instanceof Fault.Restart) {
            SimNode longest = null;
            for (SimNode n : nodes) {
                if (!n.isUp() && (longest == null || n.downSince() < longest.downSince())) {
                    longest = n;
                }
            }
            if (longest == null) {
                return null;
            }
            longest.start();
            return longest.id;
        }
        if (fault instanceof Fault.Partition p) {
            boolean[] side = new boolean[nodes.size()];
            for (String id : p.side()) {
                side[network.indexOf(id)] = true;
            }
            network.partition(side);
            return "";
        }
        if (fault instanceof Fault.IsolateLeader) {
            SimNode leader = sim.leader();
            if (leader == null) {
                return null;
            }
            boolean[] side = new boolean[nodes.size()];
            side[leader.index] = true;
            network.partition(side);
            return leader.id;
        }
        if (fault instanceof Fault.BlockLink b) {
            network.block(network.indexOf(b.from()), network.indexOf(b.to()));
            return "";
        }
        if (fault instanceof Fault.HealNetwork) {
            network.heal();
            return "";
        }
        if (fault instanceof Fault.LinkQuality q) {
            network.setQuality(q.quality());
            return "";
        }
        throw new IllegalArgumentException("unhandled fault " + fault);
    }

    private SimNode resolve(Fault.Target target) {
        if (target instanceof Fault.Target.Leader) {
            return sim.leader();
        }
        return nodes.get(network.indexOf(((Fault.Target.Node) target).id()));
    }
}
