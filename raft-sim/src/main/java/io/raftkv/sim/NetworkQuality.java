package io.raftkv.sim;

/**
 * How badly the simulated network treats every message: the probability it is lost, the probability it is
 * delivered twice, the probability it is held back long enough to overtake later messages, and the normal delay
 * range in simulated time units (a tick is {@link Simulation#TICK} units).
 */
public record NetworkQuality(double loss, double duplicate, double reorder, int minDelay, int maxDelay) {

    /** A healthy LAN: no loss, no duplicates, delays well under a tick so order is mostly preserved. */
    public static final NetworkQuality HEALTHY = new NetworkQuality(0, 0, 0, 1, 5);

    public NetworkQuality {
        if (loss < 0 || loss >= 1 || duplicate < 0 || duplicate >= 1 || reorder < 0 || reorder >= 1) {
            throw new IllegalArgumentException("probabilities must be in [0, 1): " + loss + ", " + duplicate + ", " + reorder);
        }
        if (minDelay < 1 || maxDelay < minDelay) {
            throw new IllegalArgumentException("delays must satisfy 1 <= min <= max: " + minDelay + ", " + maxDelay);
        }
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "loss=%.2f dup=%.2f reorder=%.2f delay=%d..%d",
                loss, duplicate, reorder, minDelay, maxDelay);
    }
}
