package io.raftkv.sim;

import io.raftkv.core.ReadState;

import java.util.TreeMap;

/**
 * Checks linearizable reads. ReadIndex (thesis §6.4): when a read starts, every index any node has marked committed
 * may already have been acknowledged to a client, so a successful answer must carry a read index at least that
 * high — otherwise the read could miss a completed write. Each request must be answered at most once, on the node
 * it was asked on; the driver serves it only after the state machine applied its read index. Lease reads (thesis
 * §6.4.1) are checked the same way at the moment they are served.
 */
final class ReadChecker {

    private record Pending(String node, long committedAtStart, long time) {
    }

    private final Simulation sim;
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    private long nextRequestId = 1;
    private long served;

    ReadChecker(Simulation sim) {
        this.sim = sim;
    }

    /** Reads served (ReadIndex reads once applied, plus lease reads). */
    long served() {
        return served;
    }

    void request(SimNode node) {
        node.readIndex(register(node.id));
    }

    /** Records that a read starts now on {@code node}; returns its request id. */
    long register(String node) {
        long id = nextRequestId++;
        pending.put(id, new Pending(node, sim.checker().maxCommitted(), sim.now()));
        return id;
    }

    void onReadState(String node, ReadState r) {
        Pending p = pending.remove(r.requestId());
        if (p == null) {
            throw sim.violation(Invariant.CORE_CONTRACT, node + " answered read " + r.requestId()
                    + " which is unknown or already answered");
        }
        if (!p.node().equals(node)) {
            throw sim.violation(Invariant.CORE_CONTRACT, "read " + r.requestId() + " asked on " + p.node()
                    + " was answered on " + node);
        }
        if (r.success() && r.readIndex() < p.committedAtStart()) {
            throw sim.violation(Invariant.LINEARIZABLE_READ, node + " answered read " + r.requestId() + " (started at "
                    + Tracer.formatTime(p.time()) + ") with read index " + r.readIndex() + ", but index "
                    + p.committedAtStart() + " was committed before the read started");
        }
    }

    /** A successful read was served from a state machine that applied at least its read index. */
    void onServed() {
        served++;
    }

    /**
     * A lease read (thesis §6.4.1) on a node that believes it leads: if its lease is valid it serves at once from
     * its commit index, which must then cover everything committed anywhere — a leader elected behind its back
     * that has already committed writes would make this read stale.
     */
    void leaseRead(SimNode node) {
        if (!node.raft().leaseValid()) {
            return;
        }
        long commit = node.raft().commitIndex();
        long committed = sim.checker().maxCommitted();
        if (commit < committed) {
            throw sim.violation(Invariant.LINEARIZABLE_READ, node.id + " (leader, term " + node.raft().currentTerm()
                    + ") served a lease read at commit index " + commit + " while its lease was valid, but index "
                    + committed + " was already committed");
        }
        served++;
        if (sim.tracer().on()) {
            sim.tracer().node(sim.now(), node.id, node.role(), node.raft().currentTerm(), "lease read at " + commit);
        }
        if (sim.workload() != null) {
            sim.workload().onRead(node);
        }
    }
}
