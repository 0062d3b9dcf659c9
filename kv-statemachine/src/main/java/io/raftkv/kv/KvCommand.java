package io.raftkv.kv;

import java.util.List;
import java.util.Objects;

/**
 * A write to the KV store: what a client proposes and every server applies. Encode with
 * {@link KvCodec#encodeCommand}; the bytes are what goes into the Raft log.
 *
 * <p>Arrays are not copied: do not change an array after handing it to a command.
 */
public sealed interface KvCommand
        permits KvCommand.Put, KvCommand.Delete, KvCommand.CompareAndSet, KvCommand.PutBatch {

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
}
