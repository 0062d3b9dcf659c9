package io.raftkv.kv;

import io.raftkv.core.statemachine.StateMachine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import java.util.Optional;

/**
 * The replicated key-value store: raftkv's {@link StateMachine} for the KV server, and the worked example for
 * writing your own (see the module README).
 *
 * <p><b>How it meets the threading contract.</b> The whole state is one immutable {@link KvState} (a persistent
 * hash map plus the last applied index) in a volatile field. Only the apply thread writes that field: each
 * {@link #apply} derives a new version (sharing all untouched nodes with the old one) and publishes it with a
 * single volatile write. So {@link #query} on any thread reads one consistent version without a lock, a batch is
 * atomic to readers (they see the version before it or after it), and {@link #snapshot} is just a reference to
 * the current version, written out later while applies continue.
 *
 * <p><b>Determinism.</b> The next state and the result depend only on the current state, the command bytes and
 * the {@link KvLimits} (which must be equal on all servers). Bad bytes and oversize commands become
 * {@link KvResult.Invalid} and {@link KvResult.TooLarge} results, so every server reaches the same result
 * (State Machine Safety, §5.4.3). {@code apply} throws only when the driver breaks the SPI contract (an index
 * that does not increase), which must stop the server.
 */
public final class KvStateMachine implements StateMachine {
    private final KvLimits limits;
    /** Written only by the apply thread (apply, restore); read by any thread. */
    private volatile KvState state = KvState.EMPTY;
    /** The keys in SCAN order: derived from {@link #state}, kept in step by apply, replaced by restore. */
    private volatile ScanIndex scanIndex = new ScanIndex();

    /** A store with {@link KvLimits#DEFAULT}. */
    public KvStateMachine() {
        this(KvLimits.DEFAULT);
    }

    public KvStateMachine(KvLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public KvLimits limits() {
        return limits;
    }

    /**
     * The check {@code apply} will make, for the server to call before proposing: a command that is too large
     * can be answered (HTTP 413) without going through the log. The check at apply time stays authoritative.
     */
    public Optional<KvResult.TooLarge> validate(KvCommand command) {
        return limits.validate(command);
    }

    // ------------------------------------------------------------------------------------------- apply

    /** A no-op or configuration entry (apply thread): the state stays, its index follows the log. */
    @Override
    public void skip(long index) {
        KvState current = state;
        if (index <= current.lastAppliedIndex()) {
            throw new IllegalStateException("skip(" + index + ") after index " + current.lastAppliedIndex()
                    + " was applied: each index must be applied once, in increasing order");
        }
        state = new KvState(current.entries(), index);
    }

    /**
     * Applies a committed command (apply thread only). Returns the encoded {@link KvResult}; malformed or oversize
     * commands produce an error result, consume their index and change nothing.
     *
     * @throws IllegalStateException if {@code index} is not above {@link #lastAppliedIndex()}: the driver broke
     *                               the SPI contract, and the server must stop rather than apply twice
     */
    @Override
    public byte[] apply(long index, byte[] command) {
        KvState current = state;
        if (index <= current.lastAppliedIndex()) {
            throw new IllegalStateException("apply(" + index + ") after index " + current.lastAppliedIndex()
                    + " was applied: each index must be applied once, in increasing order");
        }
        KvCommand decoded;
        try {
            decoded = KvCodec.decodeCommand(command);
        } catch (KvCodecException e) {
            state = new KvState(current.entries(), index);
            return KvCodec.encodeResult(new KvResult.Invalid("malformed command: " + e.getMessage()));
        }
        Optional<KvResult.TooLarge> tooLarge = limits.validate(decoded);
        if (tooLarge.isPresent()) {
            state = new KvState(current.entries(), index);
            return KvCodec.encodeResult(tooLarge.get());
        }
        CommandExecution run = new CommandExecution(limits, current.entries());
        KvResult result = run.execute(decoded);
        // The scan order first: a read that waits for this index is served after apply returns, and sees both.
        if (run.cleared()) {
            // Every key that exists now was written after the clear, so it is among the touched ones.
            scanIndex.clear();
            scanIndex.update(io.vavr.collection.HashMap.empty(), run.entries(), run.touched());
        } else {
            scanIndex.update(current.entries(), run.entries(), run.touched());
        }
        state = new KvState(run.entries(), index);
        return KvCodec.encodeResult(result);
    }

    // ------------------------------------------------------------------------------------------- query

    /**
     * Answers an encoded {@link KvQuery} from the current state; any thread, lock-free. Malformed bytes give an
     * encoded {@link KvResult.Invalid}.
     */
    @Override
    public byte[] query(byte[] request) {
        KvQuery q;
        try {
            q = KvCodec.decodeQuery(request);
        } catch (KvCodecException e) {
            return KvCodec.encodeResult(new KvResult.Invalid("malformed query: " + e.getMessage()));
        }
        // The encoder copies the value into the result bytes, so no defensive copy here.
        return KvCodec.encodeResult(answer(q, false));
    }

    /** Answers a query from the current state; any thread, lock-free. A found value is a copy. */
    public KvResult query(KvQuery query) {
        return answer(Objects.requireNonNull(query, "query"), true);
    }

    private KvResult answer(KvQuery query, boolean copyValues) {
        if (query instanceof KvQuery.Scan sc) {
            return scanIndex.page(sc.cursor(), sc.count());
        }
        KvState s = state;
        if (query instanceof KvQuery.Digest) {
            return new KvResult.StateDigest(KvDigest.of(s.entries()), s.size(), s.lastAppliedIndex());
        }
        return CommandExecution.read(s.entries(), s.lastAppliedIndex(), query, copyValues);
    }

    @Override
    public long lastAppliedIndex() {
        return state.lastAppliedIndex();
    }

    /** The number of keys, from the current state. */
    public int size() {
        return state.size();
    }

    // ------------------------------------------------------------------------------------------- snapshots

    /** Captures the current version in O(1) (apply thread). See {@link KvSnapshot}. */
    @Override
    public KvSnapshot snapshot() {
        return new KvSnapshot(state);
    }

    /**
     * Replaces the whole state with a snapshot's (apply thread). The stream is read to its end and its checksum
     * verified before anything is published: on failure the current state is untouched.
     *
     * @throws IOException if the stream cannot be read, is corrupt or truncated, or holds a state of another index
     */
    @Override
    public void restore(long lastIncludedIndex, InputStream in) throws IOException {
        KvState restored = SnapshotFormat.read(in, lastIncludedIndex);
        scanIndex = ScanIndex.of(restored.entries());
        state = restored;
    }
}
