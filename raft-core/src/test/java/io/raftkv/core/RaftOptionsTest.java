package io.raftkv.core;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static io.raftkv.core.RecordComponents.differing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The builder, the copy helpers and the named defaults of {@link RaftOptions} agree with each other. */
class RaftOptionsTest {

    @Test
    void theDefaultsAreTheNamedConstants() {
        RaftOptions d = RaftOptions.defaults();
        assertEquals(RaftOptions.DEFAULT_ELECTION_TIMEOUT_TICKS, d.electionTimeoutTicks());
        assertEquals(RaftOptions.DEFAULT_HEARTBEAT_TICKS, d.heartbeatTicks());
        assertEquals(RaftOptions.DEFAULT_PRE_VOTE, d.preVote());
        assertEquals(RaftOptions.DEFAULT_CHECK_QUORUM, d.checkQuorum());
        assertEquals(RaftOptions.DEFAULT_MAX_INFLIGHT_MESSAGES, d.maxInflightMessages());
        assertEquals(RaftOptions.DEFAULT_MAX_INFLIGHT_BYTES, d.maxInflightBytes());
        assertEquals(RaftOptions.DEFAULT_MAX_APPEND_BYTES, d.maxAppendBytes());
        assertEquals(RaftOptions.DEFAULT_MAX_APPLY_BYTES, d.maxApplyBytes());
        assertEquals(RaftOptions.DEFAULT_LEASE_DRIFT_TICKS, d.leaseDriftTicks());
        assertEquals(RaftOptions.DEFAULT_AUTO_PROMOTE_LEARNERS, d.autoPromoteLearners());
        assertEquals(RaftOptions.DEFAULT_PROMOTE_LAG_ENTRIES, d.promoteLagEntries());
        assertEquals(RaftOptions.DEFAULT_MAX_APPLY_BACKLOG_ENTRIES, d.maxApplyBacklogEntries());
        assertEquals(RaftOptions.UnsafeMutation.NONE, d.mutation());
    }

    @Test
    void toBuilderCopiesEveryOption() {
        RaftOptions every = RaftOptions.builder().electionTimeoutTicks(20).heartbeatTicks(3).preVote(false)
                .checkQuorum(false).maxInflightMessages(7).maxInflightBytes(70).maxAppendBytes(50).maxApplyBytes(60)
                .leaseDriftTicks(4).autoPromoteLearners(false).promoteLagEntries(9).maxApplyBacklogEntries(11)
                .unsafeMutation(RaftOptions.UnsafeMutation.VOTE_TWICE_PER_TERM).build();
        assertEquals(Set.of(), differing(RaftOptions.defaults(), every, false), "every option was set");
        assertEquals(every, every.toBuilder().build());
    }

    @Test
    void eachCopyHelperChangesOnlyItsOptions() {
        RaftOptions d = RaftOptions.defaults();
        assertEquals(Set.of("electionTimeoutTicks"), differing(d, d.withElectionTimeoutTicks(30), true));
        assertEquals(Set.of("heartbeatTicks"), differing(d, d.withHeartbeatTicks(2), true));
        assertEquals(Set.of("preVote"), differing(d, d.withPreVote(false), true));
        assertEquals(Set.of("checkQuorum"), differing(d, d.withCheckQuorum(false), true));
        assertEquals(Set.of("maxInflightMessages", "maxInflightBytes"), differing(d, d.withInflight(3, 4), true));
        assertEquals(Set.of("maxAppendBytes"), differing(d, d.withMaxAppendBytes(5), true));
        assertEquals(Set.of("leaseDriftTicks"), differing(d, d.withLeaseDriftTicks(1), true));
        assertEquals(Set.of("autoPromoteLearners", "promoteLagEntries"),
                differing(d, d.withAutoPromoteLearners(false, 1), true));
        assertEquals(Set.of("maxApplyBacklogEntries"), differing(d, d.withMaxApplyBacklogEntries(8), true));
        assertEquals(Set.of("mutation"),
                differing(d, d.withUnsafeMutation(RaftOptions.UnsafeMutation.VOTE_TWICE_PER_TERM), true));
    }

    @Test
    void buildChecksTheOptionsTogether() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RaftOptions.builder().electionTimeoutTicks(5).heartbeatTicks(5).build());
        assertEquals("heartbeatTicks must be in [1, electionTimeoutTicks), got 5", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RaftOptions.defaults().withLeaseDriftTicks(10));
    }
}
