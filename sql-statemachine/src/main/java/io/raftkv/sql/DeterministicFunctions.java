package io.raftkv.sql;

import org.sqlite.Function;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Replaces SQLite's non-deterministic functions on the apply connection with deterministic ones fed by the
 * command being applied: its {@link SqlCommand#timeMillis()} (chosen once by the leader) is "now", its
 * {@link SqlCommand#randomSeed()} seeds {@code random()} and {@code randomblob()}. Every server applying the
 * same command therefore computes the same values — wherever the call is: in the statement, in a trigger it
 * fires, in a column's {@code DEFAULT}, in a view. This is rqlite's "evaluate once on the leader, log the value",
 * done at the level of the function rather than by rewriting the SQL text, so that no call site is missed.
 *
 * <table>
 *   <caption>What each function becomes</caption>
 *   <tr><th>function</th><th>at apply</th></tr>
 *   <tr><td>{@code random()}</td><td>the next value of a SplittableRandom seeded with the command's seed</td></tr>
 *   <tr><td>{@code randomblob(N)}</td><td>N bytes of that stream (N &lt; 1 gives 1 byte, as SQLite; N above
 *       {@link #MAX_RANDOMBLOB} is an error)</td></tr>
 *   <tr><td>{@code CURRENT_TIMESTAMP}, {@code CURRENT_DATE}, {@code CURRENT_TIME}</td><td>the command's time, UTC</td></tr>
 *   <tr><td>{@code date}, {@code time}, {@code datetime}, {@code julianday}, {@code unixepoch},
 *       {@code strftime}, {@code timediff}</td><td>SQLite's own function, with {@code 'now'} (and a missing time
 *       value) replaced by the command's time; the {@code 'localtime'} and {@code 'utc'} modifiers are an error
 *       (they depend on each server's time zone)</td></tr>
 *   <tr><td>{@code total_changes()}</td><td>an error: it counts since the connection opened, which differs
 *       between servers</td></tr>
 *   <tr><td>{@code load_extension()}</td><td>an error: native code is not part of the log</td></tr>
 * </table>
 * {@code last_insert_rowid()} and {@code changes()} stay SQLite's: the state machine resets them at the start of
 * every command, so they only ever see the command's own statements.
 *
 * <p>The date functions are computed by SQLite itself on a private in-memory connection, so their formats and
 * corner cases are SQLite's. Apply thread only.
 */
final class DeterministicFunctions implements AutoCloseable {
    /** Largest {@code randomblob(N)}: a command cannot make a server allocate more. */
    static final int MAX_RANDOMBLOB = 1 << 20;

    private static final int SQLITE_INTEGER = 1;
    private static final int SQLITE_FLOAT = 2;
    private static final int SQLITE_TEXT = 3;
    private static final int SQLITE_BLOB = 4;

    private static final double UNIX_EPOCH_JULIAN_DAY = 2440587.5;
    private static final double MILLIS_PER_DAY = 86_400_000.0;

    /** Evaluates SQLite's own date functions; never sees 'now' or a time-zone modifier. */
    private final Connection builtins;
    private final Map<String, PreparedStatement> calls = new HashMap<>();
    private double julianDayNow;
    private SplittableRandom random = new SplittableRandom(0);

    DeterministicFunctions() throws SQLException {
        this.builtins = DriverManager.getConnection("jdbc:sqlite::memory:");
    }

    /** Registers the replacements on {@code apply}, the connection commands run on. */
    void install(Connection apply) throws SQLException {
        Function.create(apply, "random", scalar(f -> f.returnLong(random.nextLong())), 0, 0);
        Function.create(apply, "randomblob", scalar(this::randomBlob), 1, 0);
        Function.create(apply, "current_timestamp", scalar(f -> delegate(f, "datetime", new Object[]{julianDayNow})), 0, 0);
        Function.create(apply, "current_date", scalar(f -> delegate(f, "date", new Object[]{julianDayNow})), 0, 0);
        Function.create(apply, "current_time", scalar(f -> delegate(f, "time", new Object[]{julianDayNow})), 0, 0);
        for (String name : new String[]{"date", "time", "datetime", "julianday", "unixepoch"}) {
            Function.create(apply, name, scalar(f -> dateFunction(f, name, 0)), -1, Function.FLAG_DETERMINISTIC);
        }
        Function.create(apply, "strftime", scalar(f -> dateFunction(f, "strftime", 1)), -1, Function.FLAG_DETERMINISTIC);
        Function.create(apply, "timediff", scalar(f -> dateFunction(f, "timediff", 2)), 2, Function.FLAG_DETERMINISTIC);
        Function.create(apply, "total_changes", scalar(f -> f.fail("total_changes() is not allowed in a write: it "
                + "counts since the server's connection opened, which differs between servers; use changes()")), 0, 0);
        for (int args = 1; args <= 2; args++) {
            Function.create(apply, "load_extension", scalar(f -> f.fail("load_extension() is not allowed")), args, 0);
        }
    }

    /** Apply thread: the next statements belong to a command with this time and seed. */
    void begin(long timeMillis, long seed) {
        julianDayNow = UNIX_EPOCH_JULIAN_DAY + timeMillis / MILLIS_PER_DAY;
        random = new SplittableRandom(seed);
    }

    private void randomBlob(Call f) throws SQLException {
        long n = f.argLong(0);
        if (n > MAX_RANDOMBLOB) {
            f.fail("randomblob(" + n + ") is larger than the " + MAX_RANDOMBLOB + " bytes a write may ask for");
            return;
        }
        byte[] b = new byte[(int) Math.max(1, n)];
        for (int i = 0; i < b.length; i += 8) {
            long r = random.nextLong();
            for (int j = 0; j < 8 && i + j < b.length; j++) {
                b[i + j] = (byte) (r >>> (8 * j));
            }
        }
        f.returnBlob(b);
    }

    /**
     * A date function whose first {@code timeArgs} arguments after {@code skip} are time values: 'now' (and a
     * missing time value) becomes the command's julian day; 'localtime' and 'utc' modifiers are refused.
     *
     * @param timeArgs 0 for date/time/datetime/julianday/unixepoch (time value first), 1 for strftime (format
     *                 first, then the time value), 2 for timediff (two time values)
     */
    private void dateFunction(Call f, String name, int timeArgs) throws SQLException {
        int n = f.argCount();
        int firstTime = timeArgs == 1 ? 1 : 0;
        int timeValues = timeArgs == 2 ? 2 : 1;
        Object[] args = new Object[Math.max(n, firstTime + 1)];
        for (int i = 0; i < n; i++) {
            args[i] = f.arg(i);
        }
        if (n == firstTime) {
            args[firstTime] = julianDayNow; // date() is date('now'); strftime('%Y') is strftime('%Y', 'now')
        }
        for (int i = 0; i < args.length; i++) {
            boolean isTime = i >= firstTime && i < firstTime + timeValues;
            if (!(args[i] instanceof String s)) {
                continue;
            }
            if (isTime && s.equalsIgnoreCase("now")) {
                args[i] = julianDayNow;
            } else if (!isTime && i > firstTime) {
                String modifier = s.trim().toLowerCase(Locale.ROOT);
                if (modifier.equals("localtime") || modifier.equals("utc")) {
                    f.fail(name + "(): the '" + modifier + "' modifier is not allowed in a write: it depends on each "
                            + "server's time zone; store UTC and convert in the client");
                    return;
                }
            }
        }
        delegate(f, name, args);
    }

    /** Calls SQLite's own {@code name(args…)} and returns its value. */
    private void delegate(Call f, String name, Object[] args) throws SQLException {
        PreparedStatement ps = calls.get(name + "/" + args.length);
        if (ps == null) {
            StringBuilder sql = new StringBuilder("SELECT ").append(name).append('(');
            for (int i = 0; i < args.length; i++) {
                sql.append(i == 0 ? "?" : ", ?");
            }
            ps = builtins.prepareStatement(sql.append(')').toString());
            calls.put(name + "/" + args.length, ps);
        }
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        try (ResultSet rs = ps.executeQuery()) {
            Object v = rs.next() ? rs.getObject(1) : null;
            if (v == null) {
                f.returnNull();
            } else if (v instanceof String s) {
                f.returnText(s);
            } else if (v instanceof Double d) {
                f.returnDouble(d);
            } else if (v instanceof Number num) {
                f.returnLong(num.longValue());
            } else if (v instanceof byte[] b) {
                f.returnBlob(b);
            } else {
                f.fail(name + "() returned an unexpected " + v.getClass().getSimpleName());
            }
        }
    }

    @Override
    public void close() throws SQLException {
        builtins.close();
    }

    /** A function body: {@link Function} with its protected accessors opened to the lambdas above. */
    @FunctionalInterface
    private interface Body {
        void run(Call f) throws SQLException;
    }

    private static Call scalar(Body body) {
        return new Call(body);
    }

    /** {@link Function}'s protected, final accessors under names the lambdas above may call. */
    private static final class Call extends Function {
        private final Body body;

        Call(Body body) {
            this.body = body;
        }

        @Override
        protected void xFunc() throws SQLException {
            body.run(this);
        }

        int argCount() throws SQLException {
            return args();
        }

        long argLong(int i) throws SQLException {
            return value_long(i);
        }

        /** The argument as a Java value of its storage class. */
        Object arg(int i) throws SQLException {
            return switch (value_type(i)) {
                case SQLITE_INTEGER -> value_long(i);
                case SQLITE_FLOAT -> value_double(i);
                case SQLITE_TEXT -> value_text(i);
                case SQLITE_BLOB -> value_blob(i);
                default -> null;
            };
        }

        void returnLong(long v) throws SQLException {
            result(v);
        }

        void returnDouble(double v) throws SQLException {
            result(v);
        }

        void returnText(String v) throws SQLException {
            result(v);
        }

        void returnBlob(byte[] v) throws SQLException {
            result(v);
        }

        void returnNull() throws SQLException {
            result();
        }

        void fail(String message) throws SQLException {
            error(message);
        }
    }
}
