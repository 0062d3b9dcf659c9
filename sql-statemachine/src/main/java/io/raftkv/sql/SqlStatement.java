package io.raftkv.sql;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One SQL statement with its parameters, as rqlite takes them: {@code positional} values bind {@code ?} (and
 * {@code ?NNN}) in order 1, 2, …; {@code named} values bind {@code :name}, {@code @name} and {@code $name} (the map's
 * keys are the names without the prefix). A statement uses one kind or the other, or none.
 *
 * @param sql        exactly one SQL statement (a trailing {@code ;} is fine)
 * @param positional values for the numbered parameters, in order
 * @param named      values for the named parameters; kept sorted so that the encoding is canonical
 */
public record SqlStatement(String sql, List<SqlValue> positional, SortedMap<String, SqlValue> named) {

    public SqlStatement {
        Objects.requireNonNull(sql, "sql");
        positional = List.copyOf(positional);
        named = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(named));
    }

    /** A statement without parameters. */
    public static SqlStatement of(String sql) {
        return new SqlStatement(sql, List.of(), new TreeMap<>());
    }

    /** A statement with positional parameters. */
    public static SqlStatement of(String sql, SqlValue... positional) {
        return new SqlStatement(sql, List.of(positional), new TreeMap<>());
    }

    /** A statement with named parameters. */
    public static SqlStatement named(String sql, Map<String, SqlValue> named) {
        return new SqlStatement(sql, List.of(), new TreeMap<>(named));
    }
}
