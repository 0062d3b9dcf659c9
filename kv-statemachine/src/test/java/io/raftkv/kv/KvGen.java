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

    KvQuery query() {
        return switch (random.nextInt(3)) {
            case 0 -> new KvQuery.Get(key());
            case 1 -> new KvQuery.Size();
            default -> new KvQuery.Digest();
        };
    }

    KvResult result() {
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
