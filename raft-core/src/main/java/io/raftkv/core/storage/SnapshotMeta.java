package io.raftkv.core.storage;

import io.raftkv.core.cluster.Configuration;

/**
 * What a snapshot replaces (§7): every entry up to {@code lastIncludedIndex}, whose term was
 * {@code lastIncludedTerm}, and the configuration in effect at that index (thesis §5.4).
 */
public record SnapshotMeta(long lastIncludedIndex, long lastIncludedTerm, Configuration configuration) {
    public static final SnapshotMeta NONE = new SnapshotMeta(0, 0, Configuration.EMPTY);
}
