package io.raftkv.core;

/** The role a server plays (§5.1), plus the pre-candidate step of pre-vote (thesis §9.6). */
public enum Role {
    FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER;

    public String lowerName() {
        return switch (this) {
            case FOLLOWER -> "follower";
            case PRE_CANDIDATE -> "pre-candidate";
            case CANDIDATE -> "candidate";
            case LEADER -> "leader";
        };
    }
}
