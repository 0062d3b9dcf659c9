package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KvStateMachineTest {
    private final KvStateMachine sm = new KvStateMachine(new KvLimits(8, 16, 3));
    private long index;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private KvResult apply(KvCommand c) {
        return KvCodec.decodeResult(sm.apply(++index, KvCodec.encodeCommand(c)));
    }

    private KvResult get(String key) {
        return KvCodec.decodeResult(sm.query(KvCodec.encodeQuery(new KvQuery.Get(b(key)))));
    }

    @Test
    void putGetDelete() {
        assertEquals(KvResult.NOT_FOUND, get("a"));
        assertEquals(KvResult.OK, apply(new KvCommand.Put(b("a"), b("1"))));
        assertEquals(new KvResult.Found(b("1")), get("a"));
        assertEquals(KvResult.OK, apply(new KvCommand.Put(b("a"), b("2"))));
        assertEquals(new KvResult.Found(b("2")), get("a"));
        assertEquals(KvResult.OK, apply(new KvCommand.Delete(b("a"))));
        assertEquals(KvResult.NOT_FOUND, get("a"));
        assertEquals(KvResult.OK, apply(new KvCommand.Delete(b("a"))), "deleting an absent key is not an error");
        assertEquals(new KvResult.Stats(0, 4), sm.query(new KvQuery.Size()));
        assertEquals(4, sm.lastAppliedIndex());
    }

    @Test
    void casExpectingAbsence() {
        assertEquals(KvResult.OK, apply(new KvCommand.CompareAndSet(b("k"), null, b("v1"))));
        assertEquals(new KvResult.Found(b("v1")), get("k"));
        assertEquals(new KvResult.CasFailed(b("v1")), apply(new KvCommand.CompareAndSet(b("k"), null, b("v2"))),
                "a create-if-absent on a present key fails and reports the current value");
        assertEquals(new KvResult.Found(b("v1")), get("k"));
    }

    @Test
    void casMismatchReturnsCurrentAndChangesNothing() {
        apply(new KvCommand.Put(b("k"), b("old")));
        assertEquals(new KvResult.CasFailed(b("old")), apply(new KvCommand.CompareAndSet(b("k"), b("other"), b("new"))));
        assertEquals(new KvResult.Found(b("old")), get("k"));
        assertEquals(new KvResult.CasFailed(null), apply(new KvCommand.CompareAndSet(b("absent"), b("x"), b("y"))),
                "expecting a value of an absent key fails with no current value");
        assertEquals(KvResult.NOT_FOUND, get("absent"));
    }

    @Test
    void casSwapsAndDeletes() {
        apply(new KvCommand.Put(b("k"), b("old")));
        assertEquals(KvResult.OK, apply(new KvCommand.CompareAndSet(b("k"), b("old"), b("new"))));
        assertEquals(new KvResult.Found(b("new")), get("k"));
        assertEquals(KvResult.OK, apply(new KvCommand.CompareAndSet(b("k"), b("new"), null)));
        assertEquals(KvResult.NOT_FOUND, get("k"));
        assertEquals(KvResult.OK, apply(new KvCommand.CompareAndSet(b("k"), null, null)),
                "absent-to-absent swaps trivially");
    }

    @Test
    void batchPutsAllKeysAndLaterDuplicatesWin() {
        assertEquals(KvResult.OK, apply(new KvCommand.PutBatch(List.of(new KvCommand.Entry(b("a"), b("1")),
                new KvCommand.Entry(b("b"), b("2")), new KvCommand.Entry(b("a"), b("3"))))));
        assertEquals(new KvResult.Found(b("3")), get("a"));
        assertEquals(new KvResult.Found(b("2")), get("b"));
        assertEquals(KvResult.OK, apply(new KvCommand.PutBatch(List.of())), "an empty batch is a no-op");
    }

    @Test
    void limitsAreEnforcedAtApplyAsResultsAndNothingChanges() {
        assertEquals(KvResult.OK, apply(new KvCommand.Put(b("12345678"), new byte[16])), "exactly at the limits");
        assertEquals(new KvResult.TooLarge(KvResult.Limit.KEY_BYTES, 9, 8), apply(new KvCommand.Put(b("123456789"), b("v"))));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 17, 16), apply(new KvCommand.Put(b("k"), new byte[17])));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.KEY_BYTES, 9, 8), apply(new KvCommand.Delete(b("123456789"))));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 17, 16),
                apply(new KvCommand.CompareAndSet(b("k"), new byte[17], null)));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 17, 16),
                apply(new KvCommand.CompareAndSet(b("k"), null, new byte[17])));
        // One oversize entry fails the whole batch: it is atomic.
        assertEquals(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 17, 16), apply(new KvCommand.PutBatch(List.of(
                new KvCommand.Entry(b("x"), b("1")), new KvCommand.Entry(b("y"), new byte[17])))));
        assertEquals(KvResult.NOT_FOUND, get("x"));
        KvCommand.Entry e = new KvCommand.Entry(b("z"), b("1"));
        assertEquals(new KvResult.TooLarge(KvResult.Limit.BATCH_ENTRIES, 4, 3),
                apply(new KvCommand.PutBatch(List.of(e, e, e, e))));
        assertEquals(new KvResult.Stats(1, index), sm.query(new KvQuery.Size()));
    }

    @Test
    void validateGivesTheServerTheSameAnswerBeforeProposing() {
        assertTrue(sm.validate(new KvCommand.Put(b("k"), b("v"))).isEmpty());
        assertEquals(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 17, 16),
                sm.validate(new KvCommand.Put(b("k"), new byte[17])).orElseThrow());
        KvStateMachine defaults = new KvStateMachine();
        assertTrue(defaults.validate(new KvCommand.Put(new byte[4096], new byte[1 << 20])).isEmpty());
        assertEquals(KvResult.Limit.KEY_BYTES,
                defaults.validate(new KvCommand.Put(new byte[4097], new byte[0])).orElseThrow().limit());
        assertEquals(KvResult.Limit.VALUE_BYTES,
                defaults.validate(new KvCommand.Put(new byte[1], new byte[(1 << 20) + 1])).orElseThrow().limit());
    }

    @Test
    void malformedCommandsAreResultsThatConsumeTheirIndex() {
        apply(new KvCommand.Put(b("a"), b("1")));
        for (byte[] garbage : List.of(new byte[0], new byte[]{9}, new byte[]{1, 0x7f}, new byte[]{1, 0x01, 50, 1})) {
            KvResult r = KvCodec.decodeResult(sm.apply(++index, garbage));
            assertInstanceOf(KvResult.Invalid.class, r);
            assertTrue(((KvResult.Invalid) r).reason().startsWith("malformed command"), r.toString());
            assertEquals(index, sm.lastAppliedIndex());
        }
        assertEquals(new KvResult.Stats(1, index), sm.query(new KvQuery.Size()));
    }

    @Test
    void malformedQueriesAreResults() {
        KvResult r = KvCodec.decodeResult(sm.query(new byte[]{1, 0x10, 5}));
        assertInstanceOf(KvResult.Invalid.class, r);
    }

    @Test
    void applyingAnIndexTwiceOrBackwardsIsAContractViolation() {
        sm.apply(5, KvCodec.encodeCommand(new KvCommand.Put(b("a"), b("1"))));
        byte[] again = KvCodec.encodeCommand(new KvCommand.Put(b("a"), b("2")));
        assertThrows(IllegalStateException.class, () -> sm.apply(5, again));
        assertThrows(IllegalStateException.class, () -> sm.apply(4, again));
        assertEquals(new KvResult.Found(b("1")), get("a"));
        sm.apply(9, again); // gaps are fine: no-op and configuration entries never reach the state machine
        assertEquals(9, sm.lastAppliedIndex());
    }

    @Test
    void typedGetReturnsACopy() {
        apply(new KvCommand.Put(b("a"), b("1")));
        KvResult.Found f1 = (KvResult.Found) sm.query(new KvQuery.Get(b("a")));
        f1.value()[0] = 'X';
        KvResult.Found f2 = (KvResult.Found) sm.query(new KvQuery.Get(b("a")));
        assertArrayEquals(b("1"), f2.value());
        assertNotSame(f1.value(), f2.value());
    }

    @Test
    void digestIsOrderIndependentAndTracksContent() {
        KvStateMachine other = new KvStateMachine(sm.limits());
        apply(new KvCommand.Put(b("a"), b("1")));
        apply(new KvCommand.Put(b("b"), b("2")));
        other.apply(1, KvCodec.encodeCommand(new KvCommand.Put(b("b"), b("2"))));
        other.apply(2, KvCodec.encodeCommand(new KvCommand.Put(b("a"), b("1"))));
        KvResult.StateDigest d1 = (KvResult.StateDigest) sm.query(new KvQuery.Digest());
        KvResult.StateDigest d2 = (KvResult.StateDigest) other.query(new KvQuery.Digest());
        assertEquals(d1, d2);
        other.apply(3, KvCodec.encodeCommand(new KvCommand.Put(b("a"), b("1!"))));
        KvResult.StateDigest d3 = (KvResult.StateDigest) other.query(new KvQuery.Digest());
        assertTrue(!java.util.Arrays.equals(d1.digest(), d3.digest()), "a changed value changes the digest");
        assertArrayEquals(new byte[32], ((KvResult.StateDigest) new KvStateMachine().query(new KvQuery.Digest())).digest());
    }
}
