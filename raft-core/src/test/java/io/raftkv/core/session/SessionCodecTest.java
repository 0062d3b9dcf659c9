package io.raftkv.core.session;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Frames and replies: round trips, the documented bytes, and total decoders (garbage only ever raises SessionFormatException). */
class SessionCodecTest {

    static LongStream seeds() {
        long first = Long.getLong("session.seed", 1);
        return LongStream.range(first, first + 20);
    }

    private static long anyLong(SplittableRandom r) {
        return switch (r.nextInt(4)) {
            case 0 -> r.nextInt(128);
            case 1 -> r.nextLong(1L << 40);
            case 2 -> Long.MAX_VALUE - r.nextInt(3);
            default -> r.nextLong(Long.MAX_VALUE);
        };
    }

    static SessionFrame randomFrame(SplittableRandom r) {
        long stamp = anyLong(r);
        return switch (r.nextInt(4)) {
            case 0 -> new SessionFrame.Register(stamp, 1 + anyLong(r) / 2);
            case 1 -> {
                byte[] cmd = new byte[r.nextInt(40)];
                r.nextBytes(cmd);
                yield new SessionFrame.Invoke(stamp, anyLong(r), 1 + anyLong(r) / 2, anyLong(r), cmd);
            }
            case 2 -> new SessionFrame.KeepAlive(stamp, anyLong(r), anyLong(r));
            default -> new SessionFrame.Close(stamp, anyLong(r));
        };
    }

    static SessionReply randomReply(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> new SessionReply.Registered(anyLong(r), anyLong(r));
            case 1 -> {
                byte[] res = new byte[r.nextInt(30)];
                r.nextBytes(res);
                yield new SessionReply.Answered(res, r.nextBoolean());
            }
            case 2 -> new SessionReply.UnknownSession(anyLong(r));
            case 3 -> new SessionReply.SequenceTooOld(anyLong(r), anyLong(r),
                    SessionReply.Reason.values()[r.nextInt(2)]);
            case 4 -> SessionReply.DONE;
            default -> new SessionReply.Malformed("why " + r.nextInt(1000) + " ü");
        };
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void framesAndRepliesRoundTripAndEveryTruncationIsRejected(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 200; i++) {
            SessionFrame f = randomFrame(r);
            byte[] bytes = f.encode();
            assertTrue(SessionFrame.isFrame(bytes));
            assertEquals(f, SessionFrame.decode(bytes), "seed " + seed);
            if (!(f instanceof SessionFrame.Invoke)) { // an Invoke's command is "the rest": any prefix decodes
                for (int len = 0; len < bytes.length; len++) {
                    byte[] cut = Arrays.copyOf(bytes, len);
                    assertThrows(SessionFormatException.class, () -> SessionFrame.decode(cut), "seed " + seed);
                }
            }
            SessionReply rep = randomReply(r);
            byte[] rb = rep.encode();
            assertEquals(rep, SessionReply.decode(rb), "seed " + seed);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void garbageOnlyEverRaisesSessionFormatException(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 2_000; i++) {
            byte[] junk = new byte[r.nextInt(24)];
            r.nextBytes(junk);
            if (junk.length > 0 && r.nextBoolean()) {
                junk[0] = SessionFrame.TAG;
                if (junk.length > 1) {
                    junk[1] = 1;
                }
            }
            try {
                SessionFrame.decode(junk);
            } catch (SessionFormatException expected) {
                // fine: a clear "not a frame"
            }
            try {
                SessionReply.decode(junk);
            } catch (SessionFormatException expected) {
                // fine
            }
        }
    }

    @Test
    void theDocumentedBytes() {
        // Register at stamp 1000 ms for 60 s: fe 01 01 e8 07 e0 d4 03
        assertEquals("fe0101e807e0d403", HexFormat.of().formatHex(new SessionFrame.Register(1000, 60_000).encode()));
        // Invoke session 3, seq 2, ackedBelow 2, command "x" at stamp 0: fe 01 02 00 03 02 02 78
        assertEquals("fe0102000302027" + "8", HexFormat.of().formatHex(
                new SessionFrame.Invoke(0, 3, 2, 2, new byte[]{'x'}).encode()));
        assertEquals("fe0115", HexFormat.of().formatHex(SessionReply.DONE.encode()));
        assertEquals("fe0114030502", HexFormat.of().formatHex(
                new SessionReply.SequenceTooOld(3, 5, SessionReply.Reason.EVICTED).encode()));
    }

    @Test
    void nonCanonicalVarintsAndOutOfRangeValuesAreRejected() {
        // stamp 0 written as 80 00 (two bytes): not shortest form
        assertThrows(SessionFormatException.class, () -> SessionFrame.decode(HexFormat.of().parseHex("fe01048000" + "01")));
        // a session id of 2^63 does not fit a long
        assertThrows(SessionFormatException.class, () -> SessionFrame.decode(HexFormat.of().parseHex(
                "fe010400" + "80808080808080808001")));
        // seq 0
        assertThrows(SessionFormatException.class, () -> SessionFrame.decode(HexFormat.of().parseHex("fe0102000100" + "00")));
        // trailing bytes after a close
        assertThrows(SessionFormatException.class, () -> SessionFrame.decode(HexFormat.of().parseHex("fe0104000100")));
        // another version
        assertThrows(SessionFormatException.class, () -> SessionFrame.decode(HexFormat.of().parseHex("fe020400" + "01")));
    }

    @Test
    void onlyTheTagMarksAFrame() {
        assertFalse(SessionFrame.isFrame(new byte[0]));
        assertFalse(SessionFrame.isFrame(new byte[]{1, 1, 2}));
        assertArrayEquals(new byte[]{'x'}, ((SessionFrame.Invoke) SessionFrame.decode(
                new SessionFrame.Invoke(5, 1, 1, 0, new byte[]{'x'}).encode())).command());
    }
}
