package io.raftkv.sim;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.LogEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker on hand-made histories: each property is caught, and legal histories pass. */
class InvariantCheckerTest {

    /** A log given as the terms of entries 1..n; entry i carries "c{i}@{term}". */
    private static final class TermLog implements LogView {
        private final List<LogEntry> entries = new ArrayList<>();

        TermLog(long... terms) {
            for (long t : terms) {
                entries.add(InvariantCheckerTest.entry(entries.size() + 1, t));
            }
        }

        @Override
        public long firstIndex() {
            return 1;
        }

        @Override
        public long lastIndex() {
            return entries.size();
        }

        @Override
        public long term(long index) {
            return index == 0 ? 0 : entries.get((int) index - 1).term();
        }

        @Override
        public LogEntry entry(long index) {
            return entries.get((int) index - 1);
        }
    }

    private static LogEntry entry(long index, long term) {
        return LogEntry.command(index, term, ("c" + index + "@" + term).getBytes(StandardCharsets.US_ASCII));
    }

    private static final Map<Long, InvariantChecker.LeaderLog> NO_LEADERS = Map.of();

    private final InvariantChecker checker = new InvariantChecker();

    @Test
    void twoLeadersInOneTermBreakElectionSafety() {
        checker.onLeader("n1", 3, new TermLog());
        assertDoesNotThrow(() -> checker.onLeader("n1", 3, new TermLog()), "the same leader observed again is fine");
        checker.onLeader("n2", 4, new TermLog());
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onLeader("n3", 3, new TermLog()));
        assertEquals(Invariant.ELECTION_SAFETY, v.invariant());
        assertTrue(v.getMessage().contains("n1 and n3"), v.getMessage());
    }

    @Test
    void differentEntriesWithTheSameIndexAndTermBreakLogMatching() {
        checker.onAppended("n1", entry(1, 1), 0);
        LogEntry forged = LogEntry.command(1, 1, "other".getBytes(StandardCharsets.US_ASCII));
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onAppended("n2", forged, 0));
        assertEquals(Invariant.LOG_MATCHING, v.invariant());
    }

    @Test
    void theSameEntryAfterADifferentPrefixBreaksLogMatching() {
        checker.onAppended("n1", entry(1, 1), 0);
        checker.onAppended("n1", entry(2, 2), 1);
        checker.onAppended("n2", entry(1, 2), 0);
        // n2 now appends 2@2 after an entry of term 2: the prefixes differ, so Log Matching is broken.
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onAppended("n2", entry(2, 2), 2));
        assertEquals(Invariant.LOG_MATCHING, v.invariant());
        assertTrue(v.getMessage().contains("after an entry of term 2"), v.getMessage());
    }

    @Test
    void appendingTheSameEntryAgainIsFine() {
        checker.onAppended("n1", entry(1, 1), 0);
        checker.onAppended("n2", entry(1, 1), 0);
        checker.onAppended("n2", entry(1, 1), 0); // rewritten after a truncation
        assertDoesNotThrow(() -> checker.onAppended("n3", entry(1, 1), 0));
    }

    @Test
    void aLeaderOfALaterTermMustHoldCommittedEntries() {
        TermLog full = new TermLog(1, 1, 2);
        checker.onCommitted("n1", 2, 0, 3, full, NO_LEADERS);
        assertDoesNotThrow(() -> checker.onLeader("n2", 3, new TermLog(1, 1, 2, 3)));
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onLeader("n3", 4, new TermLog(1, 1, 3)));
        assertEquals(Invariant.LEADER_COMPLETENESS, v.invariant());
        assertTrue(v.getMessage().contains("3@2"), v.getMessage());
    }

    @Test
    void aStaleLeaderOfTheSameTermIsNotRequiredToHoldLaterCommits() {
        // Committed in term 5; a leader of term 5 (or earlier, elected late) is not a "later term" (§5.4).
        checker.onCommitted("n1", 5, 0, 2, new TermLog(1, 5), NO_LEADERS);
        assertDoesNotThrow(() -> checker.onLeader("n2", 5, new TermLog(1)));
        assertDoesNotThrow(() -> checker.onLeader("n3", 4, new TermLog()));
    }

    @Test
    void aCommitRecordedLaterIsCheckedAgainstLeadersInOffice() {
        checker.onLeader("n3", 7, new TermLog(1));
        TreeMap<Long, InvariantChecker.LeaderLog> leaders = new TreeMap<>();
        leaders.put(7L, new InvariantChecker.LeaderLog("n3", new TermLog(1)));
        InvariantViolation v = assertThrows(InvariantViolation.class,
                () -> checker.onCommitted("n1", 6, 0, 2, new TermLog(1, 4), leaders));
        assertEquals(Invariant.LEADER_COMPLETENESS, v.invariant());
    }

    @Test
    void twoNodesCommittingDifferentEntriesAtOneIndexIsCaught() {
        checker.onCommitted("n1", 2, 0, 2, new TermLog(1, 2), NO_LEADERS);
        InvariantViolation v = assertThrows(InvariantViolation.class,
                () -> checker.onCommitted("n2", 3, 0, 2, new TermLog(1, 3), NO_LEADERS));
        assertEquals(Invariant.LEADER_COMPLETENESS, v.invariant());
    }

    @Test
    void commitTermIsTheEarliestAnyNodeMarkedIt() {
        checker.onCommitted("n1", 4, 0, 1, new TermLog(1), NO_LEADERS);
        checker.onCommitted("n2", 2, 0, 1, new TermLog(1), NO_LEADERS); // n2 knew earlier, in term 2
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onLeader("n3", 3, new TermLog()));
        assertTrue(v.getMessage().contains("in term 2"), v.getMessage());
    }

    @Test
    void applyingDifferentEntriesAtOneIndexBreaksStateMachineSafety() {
        checker.onApplied("n1", entry(1, 1), new byte[0]);
        assertDoesNotThrow(() -> checker.onApplied("n2", entry(1, 1), new byte[0]));
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onApplied("n3", entry(1, 2), new byte[0]));
        assertEquals(Invariant.STATE_MACHINE_SAFETY, v.invariant());
    }

    @Test
    void differentResultsForOneEntryRevealANondeterministicStateMachine() {
        checker.onApplied("n1", entry(1, 1), new byte[]{1});
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onApplied("n2", entry(1, 1), new byte[]{2}));
        assertEquals(Invariant.STATE_MACHINE_SAFETY, v.invariant());
        assertTrue(v.getMessage().contains("nondeterministic"), v.getMessage());
    }

    @Test
    void violationsCarryTheTime() {
        checker.at(1234);
        checker.onLeader("n1", 1, new TermLog());
        InvariantViolation v = assertThrows(InvariantViolation.class, () -> checker.onLeader("n2", 1, new TermLog()));
        assertEquals(1234, v.time());
        assertEquals(123, v.tick());
        assertTrue(v.getMessage().startsWith("ELECTION_SAFETY at 123.4"), v.getMessage());
    }

    private static LogEntry config(long index, Configuration c) {
        return new LogEntry(index, 1, EntryType.CONFIGURATION, c.encode());
    }

    @Test
    void singleServerChangesPassAndLearnersAreUnrestricted() {
        InvariantChecker c = new InvariantChecker();
        Configuration three = Configuration.ofVoterIds("n1", "n2", "n3");
        Configuration four = Configuration.ofVoterIds("n1", "n2", "n3", "n4");
        Configuration withLearners = three.with(Member.learner("n4", "")).with(Member.learner("n5", ""));
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(5, four), three, four));
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(6, three), four, three));
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(7, withLearners), three, withLearners));
        // Promoting a learner adds one voter.
        Configuration promoted = withLearners.with(Member.voter("n4", ""));
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(8, promoted), withLearners, promoted));
    }

    @Test
    void twoVotersChangedAtOnceIsCaught() {
        InvariantChecker c = new InvariantChecker();
        Configuration three = Configuration.ofVoterIds("n1", "n2", "n3");
        Configuration swapped = Configuration.ofVoterIds("n1", "n2", "n4"); // n3 out, n4 in: {n3,n1}, {n4,n2} disjoint
        InvariantViolation v = assertThrows(InvariantViolation.class,
                () -> c.onConfigurationAppended("n2", config(9, swapped), three, swapped));
        assertEquals(Invariant.CONFIGURATION_CHANGE, v.invariant());
        assertTrue(v.getMessage().contains("[n3, n4]"), v.getMessage());
    }

    @Test
    void aJointChangeEntersFromCOldAndLeavesForItsCNew() {
        InvariantChecker c = new InvariantChecker();
        Configuration old = Configuration.ofVoterIds("n1", "n2", "n3").with(Member.learner("n4", ""));
        Configuration next = Configuration.ofVoterIds("n3", "n4", "n5");
        Configuration joint = Configuration.joint(old, next);
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(5, joint), old, joint));
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(6, next), joint, next));
    }

    @Test
    void aJointChangeFromAnotherConfigurationOrToAnotherIsCaught() {
        InvariantChecker c = new InvariantChecker();
        Configuration old = Configuration.ofVoterIds("n1", "n2", "n3");
        Configuration next = Configuration.ofVoterIds("n3", "n4", "n5");
        Configuration joint = Configuration.joint(old, next);
        // Entered from {n1,n2,n4}: its majority {n2,n4} misses C_old,new's majority {n1,n3} + {n3,n5}.
        Configuration elsewhere = Configuration.ofVoterIds("n1", "n2", "n4");
        assertCaught(() -> c.onConfigurationAppended("n1", config(5, joint), elsewhere, joint), "no half of it");
        // Left for a configuration other than its halves: {n4,n6} misses {n1,n2} + {n3,n5}.
        Configuration other = Configuration.ofVoterIds("n4", "n5", "n6");
        assertCaught(() -> c.onConfigurationAppended("n1", config(6, other), joint, other), "no half of it");
        // A joint configuration straight after another one with nothing in common.
        Configuration unrelated = Configuration.joint(Configuration.ofVoterIds("n6", "n7", "n8"),
                Configuration.ofVoterIds("n9"));
        assertCaught(() -> c.onConfigurationAppended("n1", config(7, unrelated), joint, unrelated), "no half of it");
        // Falling back to C_old is safe (C_old,new's majorities include C_old's), if not what RaftNode does.
        assertDoesNotThrow(() -> c.onConfigurationAppended("n1", config(6, old), joint, old));
    }

    private static void assertCaught(org.junit.jupiter.api.function.Executable step, String message) {
        InvariantViolation v = assertThrows(InvariantViolation.class, step);
        assertEquals(Invariant.CONFIGURATION_CHANGE, v.invariant());
        assertTrue(v.getMessage().contains(message), v.getMessage());
    }

    @Test
    void restoredSnapshotMustHoldExactlyTheAppliedCommands() {
        InvariantChecker c = new InvariantChecker();
        c.onApplied("n1", entry(1, 1), null);
        c.onApplied("n1", LogEntry.noop(2, 1), null);
        c.onApplied("n1", entry(3, 1), null);
        RecordingStateMachine.Applied one = new RecordingStateMachine.Applied(1, entry(1, 1).data());
        RecordingStateMachine.Applied three = new RecordingStateMachine.Applied(3, entry(3, 1).data());
        assertDoesNotThrow(() -> c.onRestored("n2", 3, List.of(one, three)));
        assertDoesNotThrow(() -> c.onRestored("n2", 2, List.of(one)));
        InvariantViolation missing = assertThrows(InvariantViolation.class, () -> c.onRestored("n2", 3, List.of(one)));
        assertEquals(Invariant.STATE_MACHINE_SAFETY, missing.invariant());
        RecordingStateMachine.Applied wrong = new RecordingStateMachine.Applied(3, entry(3, 2).data());
        assertThrows(InvariantViolation.class, () -> c.onRestored("n2", 3, List.of(one, wrong)));
        assertThrows(InvariantViolation.class, () -> c.onRestored("n2", 1, List.of(one, three)), "commands beyond the snapshot");
    }
}
