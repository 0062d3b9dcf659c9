package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queries run on any thread while the apply thread applies (the SPI's threading contract). Readers must only ever
 * see states that existed, in order: a key's value and the applied index never go backwards, and a Size result
 * is consistent with the index it reports.
 */
class ConcurrentQueryTest {

    @Test
    void readersSeeMonotonicConsistentStatesWithoutLocks() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        byte[] key = "counter".getBytes(StandardCharsets.UTF_8);
        int writes = 200_000;
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                results.add(readers.submit(() -> {
                    long lastSeen = 0;
                    long lastIndex = 0;
                    long reads = 0;
                    while (!done.get() || reads == 0) {
                        KvResult r = sm.query(new KvQuery.Get(key));
                        if (r instanceof KvResult.Found f) {
                            long v = ByteBuffer.wrap(f.value()).getLong();
                            assertTrue(v >= lastSeen, "value went back from " + lastSeen + " to " + v);
                            lastSeen = v;
                        }
                        KvResult.Stats s = (KvResult.Stats) sm.query(new KvQuery.Size());
                        assertTrue(s.lastAppliedIndex() >= lastIndex, "index went back");
                        // Every odd index put a new key "k<i>", every even one the counter: the size is a function
                        // of the index, so a Size whose two numbers came from different states would show it.
                        long i = s.lastAppliedIndex();
                        assertEquals((i + 1) / 2 + (i >= 2 ? 1 : 0), s.size(), "size " + s.size() + " at index " + i);
                        lastIndex = s.lastAppliedIndex();
                        reads++;
                    }
                    return reads;
                }));
            }
            for (long i = 1; i <= writes; i++) {
                byte[] cmd = i % 2 == 0
                        ? KvCodec.encodeCommand(new KvCommand.Put(key, ByteBuffer.allocate(8).putLong(i).array()))
                        : KvCodec.encodeCommand(new KvCommand.Put(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[1]));
                sm.apply(i, cmd);
            }
            done.set(true);
            for (Future<Long> f : results) {
                assertTrue(f.get(60, TimeUnit.SECONDS) > 0);
            }
        } finally {
            done.set(true);
            readers.shutdownNow();
            assertTrue(readers.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(new KvResult.Stats(1 + writes / 2, writes), sm.query(new KvQuery.Size()));
    }
}
