package io.raftkv.transport.netty;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Seeded generators of every message type, with edge values mixed in, plus a deep equality check. */
final class RandomMessages {
    static final int TYPE_COUNT = 11;

    private final SplittableRandom random;

    RandomMessages(long seed) {
        this.random = new SplittableRandom(seed);
    }

    SplittableRandom random() {
        return random;
    }

    /** A message of type {@code kind} (0..10), from and to random node ids. */
    RaftMessage message(int kind) {
        return message(kind, id(), id());
    }

    RaftMessage message(int kind, String from, String to) {
        return switch (kind) {
            case 0 -> new VoteRequest(from, to, anyLong(), anyLong(), anyLong(), random.nextBoolean(),
                    random.nextBoolean());
            case 1 -> new VoteResponse(from, to, anyLong(), random.nextBoolean(), random.nextBoolean());
            case 2 -> new AppendEntriesRequest(from, to, anyLong(), anyLong(), anyLong(), entries(), anyLong(),
                    anyLong());
            case 3 -> new AppendEntriesResponse(from, to, anyLong(), random.nextBoolean(), anyLong(), anyLong(),
                    anyLong(), anyLong(), anyLong(), anyLong());
            case 4 -> new InstallSnapshotRequest(from, to, anyLong(), anyLong(), anyLong(), configuration(),
                    anyLong(), payload(), random.nextBoolean());
            case 5 -> new InstallSnapshotResponse(from, to, anyLong(), anyLong(), anyLong(), anyLong(),
                    random.nextBoolean());
            case 6 -> new TimeoutNow(from, to, anyLong());
            case 7 -> new ReadIndexRequest(from, to, anyLong(), anyLong());
            case 8 -> new ReadIndexResponse(from, to, anyLong(), anyLong(), anyLong(), random.nextBoolean());
            case 9 -> new ForwardRequest(from, to, anyLong(), anyLong(), commands());
            case 10 -> random.nextBoolean()
                    ? ForwardResponse.accepted(from, to, anyLong(), anyLong(), random.nextLong(1, Long.MAX_VALUE),
                            random.nextInt(1, 5000))
                    : ForwardResponse.rejected(from, to, anyLong(), anyLong(), random.nextBoolean()
                            ? "not leader; leader is " + id() : "x".repeat(random.nextInt(0, 200)));
            default -> throw new IllegalArgumentException("kind " + kind);
        };
    }

    /** Mostly small non-negative values (as terms and indexes are), with the edges of the 64-bit range. */
    long anyLong() {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> random.nextLong(); // negative half the time: the codec must round-trip any 64 bits
            case 3 -> 127 + random.nextInt(3); // the one-byte / two-byte varint boundary
            default -> random.nextLong(1, 1L << random.nextInt(1, 50));
        };
    }

    String id() {
        return switch (random.nextInt(6)) {
            case 0 -> "n" + random.nextInt(10);
            case 1 -> "ноде-" + random.nextInt(100) + "-\u00e9\u4e2d\ud83d\ude00"; // multi-byte UTF-8
            case 2 -> "x".repeat(random.nextInt(1, WireFormat.MAX_STRING_BYTES + 1));
            default -> "node-" + Long.toHexString(random.nextLong());
        };
    }

    byte[] payload() {
        int size = switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1, 200_000); // large
            default -> random.nextInt(1, 200);
        };
        byte[] data = new byte[size];
        random.nextBytes(data);
        return data;
    }

    List<LogEntry> entries() {
        int count = switch (random.nextInt(5)) {
            case 0 -> 0; // heartbeat
            case 1 -> random.nextInt(1, 200);
            default -> random.nextInt(1, 8);
        };
        List<LogEntry> entries = new ArrayList<>(count);
        long index = random.nextLong(1, Long.MAX_VALUE - 1000);
        EntryType[] types = EntryType.values();
        for (int i = 0; i < count; i++) {
            long term = random.nextInt(10) == 0 ? Long.MAX_VALUE : random.nextLong(0, 1000);
            entries.add(new LogEntry(index + i, term, types[random.nextInt(types.length)],
                    count > 50 ? smallPayload() : payload()));
        }
        return entries;
    }

    List<byte[]> commands() {
        int count = switch (random.nextInt(4)) {
            case 0 -> 1;
            case 1 -> random.nextInt(1, 300);
            default -> random.nextInt(1, 10);
        };
        List<byte[]> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            commands.add(count > 50 ? smallPayload() : payload());
        }
        return commands;
    }

    private byte[] smallPayload() {
        byte[] data = new byte[random.nextInt(0, 100)];
        random.nextBytes(data);
        return data;
    }

    Configuration configuration() {
        int n = random.nextInt(0, 8);
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String address = random.nextInt(4) == 0 ? "" : "127.0.0." + random.nextInt(256) + ":" + random.nextInt(65536);
            members.add(new Member("m" + i + "-" + random.nextInt(1000), address, random.nextBoolean()));
        }
        Configuration simple = new Configuration(members);
        if (random.nextInt(3) != 0) {
            return simple;
        }
        // A joint configuration (§6): C_old from some of these servers, C_new from others, overlapping or not.
        List<Member> old = new ArrayList<>();
        List<Member> next = new ArrayList<>();
        for (Member m : members) {
            if (random.nextBoolean()) {
                old.add(new Member(m.id(), m.address(), random.nextBoolean()));
            }
            if (random.nextBoolean()) {
                next.add(m);
            }
        }
        Configuration oldHalf = new Configuration(old);
        Configuration newHalf = new Configuration(next);
        boolean voters = !oldHalf.voterIds().isEmpty() && !newHalf.voterIds().isEmpty();
        return voters ? Configuration.joint(oldHalf, newHalf) : simple;
    }

    /** Records compare arrays by identity; this compares every field by value. */
    static void assertSameMessage(RaftMessage expected, RaftMessage actual, String context) {
        if (expected instanceof InstallSnapshotRequest e && actual instanceof InstallSnapshotRequest a) {
            assertEquals(e.from(), a.from(), context);
            assertEquals(e.to(), a.to(), context);
            assertEquals(e.term(), a.term(), context);
            assertEquals(e.lastIncludedIndex(), a.lastIncludedIndex(), context);
            assertEquals(e.lastIncludedTerm(), a.lastIncludedTerm(), context);
            assertEquals(e.configuration(), a.configuration(), context);
            assertEquals(e.offset(), a.offset(), context);
            assertArrayEquals(e.data(), a.data(), context);
            assertEquals(e.done(), a.done(), context);
        } else if (expected instanceof ForwardRequest e && actual instanceof ForwardRequest a) {
            assertEquals(e.from(), a.from(), context);
            assertEquals(e.to(), a.to(), context);
            assertEquals(e.term(), a.term(), context);
            assertEquals(e.batchId(), a.batchId(), context);
            assertEquals(e.commands().size(), a.commands().size(), context);
            for (int i = 0; i < e.commands().size(); i++) {
                assertArrayEquals(e.commands().get(i), a.commands().get(i), context + " command " + i);
            }
        } else {
            assertEquals(expected, actual, context);
        }
    }

    static String describe(RaftMessage m) {
        String s = m.toString();
        return m.getClass().getSimpleName() + (s.length() > 300 ? s.substring(0, 300) + "..." : s)
                + (m instanceof InstallSnapshotRequest is ? " data=" + Arrays.hashCode(is.data()) : "");
    }
}
