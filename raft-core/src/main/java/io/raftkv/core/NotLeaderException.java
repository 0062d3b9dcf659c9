package io.raftkv.core;

/** Thrown by {@link RaftNode#propose} on a server that is not the leader; carries the leader if known. */
public final class NotLeaderException extends RuntimeException {
    private final String leaderId;

    public NotLeaderException(String leaderId) {
        super(leaderId == null ? "not leader (leader unknown)" : "not leader (leader is " + leaderId + ")", null, false, false);
        this.leaderId = leaderId;
    }

    /** The current leader's id, or null if unknown. */
    public String leaderId() {
        return leaderId;
    }
}
