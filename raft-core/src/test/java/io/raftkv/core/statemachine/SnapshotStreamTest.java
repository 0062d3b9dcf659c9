package io.raftkv.core.statemachine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link SnapshotOutput} and {@link SnapshotInput}: every field type round-trips, and every truncation, bit flip,
 * trailing byte, foreign header and over-long length is an {@link IOException} (never another exception, never an
 * allocation beyond the input). Seeded: a failure names its seed; rerun with {@code -Dsnapshot.seed=N}.
 */
class SnapshotStreamTest {
    private static final long FIRST_SEED = Long.getLong("snapshot.seed", 1);

    static LongStream seeds() {
        return LongStream.range(FIRST_SEED, FIRST_SEED + 20);
    }

    /** One random record of every field type, written and then read back in the same order. */
    private record Fields(List<Object> values) {
        static Fields random(SplittableRandom r) {
            List<Object> values = new ArrayList<>();
            for (int i = 0, n = r.nextInt(1, 40); i < n; i++) {
                values.add(switch (r.nextInt(7)) {
                    case 0 -> (byte) r.nextInt(256);
                    case 1 -> r.nextBoolean();
                    case 2 -> r.nextInt();
                    case 3 -> r.nextLong();
                    case 4 -> r.nextInt(0, Integer.MAX_VALUE) >>> r.nextInt(31); // varint, any size
                    case 5 -> bytes(r, r.nextInt(0, r.nextInt(10) == 0 ? 70_000 : 40)); // crosses the buffers
                    default -> new String(bytes(r, r.nextInt(20)), StandardCharsets.ISO_8859_1) + "é€";
                });
            }
            return new Fields(values);
        }

        void write(SnapshotOutput out) throws IOException {
            for (Object v : values) {
                if (v instanceof Byte b) {
                    out.writeByte(b);
                } else if (v instanceof Boolean b) {
                    out.writeBoolean(b);
                } else if (v instanceof Long l) {
                    out.writeLong(l);
                } else if (v instanceof Integer i && i >= 0) {
                    out.writeVarInt(i);
                } else if (v instanceof Integer i) {
                    out.writeInt(i);
                } else if (v instanceof byte[] b) {
                    out.writeBlob(b);
                } else {
                    out.writeString((String) v);
                }
            }
        }

        /** Reads the fields back in order; what was read equals what was written. */
        void readAndCompare(SnapshotInput in) throws IOException {
            for (Object v : values) {
                Object read = readLike(v, in);
                if (v instanceof byte[] b) {
                    assertArrayEquals(b, (byte[]) read);
                } else {
                    assertEquals(v instanceof Byte b ? b & 0xff : v, read);
                }
            }
        }

        private static Object readLike(Object v, SnapshotInput in) throws IOException {
            if (v instanceof Byte) {
                return in.readByte("byte");
            } else if (v instanceof Boolean) {
                return in.readBoolean("boolean");
            } else if (v instanceof Long) {
                return in.readLong("long");
            } else if (v instanceof Integer i && i >= 0) {
                return in.readVarInt("varint");
            } else if (v instanceof Integer) {
                return in.readInt("int");
            } else if (v instanceof byte[]) {
                return in.readBlob("blob");
            }
            return in.readString("string");
        }

        /** Reads it all back as a restore would, whatever the values turn out to be, then checks the trailer. */
        void readBack(byte[] stream, long maxIndex) throws IOException {
            SnapshotInput in = SnapshotInput.open(new ByteArrayInputStream(stream), "TEST", 3, maxIndex, "test snapshot");
            for (Object v : values) {
                readLike(v, in);
            }
            in.finish();
        }
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] write(Fields f, long index) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotOutput out = SnapshotOutput.begin(bytes, "TEST", 3, index);
        f.write(out);
        out.finish();
        return bytes.toByteArray();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void everyFieldTypeRoundTrips(long seed) throws IOException {
        Fields f = Fields.random(new SplittableRandom(seed));
        long index = new SplittableRandom(seed).nextLong(0, Long.MAX_VALUE);
        byte[] stream = write(f, index);
        SnapshotInput in = SnapshotInput.open(new ByteArrayInputStream(stream), "TEST", 3, index, "test snapshot");
        assertEquals(index, in.index(), "seed " + seed);
        f.readAndCompare(in);
        in.finish();
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void everyTruncationAndEveryBitFlipIsAnIoException(long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        Fields f = Fields.random(r);
        byte[] good = write(f, 7);
        // Reading a truncated stream may read fewer fields than written: compare nothing, just require IOException.
        for (int len = 0; len < good.length; len += Math.max(1, good.length / 300)) {
            byte[] cut = Arrays.copyOf(good, len);
            assertIoException(() -> f.readBack(cut, 7), "seed " + seed + ": prefix of " + len);
        }
        for (int i = 0; i < 200; i++) {
            byte[] flipped = good.clone();
            int at = r.nextInt(flipped.length);
            flipped[at] ^= (byte) (1 << r.nextInt(8));
            assertIoException(() -> f.readBack(flipped, 7), "seed " + seed + ": bit flip at " + at);
        }
    }

    private interface Read {
        void run() throws IOException;
    }

    private static void assertIoException(Read read, String what) {
        try {
            read.run();
            fail(what + ": accepted");
        } catch (IOException expected) {
            // clean failure
        } catch (RuntimeException e) {
            fail(what + ": escaped as " + e, e);
        }
    }

    @Test
    void foreignHeadersTrailingBytesAndAHigherIndexAreRefusedWithClearMessages() throws IOException {
        Fields f = new Fields(List.of(42L));
        byte[] good = write(f, 9);
        assertMessage("bad magic", () -> SnapshotInput.open(new ByteArrayInputStream(good), "TSET", 3, 9, "test snapshot"));
        assertMessage("version 3 (this build reads 4)",
                () -> SnapshotInput.open(new ByteArrayInputStream(good), "TEST", 4, 9, "test snapshot"));
        assertMessage("cannot hold commands after",
                () -> SnapshotInput.open(new ByteArrayInputStream(good), "TEST", 3, 8, "test snapshot"));
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertMessage("after its checksum", () -> f.readBack(trailing, 9));
        f.readBack(good, 10); // a snapshot taken after a no-op: its metadata may be past the stream's index
        EOFException e = assertThrows(EOFException.class, () -> f.readBack(Arrays.copyOf(good, good.length - 2), 9));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void aHugeLengthDoesNotAllocateBeyondTheInput() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotOutput out = SnapshotOutput.begin(bytes, "TEST", 3, 1);
        out.writeVarInt(Integer.MAX_VALUE); // a blob that claims 2 GiB
        out.writeBytes(new byte[10]);
        out.finish();
        SnapshotInput in = SnapshotInput.open(new ByteArrayInputStream(bytes.toByteArray()), "TEST", 3, 1, "test snapshot");
        IOException e = assertThrows(IOException.class, () -> in.readBlob("blob"));
        assertInstanceOf(EOFException.class, e);
    }

    @Test
    void aMapRoundTripsInItsOrderAndARepeatedKeyIsCorrupt() throws IOException {
        java.util.TreeMap<String, Long> map = new java.util.TreeMap<>(java.util.Map.of("b", 2L, "a", -1L, "c", 0L));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotOutput out = SnapshotOutput.begin(bytes, "TEST", 3, 1);
        out.writeMap(map, SnapshotOutput::writeString, SnapshotOutput::writeLong);
        out.finish();
        SnapshotInput in = SnapshotInput.open(new ByteArrayInputStream(bytes.toByteArray()), "TEST", 3, 1, "test snapshot");
        java.util.LinkedHashMap<String, Long> read = in.readMap(java.util.LinkedHashMap::new, i -> i.readString("key"),
                i -> i.readLong("value"));
        in.finish();
        assertEquals(List.copyOf(map.entrySet()), List.copyOf(read.entrySet()), "same entries, same order");

        ByteArrayOutputStream twice = new ByteArrayOutputStream();
        SnapshotOutput o = SnapshotOutput.begin(twice, "TEST", 3, 1);
        o.writeVarInt(2);
        for (int i = 0; i < 2; i++) {
            o.writeString("same");
            o.writeLong(i);
        }
        o.finish();
        SnapshotInput dup = SnapshotInput.open(new ByteArrayInputStream(twice.toByteArray()), "TEST", 3, 1, "test snapshot");
        assertMessage("appears twice", () -> dup.readMap(java.util.HashMap::new, i -> i.readString("key"),
                i -> i.readLong("value")));
    }

    @Test
    void aMagicIsFourAsciiCharacters() {
        assertThrows(IllegalArgumentException.class, () -> SnapshotOutput.begin(new ByteArrayOutputStream(), "KV", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> SnapshotOutput.begin(new ByteArrayOutputStream(), "KVSé", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> SnapshotOutput.begin(new ByteArrayOutputStream(), "KVSS", 256, 0));
    }

    private static void assertMessage(String expected, Read read) {
        IOException e = assertThrows(IOException.class, read::run);
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' lacks '" + expected + "'");
    }
}
