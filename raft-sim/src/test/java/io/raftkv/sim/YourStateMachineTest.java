package io.raftkv.sim;

import io.raftkv.core.statemachine.StateMachine;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How a state machine author uses raft-sim in their own tests (this is the example the README points to): plug
 * the state machine in with {@link SimConfig#withStateMachine} and verify a range of seeds.
 */
class YourStateMachineTest {

    /** A deterministic state machine: a running sum of the command bytes; each apply returns the new sum. */
    static final class SumStateMachine implements StateMachine {
        private long sum;
        private long lastApplied;

        @Override
        public byte[] apply(long index, byte[] command) {
            for (byte b : command) {
                sum += b;
            }
            lastApplied = index;
            return ByteBuffer.allocate(8).putLong(sum).array();
        }

        @Override
        public byte[] query(byte[] request) {
            return ByteBuffer.allocate(8).putLong(sum).array();
        }

        @Override
        public long lastAppliedIndex() {
            return lastApplied;
        }

        @Override
        public Snapshot snapshot() {
            long s = sum;
            return out -> new DataOutputStream(out).writeLong(s);
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) throws IOException {
            sum = new DataInputStream(in).readLong();
            lastApplied = lastIncludedIndex;
        }
    }

    /** A broken one: its results depend on a random number, which differs from server to server. */
    static final class NondeterministicStateMachine implements StateMachine {
        private final SplittableRandom random = new SplittableRandom(System.identityHashCode(this));
        private long lastApplied;

        @Override
        public byte[] apply(long index, byte[] command) {
            lastApplied = index;
            return new byte[]{(byte) random.nextInt()};
        }

        @Override
        public byte[] query(byte[] request) {
            return new byte[0];
        }

        @Override
        public long lastAppliedIndex() {
            return lastApplied;
        }

        @Override
        public Snapshot snapshot() {
            return out -> { };
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) {
            lastApplied = lastIncludedIndex;
        }
    }

    /** A state machine that fails on its 5th command: an exception from apply stops the run with a stack trace. */
    static final class ThrowingStateMachine implements StateMachine {
        private long lastApplied;
        private int applied;

        @Override
        public byte[] apply(long index, byte[] command) {
            if (++applied == 5) {
                throw new IllegalStateException("cannot apply " + index);
            }
            lastApplied = index;
            return new byte[0];
        }

        @Override
        public byte[] query(byte[] request) {
            return new byte[0];
        }

        @Override
        public long lastAppliedIndex() {
            return lastApplied;
        }

        @Override
        public Snapshot snapshot() {
            return out -> { };
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) {
            lastApplied = lastIncludedIndex;
        }
    }

    @Test
    void anExceptionFromApplyIsReportedWithWhereItWasThrown() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(ThrowingStateMachine::new));
        AssertionError e = assertThrows(AssertionError.class, () -> sim.verifySeeds(0, 5));
        assertTrue(e.getMessage().contains("CORE_CONTRACT") && e.getMessage().contains("cannot apply"), e.getMessage());
        assertTrue(e.getMessage().contains("at io.raftkv.sim.YourStateMachineTest$ThrowingStateMachine.apply"), e.getMessage());
    }

    @Test
    void aDeterministicStateMachineSurvivesSeededFaults() {
        Simulator.Summary s = new Simulator(SimConfig.defaults(3).withStateMachine(SumStateMachine::new)).verifySeeds(0, 100);
        assertEquals(100, s.schedules());
        assertTrue(s.stats().commits() > 0);
    }

    @Test
    void aNondeterministicStateMachineIsCaught() {
        Simulator sim = new Simulator(SimConfig.defaults(3).withStateMachine(NondeterministicStateMachine::new));
        AssertionError e = assertThrows(AssertionError.class, () -> sim.verifySeeds(0, 20));
        assertTrue(e.getMessage().contains("STATE_MACHINE_SAFETY") && e.getMessage().contains("nondeterministic"),
                e.getMessage());
        assertTrue(e.getMessage().contains("seed="), "the report names the seed");
    }
}
