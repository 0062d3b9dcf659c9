package io.raftkv.sql;

import org.sqlite.SQLiteConnection;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The apply connection: runs each command as one SQLite transaction that also moves the applied index, so that
 * the database and its index are always consistent on disk — after a crash the database holds exactly the
 * commands up to the index it records, and the Raft log supplies the rest.
 *
 * <p>Per command: {@code BEGIN IMMEDIATE}; a guard savepoint; {@code last_insert_rowid()} and {@code changes()}
 * reset (so that they never see what the server applied before — a restarted server would differ); the
 * statements; the index; {@code COMMIT}. A failing statement is a result: without a transaction the rest go on
 * (SQLite undoes the failing statement's own changes); with one, everything rolls back to the guard. A statement
 * whose conflict clause or trigger rolls back the whole transaction ({@code OR ROLLBACK}, {@code RAISE(ROLLBACK)})
 * takes the command's earlier statements with it, as SQLite says; the command then reports each as rolled back.
 * An error that does not follow from the command (I/O, disk full, corruption) throws: the server must stop.
 *
 * <p>Apply thread only.
 */
final class ApplySession implements AutoCloseable {
    static final String APPLIED_TABLE = SqlGuard.RESERVED_PREFIX + "applied";

    private final SQLiteConnection connection;
    private final DeterministicFunctions functions;
    private final PreparedStatement begin;
    private final PreparedStatement commit;
    private final PreparedStatement rollback;
    private final PreparedStatement openGuard;
    private final PreparedStatement releaseGuard;
    private final PreparedStatement rollbackToGuard;
    private final PreparedStatement resetRowid;
    private final PreparedStatement resetChanges;
    private final PreparedStatement lastInsertRowid;
    private final PreparedStatement writeIndex;
    private final long appliedIndex;
    private boolean checkpointsPaused;

    ApplySession(Path file) throws SQLException {
        this.connection = SqlConnections.openWriter(file);
        try (Statement s = connection.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + APPLIED_TABLE
                    + " (id INTEGER PRIMARY KEY CHECK (id = 0), idx INTEGER NOT NULL)");
            s.execute("INSERT OR IGNORE INTO " + APPLIED_TABLE + " VALUES (0, 0)");
            // Connection-local: resets last_insert_rowid() and changes() at the start of every command.
            s.execute("CREATE TEMP TABLE " + SqlGuard.RESERVED_PREFIX + "reset (x)");
            try (ResultSet rs = s.executeQuery("SELECT idx FROM " + APPLIED_TABLE)) {
                appliedIndex = rs.getLong(1);
            }
        }
        functions = new DeterministicFunctions();
        functions.install(connection);
        begin = connection.prepareStatement("BEGIN IMMEDIATE");
        commit = connection.prepareStatement("COMMIT");
        rollback = connection.prepareStatement("ROLLBACK");
        openGuard = connection.prepareStatement("SAVEPOINT raftkv_guard");
        releaseGuard = connection.prepareStatement("RELEASE raftkv_guard");
        rollbackToGuard = connection.prepareStatement("ROLLBACK TO raftkv_guard");
        resetRowid = connection.prepareStatement("INSERT OR REPLACE INTO temp." + SqlGuard.RESERVED_PREFIX + "reset (rowid, x) VALUES (0, 0)");
        resetChanges = connection.prepareStatement("DELETE FROM temp." + SqlGuard.RESERVED_PREFIX + "reset WHERE rowid < 0");
        lastInsertRowid = connection.prepareStatement("SELECT last_insert_rowid()");
        writeIndex = connection.prepareStatement("UPDATE " + APPLIED_TABLE + " SET idx = ? WHERE id = 0");
    }

    /**
     * Stops (true) or restarts (false) the checkpoints SQLite runs on this connection after a commit that finds the
     * WAL above 1000 pages. While a snapshot's read transaction pins the WAL, frames pile up that no checkpoint may
     * copy; the first commit after the snapshot would copy them all and fsync the file, on the apply thread. Instead
     * the snapshot's own thread checkpoints them (see {@link SqlSnapshot}) before checkpoints resume here.
     */
    void pauseCheckpoints(boolean pause) {
        if (pause == checkpointsPaused) {
            return;
        }
        try (Statement s = connection.createStatement()) {
            s.execute("PRAGMA wal_autocheckpoint = " + (pause ? 0 : SqlConnections.WAL_AUTOCHECKPOINT_PAGES));
            checkpointsPaused = pause;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot " + (pause ? "pause" : "resume") + " WAL checkpoints", e);
        }
    }

    /** The applied index the database recorded when this session opened it. */
    long appliedIndex() {
        return appliedIndex;
    }

    SQLiteConnection connection() {
        return connection;
    }

    /**
     * Applies {@code command} at {@code index} in one transaction with the index itself.
     *
     * @throws IllegalStateException on an error that does not follow from the command (the server must stop)
     */
    SqlResult.Results apply(long index, SqlCommand command) {
        try {
            begin.execute();
            try {
                List<SqlResult.StatementResult> results = run(command);
                write(index);
                commit.execute();
                return new SqlResult.Results(results);
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(e);
                throw e;
            }
        } catch (SQLException e) {
            throw fatal(index, e);
        }
    }

    /** Moves the index alone (a no-op entry, or a command whose bytes are not a command). */
    void applyNothing(long index) {
        try {
            begin.execute();
            try {
                write(index);
                commit.execute();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(e);
                throw e;
            }
        } catch (SQLException e) {
            throw fatal(index, e);
        }
    }

    private List<SqlResult.StatementResult> run(SqlCommand command) throws SQLException {
        openGuard.execute();
        resetRowid.execute();
        resetChanges.execute();
        functions.begin(command.timeMillis(), command.randomSeed());
        List<SqlResult.StatementResult> results = new ArrayList<>();
        List<SqlStatement> statements = command.statements();
        for (int i = 0; i < statements.size(); i++) {
            SqlResult.StatementResult r = execute(statements.get(i));
            results.add(r);
            if (!(r instanceof SqlResult.Error e)) {
                continue;
            }
            boolean transactionLost;
            if (command.transaction()) {
                transactionLost = !guardAnswers(rollbackToGuard);
            } else {
                transactionLost = !guardAnswers(releaseGuard);
                if (!transactionLost) {
                    openGuard.execute();
                }
            }
            if (transactionLost) {
                // OR ROLLBACK / RAISE(ROLLBACK): SQLite ended the transaction and undid the whole command so far.
                String why = "rolled back by statement " + (i + 1) + " (" + e.message() + ")";
                for (int j = 0; j < i; j++) {
                    results.set(j, new SqlResult.Error(why));
                }
                begin.execute();
                return results;
            }
            if (command.transaction()) {
                return results; // rqlite: the results so far, ending with the error; nothing of them stays
            }
        }
        return results;
    }

    /** Runs the savepoint statement; false if SQLite says the guard is gone (the transaction was rolled back). */
    private static boolean guardAnswers(PreparedStatement savepointStatement) throws SQLException {
        try {
            savepointStatement.execute();
            return true;
        } catch (SQLException e) {
            if (Statements.isDeterministic(e) && Statements.message(e).contains("no such savepoint")) {
                return false;
            }
            throw e;
        }
    }

    private SqlResult.StatementResult execute(SqlStatement statement) throws SQLException {
        SqlGuard.Outcome outcome = SqlGuard.check(statement.sql(), SqlGuard.Use.COMMAND);
        if (outcome instanceof SqlGuard.Refused r) {
            return new SqlResult.Error(r.reason());
        }
        SqlGuard.Checked checked = (SqlGuard.Checked) outcome;
        long before = connection.getDatabase().total_changes();
        try (PreparedStatement ps = connection.prepareStatement(statement.sql())) {
            String unbound = Statements.bind(ps, checked, statement);
            if (unbound != null) {
                return new SqlResult.Error(unbound);
            }
            SqlResult.Rows rows = null;
            if (ps.execute()) {
                try (ResultSet rs = ps.getResultSet()) {
                    rows = Statements.rows(rs);
                }
            }
            // sqlite3_changes() keeps the previous statement's count across DDL: only trust it if something changed.
            long affected = connection.getDatabase().total_changes() != before ? connection.getDatabase().changes() : 0;
            long lastId;
            try (ResultSet rs = lastInsertRowid.executeQuery()) {
                lastId = rs.getLong(1);
            }
            return new SqlResult.Changed(lastId, affected, rows);
        } catch (SQLException e) {
            if (!Statements.isDeterministic(e)) {
                throw e;
            }
            return new SqlResult.Error(Statements.message(e));
        }
    }

    private void write(long index) throws SQLException {
        writeIndex.setLong(1, index);
        if (writeIndex.executeUpdate() != 1) {
            throw new SQLException("the applied index row of " + APPLIED_TABLE + " is missing");
        }
    }

    private void rollbackQuietly(Exception cause) {
        try {
            rollback.execute();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private static IllegalStateException fatal(long index, SQLException e) {
        return new IllegalStateException("SQLite failed applying index " + index + " with an error that does not "
                + "follow from the command (" + e.getMessage() + "): this server cannot go on deterministically", e);
    }

    @Override
    public void close() throws SQLException {
        try {
            functions.close();
        } finally {
            connection.close(); // closes its prepared statements; the last connection checkpoints the WAL
        }
    }
}
