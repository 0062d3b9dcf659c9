package io.raftkv.sql;

import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Binding parameters, reading rows and naming errors: what running a statement takes on any connection. */
final class Statements {
    // Primary result codes (https://sqlite.org/rescode.html) of failures that follow from the statement and the
    // database alone, so that every server reaches them alike: an error *result*.
    private static final int SQLITE_ERROR = 1;
    private static final int SQLITE_ABORT = 4;
    private static final int SQLITE_TOOBIG = 18;
    private static final int SQLITE_CONSTRAINT = 19;
    private static final int SQLITE_MISMATCH = 20;
    private static final int SQLITE_AUTH = 23;
    private static final int SQLITE_RANGE = 25;

    private Statements() {
    }

    /**
     * Why {@code statement}'s values cannot bind to the parameters {@code checked} found (a missing, unused or
     * misplaced value), or null if they can. Pure: the leader checks it before proposing.
     */
    static String bindingError(SqlGuard.Checked checked, SqlStatement statement) {
        List<SqlValue> positional = statement.positional();
        Map<String, SqlValue> named = statement.named();
        if (!positional.isEmpty() && !named.isEmpty()) {
            return "a statement takes positional or named values, not both";
        }
        if (!checked.namedByIndex().isEmpty()) {
            if (!positional.isEmpty()) {
                return "positional values for a statement with named parameters";
            }
            for (String name : named.keySet()) {
                if (!checked.namedByIndex().containsValue(name)) {
                    return "value for parameter :" + name + " which the statement does not have";
                }
            }
            for (String name : checked.namedByIndex().values()) {
                if (!named.containsKey(name)) {
                    return "no value for parameter :" + name;
                }
            }
            return null;
        }
        if (!named.isEmpty()) {
            return "named values for a statement without named parameters";
        }
        if (positional.size() != checked.parameters()) {
            return "the statement has " + checked.parameters() + " parameter(s) but " + positional.size()
                    + " value(s) were given";
        }
        return null;
    }

    /**
     * Binds {@code statement}'s values to {@code ps} as {@code checked} numbered its parameters; returns why it
     * cannot ({@link #bindingError}), or null once bound.
     */
    static String bind(PreparedStatement ps, SqlGuard.Checked checked, SqlStatement statement) throws SQLException {
        String error = bindingError(checked, statement);
        if (error != null) {
            return error;
        }
        for (Map.Entry<Integer, String> p : checked.namedByIndex().entrySet()) {
            set(ps, p.getKey(), statement.named().get(p.getValue()));
        }
        List<SqlValue> positional = statement.positional();
        for (int i = 0; i < positional.size(); i++) {
            set(ps, i + 1, positional.get(i));
        }
        return null;
    }

    private static void set(PreparedStatement ps, int index, SqlValue v) throws SQLException {
        if (v instanceof SqlValue.Integer i) {
            ps.setLong(index, i.value());
        } else if (v instanceof SqlValue.Real r) {
            ps.setDouble(index, r.value());
        } else if (v instanceof SqlValue.Text t) {
            ps.setString(index, t.value());
        } else if (v instanceof SqlValue.Blob b) {
            ps.setBytes(index, b.value());
        } else {
            ps.setNull(index, java.sql.Types.NULL);
        }
    }

    /** Every row of {@code rs}, with its columns' names and types. */
    static SqlResult.Rows rows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<String> columns = new ArrayList<>(n);
        List<String> types = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            columns.add(md.getColumnLabel(i));
            String type = md.getColumnTypeName(i);
            types.add(type == null ? "" : type.toLowerCase(Locale.ROOT));
        }
        List<List<SqlValue>> values = new ArrayList<>();
        while (rs.next()) {
            List<SqlValue> row = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                row.add(SqlValue.ofJdbc(rs.getObject(i)));
            }
            values.add(row);
        }
        return new SqlResult.Rows(columns, types, values);
    }

    /**
     * True if {@code e} follows from the statement and the database alone (syntax, constraint, type mismatch,
     * too big, a function's error): every server reaches it alike. Anything else — I/O errors, a full disk, a
     * corrupt file, out of memory, a busy database — is this server's trouble, and applying on would let it
     * diverge from the others.
     */
    static boolean isDeterministic(SQLException e) {
        if (!(e instanceof SQLiteException s)) {
            return true; // the driver's own checks, on the same input, on every server
        }
        int primary = s.getResultCode().code & 0xff;
        return primary == SQLITE_ERROR || primary == SQLITE_ABORT || primary == SQLITE_TOOBIG
                || primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_AUTH
                || primary == SQLITE_RANGE;
    }

    /** SQLite's own message ("no such table: t"), without the driver's "[SQLITE_ERROR] SQL error or …" wrapping. */
    static String message(SQLException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof SQLiteException s) {
            SQLiteErrorCode code = s.getResultCode();
            String prefix = "[" + code.name() + "] " + code.message + " (";
            if (m.startsWith(prefix) && m.endsWith(")")) {
                return m.substring(prefix.length(), m.length() - 1);
            }
        }
        return m;
    }
}
