package io.raftkv.sim.scenario;

import io.raftkv.core.message.LogEntry;
import io.raftkv.sim.MessageFormat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The two safety properties a scenario can break visibly, checked as it runs: Election Safety (§5.2: at most one
 * leader per term) and State Machine Safety (§5.4.3: every server applies the same entry at an index). A violation
 * becomes a {@code VIOLATION} line in the output; the runner fails a scenario that shows one unless it runs a
 * deliberate bug ({@code cluster ... mutation=...}) to show what the rule prevents. The simulator's
 * {@code InvariantChecker} checks all four properties of Figure 3 over random schedules.
 */
final class SafetyWatch {
    private final Map<Long, String> leaderOfTerm = new TreeMap<>();
    private final Map<Long, Applied> firstApplied = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();

    private record Applied(String by, LogEntry entry) {
    }

    /** {@code id} leads {@code term}; returns a violation to report, or null. */
    String onLeader(String id, long term) {
        String previous = leaderOfTerm.putIfAbsent(term, id);
        if (previous == null || previous.equals(id)) {
            return null;
        }
        return record("VIOLATION election safety (§5.2): " + id + " leads term " + term + ", which " + previous
                + " led already");
    }

    /** {@code id} applies {@code entry}; returns a violation to report, or null. */
    String onApplied(String id, LogEntry entry) {
        Applied first = firstApplied.putIfAbsent(entry.index(), new Applied(id, entry));
        if (first == null || first.entry().equals(entry)) {
            return null;
        }
        return record("VIOLATION state machine safety (§5.4.3): " + id + " applies " + MessageFormat.entry(entry)
                + " at index " + entry.index() + ", where " + first.by() + " applied " + MessageFormat.entry(first.entry()));
    }

    private String record(String violation) {
        violations.add(violation);
        return violation;
    }

    List<String> violations() {
        return List.copyOf(violations);
    }
}
