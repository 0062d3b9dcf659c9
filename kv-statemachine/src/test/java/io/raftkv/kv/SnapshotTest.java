package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SnapshotTest {

    static LongStream seeds() {
        long base = Long.getLong("kv.seed", 4242L);
        return LongStream.range(base, base + 6);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Applies {@code n} random commands to both, from index {@code from + 1}; returns the last index. */
    private static long applyRandom(KvGen gen, Model model, KvStateMachine sm, long from, int n) {
        for (long i = from + 1; i <= from + n; i++) {
            KvCommand c = gen.command(model.entries);
            model.apply(c);
            sm.apply(i, KvCodec.encodeCommand(c));
        }
        return from + n;
    }

    private static byte[] write(KvSnapshot s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.writeTo(out);
        return out.toByteArray();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void roundTripRestoresContentAndIndex(long seed) throws IOException {
        KvGen gen = new KvGen(seed, 2000);
        Model model = new Model(KvLimits.DEFAULT);
        KvStateMachine sm = new KvStateMachine();
        long last = applyRandom(gen, model, sm, 0, 5000);
        byte[] bytes;
        try (KvSnapshot snap = sm.snapshot()) {
            assertEquals(last, snap.lastAppliedIndex());
            bytes = write(snap);
        }
        KvStateMachine restored = new KvStateMachine();
        restored.restore(last, new ByteArrayInputStream(bytes));
        assertEquals(last, restored.lastAppliedIndex());
        DeterminismTest.assertSameContent(seed, model.entries, restored);
        assertEquals(sm.query(new KvQuery.Digest()), restored.query(new KvQuery.Digest()));
        // and it goes on applying from there
        applyRandom(gen, model, restored, last, 100);
        DeterminismTest.assertSameContent(seed, model.entries, restored);
    }

    /**
     * The snapshot is a point-in-time view: while it is written out slowly on another thread, the apply thread
     * keeps going; the written snapshot holds exactly the state as of capture, as recorded by the model then.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotWhileApplyingHoldsTheStateAsOfCapture(long seed) throws Exception {
        KvGen gen = new KvGen(seed, 3000);
        Model model = new Model(KvLimits.DEFAULT);
        KvStateMachine sm = new KvStateMachine();
        long captured = applyRandom(gen, model, sm, 0, 8000);
        Map<String, byte[]> atCapture = model.copy();
        KvSnapshot snap = sm.snapshot();

        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream slow = new OutputStream() {
            @Override
            public void write(int b) {
                sink.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                sink.write(b, off, len);
                Thread.yield(); // let the apply thread interleave with every buffer the writer drains
            }
        };
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                snap.writeTo(slow);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        long last = captured;
        while (!writer.isDone() && last < captured + 200_000) {
            last = applyRandom(gen, model, sm, last, 50);
        }
        writer.get(60, TimeUnit.SECONDS);
        snap.close();
        assertTrue(last > captured, "the apply thread made progress during the write");

        KvStateMachine restored = new KvStateMachine();
        restored.restore(captured, new ByteArrayInputStream(sink.toByteArray()));
        assertEquals(captured, restored.lastAppliedIndex());
        DeterminismTest.assertSameContent(seed, atCapture, restored);
        DeterminismTest.assertSameContent(seed, model.entries, sm); // and the live one has moved on correctly
    }

    /** Every single-bit flip anywhere in a snapshot is caught as an IOException, never another exception. */
    @Test
    void everyBitFlipIsDetected() throws IOException {
        KvGen gen = new KvGen(1, 40);
        KvStateMachine sm = new KvStateMachine();
        long last = applyRandom(gen, new Model(KvLimits.DEFAULT), sm, 0, 60);
        byte[] good = write(sm.snapshot());
        for (int pos = 0; pos < good.length; pos++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[pos] ^= (byte) (1 << bit);
                assertRestoreFails(sm, last, bad, "bit " + bit + " of byte " + pos + "/" + good.length);
            }
        }
    }

    /** Every truncation is caught as an IOException, and the state is left as it was. */
    @Test
    void everyTruncationIsDetected() throws IOException {
        KvGen gen = new KvGen(2, 40);
        KvStateMachine sm = new KvStateMachine();
        long last = applyRandom(gen, new Model(KvLimits.DEFAULT), sm, 0, 60);
        byte[] good = write(sm.snapshot());
        for (int len = 0; len < good.length; len++) {
            assertRestoreFails(sm, last, Arrays.copyOf(good, len), "prefix of " + len + "/" + good.length);
        }
        IOException e = assertThrows(IOException.class,
                () -> new KvStateMachine().restore(last, new ByteArrayInputStream(Arrays.copyOf(good, good.length - 2))));
        assertInstanceOf(EOFException.class, e);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    private static void assertRestoreFails(KvStateMachine source, long index, byte[] bad, String what) {
        KvStateMachine target = new KvStateMachine();
        target.apply(1, KvCodec.encodeCommand(new KvCommand.Put(b("before"), b("restore"))));
        Object digestBefore = target.query(new KvQuery.Digest());
        try {
            target.restore(index, new ByteArrayInputStream(bad));
            fail(what + ": corrupt snapshot was accepted");
        } catch (IOException expected) {
            // clean failure
        } catch (RuntimeException e) {
            fail(what + ": escaped as " + e, e);
        }
        assertEquals(digestBefore, target.query(new KvQuery.Digest()), what + ": state changed");
        assertEquals(1, target.lastAppliedIndex(), what);
    }

    @Test
    void clearErrorsForForeignInputIndexMismatchAndTrailingBytes() throws IOException {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(7, KvCodec.encodeCommand(new KvCommand.Put(b("k"), b("v"))));
        byte[] good = write(sm.snapshot());

        assertMessage("bad magic", -1, new byte[]{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        assertMessage("metadata says 6", 6, good);
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertMessage("after its checksum", 7, trailing);
        byte[] badVersion = good.clone();
        badVersion[4] = 9;
        assertMessage("version 9", 7, badVersion);
    }

    @Test
    void aSnapshotTakenAfterEntriesThatAreNotCommandsRestoresAtTheMetadatasIndex() throws IOException {
        // Command 7, then a new leader's no-op at 8 (it never reaches the state machine), then the snapshot: its
        // metadata says 8, its state is that after command 7. A node restarting from it must come up.
        KvStateMachine sm = new KvStateMachine();
        sm.apply(7, KvCodec.encodeCommand(new KvCommand.Put(b("k"), b("v"))));
        KvStateMachine restored = new KvStateMachine();
        restored.restore(8, new ByteArrayInputStream(write(sm.snapshot())));
        assertEquals(8, restored.lastAppliedIndex(), "the log index the snapshot covers");
        assertEquals(new KvResult.Stats(1, 8), restored.query(new KvQuery.Size()));
        assertEquals(sm.query(new KvQuery.Get(b("k"))), restored.query(new KvQuery.Get(b("k"))));
        restored.apply(9, KvCodec.encodeCommand(new KvCommand.Delete(b("k")))); // and applying goes on after 8
    }

    @Test
    void aNoOpSkippedAfterTheLastCommandMovesTheIndexIntoTheSnapshot() throws IOException {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(7, KvCodec.encodeCommand(new KvCommand.Put(b("k"), b("v"))));
        sm.skip(8); // a new leader's no-op: same state, the index follows the log
        assertEquals(8, sm.lastAppliedIndex());
        assertThrows(IllegalStateException.class, () -> sm.skip(8), "each index once");
        KvStateMachine restored = new KvStateMachine();
        restored.restore(8, new ByteArrayInputStream(write(sm.snapshot())));
        // Servers in the same state report the same index (the fault harness compares digest@appliedIndex).
        assertEquals(sm.query(new KvQuery.Digest()), restored.query(new KvQuery.Digest()));
        assertMessage("metadata says 7", 7, write(sm.snapshot()));
    }

    private static void assertMessage(String expected, long index, byte[] input) {
        IOException e = assertThrows(IOException.class,
                () -> new KvStateMachine().restore(index, new ByteArrayInputStream(input)));
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
    }

    @Test
    void emptyStateAndLargeValuesRoundTrip() throws IOException {
        KvStateMachine empty = new KvStateMachine();
        KvStateMachine restoredEmpty = new KvStateMachine();
        restoredEmpty.restore(0, new ByteArrayInputStream(write(empty.snapshot())));
        assertEquals(new KvResult.Stats(0, 0), restoredEmpty.query(new KvQuery.Size()));

        // Values larger than the 64 KiB stream buffer and than the eager-allocation step.
        KvStateMachine sm = new KvStateMachine();
        SplittableRandom r = new SplittableRandom(3);
        byte[] big = new byte[1 << 20];
        r.nextBytes(big);
        byte[] mid = new byte[100_000];
        r.nextBytes(mid);
        sm.apply(1, KvCodec.encodeCommand(new KvCommand.Put(b("big"), big)));
        sm.apply(2, KvCodec.encodeCommand(new KvCommand.Put(b("mid"), mid)));
        sm.apply(3, KvCodec.encodeCommand(new KvCommand.Put(new byte[0], new byte[0])));
        KvStateMachine restored = new KvStateMachine();
        restored.restore(3, new ByteArrayInputStream(write(sm.snapshot())));
        assertEquals(new KvResult.Found(big), restored.query(new KvQuery.Get(b("big"))));
        assertEquals(new KvResult.Found(mid), restored.query(new KvQuery.Get(b("mid"))));
        assertEquals(new KvResult.Found(new byte[0]), restored.query(new KvQuery.Get(new byte[0])));
    }

    /** A stream that hands out one byte per read() still restores: the reader must not assume full reads. */
    @Test
    void restoresFromAStreamWithShortReads() throws IOException {
        KvGen gen = new KvGen(5, 100);
        Model model = new Model(KvLimits.DEFAULT);
        KvStateMachine sm = new KvStateMachine();
        long last = applyRandom(gen, model, sm, 0, 300);
        ByteArrayInputStream all = new ByteArrayInputStream(write(sm.snapshot()));
        InputStream trickle = new InputStream() {
            @Override
            public int read() {
                return all.read();
            }

            @Override
            public int read(byte[] buf, int off, int len) {
                return all.read(buf, off, Math.min(len, 3));
            }
        };
        KvStateMachine restored = new KvStateMachine();
        restored.restore(last, trickle);
        DeterminismTest.assertSameContent(5, model.entries, restored);
    }

    @Test
    void aClosedSnapshotCannotBeWritten() {
        KvSnapshot s = new KvStateMachine().snapshot();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.writeTo(OutputStream.nullOutputStream()));
    }
}
