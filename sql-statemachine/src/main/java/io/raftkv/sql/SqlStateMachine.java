package io.raftkv.sql;

import io.raftkv.core.statemachine.StateMachine;
import org.sqlite.SQLiteConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.StampedLock;

/**
 * The replicated SQLite database: raftkv's {@link StateMachine} for SQL, a disk-backed state machine (the KV
 * store's is in memory). The database is one file, {@code state.db}, in the directory it is opened on (with
 * SQLite's {@code -wal} and {@code -shm} beside it). It outlives the process: at start the server finds it at
 * the index it records, and Raft replays only the entries after it.
 *
 * <p><b>Applied index.</b> Each command commits in one SQLite transaction together with its index (table
 * {@code raftkv_applied}), so the file always holds exactly the commands up to the index it records — after a
 * crash, a power loss or a kill. {@link #lastAppliedIndex()} is read from it at open.
 *
 * <p><b>Threading contract.</b> {@link #apply}, {@link #skip}, {@link #snapshot} and {@link #restore} run on the
 * apply thread, on the one read-write connection. {@link #query} runs on any thread, each call on a read-only
 * connection from a small pool (WAL mode: readers and the writer never wait for each other), inside one read
 * transaction. {@link #restore} swaps the database file: it waits until no query or snapshot copy uses a
 * connection (a {@link StampedLock}; the snapshot's read lock is released by the writer's thread, which a
 * {@code ReentrantReadWriteLock} would not allow).
 *
 * <p><b>Determinism.</b> Statements that could give servers different databases or results are refused
 * ({@link SqlGuard}); non-deterministic functions take their values from the command ({@link DeterministicFunctions});
 * failures that follow from the command are results; other failures (I/O, disk full) throw and stop the server.
 * All servers must run the same SQLite (sqlite-jdbc) version: error messages and function results are part of
 * the replicated results.
 */
public final class SqlStateMachine implements StateMachine, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SqlStateMachine.class);
    static final String DATABASE_FILE = "state.db";
    static final String TEMP_SUFFIX = ".tmp";
    /** Idle read-only connections kept for the next query; more are opened under load and closed after. */
    private static final int IDLE_READERS = 4;

    private final Path directory;
    private final Path database;
    /** Read: a query or a snapshot copy uses a connection. Write: restore swaps the file. */
    private final StampedLock files = new StampedLock();
    private final ConcurrentLinkedDeque<SQLiteConnection> idleReaders = new ConcurrentLinkedDeque<>();
    /** Apply thread only. */
    private ApplySession session;
    private volatile long lastApplied;
    private volatile boolean closed;
    /** Snapshots whose read transaction is open: while there are any, the apply connection does not checkpoint. */
    private final java.util.concurrent.atomic.AtomicInteger pinned = new java.util.concurrent.atomic.AtomicInteger();
    /** Set by the last snapshot to end, once it checkpointed the WAL: the apply thread resumes checkpoints. */
    private volatile boolean resumeCheckpoints;

    private SqlStateMachine(Path directory) throws SQLException, IOException {
        this.directory = directory;
        this.database = directory.resolve(DATABASE_FILE);
        Files.createDirectories(directory);
        deleteLeftovers();
        this.session = new ApplySession(database);
        this.lastApplied = session.appliedIndex();
    }

    /**
     * Opens (or creates) the database in {@code directory}. The directory belongs to this state machine: one
     * server, one directory.
     *
     * @throws IOException if the directory or the database cannot be opened
     */
    public static SqlStateMachine open(Path directory) throws IOException {
        try {
            SqlStateMachine sm = new SqlStateMachine(directory);
            LOG.info("SQL state machine opened {} at applied index {}", sm.database, sm.lastApplied);
            return sm;
        } catch (SQLException e) {
            throw new IOException("cannot open the SQL database in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The directory the database lives in. */
    public Path directory() {
        return directory;
    }

    // ------------------------------------------------------------------------------------------- apply

    /**
     * Applies a committed {@link SqlCommand} (apply thread). Returns the encoded {@link SqlResult}: one result per
     * statement, or {@link SqlResult.Invalid} for bytes that are not a command — the index is consumed either way.
     *
     * @throws IllegalStateException if {@code index} is not above {@link #lastAppliedIndex()} (the driver broke the
     *                               contract), or SQLite failed for a reason that does not follow from the command
     */
    @Override
    public byte[] apply(long index, byte[] command) {
        checkNext("apply", index);
        resumeCheckpointsIfDue();
        SqlCommand decoded;
        try {
            decoded = SqlCodec.decodeCommand(command);
        } catch (SqlCodecException e) {
            session.applyNothing(index);
            lastApplied = index;
            return SqlCodec.encodeResult(new SqlResult.Invalid("malformed command: " + e.getMessage()));
        }
        if (decoded.statements().isEmpty()) {
            session.applyNothing(index);
            lastApplied = index;
            return SqlCodec.encodeResult(new SqlResult.Invalid("a command needs at least one statement"));
        }
        SqlResult result = session.apply(index, decoded);
        lastApplied = index;
        return SqlCodec.encodeResult(result);
    }

    /** A no-op or configuration entry: the database stays, its recorded index follows the log (apply thread). */
    @Override
    public void skip(long index) {
        checkNext("skip", index);
        resumeCheckpointsIfDue();
        session.applyNothing(index);
        lastApplied = index;
    }

    private void resumeCheckpointsIfDue() {
        if (resumeCheckpoints && pinned.get() == 0) {
            resumeCheckpoints = false;
            session.pauseCheckpoints(false);
        }
    }

    private void checkNext(String what, long index) {
        if (closed) {
            throw new IllegalStateException("the SQL state machine is closed");
        }
        if (index <= lastApplied) {
            throw new IllegalStateException(what + "(" + index + ") after index " + lastApplied
                    + " was applied: each index must be applied once, in increasing order");
        }
    }

    @Override
    public long lastAppliedIndex() {
        return lastApplied;
    }

    // ------------------------------------------------------------------------------------------- query

    /**
     * Answers an encoded {@link SqlQuery} (any thread): rows or errors per statement, or the digest. Malformed
     * bytes give {@link SqlResult.Invalid}. Runs on a read-only connection, in one read transaction.
     */
    @Override
    public byte[] query(byte[] request) {
        SqlQuery q;
        try {
            q = SqlCodec.decodeQuery(request);
        } catch (SqlCodecException e) {
            return SqlCodec.encodeResult(new SqlResult.Invalid("malformed query: " + e.getMessage()));
        }
        return SqlCodec.encodeResult(query(q));
    }

    /** Answers a query (any thread). */
    public SqlResult query(SqlQuery query) {
        long stamp = files.readLock();
        SQLiteConnection c = null;
        try {
            c = borrowReader();
            return answer(c, query);
        } catch (SQLException e) {
            discard(c);
            c = null;
            // A read changes nothing and is not replicated: whatever went wrong is this reader's answer.
            return new SqlResult.Invalid("query failed: " + Statements.message(e));
        } finally {
            if (c != null) {
                giveBack(c);
            }
            files.unlockRead(stamp);
        }
    }

    private SqlResult answer(SQLiteConnection c, SqlQuery query) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("BEGIN"); // one read transaction: every statement sees the same state
            try {
                if (query instanceof SqlQuery.Digest) {
                    long index = appliedIndexIn(c);
                    return new SqlResult.StateDigest(SqlDigest.of(c), index);
                }
                List<SqlResult.StatementResult> results = new ArrayList<>();
                for (SqlStatement st : ((SqlQuery.Read) query).statements()) {
                    results.add(read(c, st));
                }
                return new SqlResult.Results(results);
            } finally {
                s.execute("ROLLBACK");
            }
        }
    }

    private static SqlResult.StatementResult read(SQLiteConnection c, SqlStatement statement) {
        SqlGuard.Outcome outcome = SqlGuard.check(statement.sql(), SqlGuard.Use.QUERY);
        if (outcome instanceof SqlGuard.Refused r) {
            return new SqlResult.Error(r.reason());
        }
        try (PreparedStatement ps = c.prepareStatement(statement.sql())) {
            String unbound = Statements.bind(ps, (SqlGuard.Checked) outcome, statement);
            if (unbound != null) {
                return new SqlResult.Error(unbound);
            }
            if (!ps.execute()) {
                return new SqlResult.Rows(List.of(), List.of(), List.of());
            }
            try (ResultSet rs = ps.getResultSet()) {
                return Statements.rows(rs);
            }
        } catch (SQLException e) {
            return new SqlResult.Error(Statements.message(e));
        }
    }

    private static long appliedIndexIn(SQLiteConnection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT idx FROM " + ApplySession.APPLIED_TABLE)) {
            return rs.getLong(1);
        }
    }

    private SQLiteConnection borrowReader() throws SQLException {
        if (closed) {
            throw new IllegalStateException("the SQL state machine is closed");
        }
        SQLiteConnection c = idleReaders.pollFirst();
        return c != null ? c : SqlConnections.openReader(database);
    }

    private void giveBack(SQLiteConnection c) {
        if (closed || idleReaders.size() >= IDLE_READERS) {
            discard(c);
        } else {
            idleReaders.addFirst(c);
        }
    }

    private static void discard(SQLiteConnection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            LOG.warn("closing a read connection failed", e);
        }
    }

    // ------------------------------------------------------------------------------------------- snapshots

    /**
     * Captures the database as of {@link #lastAppliedIndex()} (apply thread): opens a read transaction on a
     * connection of its own — a fraction of a millisecond, whatever the size. See {@link SqlSnapshot}.
     */
    @Override
    public Snapshot snapshot() {
        long stamp = files.readLock();
        SQLiteConnection c = null;
        try {
            c = borrowReader();
            pinned.incrementAndGet();
            resumeCheckpoints = false;
            session.pauseCheckpoints(true);
            try (Statement s = c.createStatement()) {
                s.execute("BEGIN");
            }
            long index = appliedIndexIn(c); // starts the read transaction: from here on it sees this state
            if (index != lastApplied) {
                throw new IllegalStateException("snapshot reader sees index " + index + " but " + lastApplied
                        + " was committed");
            }
            return new SqlSnapshot(this, c, index, stamp);
        } catch (SQLException | RuntimeException e) {
            discard(c);
            if (c != null && pinned.decrementAndGet() == 0) {
                resumeCheckpoints = true;
            }
            files.unlockRead(stamp);
            throw e instanceof SQLException s ? new UncheckedIOException(new IOException("snapshot capture failed: "
                    + s.getMessage(), s)) : (RuntimeException) e;
        }
    }

    /**
     * Called once per snapshot, on whichever thread ends it (the writer's, normally): ends its read transaction;
     * the last snapshot to end copies the WAL that piled up meanwhile back into the file — here, not on the apply
     * thread — and lets the apply thread resume its checkpoints. Then frees its lock.
     */
    void releaseSnapshot(SQLiteConnection reader, long stamp) {
        try {
            try (Statement s = reader.createStatement()) {
                s.execute("ROLLBACK");
                giveBack(reader);
            } catch (SQLException e) {
                discard(reader);
            }
            if (pinned.decrementAndGet() == 0) {
                try {
                    SqlConnections.checkpoint(database);
                } catch (SQLException e) {
                    LOG.warn("checkpoint after a snapshot failed; the apply connection's next one will do it", e);
                }
                resumeCheckpoints = true;
            }
        } finally {
            files.unlockRead(stamp);
        }
    }

    /**
     * Replaces the database with a snapshot's (apply thread). The stream is read into a file beside the database
     * and verified (checksum, index, a readable database) before anything changes; then, once no query or snapshot
     * copy uses a connection, every connection is closed and the file is renamed over the database in one atomic
     * step: a crash leaves the old database or the new one, never a mix.
     *
     * @throws IOException if the stream cannot be read, is corrupt or truncated, or holds a state after
     *                     {@code lastIncludedIndex}; the current database is then untouched
     */
    @Override
    public void restore(long lastIncludedIndex, InputStream in) throws IOException {
        if (closed) {
            throw new IllegalStateException("the SQL state machine is closed");
        }
        Path incoming = directory.resolve(DATABASE_FILE + ".restoring" + TEMP_SUFFIX);
        try {
            long streamIndex = SqlSnapshotFormat.read(in, lastIncludedIndex, incoming);
            prepareRestored(incoming, streamIndex, lastIncludedIndex);
            try (FileChannel ch = FileChannel.open(incoming, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(incoming);
            throw e;
        }
        long stamp = files.writeLock();
        try {
            closeConnections();
            for (String suffix : new String[]{"-wal", "-shm"}) {
                Path leftover = directory.resolve(DATABASE_FILE + suffix);
                if (Files.deleteIfExists(leftover)) {
                    LOG.debug("removed {} before replacing the database", leftover);
                }
            }
            Files.move(incoming, database, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory();
            session = new ApplySession(database);
            lastApplied = session.appliedIndex();
        } catch (SQLException e) {
            throw new IOException("cannot reopen the restored database: " + e.getMessage(), e);
        } finally {
            files.unlockWrite(stamp);
        }
        LOG.info("SQL state machine restored from a snapshot at index {}", lastIncludedIndex);
    }

    /** Checks that {@code file} is a database at {@code streamIndex}, and records {@code index} in it. */
    private static void prepareRestored(Path file, long streamIndex, long index) throws IOException {
        try (SQLiteConnection c = SqlConnections.openWriter(file); Statement s = c.createStatement()) {
            long recorded;
            try (ResultSet rs = s.executeQuery("SELECT idx FROM " + ApplySession.APPLIED_TABLE)) {
                recorded = rs.getLong(1);
            }
            if (recorded != streamIndex) {
                throw new IOException("the snapshot's database records index " + recorded + " but its header says "
                        + streamIndex);
            }
            // Entries after the last command (a new leader's no-op, configuration changes) are covered too.
            s.executeUpdate("UPDATE " + ApplySession.APPLIED_TABLE + " SET idx = " + index + " WHERE id = 0");
        } catch (SQLException e) {
            throw new IOException("the snapshot does not hold a usable SQLite database: " + Statements.message(e), e);
        }
    }

    private void closeConnections() {
        try {
            session.close();
        } catch (SQLException e) {
            LOG.warn("closing the apply connection failed", e);
        }
        SQLiteConnection c;
        while ((c = idleReaders.pollFirst()) != null) {
            discard(c);
        }
    }

    private void syncDirectory() {
        try (FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("cannot fsync directory {} ({}); the rename is durable once the file system says so", directory, e.toString());
        }
    }

    /** Removes what an interrupted restore or snapshot copy left behind (they are never the database). */
    private void deleteLeftovers() throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + TEMP_SUFFIX)) {
            for (Path p : files) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Closes every connection (the last one checkpoints the WAL into the file). Waits for running queries and
     * snapshot copies; later calls fail.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        long stamp = files.writeLock();
        try {
            closed = true;
            closeConnections();
        } finally {
            files.unlockWrite(stamp);
        }
    }
}
