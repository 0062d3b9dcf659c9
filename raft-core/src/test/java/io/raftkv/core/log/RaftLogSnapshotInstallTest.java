package io.raftkv.core.log;

import io.raftkv.core.message.LogEntry;
import io.raftkv.core.storage.InMemoryLogStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the in-memory log adopts snapshots from the leader (§7) before the driver has caught up with it. */
class RaftLogSnapshotInstallTest {

    private static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(LogEntry.command(i, term, new byte[] {(byte) i}));
        }
        return out;
    }

    /** What the driver does with a Ready's entries. */
    private static void persist(RaftLog log, InMemoryLogStore store) {
        List<LogEntry> unstable = log.unstableEntries();
        store.append(unstable);
        LogEntry last = unstable.get(unstable.size() - 1);
        log.stableTo(last.index(), last.term());
    }

    @Test
    void aSnapshotInsideTheLog_keepsTheSuffix() {
        InMemoryLogStore store = new InMemoryLogStore();
        RaftLog log = new RaftLog(store, 0, 0);
        log.append(entries(1, 20, 1));
        persist(log, store);
        assertFalse(log.restoreFromSnapshot(15, 1), "the entries after 15 agree with the snapshot: kept");
        assertEquals(20, log.lastIndex());
    }

    @Test
    void aSecondInstallBeforeTheStoreWasReset_resetsTheStoreToIt_andKeepsTheEntriesAppendedAfterIt() {
        InMemoryLogStore store = new InMemoryLogStore();
        RaftLog log = new RaftLog(store, 0, 0);
        log.append(entries(1, 5, 1));
        persist(log, store);
        assertTrue(log.restoreFromSnapshot(10, 2), "the log ends before the snapshot: discarded");
        log.append(entries(11, 20, 2)); // arrived in the same batch, before the driver saw the first install
        assertTrue(log.restoreFromSnapshot(15, 2),
                "the store still holds 1..5 and has not been reset: it is reset to this snapshot");
        assertEquals(20, log.lastIndex(), "16..20 were appended (and acknowledged) after 15: they stay");
        assertEquals(entries(16, 20, 2), log.unstableEntries());
        assertEquals(15, log.commitIndex());
        store.reset(15, 2); // what the driver does with the Ready: reset the store, then append what follows
        log.storeReset();
        persist(log, store);
        assertEquals(20, store.lastIndex());
        assertFalse(log.restoreFromSnapshot(17, 2), "once the store was reset, a matching suffix is kept again");
        assertEquals(20, log.lastIndex());
    }

    @Test
    void aSecondInstallBeforeTheStoreWasReset_thatTheEntriesSinceDoNotHold_discardsAgain() {
        InMemoryLogStore store = new InMemoryLogStore();
        RaftLog log = new RaftLog(store, 0, 0);
        log.append(entries(1, 5, 1));
        persist(log, store);
        assertTrue(log.restoreFromSnapshot(10, 2));
        log.append(entries(11, 12, 2));
        assertTrue(log.restoreFromSnapshot(15, 2), "beyond the entries appended since: discarded");
        assertEquals(15, log.lastIndex());
        assertTrue(log.unstableEntries().isEmpty());
    }
}
