package io.raftkv.core.statemachine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A base for in-memory state machines that does the bookkeeping of the {@link StateMachine} contract, so that a
 * subclass writes only its commands, its queries and how its state is saved and read back:
 * <ul>
 *   <li>{@link #lastAppliedIndex()} follows every {@link #apply}, {@link #skip} (a new leader's no-op, a
 *       configuration change) and {@link #restore}; an index that does not come after the last one means the driver
 *       broke its contract, and {@code apply} throws rather than apply twice;</li>
 *   <li>snapshots are framed, versioned and checksummed ({@link SnapshotOutput}, {@link SnapshotInput}): a corrupt,
 *       truncated or foreign snapshot fails {@code restore} with an {@link IOException} and leaves the state as it
 *       was, because the state read back is installed only once the whole stream checked out.</li>
 * </ul>
 *
 * <pre>{@code
 * final class Counter extends AbstractStateMachine {
 *     private volatile long total;                                // apply writes, query reads: volatile
 *     Counter() { super("CNTR", 1); }
 *     protected byte[] applyCommand(long index, byte[] command) { total += parse(command); return encode(total); }
 *     public byte[] query(byte[] request) { return encode(total); }
 *     protected StateWriter captureState() { long t = total; return out -> out.writeLong(t); }
 *     protected Runnable readState(SnapshotInput in) throws IOException { long t = in.readLong("total"); return () -> total = t; }
 * }
 * }</pre>
 *
 * <p><b>Threads</b> (as the SPI says): {@link #applyCommand}, {@link #captureState} and the returned installer of
 * {@link #readState} run on the apply thread, <em>holding this object's monitor</em>; {@link #query} runs on any
 * thread, concurrently with them. So the simplest safe query is a {@code synchronized} one: it sees the state and
 * {@link #lastAppliedIndex()} of one moment, between two applies (a lock-free machine reads immutable versions,
 * concurrent maps or volatile fields instead, and need not synchronize). The {@link StateWriter} returned by
 * {@code captureState} runs on the snapshot writer's thread, outside the monitor, while apply goes on, so it must
 * write what was captured, not the live state; reading a snapshot ({@link #readState}) is outside the monitor too,
 * and only the short install step holds it, so a big restore does not stall queries.
 *
 * <p>Not for a state machine whose state is on disk and survives restarts (such a machine must store its applied
 * index with its data, in the same transaction: see sql-statemachine's {@code SqlStateMachine}): this one starts
 * at index 0 and is rebuilt by Raft from the newest snapshot and the log.
 */
public abstract class AbstractStateMachine implements StateMachine {
    private final String snapshotMagic;
    private final int snapshotVersion;
    /** Written by the apply thread only; read by any. */
    private volatile long lastApplied;

    /**
     * @param snapshotMagic   four ASCII characters that name this machine's snapshot format (e.g. {@code "LDGR"})
     * @param snapshotVersion the format's version: bump it when {@link #captureState}'s layout changes
     */
    protected AbstractStateMachine(String snapshotMagic, int snapshotVersion) {
        SnapshotInput.magicBytes(snapshotMagic); // fails now rather than at the first snapshot
        if (snapshotVersion < 0 || snapshotVersion > 255) {
            throw new IllegalArgumentException("a snapshot version is one byte (0-255), got " + snapshotVersion);
        }
        this.snapshotMagic = snapshotMagic;
        this.snapshotVersion = snapshotVersion;
    }

    /**
     * Applies one committed command (apply thread). Deterministic: the new state and the result may depend on the
     * state and the command bytes only (no clock, no randomness, no local setting). A failure that follows from the
     * command (bad bytes, insufficient funds) is a result every server computes alike; throw only if this server
     * cannot go on safely (it stops).
     *
     * @param index the command's log index (increasing; usable as a deterministic id)
     * @return the result handed to the proposer
     */
    protected abstract byte[] applyCommand(long index, byte[] command);

    /**
     * Captures the current state for a snapshot (at {@link #lastAppliedIndex()}, holding this object's monitor: on
     * the apply thread for a snapshot, on a query's thread for {@link #stateDigest()}): cheap, because apply waits
     * meanwhile, and free of side effects, because it may run for either. Return a writer of what was captured (a
     * reference to an immutable version, or a copy).
     */
    protected abstract StateWriter captureState();

    /**
     * Reads a state written by a {@link StateWriter} (apply thread) into a new object, and returns the step that
     * installs it: it runs only if the whole stream checked out (checksum, nothing after it), so a corrupt snapshot
     * changes nothing. Do not touch the live state here.
     */
    protected abstract Runnable readState(SnapshotInput in) throws IOException;

    /** Writes a captured state into a snapshot stream (header and checksum are written around it). */
    @FunctionalInterface
    public interface StateWriter {
        void writeTo(SnapshotOutput out) throws IOException;
    }

    @Override
    public final synchronized byte[] apply(long index, byte[] command) {
        requireNext("apply", index);
        byte[] result = applyCommand(index, command);
        lastApplied = index;
        return result;
    }

    @Override
    public final synchronized void skip(long index) {
        requireNext("skip", index);
        lastApplied = index;
    }

    @Override
    public final long lastAppliedIndex() {
        return lastApplied;
    }

    @Override
    public final Snapshot snapshot() {
        Captured captured = capture();
        return captured::writeTo;
    }

    /** A state captured at an index, written later (outside the monitor). */
    private record Captured(AbstractStateMachine machine, long index, StateWriter state) {
        void writeTo(OutputStream out) throws IOException {
            SnapshotOutput o = SnapshotOutput.begin(out, machine.snapshotMagic, machine.snapshotVersion, index);
            state.writeTo(o);
            o.finish();
        }
    }

    /** The state and its index of one moment: captured holding the monitor that apply holds. */
    private synchronized Captured capture() {
        return new Captured(this, lastApplied, Objects.requireNonNull(captureState(), "captureState() returned null"));
    }

    /**
     * {@code "INDEX SHA256"}: the applied index and the SHA-256 (hex) of the state at that index as a snapshot of it
     * would be written, for a digest query that tells whether servers converged (a test's, an operator's, the
     * simulator's {@code withDigest}): two servers at the same index answer alike — provided {@link #captureState}
     * writes equal states as equal bytes, e.g. maps in sorted order. Costs a capture and a pass over the state:
     * for a query now and then, not for every request. Any thread; it holds the monitor only for the capture and
     * hashes outside it, so call it outside a {@code synchronized} block of your own, or apply waits for the hash.
     */
    protected final String stateDigest() {
        Captured captured = capture();
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
            captured.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the state for its digest", e);
        }
        return captured.index() + " " + HexFormat.of().formatHex(sha256.digest());
    }

    @Override
    public final void restore(long lastIncludedIndex, InputStream in) throws IOException {
        SnapshotInput stream = SnapshotInput.open(in, snapshotMagic, snapshotVersion, lastIncludedIndex,
                getClass().getSimpleName() + " snapshot");
        Runnable install = Objects.requireNonNull(readState(stream), "readState returned null");
        stream.finish();
        synchronized (this) {
            install.run();
            lastApplied = lastIncludedIndex;
        }
    }

    private void requireNext(String what, long index) {
        if (index <= lastApplied) {
            // The driver hands each index once, in order (§5.4.3): anything else is a bug that must stop the server.
            throw new IllegalStateException(what + " of index " + index + " after " + lastApplied
                    + ": indexes must increase");
        }
    }
}
