package io.raftkv.core.cluster;

import java.util.Objects;

/**
 * One server of the cluster: its stable id, the address peers reach it at ({@code host:port} of its Raft
 * transport), and whether it votes. Learners (non-voters) receive the log but count towards no quorum (thesis
 * §4.2.1), which lets a new server catch up without costing the cluster availability.
 */
public record Member(String id, String address, boolean voter) implements Comparable<Member> {
    public Member {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("member id must not be blank");
        }
        address = address == null ? "" : address;
    }

    public static Member voter(String id, String address) {
        return new Member(id, address, true);
    }

    public static Member learner(String id, String address) {
        return new Member(id, address, false);
    }

    @Override
    public int compareTo(Member o) {
        return id.compareTo(o.id);
    }
}
