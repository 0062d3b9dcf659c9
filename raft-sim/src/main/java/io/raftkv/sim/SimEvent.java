package io.raftkv.sim;

import io.raftkv.core.message.RaftMessage;

/** Something that happens at a point of simulated time. A closed family: {@link Simulation} dispatches on it. */
sealed interface SimEvent {

    /** A node's clock ticks (each node ticks every {@link Simulation#TICK} units at its own phase). */
    record Tick(int node) implements SimEvent {
    }

    /** A message arrives at its receiver. */
    record Deliver(RaftMessage message, boolean duplicate) implements SimEvent {
    }

    /** A scheduled fault fires. */
    record Inject(ScheduledFault fault) implements SimEvent {
    }

    /** The client submits a proposal. */
    record Propose() implements SimEvent {
    }

    /** A session client (thesis §6.3, {@link SimConfig#sessions()}) sends or resends its writes. */
    record SessionStep(int client) implements SimEvent {
    }

    /** The fault phase ends: heal the network, restart every crashed node, start the liveness checks. */
    record Heal() implements SimEvent {
    }
}
