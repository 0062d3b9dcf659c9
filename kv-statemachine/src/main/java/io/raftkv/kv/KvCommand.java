package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/**
 * A write to the KV store: what a client proposes and every server applies. Encode with
 * {@link KvCodec#encodeCommand}; the bytes are what goes into the Raft log.
 *
 * <p>Arrays are not copied: do not change an array after handing it to a command.
 */
public sealed interface KvCommand extends KvOperation
        permits KvCommand.Put, KvCommand.Delete, KvCommand.CompareAndSet, KvCommand.PutBatch, KvCommand.Set,
        KvCommand.IncrBy, KvCommand.Append, KvCommand.DeleteKeys, KvCommand.Clear, KvCommand.Transaction {

    /** Sets {@code key} to {@code value}. Result: {@link KvResult.Ok}. */
    record Put(byte[] key, byte[] value) implements KvCommand {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && Bytes.same(key, p.key) && Bytes.same(value, p.value);
        }

        @Override
        public int hashCode() {
            return 31 * Bytes.hash(key) + Bytes.hash(value);
        }

        @Override
        public String toString() {
            return "Put[" + Bytes.preview(key) + "=" + Bytes.preview(value) + "]";
        }
    }

    /** Removes {@code key}; deleting an absent key is not an error. Result: {@link KvResult.Ok}. */
    record Delete(byte[] key) implements KvCommand {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Delete d && Bytes.same(key, d.key);
        }

        @Override
        public int hashCode() {
            return Bytes.hash(key);
        }

        @Override
        public String toString() {
            return "Delete[" + Bytes.preview(key) + "]";
        }
    }

    /**
     * Compare-and-set: if the current value of {@code key} equals {@code expected} (or, with {@code expected ==
     * null}, the key is absent), sets it to {@code newValue} (or, with {@code newValue == null}, deletes it).
     * Result: {@link KvResult.Ok} if it swapped, else {@link KvResult.CasFailed} with the current value.
     *
     * @param expected the value the key must have, or null for "must be absent"
     * @param newValue the value to set, or null for "delete"
     */
    record CompareAndSet(byte[] key, byte[] expected, byte[] newValue) implements KvCommand {
        public CompareAndSet {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CompareAndSet c && Bytes.same(key, c.key) && Bytes.same(expected, c.expected)
                    && Bytes.same(newValue, c.newValue);
        }

        @Override
        public int hashCode() {
            return (31 * Bytes.hash(key) + Bytes.hash(expected)) * 31 + Bytes.hash(newValue);
        }

        @Override
        public String toString() {
            return "CompareAndSet[" + Bytes.preview(key) + ", expected=" + Bytes.preview(expected)
                    + ", new=" + Bytes.preview(newValue) + "]";
        }
    }

    /**
     * Sets several keys atomically (hraftd's {@code POST /key}): a reader sees all of them or none. If a key occurs
     * twice, the later entry wins. Result: {@link KvResult.Ok}, or {@link KvResult.TooLarge} and no change at all.
     */
    record PutBatch(List<Entry> entries) implements KvCommand {
        public PutBatch {
            entries = List.copyOf(entries);
        }
    }

    /** One key and value of a {@link PutBatch}. */
    record Entry(byte[] key, byte[] value) {
        public Entry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && Bytes.same(key, e.key) && Bytes.same(value, e.value);
        }

        @Override
        public int hashCode() {
            return 31 * Bytes.hash(key) + Bytes.hash(value);
        }

        @Override
        public String toString() {
            return Bytes.preview(key) + "=" + Bytes.preview(value);
        }
    }

    /** When a {@link Set} takes effect. */
    enum Condition {
        /** Always (plain {@code SET}). */
        ALWAYS(0),
        /** Only if the key is absent (Redis {@code NX}, {@code SETNX}). */
        IF_ABSENT(1),
        /** Only if the key is present (Redis {@code XX}). */
        IF_PRESENT(2);

        private final int code;

        Condition(int code) {
            this.code = code;
        }

        /** The wire code (part of the command format: never renumber). */
        int code() {
            return code;
        }

        static Condition fromCode(int code) {
            for (Condition c : values()) {
                if (c.code == code) {
                    return c;
                }
            }
            throw new KvCodecException("unknown SET condition " + code);
        }
    }

    /**
     * Sets {@code key} to {@code value} if {@code condition} holds (Redis {@code SET} with {@code NX}/{@code XX},
     * {@code SETNX}, {@code GETSET}). Result: {@link KvResult.SetOutcome} (whether it was set, and the value the key
     * held before, which every server computes alike).
     */
    record Set(byte[] key, byte[] value, Condition condition) implements KvCommand {
        public Set {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(condition, "condition");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Set s && Bytes.same(key, s.key) && Bytes.same(value, s.value)
                    && condition == s.condition;
        }

        @Override
        public int hashCode() {
            return (31 * Bytes.hash(key) + Bytes.hash(value)) * 31 + condition.hashCode();
        }

        @Override
        public String toString() {
            return "Set[" + Bytes.preview(key) + "=" + Bytes.preview(value) + ", " + condition + "]";
        }
    }

    /**
     * Adds {@code delta} to the integer held at {@code key} (absent counts as 0) and stores the sum as a decimal
     * string, as Redis's {@code INCRBY}. The stored value must be a decimal signed 64-bit integer in Redis's strict
     * form (no sign but '-', no leading zeros, no spaces). Result: {@link KvResult.Int} with the new value, or
     * {@link KvResult.IntegerError} (not an integer, or the sum would overflow) and no change.
     */
    record IncrBy(byte[] key, long delta) implements KvCommand {
        public IncrBy {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IncrBy i && Bytes.same(key, i.key) && delta == i.delta;
        }

        @Override
        public int hashCode() {
            return 31 * Bytes.hash(key) + Long.hashCode(delta);
        }

        @Override
        public String toString() {
            return "IncrBy[" + Bytes.preview(key) + ", " + delta + "]";
        }
    }

    /**
     * Appends {@code value} to the value at {@code key} (absent counts as empty). Result: {@link KvResult.Int} with
     * the new length, or {@link KvResult.TooLarge} if the new value would exceed the value limit (no change).
     */
    record Append(byte[] key, byte[] value) implements KvCommand {
        public Append {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Append a && Bytes.same(key, a.key) && Bytes.same(value, a.value);
        }

        @Override
        public int hashCode() {
            return 31 * Bytes.hash(key) + Bytes.hash(value);
        }

        @Override
        public String toString() {
            return "Append[" + Bytes.preview(key) + ", " + Bytes.preview(value) + "]";
        }
    }

    /**
     * Removes every key of {@code keys} in one step (Redis {@code DEL k1 k2 ...}). Result: {@link KvResult.Int}, the
     * number of keys that existed (a key named twice counts once).
     */
    record DeleteKeys(List<byte[]> keys) implements KvCommand {
        public DeleteKeys {
            keys = List.copyOf(keys);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DeleteKeys d && Bytes.sameList(keys, d.keys);
        }

        @Override
        public int hashCode() {
            return Bytes.hashList(keys);
        }

        @Override
        public String toString() {
            return "DeleteKeys" + Bytes.previewList(keys);
        }
    }

    /** Removes every key (Redis {@code FLUSHDB}). Result: {@link KvResult.Ok}. */
    record Clear() implements KvCommand {
    }

    /**
     * Several operations applied as one log entry, all or nothing (Redis {@code MULTI}/{@code EXEC}): they run in
     * order, each seeing the writes before it, and no other command runs between them. If one of them fails (a
     * {@link KvResult.IntegerError}, {@link KvResult.TooLarge} or {@link KvResult.Invalid}) nothing of the
     * transaction takes effect and the result is {@link KvResult.TxAborted}; otherwise it is
     * {@link KvResult.TxResults}, one result per operation. Queries inside see the transaction's own earlier writes.
     * A transaction holds neither a transaction nor a {@link KvQuery.Digest} or {@link KvQuery.Scan}.
     */
    record Transaction(List<KvOperation> operations) implements KvCommand {
        public Transaction {
            operations = List.copyOf(operations);
            for (KvOperation op : operations) {
                if (op instanceof Transaction || op instanceof KvQuery.Digest || op instanceof KvQuery.Scan) {
                    throw new IllegalArgumentException("a transaction cannot hold " + op.getClass().getSimpleName());
                }
            }
        }
    }
}
