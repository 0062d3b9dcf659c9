package io.raftkv.sim;

/**
 * What happened in one run (or, summed, in many).
 *
 * @param elections terms that had a leader
 * @param commits   entries committed (highest index any node marked committed)
 * @param faults    faults injected
 * @param delivered messages delivered
 * @param dropped   messages dropped (partition, loss, or receiver down)
 * @param proposals proposals accepted by a leader
 * @param reads     linearizable reads served (ReadIndex, thesis §6.4)
 * @param ticks     simulated ticks
 */
public record SimStats(long elections, long commits, long faults, long delivered, long dropped, long proposals,
                       long reads, long ticks) {
    public static final SimStats ZERO = new SimStats(0, 0, 0, 0, 0, 0, 0, 0);

    public SimStats plus(SimStats o) {
        return new SimStats(elections + o.elections, commits + o.commits, faults + o.faults,
                delivered + o.delivered, dropped + o.dropped, proposals + o.proposals, reads + o.reads,
                ticks + o.ticks);
    }
}
