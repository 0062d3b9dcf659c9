package io.raftkv.kv;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * State Machine Safety (§5.4.3) needs apply to be deterministic: servers that apply the same log reach the same
 * state and the same results. Two instances apply one random command sequence, with malformed and oversize
 * commands mixed in, give byte-identical results, and are checked against a model (java.util.HashMap).
 */
class DeterminismTest {
    private static final KvLimits LIMITS = new KvLimits(12, 4096, 8);

    static LongStream seeds() {
        long base = Long.getLong("kv.seed", 77L);
        return LongStream.range(base, base + 12);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void sameCommandsSameResultsSameDigest(long seed) {
        KvGen gen = new KvGen(seed, 300);
        Model model = new Model(LIMITS);
        KvStateMachine a = new KvStateMachine(LIMITS);
        KvStateMachine b = new KvStateMachine(LIMITS);
        List<byte[]> log = new ArrayList<>();
        for (long index = 1; index <= 3000; index++) {
            byte[] command;
            KvResult expected;
            if (gen.random.nextInt(50) == 0) {
                command = gen.bytes(12); // garbage: must be an Invalid result everywhere
                expected = null;
            } else {
                KvCommand c = gen.command(model.entries);
                command = KvCodec.encodeCommand(c);
                expected = model.apply(c);
            }
            log.add(command);
            byte[] ra = a.apply(index, command);
            byte[] rb = b.apply(index, command);
            long i = index;
            assertArrayEquals(ra, rb, () -> "seed " + seed + ": results differ at index " + i);
            if (expected != null) {
                assertEquals(expected, KvCodec.decodeResult(ra), () -> "seed " + seed + ": index " + i);
            }
        }
        assertEquals(a.query(new KvQuery.Digest()), b.query(new KvQuery.Digest()), "seed " + seed);
        assertSameContent(seed, model.entries, a);

        // A third server replaying the same log later reaches the same digest.
        KvStateMachine c = new KvStateMachine(LIMITS);
        for (int i = 0; i < log.size(); i++) {
            c.apply(i + 1, log.get(i));
        }
        assertEquals(a.query(new KvQuery.Digest()), c.query(new KvQuery.Digest()), "seed " + seed);
    }

    /** The state machine holds exactly the model's entries: same size, and every model key maps to its value. */
    static void assertSameContent(long seed, Map<String, byte[]> model, KvStateMachine sm) {
        assertEquals(model.size(), sm.size(), () -> "seed " + seed + ": size");
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            byte[] key = e.getKey().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            assertEquals(new KvResult.Found(e.getValue()), sm.query(new KvQuery.Get(key)),
                    () -> "seed " + seed + ": key " + e.getKey());
        }
    }
}
