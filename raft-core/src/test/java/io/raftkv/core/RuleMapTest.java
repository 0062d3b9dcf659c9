package io.raftkv.core;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Keeps raft-core/README.md's rule map true: every {@code `Class.member`} a row of a {@code | rule | where |} table
 * names must exist (methods and fields, private and package-private ones included). A bare {@code `member`} belongs
 * to the class named last in the same cell; a bare {@code `Class`} must exist. Renaming or removing a method the map
 * points to fails here, naming the stale row.
 */
class RuleMapTest {

    private static final Path README = Path.of(System.getProperty("basedir", "."), "README.md");
    /** Where the classes the map names live; a simple name is looked up in each. */
    private static final List<String> PACKAGES = List.of("io.raftkv.core", "io.raftkv.core.log", "io.raftkv.core.progress",
            "io.raftkv.core.cluster", "io.raftkv.core.message", "io.raftkv.core.storage", "io.raftkv.core.server",
            "io.raftkv.core.statemachine", "io.raftkv.core.transport", "io.raftkv.core.session");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** One row of the map: its line in the README, the rule, and the "where" cell. */
    record Row(int line, String rule, String where) {
    }

    @Test
    void everyClassAndMethodTheRuleMapNamesExists() throws IOException {
        List<Row> rows = ruleMapRows(Files.readAllLines(README, StandardCharsets.UTF_8));
        assertTrue(rows.size() >= 40, "found only " + rows.size() + " rule-map rows in " + README.toAbsolutePath()
                + ": has the table's header ('| rule | where |') changed?");
        List<String> stale = new ArrayList<>();
        for (Row row : rows) {
            stale.addAll(check(row));
        }
        if (!stale.isEmpty()) {
            fail("raft-core/README.md's rule map names what the code does not have; fix the rows (or the code):\n  "
                    + String.join("\n  ", stale));
        }
    }

    @Test
    void aStaleRowIsReportedWithItsLineAndRule() {
        List<String> stale = check(new Row(42, "§5.3 some rule", "`RaftLog.appendAfterMatch`, `noSuchMethod`; `NoSuchClass`"));
        assertEquals(List.of(
                "README.md:42 (rule '§5.3 some rule'): `noSuchMethod`: io.raftkv.core.log.RaftLog has no method or field noSuchMethod",
                "README.md:42 (rule '§5.3 some rule'): `NoSuchClass`: no class NoSuchClass in " + PACKAGES), stale);
        assertEquals(List.of(), check(new Row(1, "r", "`Leader.maybeCommit`, `ReadIndexTracker` (package-private), "
                + "`RaftNode.campaign(true)`, `handleHigherTerm`, `Ready.SnapshotInstall`")));
    }

    /** The rows of every table whose header is {@code | rule | where |}. */
    static List<Row> ruleMapRows(List<String> lines) {
        List<Row> rows = new ArrayList<>();
        boolean inTable = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.replace(" ", "").equals("|rule|where|")) {
                inTable = true;
                continue;
            }
            if (!inTable) {
                continue;
            }
            if (!line.startsWith("|")) {
                inTable = false;
                continue;
            }
            String[] cells = line.split("\\|", -1);
            if (cells.length < 3 || cells[1].strip().startsWith("---")) {
                continue;
            }
            rows.add(new Row(i + 1, cells[1].strip(), cells[2].strip()));
        }
        return rows;
    }

    /** What is stale in one row: one message per name that does not resolve. */
    static List<String> check(Row row) {
        List<String> stale = new ArrayList<>();
        Class<?> current = null;
        Matcher m = CODE.matcher(row.where());
        int names = 0;
        while (m.find()) {
            names++;
            String name = m.group(1).replaceAll("\\(.*\\)$", "").strip();
            String problem;
            int dot = name.indexOf('.');
            if (dot > 0) {
                Class<?> c = resolve(name.substring(0, dot));
                if (c == null) {
                    problem = "no class " + name.substring(0, dot) + " in " + PACKAGES;
                } else {
                    current = c;
                    problem = hasMember(c, name.substring(dot + 1)) ? null
                            : c.getName() + " has no method or field " + name.substring(dot + 1);
                }
            } else if (Character.isUpperCase(name.charAt(0))) {
                Class<?> c = resolve(name);
                problem = c == null ? "no class " + name + " in " + PACKAGES : null;
                current = c == null ? current : c;
            } else if (current == null) {
                problem = "a bare member with no class named before it in the cell";
            } else {
                problem = hasMember(current, name) ? null : current.getName() + " has no method or field " + name;
            }
            if (problem != null) {
                stale.add("README.md:" + row.line() + " (rule '" + row.rule() + "'): `" + m.group(1) + "`: " + problem);
            }
        }
        if (names == 0) {
            stale.add("README.md:" + row.line() + " (rule '" + row.rule() + "'): names no code in backticks");
        }
        return stale;
    }

    private static Class<?> resolve(String simpleName) {
        for (String p : PACKAGES) {
            try {
                return Class.forName(p + "." + simpleName, false, RuleMapTest.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                // not in this package
            }
        }
        return null;
    }

    /** A method, field or nested type of {@code c}, its superclasses or its interfaces, whatever its visibility. */
    private static boolean hasMember(Class<?> c, String name) {
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(c));
        while (!todo.isEmpty()) {
            Class<?> k = todo.poll();
            for (Method method : k.getDeclaredMethods()) {
                if (method.getName().equals(name)) {
                    return true;
                }
            }
            for (Field field : k.getDeclaredFields()) {
                if (field.getName().equals(name)) {
                    return true;
                }
            }
            for (Class<?> nested : k.getDeclaredClasses()) {
                if (nested.getSimpleName().equals(name)) {
                    return true;
                }
            }
            if (k.getSuperclass() != null) {
                todo.add(k.getSuperclass());
            }
            todo.addAll(List.of(k.getInterfaces()));
        }
        return false;
    }
}
