package io.raftkv.core.session;

import io.raftkv.core.statemachine.StateMachine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static io.raftkv.core.session.CounterMachine.cmd;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Snapshots of the table with the inner state, and determinism: machines fed the same entries give the same
 * answers, whether or not one of them went through a snapshot on the way (thesis §6.3: the table is part of the
 * replicated state). Seeds from {@code -Dsession.seed} (default 1), each failure names its seed.
 */
class SessionSnapshotTest {

    static LongStream seeds() {
        long first = Long.getLong("session.seed", 1);
        return LongStream.range(first, first + 25);
    }

    /** A random stream of session entries (and plain commands) over a few sessions, with retries and gaps in time. */
    static List<byte[]> randomEntries(SplittableRandom r, int n) {
        List<byte[]> out = new ArrayList<>();
        List<Long> sessions = new ArrayList<>();
        long now = 1_000;
        long[] nextSeq = new long[64];
        for (int i = 1; i <= n; i++) {
            now += r.nextInt(10) == 0 ? r.nextInt(40_000) : r.nextInt(50);
            int dice = r.nextInt(100);
            if (sessions.isEmpty() || dice < 8) {
                out.add(new SessionFrame.Register(now, 30_000).encode());
                sessions.add((long) i); // the id is the entry's index
                continue;
            }
            int k = r.nextInt(sessions.size());
            long s = sessions.get(k);
            int slot = k % nextSeq.length;
            if (dice < 12) {
                out.add(cmd("plain" + r.nextInt(3)));
            } else if (dice < 15) {
                out.add(new SessionFrame.KeepAlive(now, s, Math.max(0, nextSeq[slot] - r.nextInt(3))).encode());
            } else if (dice < 17) {
                out.add(new SessionFrame.Close(now, s).encode());
            } else if (dice < 19) {
                out.add(new byte[]{SessionFrame.TAG, 1, (byte) r.nextInt(256)}); // garbage frame
            } else {
                boolean retry = nextSeq[slot] > 0 && r.nextInt(3) == 0;
                long seq = retry ? Math.max(1, nextSeq[slot] - r.nextInt(4)) : ++nextSeq[slot];
                long acked = Math.max(0, seq - r.nextInt(5));
                out.add(new SessionFrame.Invoke(now, s, seq, acked, cmd("k" + r.nextInt(4))).encode());
            }
        }
        return out;
    }

    private static SessionOptions smallCaps() {
        return SessionOptions.defaults().withSessionTimeout(Duration.ofSeconds(30)).withMaxSessions(6)
                .withMaxAnswersPerSession(3).withMaxAnswerBytes(8 * 86);
    }

    static byte[] snapshotBytes(StateMachine sm) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (StateMachine.Snapshot s = sm.snapshot()) {
            s.writeTo(out);
        }
        return out.toByteArray();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aRestoredTableAnswersExactlyAsTheOriginal(long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        List<byte[]> entries = randomEntries(r, 400);
        int cut = 1 + r.nextInt(entries.size() - 1);
        SessionStateMachine original = new SessionStateMachine(new CounterMachine(), smallCaps());
        SessionStateMachine other = new SessionStateMachine(new CounterMachine(), smallCaps());
        for (int i = 0; i < cut; i++) {
            assertArrayEquals(original.apply(i + 1, entries.get(i)), other.apply(i + 1, entries.get(i)),
                    "seed " + seed + ": two servers disagree at index " + (i + 1));
        }
        SessionStateMachine restored = new SessionStateMachine(new CounterMachine(), smallCaps());
        restored.restore(cut, new ByteArrayInputStream(snapshotBytes(original)));
        assertEquals(cut, restored.lastAppliedIndex());
        assertEquals(original.stats().sessions(), restored.stats().sessions(), "seed " + seed);
        assertEquals(original.stats().answerBytes(), restored.stats().answerBytes(), "seed " + seed);
        for (int i = cut; i < entries.size(); i++) {
            byte[] expected = original.apply(i + 1, entries.get(i));
            assertArrayEquals(expected, restored.apply(i + 1, entries.get(i)),
                    "seed " + seed + ": the restored machine answers differently at index " + (i + 1) + " (cut " + cut + ")");
            assertArrayEquals(expected, other.apply(i + 1, entries.get(i)), "seed " + seed);
        }
        assertArrayEquals(snapshotBytes(original), snapshotBytes(restored), "seed " + seed + ": snapshots differ");
    }

    @Test
    void everyBitFlipInTheTableSectionFailsAndLeavesTheStateAlone() throws IOException {
        SessionStateMachine sm = new SessionStateMachine(new CounterMachine(), smallCaps());
        List<byte[]> entries = randomEntries(new SplittableRandom(7), 60);
        for (int i = 0; i < entries.size(); i++) {
            sm.apply(i + 1, entries.get(i));
        }
        byte[] good = snapshotBytes(sm);
        int section = sectionLength(good);
        SessionStateMachine target = new SessionStateMachine(new CounterMachine(), smallCaps());
        long s = ((SessionReply.Registered) SessionReply.decode(target.apply(1, new SessionFrame.Register(0, 30_000)
                .encode()))).sessionId();
        target.apply(2, new SessionFrame.Invoke(1, s, 1, 1, cmd("z")).encode());
        byte[] before = snapshotBytes(target);
        for (int bit = 0; bit < section * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            if (bit < 32 && !java.util.Arrays.equals(java.util.Arrays.copyOf(bad, 4), SessionSnapshotFormat.MAGIC)) {
                // A broken magic reads as a snapshot from before sessions: then the inner machine rejects the bytes.
                assertThrows(IOException.class, () -> target.restore(entries.size(), new ByteArrayInputStream(bad)));
                continue;
            }
            int at = bit;
            assertThrows(IOException.class, () -> target.restore(entries.size(), new ByteArrayInputStream(bad)),
                    "bit " + at + " flipped");
        }
        for (int len = 0; len < good.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(good, len);
            assertThrows(IOException.class, () -> target.restore(entries.size(), new ByteArrayInputStream(cut)),
                    "truncated to " + len);
        }
        assertArrayEquals(before, snapshotBytes(target), "a failed restore changed the state");
        assertEquals(2, target.lastAppliedIndex());
    }

    @Test
    void aSnapshotFromBeforeSessionsRestoresWithAnEmptyTable() throws IOException {
        CounterMachine plain = new CounterMachine();
        plain.apply(1, cmd("a"));
        plain.apply(2, cmd("a"));
        byte[] legacy = snapshotBytes(plain);
        SessionStateMachine sm = new SessionStateMachine(new CounterMachine(), smallCaps());
        sm.restore(3, new ByteArrayInputStream(legacy));
        assertEquals(3, sm.lastAppliedIndex());
        assertEquals(0, sm.stats().sessions());
        assertEquals("2", CounterMachine.text(sm.query(cmd("a"))));
        assertInstanceOf(SessionReply.UnknownSession.class,
                SessionReply.decode(sm.apply(4, new SessionFrame.Invoke(0, 1, 1, 1, cmd("a")).encode())));
    }

    @Test
    void aSectionThatChecksOutButDoesNotDecodeIsRejected() throws IOException {
        // Two sessions with the same id: a writer bug, not a bit flip; the checksum is right, the content is not.
        SessionTable.Image image = new SessionTable.Image(0, List.of(
                new SessionTable.SessionImage(5, 10, 0, 0, 0, new long[0], new byte[0][]),
                new SessionTable.SessionImage(5, 10, 0, 0, 0, new long[0], new byte[0][])));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SessionSnapshotFormat.write(image, out);
        out.write(snapshotBytes(new CounterMachine()));
        SessionStateMachine sm = new SessionStateMachine(new CounterMachine(), smallCaps());
        IOException e = assertThrows(IOException.class, () -> sm.restore(1, new ByteArrayInputStream(out.toByteArray())));
        assertTrue(e.getMessage().contains("occurs twice"), e.getMessage());
    }

    private static int sectionLength(byte[] snapshot) {
        int body = (snapshot[5] & 0xff) << 24 | (snapshot[6] & 0xff) << 16 | (snapshot[7] & 0xff) << 8 | (snapshot[8] & 0xff);
        return 9 + body + 4;
    }
}
