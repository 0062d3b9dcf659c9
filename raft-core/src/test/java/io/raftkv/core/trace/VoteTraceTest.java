package io.raftkv.core.trace;

import io.raftkv.core.RaftNode;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.InMemoryLogStore;
import io.raftkv.core.storage.SnapshotMeta;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RaftNode tells its trace sink why it granted or refused each vote (§5.1, §5.2, §5.4.1). */
class VoteTraceTest {

    /** A sink that keeps every event. */
    static final class Recording implements TraceSink {
        final List<TraceEvent> events = new ArrayList<>();
        boolean on = true;

        @Override
        public boolean enabled() {
            return on;
        }

        @Override
        public void emit(TraceEvent event) {
            events.add(event);
        }

        TraceEvent.Vote lastVote() {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i) instanceof TraceEvent.Vote v) {
                    return v;
                }
            }
            throw new AssertionError("no vote traced in " + events);
        }
    }

    /** n1 with entries 1@1 and 2@2 in term 2, no vote, no leader; checkQuorum off so that no lease interferes. */
    private static RaftNode voter(Recording sink) {
        InMemoryLogStore log = new InMemoryLogStore();
        log.append(List.of(LogEntry.noop(1, 1), LogEntry.noop(2, 2)));
        log.sync();
        RaftNode n = new RaftNode("n1", RaftOptions.defaults().withCheckQuorum(false), log, new HardState(2, null),
                SnapshotMeta.NONE, Configuration.ofVoterIds("n1", "n2", "n3"), new Random(1));
        n.traceTo(sink);
        return n;
    }

    @Test
    void grantedThenAlreadyVotedThenStaleTermThenLogBehind() {
        Recording sink = new Recording();
        RaftNode n = voter(sink);

        n.step(new VoteRequest("n2", "n1", 3, 2, 2, false, false));
        TraceEvent.Vote v = sink.lastVote();
        assertTrue(v.granted());
        assertEquals(TraceEvent.VoteReason.GRANTED, v.reason());
        assertEquals("n2", v.candidate());
        assertEquals(3, v.term());

        n.step(new VoteRequest("n3", "n1", 3, 9, 3, false, false));
        v = sink.lastVote();
        assertFalse(v.granted());
        assertEquals(TraceEvent.VoteReason.ALREADY_VOTED, v.reason(), v.detail());
        assertTrue(v.detail().contains("n2"), v.detail());

        n.step(new VoteRequest("n3", "n1", 1, 9, 1, false, false));
        v = sink.lastVote();
        assertEquals(TraceEvent.VoteReason.STALE_TERM, v.reason());

        n.step(new VoteRequest("n3", "n1", 4, 1, 1, false, false));
        v = sink.lastVote();
        assertFalse(v.granted());
        assertEquals(TraceEvent.VoteReason.LOG_BEHIND, v.reason());
        assertEquals("candidate's log 1@1 is behind ours 2@2", v.detail());
    }

    @Test
    void aRestartedVoterIgnoresCandidatesForAnElectionTimeout() {
        Recording sink = new Recording();
        InMemoryLogStore log = new InMemoryLogStore();
        RaftNode n = new RaftNode("n1", RaftOptions.defaults(), log, new HardState(2, null), SnapshotMeta.NONE,
                Configuration.ofVoterIds("n1", "n2", "n3"), new Random(1));
        n.traceTo(sink);
        n.step(new VoteRequest("n2", "n1", 3, 0, 0, false, false));
        TraceEvent.Vote v = sink.lastVote();
        assertFalse(v.granted());
        assertEquals(TraceEvent.VoteReason.IN_LEASE, v.reason(), v.detail());
        assertEquals(2, n.currentTerm(), "thesis §4.2.3: the request is ignored, term and all");
    }

    @Test
    void preVoteIsTracedAsPreVote() {
        Recording sink = new Recording();
        RaftNode n = voter(sink);
        n.step(new VoteRequest("n2", "n1", 3, 2, 2, true, false));
        TraceEvent.Vote v = sink.lastVote();
        assertTrue(v.preVote());
        assertTrue(v.granted());
        assertEquals(2, n.currentTerm(), "a pre-vote never changes the voter's term (thesis §9.6)");
    }

    @Test
    void aDisabledSinkIsNeverHandedAnEvent() {
        Recording sink = new Recording();
        sink.on = false;
        RaftNode n = voter(sink);
        n.step(new VoteRequest("n2", "n1", 3, 2, 2, false, false));
        n.step(new VoteRequest("n3", "n1", 1, 2, 2, false, false));
        assertEquals(List.of(), sink.events);
    }
}
