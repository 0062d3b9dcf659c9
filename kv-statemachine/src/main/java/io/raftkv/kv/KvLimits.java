package io.raftkv.kv;

import java.util.Optional;

/**
 * Size limits of the KV store.
 *
 * <p>The limits are checked twice: by the server before it proposes (so it can answer 413 without touching the
 * log, see {@link #validate}) and again by {@link KvStateMachine#apply} on every server. The second check is
 * what makes them binding: it is deterministic, and a violating command becomes a {@link KvResult.TooLarge}
 * <em>result</em> on every server alike. Because apply consults them, <b>all servers of a cluster must run with
 * the same limits</b>; otherwise the same command could succeed on one server and fail on another, and their
 * states would diverge (State Machine Safety, §5.4.3, assumes a deterministic state machine).
 *
 * @param maxKeyBytes       largest key, in bytes (default 4 KiB)
 * @param maxValueBytes     largest value, in bytes (default 1 MiB)
 * @param maxBatchEntries   most entries in one atomic batch put, keys in one multi-key delete, or operations in
 *                          one transaction (default 10,000)
 */
public record KvLimits(int maxKeyBytes, int maxValueBytes, int maxBatchEntries) {

    /** 4 KiB keys, 1 MiB values, 10,000 entries per batch. */
    public static final KvLimits DEFAULT = new KvLimits(4 * 1024, 1024 * 1024, 10_000);

    public KvLimits {
        if (maxKeyBytes < 1 || maxValueBytes < 0 || maxBatchEntries < 1) {
            throw new IllegalArgumentException("limits must be positive: " + maxKeyBytes + ", " + maxValueBytes
                    + ", " + maxBatchEntries);
        }
    }

    /**
     * Checks a command against the limits.
     *
     * @return the violation of the first component that is too large, or empty if the command fits
     */
    public Optional<KvResult.TooLarge> validate(KvCommand command) {
        KvResult.TooLarge violation;
        if (command instanceof KvCommand.Put p) {
            violation = check(p.key(), p.value());
        } else if (command instanceof KvCommand.Delete d) {
            violation = check(d.key(), null);
        } else if (command instanceof KvCommand.CompareAndSet c) {
            violation = check(c.key(), c.expected());
            if (violation == null) {
                violation = check(c.key(), c.newValue());
            }
        } else if (command instanceof KvCommand.PutBatch b) {
            violation = checkBatch(b);
        } else if (command instanceof KvCommand.Set st) {
            violation = check(st.key(), st.value());
        } else if (command instanceof KvCommand.IncrBy i) {
            violation = check(i.key(), null);
        } else if (command instanceof KvCommand.Append a) {
            // The appended part alone; the new value's length is checked at apply, where it is known.
            violation = check(a.key(), a.value());
        } else if (command instanceof KvCommand.DeleteKeys d) {
            violation = checkKeys(d.keys());
        } else if (command instanceof KvCommand.Clear) {
            violation = null;
        } else if (command instanceof KvCommand.Transaction t) {
            violation = checkTransaction(t);
        } else {
            throw new IllegalArgumentException("unknown command " + command);
        }
        return Optional.ofNullable(violation);
    }

    private KvResult.TooLarge checkBatch(KvCommand.PutBatch batch) {
        if (batch.entries().size() > maxBatchEntries) {
            return new KvResult.TooLarge(KvResult.Limit.BATCH_ENTRIES, batch.entries().size(), maxBatchEntries);
        }
        for (KvCommand.Entry e : batch.entries()) {
            KvResult.TooLarge t = check(e.key(), e.value());
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    private KvResult.TooLarge checkKeys(java.util.List<byte[]> keys) {
        if (keys.size() > maxBatchEntries) {
            return new KvResult.TooLarge(KvResult.Limit.BATCH_ENTRIES, keys.size(), maxBatchEntries);
        }
        for (byte[] key : keys) {
            KvResult.TooLarge t = check(key, null);
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    /** At most {@code maxBatchEntries} operations, each command within the limits (reads change nothing). */
    private KvResult.TooLarge checkTransaction(KvCommand.Transaction t) {
        if (t.operations().size() > maxBatchEntries) {
            return new KvResult.TooLarge(KvResult.Limit.BATCH_ENTRIES, t.operations().size(), maxBatchEntries);
        }
        for (KvOperation op : t.operations()) {
            if (op instanceof KvCommand c) {
                Optional<KvResult.TooLarge> v = validate(c);
                if (v.isPresent()) {
                    return v.get();
                }
            }
        }
        return null;
    }

    private KvResult.TooLarge check(byte[] key, byte[] value) {
        if (key.length > maxKeyBytes) {
            return new KvResult.TooLarge(KvResult.Limit.KEY_BYTES, key.length, maxKeyBytes);
        }
        if (value != null && value.length > maxValueBytes) {
            return new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, value.length, maxValueBytes);
        }
        return null;
    }
}
