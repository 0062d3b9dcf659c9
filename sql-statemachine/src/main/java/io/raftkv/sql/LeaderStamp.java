package io.raftkv.sql;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * The step the front door runs on the leader before it proposes a write: rqlite's "evaluate once, log the value".
 * It checks every statement with the same rules apply uses ({@link SqlGuard} and parameter binding), so that a
 * statement that would be refused never enters the log (the client gets a 400 at once), and it stamps the
 * command with this server's time and a fresh random seed — the values of {@code 'now'}, {@code CURRENT_*} and
 * {@code random()} / {@code randomblob()} that every server will then use (see {@link DeterministicFunctions}).
 *
 * <p>Thread-safe. The time is the proposing server's clock: a command's "now" is when it was proposed, which
 * may be a few milliseconds before it commits, and two leaders' clocks may differ (time may even go back across
 * a leader change) — as with rqlite.
 */
public final class LeaderStamp {
    private final Clock clock;
    private final LongSupplier seeds;

    /** The system clock (UTC) and {@link ThreadLocalRandom} seeds. */
    public LeaderStamp() {
        this(Clock.systemUTC(), () -> ThreadLocalRandom.current().nextLong());
    }

    public LeaderStamp(Clock clock, LongSupplier seeds) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.seeds = Objects.requireNonNull(seeds, "seeds");
    }

    /** A statement the state machine would refuse, and why. */
    public record Refusal(int statement, String reason) {
        @Override
        public String toString() {
            return "statement " + (statement + 1) + ": " + reason;
        }
    }

    /**
     * The command to propose for {@code statements}.
     *
     * @throws RefusedException if a statement would be refused at apply (nothing is proposed then)
     */
    public SqlCommand stamp(List<SqlStatement> statements, boolean transaction) throws RefusedException {
        List<Refusal> refusals = check(statements, SqlGuard.Use.COMMAND);
        if (!refusals.isEmpty()) {
            throw new RefusedException(refusals);
        }
        return new SqlCommand(statements, transaction, clock.millis(), seeds.getAsLong());
    }

    /** Checks a read's statements the way {@link SqlStateMachine#query} will (for a 400 before any read round). */
    public static List<Refusal> checkQuery(List<SqlStatement> statements) {
        return check(statements, SqlGuard.Use.QUERY);
    }

    private static List<Refusal> check(List<SqlStatement> statements, SqlGuard.Use use) {
        List<Refusal> refusals = new ArrayList<>();
        if (statements.isEmpty()) {
            refusals.add(new Refusal(0, "no statements"));
        }
        for (int i = 0; i < statements.size(); i++) {
            SqlGuard.Outcome o = SqlGuard.check(statements.get(i).sql(), use);
            String reason = o instanceof SqlGuard.Refused r ? r.reason()
                    : Statements.bindingError((SqlGuard.Checked) o, statements.get(i));
            if (reason != null) {
                refusals.add(new Refusal(i, reason));
            }
        }
        return refusals;
    }

    /** Statements the state machine would refuse: answer 400, propose nothing. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient List<Refusal> refusals;

        public RefusedException(List<Refusal> refusals) {
            super(refusals.toString());
            this.refusals = List.copyOf(refusals);
        }

        public List<Refusal> refusals() {
            return refusals;
        }
    }
}
