package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class KvCodecTest {

    static LongStream seeds() {
        long base = Long.getLong("kv.seed", 20261124L);
        return LongStream.range(base, base + 20);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void commandsRoundTripAndEncodingIsCanonical(long seed) {
        KvGen gen = new KvGen(seed, 50);
        for (int i = 0; i < 500; i++) {
            KvCommand c = gen.command();
            byte[] bytes = KvCodec.encodeCommand(c);
            KvCommand back = KvCodec.decodeCommand(bytes);
            assertEquals(c, back, () -> "seed " + seed + ": round trip of " + c);
            assertArrayEquals(bytes, KvCodec.encodeCommand(back), () -> "seed " + seed + ": re-encoding of " + c);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void queriesRoundTrip(long seed) {
        KvGen gen = new KvGen(seed, 50);
        for (int i = 0; i < 300; i++) {
            KvQuery q = gen.query();
            assertEquals(q, KvCodec.decodeQuery(KvCodec.encodeQuery(q)), () -> "seed " + seed + ": " + q);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void resultsRoundTrip(long seed) {
        KvGen gen = new KvGen(seed, 50);
        for (int i = 0; i < 500; i++) {
            KvResult r = gen.result();
            byte[] bytes = KvCodec.encodeResult(r);
            assertEquals(r, KvCodec.decodeResult(bytes), () -> "seed " + seed + ": " + r);
        }
    }

    /** Every strict prefix of a valid encoding is rejected with KvCodecException, never misread or crashed on. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyTruncationIsRejected(long seed) {
        KvGen gen = new KvGen(seed, 50);
        for (int i = 0; i < 30; i++) {
            checkPrefixes(seed, KvCodec.encodeCommand(gen.command()), KvCodec::decodeCommand);
            checkPrefixes(seed, KvCodec.encodeQuery(gen.query()), KvCodec::decodeQuery);
            checkPrefixes(seed, KvCodec.encodeResult(gen.result()), KvCodec::decodeResult);
        }
    }

    private static void checkPrefixes(long seed, byte[] full, Function<byte[], ?> decoder) {
        for (int len = 0; len < full.length; len++) {
            byte[] prefix = Arrays.copyOf(full, len);
            int n = len;
            assertThrows(KvCodecException.class, () -> decoder.apply(prefix),
                    () -> "seed " + seed + ": prefix of " + n + "/" + full.length + " bytes was accepted");
        }
    }

    /** Random garbage and random mutations of valid encodings: decoding either succeeds or throws KvCodecException. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void garbageNeverEscapesAsAnotherException(long seed) {
        KvGen gen = new KvGen(seed, 50);
        SplittableRandom r = gen.random;
        for (int i = 0; i < 2000; i++) {
            byte[] b;
            if (i % 2 == 0) {
                b = gen.bytes(40);
                if (b.length > 0 && r.nextBoolean()) {
                    b[0] = KvCodec.VERSION; // get past the version check more often
                }
            } else {
                b = KvCodec.encodeCommand(gen.command());
                for (int flips = 1 + r.nextInt(3); flips > 0; flips--) {
                    b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                }
            }
            byte[] input = b;
            for (Function<byte[], ?> decoder : List.<Function<byte[], ?>>of(
                    KvCodec::decodeCommand, KvCodec::decodeQuery, KvCodec::decodeResult)) {
                try {
                    decoder.apply(input);
                } catch (KvCodecException expected) {
                    // fine: rejected cleanly
                } catch (RuntimeException e) {
                    fail("seed " + seed + ": " + Arrays.toString(input) + " escaped as " + e, e);
                }
            }
        }
    }

    @Test
    void putEncodingMatchesTheReadme() {
        byte[] b = KvCodec.encodeCommand(new KvCommand.Put(utf8("ab"), utf8("xyz")));
        assertArrayEquals(new byte[]{1, 0x01, 2, 'a', 'b', 3, 'x', 'y', 'z'}, b);
    }

    @Test
    void casEncodingMatchesTheReadme() {
        byte[] expectAbsent = KvCodec.encodeCommand(new KvCommand.CompareAndSet(utf8("k"), null, utf8("v")));
        assertArrayEquals(new byte[]{1, 0x03, 1, 'k', 0x02, 1, 'v'}, expectAbsent);
        byte[] deleteIfEqual = KvCodec.encodeCommand(new KvCommand.CompareAndSet(utf8("k"), utf8("o"), null));
        assertArrayEquals(new byte[]{1, 0x03, 1, 'k', 0x01, 1, 'o'}, deleteIfEqual);
    }

    @Test
    void batchAndResultEncodingsMatchTheReadme() {
        byte[] batch = KvCodec.encodeCommand(new KvCommand.PutBatch(List.of(
                new KvCommand.Entry(utf8("a"), utf8("1")), new KvCommand.Entry(utf8("b"), new byte[0]))));
        assertArrayEquals(new byte[]{1, 0x04, 2, 1, 'a', 1, '1', 1, 'b', 0}, batch);
        assertArrayEquals(new byte[]{1, 0x23, 1, 1, 'v'}, KvCodec.encodeResult(new KvResult.CasFailed(utf8("v"))));
        assertArrayEquals(new byte[]{1, 0x24, 2, (byte) 0x81, (byte) 0x80, 0x40, (byte) 0x80, (byte) 0x80, 0x40},
                KvCodec.encodeResult(new KvResult.TooLarge(KvResult.Limit.VALUE_BYTES, 1048577, 1048576)));
    }

    @Test
    void lengthsAreVarints() {
        byte[] value = new byte[300];
        byte[] b = KvCodec.encodeCommand(new KvCommand.Put(new byte[0], value));
        // 300 = 0b10_0101100: low 7 bits 0x2c with continuation, then 0x02.
        assertEquals(2 + 1 + 2 + 300, b.length);
        assertEquals((byte) 0xac, b[3]);
        assertEquals(0x02, b[4]);
    }

    @Test
    void rejectsUnknownVersionOpcodeAndFlags() {
        assertMessage("unsupported format version 2", new byte[]{2, 0x01, 0, 0});
        assertMessage("unknown command opcode 0x11", KvCodec.encodeQuery(new KvQuery.Size()));
        assertMessage("unknown CAS flags 0x4", new byte[]{1, 0x03, 0, 0x04});
        assertMessage("empty input", new byte[0]);
    }

    @Test
    void rejectsTrailingBytesAndLengthsPastTheEnd() {
        assertMessage("1 unexpected trailing bytes", new byte[]{1, 0x02, 1, 'k', 'x'});
        assertMessage("key length 100", new byte[]{1, 0x02, 100, 'k'});
        // A length near 2^63 must not be believed, let alone allocated.
        assertMessage("exceeds", new byte[]{1, 0x02, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f});
        // A batch claiming a billion entries in 3 bytes is rejected before a list is allocated.
        assertMessage("cannot fit", new byte[]{1, 0x04, (byte) 0x80, (byte) 0x94, (byte) 0xeb, (byte) 0xdc, 0x03});
    }

    @Test
    void rejectsNonCanonicalAndOverlongVarints() {
        assertMessage("shortest form", new byte[]{1, 0x02, (byte) 0x81, 0x00, 'k'});
        byte[] elevenBytes = new byte[13];
        elevenBytes[0] = 1;
        elevenBytes[1] = 0x02;
        Arrays.fill(elevenBytes, 2, 13, (byte) 0x80);
        assertMessage("overflows 64 bits", elevenBytes);
        // 2^63 fits the 64 bits but is no length: it must not wrap around to a negative or zero length.
        assertMessage("9223372036854775808", new byte[]{1, 0x02, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
        assertMessage("9223372036854775808", new byte[]{1, 0x04, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
    }

    @Test
    void invalidReasonsAreCutOnACharacterBoundary() {
        String longReason = "é".repeat(2000);
        KvResult.Invalid back = (KvResult.Invalid) KvCodec.decodeResult(
                KvCodec.encodeResult(new KvResult.Invalid(longReason)));
        assertTrue(back.reason().length() <= 512 && longReason.startsWith(back.reason()), back.reason());
    }

    private static void assertMessage(String expected, byte[] input) {
        KvCodecException e = assertThrows(KvCodecException.class, () -> KvCodec.decodeCommand(input));
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' lacks '" + expected + "'");
    }
}
