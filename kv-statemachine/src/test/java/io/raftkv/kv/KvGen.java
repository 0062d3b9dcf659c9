package io.raftkv.kv;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded generators of commands, queries and results for the property tests. Keys come from a small space so
 * that random sequences overwrite, delete and compare-and-set the same keys often.
 */
final class KvGen {
    final SplittableRandom random;
    private final int keySpace;

    KvGen(long seed, int keySpace) {
        this.random = new SplittableRandom(seed);
        this.keySpace = keySpace;
    }

    byte[] bytes(int maxLength) {
        byte[] b = new byte[random.nextInt(maxLength + 1)];
        random.nextBytes(b);
        return b;
    }

    /** Mostly short text keys from the key space; sometimes binary or empty. */
    byte[] key() {
        int r = random.nextInt(20);
        if (r == 0) {
            return bytes(16);
        }
        return ("k" + random.nextInt(keySpace)).getBytes(StandardCharsets.UTF_8);
    }

    /** Mostly small values; sometimes empty or a few KiB. */
    byte[] value() {
        int r = random.nextInt(50);
        if (r == 0) {
            return new byte[0];
        }
        return bytes(r == 1 ? 8192 : 48);
    }

    KvCommand command() {
        return command(Map.of());
    }

    /**
     * A random command; compare-and-set expectations are taken from {@code current} half the time so that they
     * succeed often enough to matter.
     */
    KvCommand command(Map<String, byte[]> current) {
        int r = random.nextInt(100);
        if (r >= 70 && random.nextBoolean()) {
            return redisCommand(current); // half the CAS and batch share goes to the Redis-style commands
        }
        if (r < 45) {
            return new KvCommand.Put(key(), value());
        }
        if (r < 60) {
            return new KvCommand.Delete(key());
        }
        if (r < 90) {
            byte[] key = key();
            byte[] known = current.get(Model.name(key));
            byte[] expected = switch (random.nextInt(4)) {
                case 0 -> null;
                case 1 -> value();
                default -> known;
            };
            byte[] newValue = random.nextInt(5) == 0 ? null : value();
            return new KvCommand.CompareAndSet(key, expected, newValue);
        }
        int n = random.nextInt(12);
        List<KvCommand.Entry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(new KvCommand.Entry(key(), value()));
        }
        return new KvCommand.PutBatch(entries);
    }

    /** SET with a condition, INCRBY, APPEND, multi-key DEL, the occasional FLUSHDB, and transactions of them. */
    KvCommand redisCommand(Map<String, byte[]> current) {
        int r = random.nextInt(100);
        if (r < 20) {
            return new KvCommand.Set(key(), value(), KvCommand.Condition.values()[random.nextInt(3)]);
        }
        if (r < 45) {
            return new KvCommand.IncrBy(key(), delta());
        }
        if (r < 60) {
            return new KvCommand.Append(key(), bytes(random.nextInt(10) == 0 ? 3000 : 8));
        }
        if (r < 75) {
            return new KvCommand.DeleteKeys(keys(6));
        }
        if (r < 77) {
            return new KvCommand.Clear();
        }
        int n = random.nextInt(6);
        List<KvOperation> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            KvCommand c = random.nextInt(4) == 0 ? null : command(current);
            ops.add(c == null || c instanceof KvCommand.Transaction ? transactionQuery() : c);
        }
        return new KvCommand.Transaction(ops);
    }

    /** Small deltas mostly; sometimes the extremes, so that overflow happens. */
    long delta() {
        return switch (random.nextInt(10)) {
            case 0 -> Long.MAX_VALUE - random.nextInt(3);
            case 1 -> Long.MIN_VALUE + random.nextInt(3);
            default -> random.nextInt(21) - 10;
        };
    }

    List<byte[]> keys(int max) {
        List<byte[]> keys = new ArrayList<>();
        int n = 1 + random.nextInt(max);
        for (int i = 0; i < n; i++) {
            keys.add(key());
        }
        return keys;
    }

    /** A query a transaction may hold. */
    KvQuery transactionQuery() {
        return switch (random.nextInt(5)) {
            case 0 -> new KvQuery.Get(key());
            case 1 -> new KvQuery.Size();
            case 2 -> new KvQuery.Exists(keys(4));
            case 3 -> new KvQuery.MultiGet(keys(4));
            default -> new KvQuery.Strlen(key());
        };
    }

    KvQuery query() {
        return switch (random.nextInt(5)) {
            case 0 -> new KvQuery.Get(key());
            case 1 -> new KvQuery.Size();
            case 2 -> new KvQuery.Digest();
            case 3 -> new KvQuery.Scan(random.nextLong(), 1 + random.nextInt(100));
            default -> transactionQuery();
        };
    }

    KvResult result() {
        if (random.nextInt(3) == 0) {
            return newerResult(true);
        }
        return olderResult();
    }

    private KvResult newerResult(boolean allowTransaction) {
        return switch (random.nextInt(allowTransaction ? 7 : 5)) {
            case 0 -> new KvResult.Int(random.nextLong());
            case 1 -> {
                List<byte[]> values = new ArrayList<>();
                for (int i = random.nextInt(5); i > 0; i--) {
                    values.add(random.nextBoolean() ? null : value());
                }
                yield new KvResult.Values(values);
            }
            case 2 -> new KvResult.SetOutcome(random.nextBoolean(), random.nextBoolean() ? null : value());
            case 3 -> new KvResult.IntegerError(KvResult.IntegerProblem.values()[random.nextInt(2)]);
            case 4 -> new KvResult.ScanPage(random.nextLong(), keys(5));
            case 5 -> {
                List<KvResult> results = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    results.add(random.nextBoolean() ? olderResult() : newerResult(false));
                }
                yield new KvResult.TxResults(results);
            }
            default -> new KvResult.TxAborted(random.nextInt(100), newerResult(false));
        };
    }

    private KvResult olderResult() {
        return switch (random.nextInt(8)) {
            case 0 -> KvResult.OK;
            case 1 -> new KvResult.Found(value());
            case 2 -> KvResult.NOT_FOUND;
            case 3 -> new KvResult.CasFailed(random.nextBoolean() ? null : value());
            case 4 -> new KvResult.TooLarge(KvResult.Limit.values()[random.nextInt(3)], nonNegative(), nonNegative());
            case 5 -> new KvResult.Invalid(asciiText(200));
            case 6 -> new KvResult.Stats(nonNegative(), nonNegative());
            default -> new KvResult.StateDigest(bytesExactly(32), nonNegative(), nonNegative());
        };
    }

    private byte[] bytesExactly(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Spans every varint length, from 0 to Long.MAX_VALUE. */
    long nonNegative() {
        return random.nextLong() >>> (1 + random.nextInt(63));
    }

    String asciiText(int maxLength) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) {
            sb.append((char) (0x20 + random.nextInt(0x5f)));
        }
        return sb.toString();
    }
}
