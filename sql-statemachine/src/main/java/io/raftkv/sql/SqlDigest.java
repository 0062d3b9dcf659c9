package io.raftkv.sql;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A digest of the database's logical content, equal on two servers exactly when their databases hold the same
 * schema and rows — however differently their files are laid out (a restored snapshot, a VACUUMed file, other
 * page orders). SHA-256 over: {@code user_version}, {@code application_id}, every schema row (type, name, table,
 * SQL) in (type, name) order, then every table in name order with its rows in key order — rowid tables with
 * their rowid (it decides the next {@code last_insert_rowid()}), WITHOUT ROWID tables by all columns; each value
 * with its storage class. The state machine's own {@code raftkv_} tables are left out; virtual tables are
 * covered by their shadow tables. Runs inside the caller's read transaction.
 */
final class SqlDigest {
    private SqlDigest() {
    }

    static byte[] of(Connection c) throws SQLException {
        MessageDigest sha = sha256();
        try (Statement s = c.createStatement()) {
            feed(sha, s, "PRAGMA user_version");
            feed(sha, s, "PRAGMA application_id");
            feed(sha, s, "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE '"
                    + SqlGuard.RESERVED_PREFIX.replace("_", "\\_") + "%' ESCAPE '\\' ORDER BY type, name");
            List<String[]> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT t.name, t.wr, t.ncol FROM pragma_table_list t "
                    + "JOIN sqlite_schema m ON m.name = t.name AND m.type = 'table' "
                    + "WHERE t.schema = 'main' AND t.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL%' "
                    + "AND t.name NOT LIKE '" + SqlGuard.RESERVED_PREFIX.replace("_", "\\_") + "%' ESCAPE '\\' "
                    + "ORDER BY t.name")) {
                while (rs.next()) {
                    tables.add(new String[]{rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
            for (String[] t : tables) {
                String quoted = "\"" + t[0].replace("\"", "\"\"") + "\"";
                sha.update(t[0].getBytes(StandardCharsets.UTF_8));
                boolean withoutRowid = "1".equals(t[1]);
                feed(sha, s, withoutRowid
                        ? "SELECT * FROM " + quoted + " ORDER BY " + ordinals(Integer.parseInt(t[2]))
                        : "SELECT _rowid_, * FROM " + quoted + " ORDER BY _rowid_");
            }
        }
        return sha.digest();
    }

    private static String ordinals(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            sb.append(i == 1 ? "" : ", ").append(i);
        }
        return sb.toString();
    }

    private static void feed(MessageDigest sha, Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                sha.update((byte) 'R');
                for (int i = 1; i <= n; i++) {
                    value(sha, SqlValue.ofJdbc(rs.getObject(i)));
                }
            }
            sha.update((byte) 'E');
        }
    }

    private static void value(MessageDigest sha, SqlValue v) {
        ByteBuffer b = ByteBuffer.allocate(9);
        if (v instanceof SqlValue.Integer i) {
            sha.update(b.put((byte) 1).putLong(i.value()).array());
        } else if (v instanceof SqlValue.Real r) {
            sha.update(b.put((byte) 2).putLong(Double.doubleToLongBits(r.value())).array());
        } else if (v instanceof SqlValue.Text t) {
            byte[] bytes = t.value().getBytes(StandardCharsets.UTF_8);
            sha.update(b.put((byte) 3).putLong(bytes.length).array());
            sha.update(bytes);
        } else if (v instanceof SqlValue.Blob bl) {
            sha.update(b.put((byte) 4).putLong(bl.value().length).array());
            sha.update(bl.value());
        } else {
            sha.update((byte) 0);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
