package io.raftkv.core;

/**
 * Tunables of the algorithm. Time is measured in ticks (the driver decides how long a tick is; the simulator
 * uses a simulated clock). Every knob with its default and what it trades:
 *
 * <table>
 *   <caption>RaftNode options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>electionTimeoutTicks</td><td>10</td><td>minimum election timeout; the actual one is drawn uniformly
 *       from [T, 2T) at every reset (§5.2). Lower: faster failover, more spurious elections.</td></tr>
 *   <tr><td>heartbeatTicks</td><td>1</td><td>leader heartbeat interval; must be well below the election
 *       timeout (§5.6: broadcastTime ≪ electionTimeout).</td></tr>
 *   <tr><td>preVote</td><td>true</td><td>pre-vote phase (thesis §9.6): a server that cannot win does not bump
 *       terms and disrupt the cluster.</td></tr>
 *   <tr><td>checkQuorum</td><td>true</td><td>a leader that has not heard from a majority within an election
 *       timeout steps down (thesis §6.2); also enables leader stickiness and lease reads.</td></tr>
 *   <tr><td>maxInflightMessages</td><td>256</td><td>pipelined AppendEntries per follower not yet
 *       acknowledged.</td></tr>
 *   <tr><td>maxInflightBytes</td><td>32 MiB</td><td>bytes of entries in flight per follower.</td></tr>
 *   <tr><td>maxAppendBytes</td><td>1 MiB</td><td>bytes of entries per AppendEntries (batching).</td></tr>
 *   <tr><td>maxApplyBytes</td><td>64 MiB</td><td>bytes of committed entries handed out per Ready.</td></tr>
 *   <tr><td>leaseDriftTicks</td><td>2</td><td>clock-drift bound subtracted from the election timeout to get
 *       the leader lease (thesis §6.4.1).</td></tr>
 *   <tr><td>autoPromoteLearners</td><td>true</td><td>the leader promotes a learner to voter once it has caught
 *       up (learner-first joins, thesis §4.2.1); false keeps learners as read replicas.</td></tr>
 *   <tr><td>promoteLagEntries</td><td>100</td><td>how far behind the leader's last index a learner may be and
 *       still count as caught up.</td></tr>
 *   <tr><td>maxApplyBacklogEntries</td><td>65536</td><td>committed entries handed to the driver beyond what it
 *       reported applied ({@link RaftNode#reportApplied}); bounds memory when the state machine is slow.</td></tr>
 * </table>
 */
public record RaftOptions(int electionTimeoutTicks, int heartbeatTicks, boolean preVote, boolean checkQuorum,
                          int maxInflightMessages, long maxInflightBytes, long maxAppendBytes, long maxApplyBytes,
                          int leaseDriftTicks, boolean autoPromoteLearners, long promoteLagEntries,
                          long maxApplyBacklogEntries, UnsafeMutation mutation) {

    public RaftOptions {
        if (electionTimeoutTicks < 2) {
            throw new IllegalArgumentException("electionTimeoutTicks must be >= 2, got " + electionTimeoutTicks);
        }
        if (heartbeatTicks < 1 || heartbeatTicks >= electionTimeoutTicks) {
            throw new IllegalArgumentException("heartbeatTicks must be in [1, electionTimeoutTicks), got " + heartbeatTicks);
        }
        if (maxInflightMessages < 1) {
            throw new IllegalArgumentException("maxInflightMessages must be >= 1");
        }
        if (maxInflightBytes < 1 || maxAppendBytes < 1 || maxApplyBytes < 1) {
            throw new IllegalArgumentException("byte limits must be positive");
        }
        if (leaseDriftTicks < 0 || leaseDriftTicks >= electionTimeoutTicks) {
            throw new IllegalArgumentException("leaseDriftTicks must be in [0, electionTimeoutTicks)");
        }
        if (maxApplyBacklogEntries < 1) {
            throw new IllegalArgumentException("maxApplyBacklogEntries must be >= 1");
        }
        if (promoteLagEntries < 0) {
            throw new IllegalArgumentException("promoteLagEntries must be >= 0");
        }
        if (mutation == null) {
            mutation = UnsafeMutation.NONE;
        }
    }

    public static RaftOptions defaults() {
        return new RaftOptions(10, 1, true, true, 256, 32L << 20, 1L << 20, 64L << 20, 2, true, 100,
                65_536, UnsafeMutation.NONE);
    }

    public RaftOptions withElectionTimeoutTicks(int ticks) {
        return new RaftOptions(ticks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages, maxInflightBytes,
                maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withHeartbeatTicks(int ticks) {
        return new RaftOptions(electionTimeoutTicks, ticks, preVote, checkQuorum, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withPreVote(boolean on) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, on, checkQuorum, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withCheckQuorum(boolean on) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, on, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withInflight(int messages, long bytes) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, messages, bytes,
                maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withMaxAppendBytes(long bytes) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages,
                maxInflightBytes, bytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withLeaseDriftTicks(int ticks) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, ticks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withAutoPromoteLearners(boolean on, long lagEntries) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, on, lagEntries, maxApplyBacklogEntries, mutation);
    }

    public RaftOptions withMaxApplyBacklogEntries(long entries) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners,
                promoteLagEntries, entries, mutation);
    }

    /** Test-only: breaks one safety rule on purpose to prove that the simulator's checker catches it. */
    public RaftOptions withUnsafeMutation(UnsafeMutation m) {
        return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages,
                maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners, promoteLagEntries, maxApplyBacklogEntries, m);
    }

    /**
     * Deliberate bugs, for mutation tests only: each disables one safety rule so that a test can assert the
     * invariant checker notices. Never use outside tests.
     */
    public enum UnsafeMutation {
        NONE,
        /** Commit entries of earlier terms by counting replicas (the Figure 8 bug that §5.4.2 forbids). */
        COMMIT_PREVIOUS_TERM_ENTRIES_BY_COUNTING,
        /** Grant votes without checking that the candidate's log is at least as up-to-date (§5.4.1). */
        SKIP_VOTE_LOG_UP_TO_DATE_CHECK,
        /** Grant more than one vote per term (§5.2). */
        VOTE_TWICE_PER_TERM,
        /** Append a forwarded batch again when it is delivered twice (a client's command applied twice). */
        APPEND_DUPLICATE_FORWARDS,
        /**
         * Answer a ReadIndex request (a follower's or a local one) at once with the commit index, without the
         * heartbeat round that proves this server still leads (thesis §6.4): a deposed leader hands out stale read
         * indexes.
         */
        CONFIRM_READS_WITHOUT_QUORUM,
        /** While joint, commit with a majority of C_new alone, ignoring C_old's (§6 needs both). */
        COUNT_ONLY_NEW_MAJORITY_WHILE_JOINT
    }
}
