package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands behind the RESP front door: SET conditions, INCRBY, APPEND, multi-key DEL, FLUSHDB, MULTI, SCAN. */
class RedisCommandsTest {
    private final KvStateMachine sm = new KvStateMachine(new KvLimits(16, 32, 4));
    private long index;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private KvResult apply(KvCommand c) {
        return KvCodec.decodeResult(sm.apply(++index, KvCodec.encodeCommand(c)));
    }

    private KvResult query(KvQuery q) {
        return KvCodec.decodeResult(sm.query(KvCodec.encodeQuery(q)));
    }

    private KvResult get(String key) {
        return query(new KvQuery.Get(b(key)));
    }

    @Test
    void setConditionsReportWhetherTheySetAndThePreviousValue() {
        assertEquals(new KvResult.SetOutcome(false, null), apply(new KvCommand.Set(b("k"), b("1"), KvCommand.Condition.IF_PRESENT)));
        assertEquals(KvResult.NOT_FOUND, get("k"));
        assertEquals(new KvResult.SetOutcome(true, null), apply(new KvCommand.Set(b("k"), b("1"), KvCommand.Condition.IF_ABSENT)));
        assertEquals(new KvResult.SetOutcome(false, b("1")), apply(new KvCommand.Set(b("k"), b("2"), KvCommand.Condition.IF_ABSENT)));
        assertEquals(new KvResult.Found(b("1")), get("k"));
        assertEquals(new KvResult.SetOutcome(true, b("1")), apply(new KvCommand.Set(b("k"), b("3"), KvCommand.Condition.IF_PRESENT)));
        assertEquals(new KvResult.SetOutcome(true, b("3")), apply(new KvCommand.Set(b("k"), b("4"), KvCommand.Condition.ALWAYS)));
        assertEquals(new KvResult.Found(b("4")), get("k"));
    }

    /** Redis's string2ll: what INCR accepts as a stored integer, and what it refuses. */
    @ParameterizedTest(name = "[{index}] ''{0}''")
    @CsvSource(delimiter = '|', value = {
            "0|0", "7|7", "-7|-7", "9223372036854775807|9223372036854775807",
            "-9223372036854775808|-9223372036854775808",
            "9223372036854775808|", "-9223372036854775809|", "-0|", "+1|", "01|", "' 1'|", "'1 '|", "1.0|", "1e3|",
            "abc|", "''|", "-|", "00|", "99999999999999999999|", "123456789012345678901|"})
    void integerParsingFollowsRedis(String text, String expected) {
        Long parsed = CommandExecution.parseInteger(text.getBytes(StandardCharsets.US_ASCII));
        assertEquals(expected == null ? null : Long.valueOf(expected), parsed, text);
    }

    @Test
    void incrByCountsFromZeroAndStoresDecimal() {
        assertEquals(new KvResult.Int(1), apply(new KvCommand.IncrBy(b("n"), 1)));
        assertEquals(new KvResult.Int(-9), apply(new KvCommand.IncrBy(b("n"), -10)));
        assertEquals(new KvResult.Found(b("-9")), get("n"));
    }

    @Test
    void incrByRefusesNonIntegersAndOverflowAndChangesNothing() {
        apply(new KvCommand.Put(b("s"), b("12a")));
        assertEquals(new KvResult.IntegerError(KvResult.IntegerProblem.NOT_AN_INTEGER), apply(new KvCommand.IncrBy(b("s"), 1)));
        assertEquals(new KvResult.Found(b("12a")), get("s"));
        apply(new KvCommand.Put(b("m"), b(Long.toString(Long.MAX_VALUE))));
        assertEquals(new KvResult.IntegerError(KvResult.IntegerProblem.OVERFLOW), apply(new KvCommand.IncrBy(b("m"), 1)));
        assertEquals(new KvResult.Found(b(Long.toString(Long.MAX_VALUE))), get("m"));
        apply(new KvCommand.Put(b("l"), b("-1")));
        assertEquals(new KvResult.IntegerError(KvResult.IntegerProblem.OVERFLOW), apply(new KvCommand.IncrBy(b("l"), Long.MIN_VALUE)));
        assertEquals(new KvResult.Int(Long.MIN_VALUE), apply(new KvCommand.IncrBy(b("z"), Long.MIN_VALUE)));
    }

    @Test
    void appendGrowsUpToTheValueLimitAndNoFurther() {
        assertEquals(new KvResult.Int(5), apply(new KvCommand.Append(b("a"), b("hello"))));
        assertEquals(new KvResult.Int(11), apply(new KvCommand.Append(b("a"), b(" world"))));
        assertEquals(new KvResult.Found(b("hello world")), get("a"));
        assertEquals(new KvResult.Int(11), query(new KvQuery.Strlen(b("a"))));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 33, 32),
                apply(new KvCommand.Append(b("a"), b("0123456789012345678912"))));
        assertEquals(new KvResult.Found(b("hello world")), get("a"));
        assertEquals(new KvResult.Int(0), query(new KvQuery.Strlen(b("none"))));
    }

    @Test
    void deleteKeysCountsKeysThatExistedOnceAndExistsCountsRepeats() {
        apply(new KvCommand.PutBatch(List.of(new KvCommand.Entry(b("a"), b("1")), new KvCommand.Entry(b("b"), b("2")))));
        assertEquals(new KvResult.Int(4), query(new KvQuery.Exists(List.of(b("a"), b("a"), b("b"), b("b")))));
        assertEquals(new KvResult.Values(java.util.Arrays.asList(b("1"), null, b("2"))),
                query(new KvQuery.MultiGet(List.of(b("a"), b("x"), b("b")))));
        assertEquals(new KvResult.Int(1), apply(new KvCommand.DeleteKeys(List.of(b("a"), b("a"), b("x")))));
        assertEquals(new KvResult.Int(0), query(new KvQuery.Exists(List.of(b("a")))));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.BATCH_ENTRIES, 5, 4),
                apply(new KvCommand.DeleteKeys(List.of(b("1"), b("2"), b("3"), b("4"), b("5")))));
    }

    @Test
    void transactionAppliesInOrderAndReadsItsOwnWrites() {
        KvResult r = apply(new KvCommand.Transaction(List.of(
                new KvCommand.Put(b("a"), b("1")),
                new KvCommand.IncrBy(b("a"), 5),
                new KvQuery.Get(b("a")),
                new KvCommand.Append(b("a"), b("0")))));
        assertEquals(new KvResult.TxResults(List.of(KvResult.OK, new KvResult.Int(6), new KvResult.Found(b("6")),
                new KvResult.Int(2))), r);
        assertEquals(new KvResult.Found(b("60")), get("a"));
    }

    @Test
    void aFailingOperationAbortsTheWholeTransaction() {
        apply(new KvCommand.Put(b("text"), b("x")));
        long before = sm.lastAppliedIndex();
        KvResult r = apply(new KvCommand.Transaction(List.of(
                new KvCommand.Put(b("a"), b("1")),
                new KvCommand.Clear(),
                new KvCommand.Put(b("a"), b("5")),
                new KvCommand.IncrBy(b("a"), Long.MAX_VALUE))));
        assertEquals(new KvResult.TxAborted(3, new KvResult.IntegerError(KvResult.IntegerProblem.OVERFLOW)), r);
        assertEquals(KvResult.NOT_FOUND, get("a"));
        assertEquals(new KvResult.Found(b("x")), get("text"));
        assertEquals(before + 1, sm.lastAppliedIndex(), "the aborted transaction still consumes its index");
        assertEquals(Set.of("text"), names(scanAll(sm, 1)), "the scan order was not touched either");
    }

    @Test
    void transactionsCannotNest() {
        KvCommand.Transaction inner = new KvCommand.Transaction(List.of());
        assertThrows(IllegalArgumentException.class, () -> new KvCommand.Transaction(List.of(inner)));
        assertThrows(IllegalArgumentException.class, () -> new KvCommand.Transaction(List.of(new KvQuery.Scan(0, 1))));
        // Crafted bytes of a nested transaction: an Invalid result at apply, like any malformed command.
        byte[] innerBytes = KvCodec.encodeCommand(inner);
        byte[] crafted = new byte[3 + 1 + innerBytes.length];
        crafted[0] = 1;
        crafted[1] = KvCodec.OP_TRANSACTION;
        crafted[2] = 1;
        crafted[3] = (byte) innerBytes.length;
        System.arraycopy(innerBytes, 0, crafted, 4, innerBytes.length);
        assertThrows(KvCodecException.class, () -> KvCodec.decodeCommand(crafted));
        assertTrue(KvCodec.decodeResult(sm.apply(++index, crafted)) instanceof KvResult.Invalid);
    }

    @Test
    void clearRemovesEverythingAndTheScanOrderFollowsAfterRewrites() {
        apply(new KvCommand.Put(b("a"), b("1")));
        apply(new KvCommand.Put(b("b"), b("2")));
        assertEquals(KvResult.OK, apply(new KvCommand.Clear()));
        assertEquals(new KvResult.Stats(0, index), query(new KvQuery.Size()));
        assertEquals(0, scanAll(sm, 10).size());
        apply(new KvCommand.Transaction(List.of(new KvCommand.Clear(), new KvCommand.Put(b("a"), b("1")))));
        apply(new KvCommand.Put(b("c"), b("1")));
        assertEquals(Set.of("a", "c"), names(scanAll(sm, 1)));
    }

    static LongStream seeds() {
        long base = Long.getLong("kv.seed", 4242L);
        return LongStream.range(base, base + 10);
    }

    /**
     * SCAN's guarantee under writes between steps: every key that exists for the whole walk is returned exactly
     * once; nothing returned is a key that never existed during the walk. Also after a snapshot restore.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void scanWalkReturnsEveryKeyPresentThroughoutExactlyOnce(long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        KvStateMachine[] holder = {new KvStateMachine()};
        long[] idx = {0};
        java.util.function.Consumer<KvCommand> write = c -> holder[0].apply(++idx[0], KvCodec.encodeCommand(c));
        for (int i = 0; i < 500; i++) {
            write.accept(new KvCommand.Put(b("k" + random.nextInt(800)), b("v")));
        }
        if (random.nextBoolean()) { // the order survives a restore into a fresh state machine
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (KvSnapshot snap = holder[0].snapshot()) {
                snap.writeTo(out);
            }
            KvStateMachine restored = new KvStateMachine();
            restored.restore(idx[0], new ByteArrayInputStream(out.toByteArray()));
            holder[0] = restored;
        }
        KvStateMachine store = holder[0];
        Set<String> atStart = names(scanAll(store, 1000));
        Set<String> everSeen = new HashSet<>(atStart);
        Set<String> deleted = new HashSet<>();
        Map<String, Integer> returned = new HashMap<>();
        long cursor = 0;
        int steps = 0;
        do {
            KvResult.ScanPage page = (KvResult.ScanPage) store.query(new KvQuery.Scan(cursor, 1 + random.nextInt(20)));
            for (byte[] k : page.keys()) {
                returned.merge(new String(k, StandardCharsets.UTF_8), 1, Integer::sum);
            }
            cursor = page.nextCursor();
            for (int w = random.nextInt(30); w > 0; w--) { // writes between steps: create and delete keys
                String key = "k" + random.nextInt(1200);
                if (random.nextInt(3) == 0) {
                    write.accept(new KvCommand.Delete(b(key)));
                    deleted.add(key);
                } else {
                    write.accept(new KvCommand.Put(b(key), b("w")));
                    everSeen.add(key);
                }
            }
            assertTrue(++steps < 10_000, "seed " + seed + ": the walk does not end");
        } while (cursor != 0);
        for (String key : atStart) {
            if (!deleted.contains(key)) {
                assertEquals(1, returned.getOrDefault(key, 0), "seed " + seed + ": key " + key + " present throughout");
            }
        }
        for (Map.Entry<String, Integer> e : returned.entrySet()) {
            assertEquals(1, e.getValue(), "seed " + seed + ": key " + e.getKey() + " returned twice");
            assertTrue(everSeen.contains(e.getKey()), "seed " + seed + ": key " + e.getKey() + " out of nowhere");
        }
    }

    @Test
    void scanCursorIsTheSameOnEveryServer() {
        KvStateMachine a = new KvStateMachine();
        KvStateMachine c = new KvStateMachine();
        for (int i = 1; i <= 50; i++) {
            byte[] cmd = KvCodec.encodeCommand(new KvCommand.Put(b("key" + i), b("v")));
            a.apply(i, cmd);
            c.apply(i, cmd);
        }
        KvResult.ScanPage first = (KvResult.ScanPage) a.query(new KvQuery.Scan(0, 10));
        assertEquals(first, c.query(new KvQuery.Scan(0, 10)));
        assertEquals(a.query(new KvQuery.Scan(first.nextCursor(), 10)), c.query(new KvQuery.Scan(first.nextCursor(), 10)));
    }

    static List<byte[]> scanAll(KvStateMachine store, int count) {
        List<byte[]> all = new ArrayList<>();
        long cursor = 0;
        do {
            KvResult.ScanPage page = (KvResult.ScanPage) store.query(new KvQuery.Scan(cursor, count));
            all.addAll(page.keys());
            cursor = page.nextCursor();
        } while (cursor != 0);
        return all;
    }

    private static Set<String> names(List<byte[]> keys) {
        Set<String> out = new HashSet<>();
        keys.forEach(k -> out.add(new String(k, StandardCharsets.UTF_8)));
        return out;
    }
}
