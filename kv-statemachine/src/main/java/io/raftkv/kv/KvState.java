package io.raftkv.kv;

import io.vavr.collection.HashMap;

/**
 * One immutable version of the store: the map and the index of the last command applied to it. The apply thread
 * builds a new version per command and publishes it with one volatile write; readers and snapshots hold on to
 * whichever version they read. Versions share all unchanged nodes of the persistent map (a put copies only
 * the few trie nodes on the path to its key), which is what makes capturing a snapshot O(1).
 */
record KvState(HashMap<ByteKey, byte[]> entries, long lastAppliedIndex) {

    static final KvState EMPTY = new KvState(HashMap.empty(), 0);

    /** The stored value (not a copy), or null. */
    byte[] get(ByteKey key) {
        return entries.get(key).getOrNull();
    }

    int size() {
        return entries.size();
    }
}
