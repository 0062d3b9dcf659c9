package io.raftkv.log;

import io.raftkv.core.message.LogEntry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Model-based property test: random sequences of append / sync / truncate / compact / reset / reopen / reads
 * against a plain list model, seeded and reproducible. A failure names the seed, the operation number and the
 * last operations; rerun one seed with {@code -Dtest=LogModelPropertyTest -Dlog.seed=N}.
 */
class LogModelPropertyTest {
    private static final int OPS = Integer.getInteger("log.ops", 2000);

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 42, 1234, 987654321})
    void logBehavesLikeTheModel(long seed) throws Exception {
        long only = Long.getLong("log.seed", -1);
        if (only >= 0 && only != seed) {
            return;
        }
        new Run(seed, Files.createDirectories(tmp.resolve("seed-" + seed))).run();
    }

    private static final class Run {
        final long seed;
        final Path dir;
        final SplittableRandom rnd;
        final ArrayDeque<String> history = new ArrayDeque<>();
        // The model: entries [first, first + entries.size()).
        long first = 1;
        final List<LogEntry> entries = new ArrayList<>();
        long term = 1;
        ChronicleLogStore log;

        Run(long seed, Path dir) {
            this.seed = seed;
            this.dir = dir;
            this.rnd = new SplittableRandom(seed);
        }

        long last() {
            return first + entries.size() - 1;
        }

        void run() throws Exception {
            int op = 0;
            try {
                log = open();
                for (op = 0; op < OPS; op++) {
                    step();
                    assertEquals(first, log.firstIndex(), "firstIndex");
                    assertEquals(last(), log.lastIndex(), "lastIndex");
                    if (op % 250 == 0) {
                        verifyAll();
                    }
                }
                reopen();
                verifyAll();
            } catch (Throwable t) {
                throw new AssertionError("seed=" + seed + " failed at op #" + op + " (rerun: -Dlog.seed=" + seed
                        + "); last ops: " + history, t);
            } finally {
                if (log != null) {
                    log.close();
                }
            }
        }

        void note(String s) {
            history.addLast(s);
            if (history.size() > 12) {
                history.removeFirst();
            }
        }

        void step() throws Exception {
            int dice = rnd.nextInt(100);
            if (dice < 40) {
                if (rnd.nextInt(20) == 0) {
                    term++;
                }
                int n = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 200 : 20);
                int maxLen = rnd.nextInt(10) == 0 ? 4000 : 120;
                List<LogEntry> batch = TestLogs.batch(last() + 1, n, term, maxLen);
                note("append " + (last() + 1) + "+" + n + "@" + term);
                log.append(batch);
                entries.addAll(batch);
            } else if (dice < 60) {
                note("sync");
                log.sync();
            } else if (dice < 65) {
                long from = first + rnd.nextLong(entries.size() + 2);
                note("truncateSuffix " + from);
                log.truncateSuffix(from);
                if (from <= last()) {
                    entries.subList((int) (from - first), entries.size()).clear();
                }
            } else if (dice < 71) {
                long upTo = first - 1 + rnd.nextLong(entries.size() + 1);
                note("compactPrefix " + upTo);
                log.compactPrefix(upTo);
                long kept = log.firstIndex();
                assertTrue(kept >= first && kept <= Math.max(first, upTo + 1),
                        "compactPrefix(" + upTo + ") left firstIndex " + kept + ", model first " + first);
                entries.subList(0, (int) (kept - first)).clear();
                first = kept;
            } else if (dice < 72) {
                long index = Math.max(0, last() - 5 + rnd.nextLong(60));
                term++;
                note("reset " + index + "@" + term);
                log.reset(index, term);
                first = index + 1;
                entries.clear();
            } else if (dice < 74) {
                note("reopen");
                reopen();
            } else {
                readSome();
            }
        }

        /** Odd seeds run with segment preallocation, so rolls also go through prepared files. */
        ChronicleLogStore open() throws java.io.IOException {
            return ChronicleLogStore.open(TestLogs.small(dir).preallocate(seed % 2 != 0).build());
        }

        void reopen() throws Exception {
            // A clean close keeps unsynced data in the page cache: everything written must come back.
            log.close();
            log = null;
            log = open();
        }

        void readSome() {
            if (entries.isEmpty()) {
                assertThrows(IndexOutOfBoundsException.class, () -> log.entry(first));
                return;
            }
            long i = first + rnd.nextLong(entries.size());
            note("read " + i);
            assertEquals(entries.get((int) (i - first)), log.entry(i), "entry " + i);
            long j = first + rnd.nextLong(entries.size());
            assertEquals(entries.get((int) (j - first)).term(), log.term(j), "term " + j);
            long to = Math.min(last() + 1, i + 1 + rnd.nextInt(300));
            long maxBytes = rnd.nextInt(3) == 0 ? Long.MAX_VALUE : rnd.nextInt(20_000);
            List<LogEntry> got = log.entries(i, to, maxBytes);
            List<LogEntry> want = new ArrayList<>();
            long bytes = 0;
            for (long k = i; k < to; k++) {
                LogEntry e = entries.get((int) (k - first));
                bytes += e.sizeInBytes();
                if (!want.isEmpty() && bytes > maxBytes) {
                    break;
                }
                want.add(e);
            }
            assertEquals(want, got, "entries(" + i + ", " + to + ", " + maxBytes + ")");
            assertThrows(IndexOutOfBoundsException.class, () -> log.entry(last() + 1));
        }

        void verifyAll() {
            assertEquals(first, log.firstIndex());
            assertEquals(last(), log.lastIndex());
            if (!entries.isEmpty()) {
                assertEquals(entries, log.entries(first, last() + 1, Long.MAX_VALUE));
                assertEquals(entries.get(entries.size() - 1).term(), log.term(last()));
            }
        }
    }
}
