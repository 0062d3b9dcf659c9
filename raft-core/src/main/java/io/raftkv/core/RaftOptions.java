package io.raftkv.core;

/**
 * Tunables of the algorithm. Time is measured in ticks (the driver decides how long a tick is; the simulator
 * uses a simulated clock). Each option's default is the {@code DEFAULT_} constant named after it, documented there
 * with what the option trades.
 *
 * <pre>{@code
 * RaftOptions options = RaftOptions.builder().electionTimeoutTicks(20).preVote(false).build();
 * RaftOptions tweaked = options.toBuilder().heartbeatTicks(2).build();   // or options.withHeartbeatTicks(2)
 * }</pre>
 */
public record RaftOptions(int electionTimeoutTicks, int heartbeatTicks, boolean preVote, boolean checkQuorum,
                          int maxInflightMessages, long maxInflightBytes, long maxAppendBytes, long maxApplyBytes,
                          int leaseDriftTicks, boolean autoPromoteLearners, long promoteLagEntries,
                          long maxApplyBacklogEntries, UnsafeMutation mutation) {

    /**
     * Minimum election timeout; the actual one is drawn uniformly from [T, 2T) at every reset (§5.2). Lower: faster
     * failover, more spurious elections.
     */
    public static final int DEFAULT_ELECTION_TIMEOUT_TICKS = 10;
    /** Leader heartbeat interval; must be well below the election timeout (§5.6: broadcastTime ≪ electionTimeout). */
    public static final int DEFAULT_HEARTBEAT_TICKS = 1;
    /** Pre-vote phase (thesis §9.6): a server that cannot win does not bump terms and disrupt the cluster. */
    public static final boolean DEFAULT_PRE_VOTE = true;
    /**
     * A leader that has not heard from a majority within an election timeout steps down (thesis §6.2); also enables
     * leader stickiness (thesis §4.2.3) and lease reads (thesis §6.4.1).
     */
    public static final boolean DEFAULT_CHECK_QUORUM = true;
    /** Pipelined AppendEntries per follower not yet acknowledged. */
    public static final int DEFAULT_MAX_INFLIGHT_MESSAGES = 256;
    /** Bytes of entries in flight per follower (32 MiB). */
    public static final long DEFAULT_MAX_INFLIGHT_BYTES = 32L << 20;
    /** Bytes of entries per AppendEntries (1 MiB): the batching of replication. */
    public static final long DEFAULT_MAX_APPEND_BYTES = 1L << 20;
    /** Bytes of committed entries handed out per Ready (64 MiB). */
    public static final long DEFAULT_MAX_APPLY_BYTES = 64L << 20;
    /** Clock-drift bound subtracted from the election timeout to get the leader lease (thesis §6.4.1). */
    public static final int DEFAULT_LEASE_DRIFT_TICKS = 2;
    /**
     * The leader promotes a learner to voter once it has caught up (learner-first joins, thesis §4.2.1); false keeps
     * learners as read replicas.
     */
    public static final boolean DEFAULT_AUTO_PROMOTE_LEARNERS = true;
    /** How far behind the leader's last index a learner may be and still count as caught up. */
    public static final long DEFAULT_PROMOTE_LAG_ENTRIES = 100;
    /**
     * Committed entries handed to the driver beyond what it reported applied ({@link RaftNode#reportApplied});
     * bounds memory when the state machine is slow.
     */
    public static final long DEFAULT_MAX_APPLY_BACKLOG_ENTRIES = 65_536;

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

    /** Every option at its default. */
    public static RaftOptions defaults() {
        return builder().build();
    }

    /** A builder that starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    public RaftOptions withElectionTimeoutTicks(int ticks) {
        return toBuilder().electionTimeoutTicks(ticks).build();
    }

    public RaftOptions withHeartbeatTicks(int ticks) {
        return toBuilder().heartbeatTicks(ticks).build();
    }

    public RaftOptions withPreVote(boolean on) {
        return toBuilder().preVote(on).build();
    }

    public RaftOptions withCheckQuorum(boolean on) {
        return toBuilder().checkQuorum(on).build();
    }

    public RaftOptions withInflight(int messages, long bytes) {
        return toBuilder().maxInflightMessages(messages).maxInflightBytes(bytes).build();
    }

    public RaftOptions withMaxAppendBytes(long bytes) {
        return toBuilder().maxAppendBytes(bytes).build();
    }

    public RaftOptions withLeaseDriftTicks(int ticks) {
        return toBuilder().leaseDriftTicks(ticks).build();
    }

    public RaftOptions withAutoPromoteLearners(boolean on, long lagEntries) {
        return toBuilder().autoPromoteLearners(on).promoteLagEntries(lagEntries).build();
    }

    public RaftOptions withMaxApplyBacklogEntries(long entries) {
        return toBuilder().maxApplyBacklogEntries(entries).build();
    }

    /** Test-only: breaks one safety rule on purpose to prove that the simulator's checker catches it. */
    public RaftOptions withUnsafeMutation(UnsafeMutation m) {
        return toBuilder().unsafeMutation(m).build();
    }

    /**
     * Builds {@link RaftOptions} one option at a time; {@link #build()} checks them together. Each setter is named
     * after the option (see the {@code DEFAULT_} constants for what each means).
     */
    public static final class Builder {
        private int electionTimeoutTicks = DEFAULT_ELECTION_TIMEOUT_TICKS;
        private int heartbeatTicks = DEFAULT_HEARTBEAT_TICKS;
        private boolean preVote = DEFAULT_PRE_VOTE;
        private boolean checkQuorum = DEFAULT_CHECK_QUORUM;
        private int maxInflightMessages = DEFAULT_MAX_INFLIGHT_MESSAGES;
        private long maxInflightBytes = DEFAULT_MAX_INFLIGHT_BYTES;
        private long maxAppendBytes = DEFAULT_MAX_APPEND_BYTES;
        private long maxApplyBytes = DEFAULT_MAX_APPLY_BYTES;
        private int leaseDriftTicks = DEFAULT_LEASE_DRIFT_TICKS;
        private boolean autoPromoteLearners = DEFAULT_AUTO_PROMOTE_LEARNERS;
        private long promoteLagEntries = DEFAULT_PROMOTE_LAG_ENTRIES;
        private long maxApplyBacklogEntries = DEFAULT_MAX_APPLY_BACKLOG_ENTRIES;
        private UnsafeMutation mutation = UnsafeMutation.NONE;

        private Builder() {
        }

        private Builder(RaftOptions o) {
            electionTimeoutTicks = o.electionTimeoutTicks;
            heartbeatTicks = o.heartbeatTicks;
            preVote = o.preVote;
            checkQuorum = o.checkQuorum;
            maxInflightMessages = o.maxInflightMessages;
            maxInflightBytes = o.maxInflightBytes;
            maxAppendBytes = o.maxAppendBytes;
            maxApplyBytes = o.maxApplyBytes;
            leaseDriftTicks = o.leaseDriftTicks;
            autoPromoteLearners = o.autoPromoteLearners;
            promoteLagEntries = o.promoteLagEntries;
            maxApplyBacklogEntries = o.maxApplyBacklogEntries;
            mutation = o.mutation;
        }

        public Builder electionTimeoutTicks(int ticks) {
            this.electionTimeoutTicks = ticks;
            return this;
        }

        public Builder heartbeatTicks(int ticks) {
            this.heartbeatTicks = ticks;
            return this;
        }

        public Builder preVote(boolean on) {
            this.preVote = on;
            return this;
        }

        public Builder checkQuorum(boolean on) {
            this.checkQuorum = on;
            return this;
        }

        public Builder maxInflightMessages(int messages) {
            this.maxInflightMessages = messages;
            return this;
        }

        public Builder maxInflightBytes(long bytes) {
            this.maxInflightBytes = bytes;
            return this;
        }

        public Builder maxAppendBytes(long bytes) {
            this.maxAppendBytes = bytes;
            return this;
        }

        public Builder maxApplyBytes(long bytes) {
            this.maxApplyBytes = bytes;
            return this;
        }

        public Builder leaseDriftTicks(int ticks) {
            this.leaseDriftTicks = ticks;
            return this;
        }

        public Builder autoPromoteLearners(boolean on) {
            this.autoPromoteLearners = on;
            return this;
        }

        public Builder promoteLagEntries(long entries) {
            this.promoteLagEntries = entries;
            return this;
        }

        public Builder maxApplyBacklogEntries(long entries) {
            this.maxApplyBacklogEntries = entries;
            return this;
        }

        /** Test-only: breaks one safety rule on purpose (see {@link UnsafeMutation}). */
        public Builder unsafeMutation(UnsafeMutation m) {
            this.mutation = m;
            return this;
        }

        /** @throws IllegalArgumentException if the options do not fit together (e.g. heartbeat ≥ election timeout) */
        public RaftOptions build() {
            return new RaftOptions(electionTimeoutTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMessages,
                    maxInflightBytes, maxAppendBytes, maxApplyBytes, leaseDriftTicks, autoPromoteLearners,
                    promoteLagEntries, maxApplyBacklogEntries, mutation);
        }
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
