package io.raftkv.core.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/** A {@link SnapshotStore} in memory that keeps only the newest snapshot. For tests and the simulator. */
public final class InMemorySnapshotStore implements SnapshotStore {

    private record Stored(SnapshotMeta meta, byte[] data) {
    }

    private volatile Stored latest;

    @Override
    public Optional<SnapshotMeta> latest() {
        Stored s = latest;
        return s == null ? Optional.empty() : Optional.of(s.meta);
    }

    @Override
    public Optional<Source> openLatest() {
        Stored s = latest;
        if (s == null) {
            return Optional.empty();
        }
        return Optional.of(new Source() {
            @Override
            public SnapshotMeta meta() {
                return s.meta;
            }

            @Override
            public long size() {
                return s.data.length;
            }

            @Override
            public InputStream open(long offset) {
                int off = (int) Math.min(offset, s.data.length);
                return new ByteArrayInputStream(s.data, off, s.data.length - off);
            }
        });
    }

    @Override
    public Sink begin(SnapshotMeta meta) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        return new Sink() {
            private boolean committed;

            @Override
            public SnapshotMeta meta() {
                return meta;
            }

            @Override
            public OutputStream stream() {
                return bytes;
            }

            @Override
            public void commit() {
                Stored current = latest;
                if (current == null || current.meta.lastIncludedIndex() <= meta.lastIncludedIndex()) {
                    latest = new Stored(meta, bytes.toByteArray());
                }
                committed = true;
            }

            @Override
            public void close() {
                if (!committed) {
                    bytes.reset();
                }
            }
        };
    }
}
