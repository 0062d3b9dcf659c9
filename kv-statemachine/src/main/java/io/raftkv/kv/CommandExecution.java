package io.raftkv.kv;

import io.vavr.collection.HashMap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs one command against one version of the map (apply thread): builds the next version, the result, and the
 * list of keys whose presence may have changed (for the {@link ScanIndex}). Deterministic: the outcome depends only
 * on the map, the command and the {@link KvLimits}.
 *
 * <p>A {@link KvCommand.Transaction} runs its operations in order on a local version; the first one that fails
 * discards that version, so the transaction takes effect all or nothing and is published once, like a batch.
 */
final class CommandExecution {
    private final KvLimits limits;
    private HashMap<ByteKey, byte[]> entries;
    private final List<ByteKey> touched = new ArrayList<>();
    private boolean cleared;

    CommandExecution(KvLimits limits, HashMap<ByteKey, byte[]> entries) {
        this.limits = limits;
        this.entries = entries;
    }

    /** The version after the command (the one it started from if it failed). */
    HashMap<ByteKey, byte[]> entries() {
        return entries;
    }

    /** Keys the command wrote or deleted (possibly with duplicates). */
    List<ByteKey> touched() {
        return touched;
    }

    /** True if the command removed every key. */
    boolean cleared() {
        return cleared;
    }

    KvResult execute(KvCommand command) {
        if (command instanceof KvCommand.Transaction t) {
            return transaction(t);
        }
        return single(command);
    }

    private KvResult transaction(KvCommand.Transaction t) {
        HashMap<ByteKey, byte[]> start = entries;
        int touchedBefore = touched.size();
        List<KvResult> results = new ArrayList<>(t.operations().size());
        for (int i = 0; i < t.operations().size(); i++) {
            KvOperation op = t.operations().get(i);
            KvResult r = op instanceof KvCommand c ? single(c) : read(entries, 0, (KvQuery) op, false);
            if (isFailure(r)) {
                entries = start; // all or nothing: drop the local version
                touched.subList(touchedBefore, touched.size()).clear();
                cleared = false;
                return new KvResult.TxAborted(i, r);
            }
            results.add(r);
        }
        return new KvResult.TxResults(results);
    }

    private static boolean isFailure(KvResult r) {
        return r instanceof KvResult.IntegerError || r instanceof KvResult.TooLarge || r instanceof KvResult.Invalid;
    }

    private KvResult single(KvCommand command) {
        if (command instanceof KvCommand.Put p) {
            put(p.key(), p.value());
            return KvResult.OK;
        }
        if (command instanceof KvCommand.Delete d) {
            remove(ByteKey.wrap(d.key()));
            return KvResult.OK;
        }
        if (command instanceof KvCommand.CompareAndSet c) {
            ByteKey key = ByteKey.wrap(c.key());
            byte[] current = entries.get(key).getOrNull();
            boolean matches = c.expected() == null ? current == null : Arrays.equals(current, c.expected());
            if (!matches) {
                return new KvResult.CasFailed(current);
            }
            if (c.newValue() == null) {
                remove(key);
            } else {
                put(c.key(), c.newValue());
            }
            return KvResult.OK;
        }
        if (command instanceof KvCommand.PutBatch b) {
            for (KvCommand.Entry e : b.entries()) {
                put(e.key(), e.value());
            }
            return KvResult.OK;
        }
        if (command instanceof KvCommand.Set st) {
            byte[] previous = entries.get(ByteKey.wrap(st.key())).getOrNull();
            boolean applies = switch (st.condition()) {
                case ALWAYS -> true;
                case IF_ABSENT -> previous == null;
                case IF_PRESENT -> previous != null;
            };
            if (applies) {
                put(st.key(), st.value());
            }
            return new KvResult.SetOutcome(applies, previous);
        }
        if (command instanceof KvCommand.IncrBy i) {
            return incrBy(i);
        }
        if (command instanceof KvCommand.Append a) {
            byte[] current = entries.get(ByteKey.wrap(a.key())).getOrNull();
            long length = (current == null ? 0L : current.length) + a.value().length;
            if (length > limits.maxValueBytes()) {
                return new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, length, limits.maxValueBytes());
            }
            byte[] next = current == null ? a.value().clone() : Arrays.copyOf(current, (int) length);
            if (current != null) {
                System.arraycopy(a.value(), 0, next, current.length, a.value().length);
            }
            put(a.key(), next);
            return new KvResult.Int(length);
        }
        if (command instanceof KvCommand.DeleteKeys d) {
            long removed = 0;
            for (byte[] k : d.keys()) {
                ByteKey key = ByteKey.wrap(k);
                if (entries.containsKey(key)) {
                    remove(key);
                    removed++;
                }
            }
            return new KvResult.Int(removed);
        }
        if (command instanceof KvCommand.Clear) {
            entries = HashMap.empty();
            cleared = true;
            return KvResult.OK;
        }
        if (command instanceof KvCommand.Transaction) {
            return new KvResult.Invalid("a transaction cannot hold a transaction");
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    private KvResult incrBy(KvCommand.IncrBy i) {
        byte[] current = entries.get(ByteKey.wrap(i.key())).getOrNull();
        long value;
        if (current == null) {
            value = 0;
        } else {
            Long parsed = parseInteger(current);
            if (parsed == null) {
                return new KvResult.IntegerError(KvResult.IntegerProblem.NOT_AN_INTEGER);
            }
            value = parsed;
        }
        long sum;
        try {
            sum = Math.addExact(value, i.delta());
        } catch (ArithmeticException e) {
            return new KvResult.IntegerError(KvResult.IntegerProblem.OVERFLOW);
        }
        put(i.key(), Long.toString(sum).getBytes(StandardCharsets.US_ASCII));
        return new KvResult.Int(sum);
    }

    /** See {@link KvCommand.IncrBy}: Redis's strict decimal form, or null. */
    static Long parseInteger(byte[] b) {
        return RedisInteger.parse(b);
    }

    private void put(byte[] key, byte[] value) {
        ByteKey k = ByteKey.wrap(key);
        entries = entries.put(k, value);
        touched.add(k);
    }

    private void remove(ByteKey key) {
        entries = entries.remove(key);
        touched.add(key);
    }

    /** Answers a read from {@code map} ({@code lastAppliedIndex} is what a {@link KvQuery.Size} reports). */
    static KvResult read(HashMap<ByteKey, byte[]> map, long lastAppliedIndex, KvQuery query, boolean copyValues) {
        if (query instanceof KvQuery.Get g) {
            byte[] value = map.get(ByteKey.wrap(g.key())).getOrNull();
            if (value == null) {
                return KvResult.NOT_FOUND;
            }
            return new KvResult.Found(copyValues ? value.clone() : value);
        }
        if (query instanceof KvQuery.Size) {
            return new KvResult.Stats(map.size(), lastAppliedIndex);
        }
        if (query instanceof KvQuery.Exists e) {
            long n = 0;
            for (byte[] k : e.keys()) {
                n += map.containsKey(ByteKey.wrap(k)) ? 1 : 0;
            }
            return new KvResult.Int(n);
        }
        if (query instanceof KvQuery.MultiGet m) {
            List<byte[]> values = new ArrayList<>(m.keys().size());
            for (byte[] k : m.keys()) {
                byte[] v = map.get(ByteKey.wrap(k)).getOrNull();
                values.add(v == null || !copyValues ? v : v.clone());
            }
            return new KvResult.Values(values);
        }
        if (query instanceof KvQuery.Strlen st) {
            byte[] v = map.get(ByteKey.wrap(st.key())).getOrNull();
            return new KvResult.Int(v == null ? 0 : v.length);
        }
        throw new IllegalArgumentException("query " + query + " is not answered from one map version");
    }
}
