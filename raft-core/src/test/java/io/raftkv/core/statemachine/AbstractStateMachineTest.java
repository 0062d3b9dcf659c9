package io.raftkv.core.statemachine;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What {@link AbstractStateMachine} keeps right for its subclasses: the applied index, and safe snapshots. */
class AbstractStateMachineTest {

    /** Remembers the value each key was last given: "key=value" commands, "key" queries. */
    static final class Registers extends AbstractStateMachine {
        private volatile Map<String, String> values = new TreeMap<>();

        Registers() {
            super("REGS", 1);
        }

        @Override
        protected byte[] applyCommand(long index, byte[] command) {
            String[] kv = new String(command, StandardCharsets.UTF_8).split("=", 2);
            if (kv.length != 2) {
                return "invalid".getBytes(StandardCharsets.UTF_8); // a deterministic failure is a result
            }
            Map<String, String> next = new TreeMap<>(values);
            next.put(kv[0], kv[1]);
            values = next;
            return "ok".getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] query(byte[] request) {
            return values.getOrDefault(new String(request, StandardCharsets.UTF_8), "").getBytes(StandardCharsets.UTF_8);
        }

        @Override
        protected StateWriter captureState() {
            Map<String, String> captured = values; // immutable once published
            return out -> out.writeMap(captured, SnapshotOutput::writeString, SnapshotOutput::writeString);
        }

        @Override
        protected Runnable readState(SnapshotInput in) throws IOException {
            Map<String, String> restored = in.readMap(TreeMap::new, i -> i.readString("key"), i -> i.readString("value"));
            return () -> values = restored;
        }

        String digest() {
            return stateDigest();
        }
    }

    /** The same registers as text: "key=value" commands, "key" queries, "#digest" for {@link #stateDigest()}. */
    static final class TextRegisters extends TextStateMachine {
        private final TreeMap<String, String> values = new TreeMap<>();

        TextRegisters() {
            super("TREG", 1);
        }

        @Override
        protected String applyText(long index, String command) {
            String[] kv = command.split("=", 2);
            if (kv.length != 2) {
                return "invalid";
            }
            values.put(kv[0], kv[1]);
            return "ok";
        }

        @Override
        protected synchronized String queryText(String query) {
            return query.equals("#digest") ? stateDigest() : values.getOrDefault(query, "");
        }

        @Override
        protected StateWriter captureState() {
            Map<String, String> copy = new TreeMap<>(values);
            return out -> out.writeMap(copy, SnapshotOutput::writeString, SnapshotOutput::writeString);
        }

        @Override
        protected Runnable readState(SnapshotInput in) throws IOException {
            Map<String, String> read = in.readMap(TreeMap::new, i -> i.readString("key"), i -> i.readString("value"));
            return () -> {
                values.clear();
                values.putAll(read);
            };
        }
    }

    @Test
    void aTextMachineSeesStringsAndItsSnapshotRoundTrips() throws IOException {
        TextRegisters sm = new TextRegisters();
        assertArrayEquals(b("ok"), sm.apply(1, b("a=\u00e9t\u00e9")));
        assertArrayEquals(b("invalid"), sm.apply(2, b("no equals sign")));
        assertArrayEquals(b("\u00e9t\u00e9"), sm.query(b("a")));
        TextRegisters restored = new TextRegisters();
        restored.restore(2, new ByteArrayInputStream(snapshot(sm)));
        assertArrayEquals(b("\u00e9t\u00e9"), restored.query(b("a")));
        assertArrayEquals(sm.query(b("#digest")), restored.query(b("#digest")));
    }

    @Test
    void theStateDigestIsEqualForEqualStatesAtAnIndexAndDiffersOtherwise() throws IOException {
        Registers a = new Registers();
        Registers b = new Registers();
        a.apply(1, b("x=1"));
        a.apply(2, b("y=2"));
        b.apply(1, b("y=2")); // another history to the same registers...
        b.apply(2, b("x=1"));
        assertEquals(a.digest(), b.digest(), "same state, same index, same digest");
        assertEquals("2 ", a.digest().substring(0, 2), "the digest names its index");
        Registers restored = new Registers();
        restored.restore(2, new ByteArrayInputStream(snapshot(a)));
        assertEquals(a.digest(), restored.digest(), "a restored state digests like its source");
        b.apply(3, b("y=3"));
        a.skip(3);
        assertNotEquals(a.digest().substring(2), b.digest().substring(2), "another state, another hash");
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] snapshot(StateMachine sm) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (StateMachine.Snapshot s = sm.snapshot()) {
            s.writeTo(out);
        }
        return out.toByteArray();
    }

    @Test
    void theAppliedIndexFollowsApplySkipAndRestore() throws IOException {
        Registers r = new Registers();
        assertArrayEquals(b("ok"), r.apply(3, b("a=1")));
        r.skip(4); // a new leader's no-op: no command, the index follows the log
        assertEquals(4, r.lastAppliedIndex());
        assertThrows(IllegalStateException.class, () -> r.apply(4, b("a=2")), "each index once");
        assertThrows(IllegalStateException.class, () -> r.skip(2), "never backwards");
        assertArrayEquals(b("invalid"), r.apply(5, b("garbage")));
        assertEquals(5, r.lastAppliedIndex(), "a deterministic failure consumes its index");

        byte[] snap = snapshot(r);
        r.apply(6, b("b=2")); // after the capture: not in the snapshot
        Registers restored = new Registers();
        restored.restore(7, new ByteArrayInputStream(snap)); // metadata past the stream's index (entries that are not commands)
        assertEquals(7, restored.lastAppliedIndex());
        assertArrayEquals(b("1"), restored.query(b("a")));
        assertArrayEquals(b(""), restored.query(b("b")));
        restored.apply(8, b("c=3"));
    }

    @Test
    void aCorruptSnapshotLeavesTheStateAsItWas() throws IOException {
        Registers source = new Registers();
        source.apply(1, b("a=1"));
        source.apply(2, b("b=2"));
        byte[] good = snapshot(source);
        for (int i = 0; i < good.length; i++) {
            for (byte[] bad : new byte[][]{Arrays.copyOf(good, i), flip(good, i)}) {
                Registers target = new Registers();
                target.apply(1, b("x=9"));
                assertThrows(IOException.class, () -> target.restore(2, new ByteArrayInputStream(bad)), "at " + i);
                assertArrayEquals(b("9"), target.query(b("x")), "state untouched, at " + i);
                assertArrayEquals(b(""), target.query(b("a")), "nothing installed, at " + i);
                assertEquals(1, target.lastAppliedIndex());
            }
        }
        assertThrows(IOException.class, () -> new Registers().restore(1, new ByteArrayInputStream(good)),
                "a snapshot at 2 cannot restore to 1");
    }

    private static byte[] flip(byte[] good, int at) {
        byte[] b = good.clone();
        b[at] ^= 0x10;
        return b;
    }
}
