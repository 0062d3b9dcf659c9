package io.raftkv.kv;

import io.raftkv.core.statemachine.StateMachine;
import io.vavr.collection.HashMap;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
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
        Outcome outcome = tooLarge.isPresent()
                ? new Outcome(current.entries(), tooLarge.get())
                : execute(current.entries(), decoded);
        state = new KvState(outcome.entries(), index);
        return KvCodec.encodeResult(outcome.result());
    }

    private record Outcome(HashMap<ByteKey, byte[]> entries, KvResult result) {
    }

    private static Outcome execute(HashMap<ByteKey, byte[]> entries, KvCommand command) {
        if (command instanceof KvCommand.Put p) {
            return new Outcome(entries.put(ByteKey.wrap(p.key()), p.value()), KvResult.OK);
        }
        if (command instanceof KvCommand.Delete d) {
            return new Outcome(entries.remove(ByteKey.wrap(d.key())), KvResult.OK);
        }
        if (command instanceof KvCommand.CompareAndSet c) {
            ByteKey key = ByteKey.wrap(c.key());
            byte[] current = entries.get(key).getOrNull();
            boolean matches = c.expected() == null ? current == null : Arrays.equals(current, c.expected());
            if (!matches) {
                return new Outcome(entries, new KvResult.CasFailed(current));
            }
            return new Outcome(c.newValue() == null ? entries.remove(key) : entries.put(key, c.newValue()), KvResult.OK);
        }
        if (command instanceof KvCommand.PutBatch b) {
            // Built on a local version and published once by apply: readers see all of the batch or none.
            HashMap<ByteKey, byte[]> next = entries;
            for (KvCommand.Entry e : b.entries()) {
                next = next.put(ByteKey.wrap(e.key()), e.value());
            }
            return new Outcome(next, KvResult.OK);
        }
        throw new IllegalArgumentException("unknown command " + command);
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
        return KvCodec.encodeResult(answer(state, q, false));
    }

    /** Answers a query from the current state; any thread, lock-free. A found value is a copy. */
    public KvResult query(KvQuery query) {
        return answer(state, Objects.requireNonNull(query, "query"), true);
    }

    private static KvResult answer(KvState s, KvQuery query, boolean copyValues) {
        if (query instanceof KvQuery.Get g) {
            byte[] value = s.get(ByteKey.wrap(g.key()));
            if (value == null) {
                return KvResult.NOT_FOUND;
            }
            return new KvResult.Found(copyValues ? value.clone() : value);
        }
        if (query instanceof KvQuery.Size) {
            return new KvResult.Stats(s.size(), s.lastAppliedIndex());
        }
        if (query instanceof KvQuery.Digest) {
            return new KvResult.StateDigest(KvDigest.of(s.entries()), s.size(), s.lastAppliedIndex());
        }
        throw new IllegalArgumentException("unknown query " + query);
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
        state = SnapshotFormat.read(in, lastIncludedIndex);
    }
}
