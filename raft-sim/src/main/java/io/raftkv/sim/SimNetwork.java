package io.raftkv.sim;

import io.raftkv.core.message.RaftMessage;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The simulated network between the nodes. Each message is, in order of checks: dropped if its link is blocked
 * (a partition or a one-way block), dropped with probability {@code loss}, otherwise delivered after a random
 * delay — occasionally a long one, which makes it overtake later messages (reordering) — and with probability
 * {@code duplicate} delivered a second time after another delay. A link blocked while a message is in flight
 * loses it too. Links are directed, so partitions can be asymmetric.
 */
final class SimNetwork {
    private final List<String> ids;
    private final boolean[][] blocked;
    private final SplittableRandom random;
    private NetworkQuality quality;
    private long dropped;
    private long delivered;

    SimNetwork(List<String> ids, NetworkQuality quality, SplittableRandom random) {
        this.ids = List.copyOf(ids);
        this.blocked = new boolean[ids.size()][ids.size()];
        this.quality = quality;
        this.random = random;
    }

    int indexOf(String id) {
        int i = ids.indexOf(id);
        if (i < 0) {
            throw new IllegalArgumentException("unknown node " + id);
        }
        return i;
    }

    NetworkQuality quality() {
        return quality;
    }

    void setQuality(NetworkQuality q) {
        this.quality = q;
    }

    void block(int from, int to) {
        blocked[from][to] = true;
    }

    boolean isBlocked(int from, int to) {
        return blocked[from][to];
    }

    /** Cuts every link between {@code side} and the rest, both ways. */
    void partition(boolean[] side) {
        for (int a = 0; a < ids.size(); a++) {
            for (int b = 0; b < ids.size(); b++) {
                if (side[a] != side[b]) {
                    blocked[a][b] = true;
                }
            }
        }
    }

    /** The blocked links, each as [from, to], in node order (for the events file). */
    List<List<String>> blockedLinks() {
        List<List<String>> out = new java.util.ArrayList<>();
        for (int a = 0; a < ids.size(); a++) {
            for (int b = 0; b < ids.size(); b++) {
                if (blocked[a][b]) {
                    out.add(List.of(ids.get(a), ids.get(b)));
                }
            }
        }
        return out;
    }

    void heal() {
        for (boolean[] row : blocked) {
            java.util.Arrays.fill(row, false);
        }
    }

    /** Why a message sent now would be lost, or null if it goes out; also decides its delivery delays. */
    String dropReason(RaftMessage m) {
        if (blocked[indexOf(m.from())][indexOf(m.to())]) {
            return "partitioned";
        }
        if (quality.loss() > 0 && random.nextDouble() < quality.loss()) {
            return "lost";
        }
        return null;
    }

    /** Delay of one delivery, in time units. */
    long delay() {
        long d = quality.minDelay() + random.nextInt(quality.maxDelay() - quality.minDelay() + 1);
        if (quality.reorder() > 0 && random.nextDouble() < quality.reorder()) {
            // Held back up to five ticks: later messages on the same link overtake it.
            d += 1 + random.nextInt(5 * Simulation.TICK);
        }
        return d;
    }

    boolean duplicate() {
        return quality.duplicate() > 0 && random.nextDouble() < quality.duplicate();
    }

    void countDropped() {
        dropped++;
    }

    void countDelivered() {
        delivered++;
    }

    long dropped() {
        return dropped;
    }

    long delivered() {
        return delivered;
    }
}
