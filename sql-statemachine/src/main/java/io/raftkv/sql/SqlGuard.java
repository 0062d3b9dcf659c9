package io.raftkv.sql;

import io.raftkv.sql.SqlLexer.Token;
import io.raftkv.sql.SqlLexer.Type;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides, from the tokens of one SQL text, whether the state machine runs it: statements that could leave two
 * servers with different databases (or different results) are refused here with a reason that says why, before
 * SQLite sees them. The same check runs on the leader before proposing (so that the client gets a 400 and
 * nothing enters the log: {@link LeaderStamp}) and at apply (authoritative: a refusal there is a statement error
 * every server reaches alike).
 *
 * <p>What is refused, and why (also in the module README):
 * <ul>
 *   <li>more than one statement in one text: SQLite's prepare silently ignores the rest;</li>
 *   <li>{@code BEGIN}, {@code COMMIT}, {@code END}, {@code ROLLBACK}, {@code SAVEPOINT}, {@code RELEASE}: each
 *       command is one transaction of its own (atomic with its log index); ask for {@code transaction} instead;</li>
 *   <li>{@code ATTACH}, {@code DETACH}: other database files are not replicated;</li>
 *   <li>{@code VACUUM}: it cannot run inside the command's transaction (and changes no content);</li>
 *   <li>{@code TEMP} objects and the {@code temp} schema: they live in one connection, not in the database, and
 *       vanish when a server restarts;</li>
 *   <li>{@code PRAGMA}, except reading the schema ({@code table_info}, …) and reading or setting
 *       {@code user_version} / {@code application_id} (stored in the database header, so replicated): other
 *       pragmas change per-connection settings that a restarted server would not have, or report the physical
 *       file;</li>
 *   <li>in commands, the {@code dbstat} and {@code sqlite_dbpage} tables and the {@code pragma_*} table-valued
 *       functions: they read the file's physical layout, which differs between servers (a restored snapshot is
 *       laid out afresh);</li>
 *   <li>names starting with {@code raftkv_}: the state machine's own tables.</li>
 * </ul>
 * Non-deterministic <em>functions</em> are not refused here but made deterministic at apply
 * ({@link DeterministicFunctions}).
 */
final class SqlGuard {

    /** Where a statement runs. */
    enum Use {
        /** Through the log, on the apply connection. */
        COMMAND,
        /** On a read-only connection, not replicated. */
        QUERY
    }

    /** The outcome of a check. */
    sealed interface Outcome {
    }

    /**
     * A statement the state machine runs.
     *
     * @param parameters      SQLite's parameter count (the highest parameter index)
     * @param namedByIndex    index → name without its prefix, for the named parameters
     * @param positional      true if it has {@code ?} / {@code ?NNN} parameters
     */
    record Checked(int parameters, TreeMap<Integer, String> namedByIndex, boolean positional) implements Outcome {
    }

    /** A statement the state machine refuses, and why. */
    record Refused(String reason) implements Outcome {
    }

    private static final Set<String> TRANSACTION_CONTROL = Set.of("begin", "commit", "end", "rollback", "savepoint", "release");
    /** Pragmas whose answer is the same on every server at the same index (schema and header fields). */
    private static final Set<String> SCHEMA_PRAGMAS = Set.of("table_info", "table_xinfo", "table_list", "index_list",
            "index_info", "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
            "user_version", "application_id");
    /** Pragmas a command may set: fields of the database header, which the file (and so a snapshot) carries. */
    private static final Set<String> SETTABLE_PRAGMAS = Set.of("user_version", "application_id");
    /** Further pragmas a query may read: about this server's file or library, never replicated. */
    private static final Set<String> QUERY_PRAGMAS = Set.of("page_count", "page_size", "freelist_count",
            "schema_version", "compile_options", "function_list", "module_list", "pragma_list", "collation_list",
            "encoding", "foreign_keys", "journal_mode");
    static final String RESERVED_PREFIX = "raftkv_";

    private SqlGuard() {
    }

    static Outcome check(String sql, Use use) {
        List<Token> tokens = SqlLexer.tokenize(sql);
        if (tokens.isEmpty() || tokens.get(0).type() == Type.SEMICOLON) {
            return new Refused("empty statement");
        }
        int end = statementEnd(tokens);
        for (int i = end; i < tokens.size(); i++) {
            if (tokens.get(i).type() != Type.SEMICOLON) {
                return new Refused("more than one statement in one entry (the second starts at offset "
                        + tokens.get(i).start() + "); send each as its own entry of the request");
            }
        }
        List<Token> statement = tokens.subList(0, end);
        String refusal = refusal(statement, use);
        return refusal != null ? new Refused(refusal) : parameters(statement);
    }

    /**
     * Index of the semicolon that ends the first statement (or the token count). A trigger's body holds
     * statements ending in ';': as in sqlite3_complete, a trigger ends only at "; END ;" (a CASE's END is never
     * right after a semicolon).
     */
    private static int statementEnd(List<Token> tokens) {
        boolean trigger = tokens.get(0).is("create") && tokens.size() > 2 && (tokens.get(1).is("trigger")
                || (tokens.get(1).is("temp") || tokens.get(1).is("temporary")) && tokens.get(2).is("trigger"));
        for (int i = 0; i < tokens.size(); i++) {
            if (tokens.get(i).type() == Type.SEMICOLON && (!trigger
                    || (i >= 2 && tokens.get(i - 1).is("end") && tokens.get(i - 2).type() == Type.SEMICOLON))) {
                return i;
            }
        }
        return tokens.size();
    }

    private static String refusal(List<Token> t, Use use) {
        Token first = t.get(0);
        String keyword = first.type() == Type.WORD ? first.text().toLowerCase(Locale.ROOT) : "";
        if (TRANSACTION_CONTROL.contains(keyword)) {
            return keyword.toUpperCase(Locale.ROOT) + " is not allowed: every request runs in a transaction of its "
                    + "own; ask for one transaction over all its statements with ?transaction";
        }
        if (keyword.equals("attach") || keyword.equals("detach")) {
            return keyword.toUpperCase(Locale.ROOT) + " is not allowed: other database files are not replicated";
        }
        if (keyword.equals("vacuum")) {
            return "VACUUM is not allowed: it cannot run inside the request's transaction, and it changes no content";
        }
        if (first.is("create") && t.size() > 1 && (t.get(1).is("temp") || t.get(1).is("temporary"))) {
            return "TEMP objects are not allowed: they live in one connection of one server, not in the replicated "
                    + "database, and vanish when the server restarts";
        }
        if (keyword.equals("pragma")) {
            String pragmaRefusal = pragmaRefusal(t, use);
            if (pragmaRefusal != null) {
                return pragmaRefusal;
            }
        }
        for (int i = 0; i < t.size(); i++) {
            Token tok = t.get(i);
            if (tok.type() != Type.WORD && tok.type() != Type.QUOTED_NAME) {
                continue;
            }
            String name = tok.name().toLowerCase(Locale.ROOT);
            if (name.startsWith(RESERVED_PREFIX)) {
                return "names starting with " + RESERVED_PREFIX + " are reserved for the state machine's own tables: "
                        + tok.name();
            }
            boolean qualifier = i + 1 < t.size() && t.get(i + 1).text().equals(".");
            if ((name.equals("temp") && qualifier) || name.equals("sqlite_temp_master") || name.equals("sqlite_temp_schema")) {
                return "the temp schema is not allowed: it lives in one connection of one server, not in the "
                        + "replicated database";
            }
            if (use == Use.COMMAND && (name.equals("dbstat") || name.equals("sqlite_dbpage") || name.startsWith("pragma_"))) {
                return tok.name() + " is not allowed in a write: it reports this server's file or connection, "
                        + "which differs between servers; read it with a query";
            }
        }
        return null;
    }

    /** {@code PRAGMA [main.]name [= value | (arg)]}. */
    private static String pragmaRefusal(List<Token> t, Use use) {
        int i = 1;
        if (t.size() > i + 2 && t.get(i + 1).text().equals(".")) {
            if (!t.get(i).name().equalsIgnoreCase("main")) {
                return "PRAGMA on schema " + t.get(i).name() + " is not allowed: only main is replicated";
            }
            i += 2;
        }
        if (i >= t.size()) {
            return "PRAGMA without a name";
        }
        String name = t.get(i).name().toLowerCase(Locale.ROOT);
        boolean sets = i + 1 < t.size() && t.get(i + 1).text().equals("=");
        if (sets) {
            if (use == Use.COMMAND && SETTABLE_PRAGMAS.contains(name)) {
                return null;
            }
            return "PRAGMA " + name + " = … is not allowed" + (use == Use.QUERY ? " in a query (it writes)"
                    : ": only user_version and application_id (fields of the database file) are replicated; other "
                    + "pragmas set per-connection state that a restarted server would not have");
        }
        if (SCHEMA_PRAGMAS.contains(name) || (use == Use.QUERY && QUERY_PRAGMAS.contains(name))) {
            return null;
        }
        return "PRAGMA " + name + " is not allowed" + (use == Use.COMMAND
                ? " in a write: its answer is not part of the replicated database (read schema pragmas, or use a query)"
                : " in a query: it changes or reports per-connection state");
    }

    /** SQLite's parameter numbering: {@code ?} takes the next index, {@code ?NNN} index NNN, a name its first index. */
    private static Outcome parameters(List<Token> t) {
        int max = 0;
        TreeMap<Integer, String> named = new TreeMap<>();
        java.util.Map<String, Integer> seen = new java.util.HashMap<>();
        boolean positional = false;
        for (Token tok : t) {
            if (tok.type() != Type.PARAMETER) {
                continue;
            }
            String text = tok.text();
            if (text.charAt(0) == '?') {
                positional = true;
                if (text.length() == 1) {
                    max++;
                } else {
                    int index;
                    try {
                        index = Integer.parseInt(text.substring(1));
                    } catch (NumberFormatException e) {
                        return new Refused("parameter " + text + " is out of range");
                    }
                    if (index < 1 || index > 32766) {
                        return new Refused("parameter " + text + " is out of range (1..32766)");
                    }
                    max = Math.max(max, index);
                }
            } else {
                Integer index = seen.get(text);
                if (index == null) {
                    index = ++max;
                    seen.put(text, index);
                    named.put(index, text.substring(1));
                }
            }
        }
        if (positional && !named.isEmpty()) {
            return new Refused("a statement mixes positional (?) and named (:name) parameters; use one kind");
        }
        return new Checked(max, named, positional);
    }
}
