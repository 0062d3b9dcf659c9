package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/**
 * The answer to a {@link KvCommand} (returned by {@code apply} to the proposer) or a {@link KvQuery}. Encoded
 * with {@link KvCodec#encodeResult}.
 *
 * <p>Every deterministic failure is a result, never an exception: all servers apply the same command and must
 * reach the same result (the StateMachine SPI's failure contract).
 */
public sealed interface KvResult permits KvResult.Ok, KvResult.Found, KvResult.NotFound, KvResult.CasFailed,
        KvResult.TooLarge, KvResult.Invalid, KvResult.Stats, KvResult.StateDigest, KvResult.Int, KvResult.Values,
        KvResult.SetOutcome, KvResult.IntegerError, KvResult.ScanPage, KvResult.TxResults, KvResult.TxAborted {

    /** The shared {@link Ok} instance. */
    Ok OK = new Ok();
    /** The shared {@link NotFound} instance. */
    NotFound NOT_FOUND = new NotFound();

    /** A write took effect (put, delete, batch, or a compare-and-set that swapped). */
    record Ok() implements KvResult {
    }

    /** A get found {@code value}. */
    record Found(byte[] value) implements KvResult {
        public Found {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Found f && Bytes.same(value, f.value);
        }

        @Override
        public int hashCode() {
            return Bytes.hash(value);
        }

        @Override
        public String toString() {
            return "Found[" + Bytes.preview(value) + "]";
        }
    }

    /** A get found no such key. */
    record NotFound() implements KvResult {
    }

    /**
     * A compare-and-set did not match; nothing changed.
     *
     * @param current the key's current value, or null if it is absent
     */
    record CasFailed(byte[] current) implements KvResult {
        @Override
        public boolean equals(Object o) {
            return o instanceof CasFailed c && Bytes.same(current, c.current);
        }

        @Override
        public int hashCode() {
            return Bytes.hash(current);
        }

        @Override
        public String toString() {
            return "CasFailed[current=" + Bytes.preview(current) + "]";
        }
    }

    /** Which {@link KvLimits} limit a {@link TooLarge} result refers to. Codes are part of the wire format. */
    enum Limit {
        KEY_BYTES(1), VALUE_BYTES(2), BATCH_ENTRIES(3);

        private final int code;

        Limit(int code) {
            this.code = code;
        }

        int code() {
            return code;
        }

        static Limit fromCode(int code) {
            for (Limit l : values()) {
                if (l.code == code) {
                    return l;
                }
            }
            throw new KvCodecException("unknown limit code " + code);
        }
    }

    /** A command exceeded a {@link KvLimits} limit ({@code actual > max}); nothing changed (HTTP 413). */
    record TooLarge(Limit limit, long actual, long max) implements KvResult {
        public TooLarge {
            Objects.requireNonNull(limit, "limit");
        }
    }

    /** The command or query bytes did not parse; nothing changed (HTTP 400). */
    record Invalid(String reason) implements KvResult {
        public Invalid {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** The number of keys and the index of the last applied command, read from one consistent state. */
    record Stats(long size, long lastAppliedIndex) implements KvResult {
    }

    /**
     * A digest of the whole state (see {@link KvQuery.Digest}) with the size and applied index it was computed
     * at: two servers converged iff they report the same digest at the same {@code lastAppliedIndex}.
     *
     * @param digest 32 bytes
     */
    record StateDigest(byte[] digest, long size, long lastAppliedIndex) implements KvResult {
        public StateDigest {
            Objects.requireNonNull(digest, "digest");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof StateDigest d && Bytes.same(digest, d.digest) && size == d.size
                    && lastAppliedIndex == d.lastAppliedIndex;
        }

        @Override
        public int hashCode() {
            return Bytes.hash(digest) * 31 + Long.hashCode(size) * 17 + Long.hashCode(lastAppliedIndex);
        }

        @Override
        public String toString() {
            return "StateDigest[" + Bytes.preview(digest) + ", size=" + size + ", lastAppliedIndex="
                    + lastAppliedIndex + "]";
        }
    }

    /** An integer answer: a count, a length, or the new value of an {@link KvCommand.IncrBy}. */
    record Int(long value) implements KvResult {
    }

    /** The values of a {@link KvQuery.MultiGet}, in the order of its keys; null where a key is absent. */
    record Values(List<byte[]> values) implements KvResult {
        public Values {
            values = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(values)); // nulls allowed
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Values v && Bytes.sameList(values, v.values);
        }

        @Override
        public int hashCode() {
            return Bytes.hashList(values);
        }

        @Override
        public String toString() {
            return "Values" + Bytes.previewList(values);
        }
    }

    /**
     * What a {@link KvCommand.Set} did.
     *
     * @param applied  whether the value was set (its condition held)
     * @param previous the value the key held before the command, or null if it was absent
     */
    record SetOutcome(boolean applied, byte[] previous) implements KvResult {
        @Override
        public boolean equals(Object o) {
            return o instanceof SetOutcome s && applied == s.applied && Bytes.same(previous, s.previous);
        }

        @Override
        public int hashCode() {
            return Boolean.hashCode(applied) * 31 + Bytes.hash(previous);
        }

        @Override
        public String toString() {
            return "SetOutcome[applied=" + applied + ", previous=" + Bytes.preview(previous) + "]";
        }
    }

    /** Why an {@link KvCommand.IncrBy} changed nothing. Codes are part of the wire format. */
    enum IntegerProblem {
        /** The stored value is not a decimal signed 64-bit integer. */
        NOT_AN_INTEGER(1),
        /** The sum does not fit in a signed 64-bit integer. */
        OVERFLOW(2);

        private final int code;

        IntegerProblem(int code) {
            this.code = code;
        }

        int code() {
            return code;
        }

        static IntegerProblem fromCode(int code) {
            for (IntegerProblem p : values()) {
                if (p.code == code) {
                    return p;
                }
            }
            throw new KvCodecException("unknown integer problem code " + code);
        }
    }

    /** An {@link KvCommand.IncrBy} failed deterministically; nothing changed. */
    record IntegerError(IntegerProblem problem) implements KvResult {
        public IntegerError {
            Objects.requireNonNull(problem, "problem");
        }
    }

    /**
     * One step of a {@link KvQuery.Scan}.
     *
     * @param nextCursor where the next step starts (unsigned); 0 when the walk is complete
     * @param keys       the keys of this step, in walk order
     */
    record ScanPage(long nextCursor, List<byte[]> keys) implements KvResult {
        public ScanPage {
            keys = List.copyOf(keys);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ScanPage p && nextCursor == p.nextCursor && Bytes.sameList(keys, p.keys);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(nextCursor) * 31 + Bytes.hashList(keys);
        }

        @Override
        public String toString() {
            return "ScanPage[next=" + Long.toUnsignedString(nextCursor) + ", " + Bytes.previewList(keys) + "]";
        }
    }

    /** A {@link KvCommand.Transaction} took effect: one result per operation, in order. */
    record TxResults(List<KvResult> results) implements KvResult {
        public TxResults {
            results = List.copyOf(results);
        }
    }

    /**
     * A {@link KvCommand.Transaction} took no effect at all because operation {@code index} (0-based) failed with
     * {@code cause}.
     */
    record TxAborted(int index, KvResult cause) implements KvResult {
        public TxAborted {
            Objects.requireNonNull(cause, "cause");
            if (index < 0) {
                throw new IllegalArgumentException("index must not be negative: " + index);
            }
        }
    }
}
