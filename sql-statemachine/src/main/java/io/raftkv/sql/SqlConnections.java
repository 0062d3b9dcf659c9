package io.raftkv.sql;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteLimits;

import java.nio.file.Path;
import java.sql.SQLException;

/**
 * Opens connections to the database file, every one with the same fixed settings: whatever changes how a
 * statement behaves is equal on all servers and not configurable, so that no two servers can disagree.
 * <ul>
 *   <li>WAL journal: readers (queries, snapshot captures) never block the apply connection, and it never
 *       blocks them; {@code synchronous=NORMAL}: a commit is durable against a process crash, and a power loss
 *       may lose the last commits but never corrupts the file — they are in the Raft log and are applied again,
 *       because the applied index is committed with them (see {@link ApplySession});</li>
 *   <li>foreign keys enforced (SQLite's default is off; rqlite's too — a production store wants them);</li>
 *   <li>the WAL file is cut back to 64 MiB after a checkpoint once it grew larger (a bulk load, a long snapshot);</li>
 *   <li>no attached databases ({@code SQLITE_LIMIT_ATTACHED} = 0), temp tables in memory.</li>
 * </ul>
 */
final class SqlConnections {
    /** A busy database on the apply connection would be fatal: wait this long first (only checkpoints contend). */
    private static final int BUSY_TIMEOUT_MS = 30_000;
    private static final int JOURNAL_SIZE_LIMIT_BYTES = 64 << 20;
    /** SQLite's default: a commit that finds the WAL above this many pages copies it back into the file. */
    static final int WAL_AUTOCHECKPOINT_PAGES = 1000;

    private SqlConnections() {
    }

    /** The read-write connection commands are applied on. */
    static SQLiteConnection openWriter(Path file) throws SQLException {
        SQLiteConfig config = base();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        // After a checkpoint, cut a WAL that grew large (a bulk load, a long snapshot read) back to this size.
        config.setJournalSizeLimit(JOURNAL_SIZE_LIMIT_BYTES);
        return open(file, config);
    }

    /** Copies the WAL back into the database file as far as no reader needs it (PASSIVE: never waits for anyone). */
    static void checkpoint(Path file) throws SQLException {
        try (SQLiteConnection c = openWriter(file); java.sql.Statement s = c.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
    }

    /** A read-only connection: queries and snapshot captures. SQLite itself refuses any write on it. */
    static SQLiteConnection openReader(Path file) throws SQLException {
        SQLiteConfig config = base();
        config.setReadOnly(true);
        return open(file, config);
    }

    private static SQLiteConfig base() {
        SQLiteConfig config = new SQLiteConfig();
        config.enforceForeignKeys(true);
        config.setTempStore(SQLiteConfig.TempStore.MEMORY);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        return config;
    }

    private static SQLiteConnection open(Path file, SQLiteConfig config) throws SQLException {
        SQLiteConnection c = (SQLiteConnection) config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        c.setLimit(SQLiteLimits.SQLITE_LIMIT_ATTACHED, 0);
        return c;
    }
}
