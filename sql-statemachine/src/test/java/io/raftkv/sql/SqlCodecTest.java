package io.raftkv.sql;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

class SqlCodecTest {
    static LongStream seeds() {
        long first = Long.getLong("sql.seed", 0);
        return LongStream.range(first, first + 30);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void roundTripsAreExactAndCanonical(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SqlCommand c = SqlGen.command(r);
        byte[] bytes = SqlCodec.encodeCommand(c);
        assertEquals(c, SqlCodec.decodeCommand(bytes), "seed " + seed);
        assertArrayEquals(bytes, SqlCodec.encodeCommand(SqlCodec.decodeCommand(bytes)), "seed " + seed);
        SqlQuery q = new SqlQuery.Read(c.statements());
        assertEquals(q, SqlCodec.decodeQuery(SqlCodec.encodeQuery(q)), "seed " + seed);
        SqlResult res = SqlGen.result(r);
        assertEquals(res, SqlCodec.decodeResult(SqlCodec.encodeResult(res)), "seed " + seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyTruncationAndGarbageFailsWithACodecException(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] command = SqlCodec.encodeCommand(SqlGen.command(r));
        byte[] result = SqlCodec.encodeResult(SqlGen.result(r));
        for (int len = 0; len < command.length; len++) {
            byte[] cut = Arrays.copyOf(command, len);
            assertThrows(SqlCodecException.class, () -> SqlCodec.decodeCommand(cut), "seed " + seed + " length " + len);
        }
        for (int len = 0; len < result.length; len++) {
            byte[] cut = Arrays.copyOf(result, len);
            assertThrows(SqlCodecException.class, () -> SqlCodec.decodeResult(cut), "seed " + seed + " length " + len);
        }
        for (int i = 0; i < 200; i++) {
            byte[] flipped = command.clone();
            flipped[r.nextInt(flipped.length)] ^= (byte) (1 << r.nextInt(8));
            decodesOrFailsCleanly(flipped, SqlCodec::decodeCommand, seed);
            byte[] garbage = new byte[r.nextInt(64)];
            r.nextBytes(garbage);
            if (garbage.length > 0 && r.nextBoolean()) {
                garbage[0] = 1; // get past the version byte now and then
            }
            decodesOrFailsCleanly(garbage, SqlCodec::decodeCommand, seed);
            decodesOrFailsCleanly(garbage, SqlCodec::decodeQuery, seed);
            decodesOrFailsCleanly(garbage, SqlCodec::decodeResult, seed);
        }
    }

    private static void decodesOrFailsCleanly(byte[] bytes, Function<byte[], ?> decoder, long seed) {
        try {
            decoder.apply(bytes);
        } catch (SqlCodecException expected) {
            // the only failure allowed
        } catch (RuntimeException e) {
            fail("seed " + seed + ": " + Arrays.toString(bytes) + " raised " + e, e);
        }
    }

    @Test
    void trailingBytesBadUtf8AndForeignOpcodesAreRejected() {
        byte[] ok = SqlCodec.encodeCommand(Sql.command("SELECT 1"));
        byte[] longer = Arrays.copyOf(ok, ok.length + 1);
        assertThrows(SqlCodecException.class, () -> SqlCodec.decodeCommand(longer));
        byte[] query = SqlCodec.encodeQuery(SqlQuery.Digest.INSTANCE);
        assertThrows(SqlCodecException.class, () -> SqlCodec.decodeCommand(query), "a query is not a command");
        byte[] badUtf8 = ok.clone();
        badUtf8[badUtf8.length - 9 - 3] = (byte) 0xff; // inside "SELECT 1"
        assertThrows(SqlCodecException.class, () -> SqlCodec.decodeCommand(badUtf8));
        byte[] flags = ok.clone();
        flags[2] = 2;
        assertThrows(SqlCodecException.class, () -> SqlCodec.decodeCommand(flags));
    }

    @Test
    void theReadmeExampleByteForByte() {
        SqlCommand c = new SqlCommand(List.of(SqlStatement.of("SELECT ?", SqlValue.of(7))), true, 1, 2);
        assertEquals("01 01 01 0000000000000001 0000000000000002 00000001 00000008 53454c454354203f 00000001 01 0000000000000007 00000000",
                hex(SqlCodec.encodeCommand(c)));
    }

    private static String hex(byte[] b) {
        String h = java.util.HexFormat.of().formatHex(b);
        // Grouped as the README prints it: version, opcode, flags, time, seed, count, sql length, sql, …
        int[] widths = {2, 2, 2, 16, 16, 8, 8, 16, 8, 2, 16, 8};
        StringBuilder sb = new StringBuilder();
        int at = 0;
        for (int w : widths) {
            sb.append(sb.length() == 0 ? "" : " ").append(h, at, at + w);
            at += w;
        }
        return sb.toString();
    }
}
