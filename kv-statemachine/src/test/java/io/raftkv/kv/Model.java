package io.raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The obvious reference implementation of the KV semantics on a java.util.HashMap, for checking the state machine
 * against. Keys are held as ISO-8859-1 strings, a bijection from byte arrays.
 */
final class Model {
    final Map<String, byte[]> entries = new HashMap<>();
    private final KvLimits limits;

    Model(KvLimits limits) {
        this.limits = limits;
    }

    static String name(byte[] key) {
        return new String(key, StandardCharsets.ISO_8859_1);
    }

    KvResult apply(KvCommand command) {
        Optional<KvResult.TooLarge> tooLarge = limits.validate(command);
        if (tooLarge.isPresent()) {
            return tooLarge.get();
        }
        if (command instanceof KvCommand.Transaction t) {
            Map<String, byte[]> before = copy();
            List<KvResult> results = new ArrayList<>();
            for (int i = 0; i < t.operations().size(); i++) {
                KvOperation op = t.operations().get(i);
                KvResult r = op instanceof KvCommand c ? apply(c) : read((KvQuery) op);
                if (r instanceof KvResult.IntegerError || r instanceof KvResult.TooLarge) {
                    entries.clear();
                    entries.putAll(before);
                    return new KvResult.TxAborted(i, r);
                }
                results.add(r);
            }
            return new KvResult.TxResults(results);
        }
        if (command instanceof KvCommand.Set st) {
            byte[] previous = entries.get(name(st.key()));
            boolean set = switch (st.condition()) {
                case ALWAYS -> true;
                case IF_ABSENT -> previous == null;
                case IF_PRESENT -> previous != null;
            };
            if (set) {
                entries.put(name(st.key()), st.value());
            }
            return new KvResult.SetOutcome(set, previous);
        }
        if (command instanceof KvCommand.IncrBy i) {
            byte[] current = entries.get(name(i.key()));
            String text = current == null ? "0" : new String(current, StandardCharsets.ISO_8859_1);
            if (!text.matches("0|-?[1-9][0-9]{0,18}")) {
                return new KvResult.IntegerError(KvResult.IntegerProblem.NOT_AN_INTEGER);
            }
            java.math.BigInteger sum = new java.math.BigInteger(text).add(java.math.BigInteger.valueOf(i.delta()));
            if (new java.math.BigInteger(text).bitLength() > 63) {
                return new KvResult.IntegerError(KvResult.IntegerProblem.NOT_AN_INTEGER);
            }
            if (sum.bitLength() > 63) {
                return new KvResult.IntegerError(KvResult.IntegerProblem.OVERFLOW);
            }
            entries.put(name(i.key()), sum.toString().getBytes(StandardCharsets.US_ASCII));
            return new KvResult.Int(sum.longValueExact());
        }
        if (command instanceof KvCommand.Append a) {
            byte[] current = entries.getOrDefault(name(a.key()), new byte[0]);
            byte[] next = new byte[current.length + a.value().length];
            System.arraycopy(current, 0, next, 0, current.length);
            System.arraycopy(a.value(), 0, next, current.length, a.value().length);
            if (next.length > limits.maxValueBytes()) {
                return new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, next.length, limits.maxValueBytes());
            }
            entries.put(name(a.key()), next);
            return new KvResult.Int(next.length);
        }
        if (command instanceof KvCommand.DeleteKeys d) {
            long n = 0;
            for (byte[] k : d.keys()) {
                n += entries.remove(name(k)) != null ? 1 : 0;
            }
            return new KvResult.Int(n);
        }
        if (command instanceof KvCommand.Clear) {
            entries.clear();
            return KvResult.OK;
        }
        if (command instanceof KvCommand.Put p) {
            entries.put(name(p.key()), p.value());
        } else if (command instanceof KvCommand.Delete d) {
            entries.remove(name(d.key()));
        } else if (command instanceof KvCommand.CompareAndSet c) {
            byte[] current = entries.get(name(c.key()));
            boolean ok = c.expected() == null ? current == null : current != null && Arrays.equals(current, c.expected());
            if (!ok) {
                return new KvResult.CasFailed(current);
            }
            if (c.newValue() == null) {
                entries.remove(name(c.key()));
            } else {
                entries.put(name(c.key()), c.newValue());
            }
        } else if (command instanceof KvCommand.PutBatch b) {
            for (KvCommand.Entry e : b.entries()) {
                entries.put(name(e.key()), e.value());
            }
        }
        return KvResult.OK;
    }

    /** The reads a transaction may hold. */
    KvResult read(KvQuery q) {
        if (q instanceof KvQuery.Get g) {
            byte[] v = entries.get(name(g.key()));
            return v == null ? KvResult.NOT_FOUND : new KvResult.Found(v);
        }
        if (q instanceof KvQuery.Size) {
            return new KvResult.Stats(entries.size(), 0);
        }
        if (q instanceof KvQuery.Exists e) {
            return new KvResult.Int(e.keys().stream().filter(k -> entries.containsKey(name(k))).count());
        }
        if (q instanceof KvQuery.MultiGet m) {
            List<byte[]> values = new ArrayList<>();
            m.keys().forEach(k -> values.add(entries.get(name(k))));
            return new KvResult.Values(values);
        }
        if (q instanceof KvQuery.Strlen st) {
            byte[] v = entries.get(name(st.key()));
            return new KvResult.Int(v == null ? 0 : v.length);
        }
        throw new IllegalArgumentException("not a transaction read: " + q);
    }

    Map<String, byte[]> copy() {
        return new HashMap<>(entries);
    }
}
