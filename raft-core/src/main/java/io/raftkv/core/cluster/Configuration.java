package io.raftkv.core.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A cluster membership: the set of servers, each a voter or a learner. Immutable; members sorted by id.
 *
 * <p>A configuration travels in CONFIGURATION log entries and in snapshot metadata. A server uses the latest
 * configuration in its log, committed or not (thesis §4.1).
 */
public record Configuration(List<Member> members) {

    public static final Configuration EMPTY = new Configuration(List.of());

    public Configuration {
        Set<String> ids = new HashSet<>();
        for (Member m : members) {
            if (!ids.add(m.id())) {
                throw new IllegalArgumentException("duplicate member id " + m.id());
            }
        }
        members = List.copyOf(new TreeSet<>(members)); // sorted by id (Member's natural order)
    }

    public static Configuration ofVoters(List<Member> voters) {
        return new Configuration(voters);
    }

    /** Convenience for tests and the simulator: voters with no addresses. */
    public static Configuration ofVoterIds(String... ids) {
        List<Member> ms = new ArrayList<>();
        for (String id : ids) {
            ms.add(Member.voter(id, ""));
        }
        return new Configuration(ms);
    }

    public Optional<Member> member(String id) {
        for (Member m : members) {
            if (m.id().equals(id)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    public boolean contains(String id) {
        return member(id).isPresent();
    }

    public boolean isVoter(String id) {
        return member(id).map(Member::voter).orElse(false);
    }

    /** Ids of the voting members, sorted. */
    public Set<String> voterIds() {
        TreeSet<String> ids = new TreeSet<>();
        for (Member m : members) {
            if (m.voter()) {
                ids.add(m.id());
            }
        }
        return Collections.unmodifiableSet(ids);
    }

    /** Ids of every member, voters and learners, sorted. */
    public Set<String> allIds() {
        TreeSet<String> ids = new TreeSet<>();
        for (Member m : members) {
            ids.add(m.id());
        }
        return Collections.unmodifiableSet(ids);
    }

    /** The number of voters that makes a majority: {@code floor(n/2)+1}. */
    public int quorumSize() {
        return voterIds().size() / 2 + 1;
    }

    /** True if {@code ids} contains a majority of this configuration's voters. */
    public boolean hasQuorum(Set<String> ids) {
        int n = 0;
        for (String v : voterIds()) {
            if (ids.contains(v)) {
                n++;
            }
        }
        return n >= quorumSize();
    }

    public Configuration with(Member member) {
        List<Member> ms = new ArrayList<>();
        for (Member m : members) {
            if (!m.id().equals(member.id())) {
                ms.add(m);
            }
        }
        ms.add(member);
        return new Configuration(ms);
    }

    public Configuration without(String id) {
        List<Member> ms = new ArrayList<>();
        for (Member m : members) {
            if (!m.id().equals(id)) {
                ms.add(m);
            }
        }
        return new Configuration(ms);
    }

    /** Encodes as {@code count:int, then per member: id:UTF, address:UTF, voter:boolean}. */
    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(members.size());
            for (Member m : members) {
                out.writeUTF(m.id());
                out.writeUTF(m.address());
                out.writeBoolean(m.voter());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes what {@link #encode()} wrote; throws IllegalArgumentException on malformed input. */
    public static Configuration decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int n = in.readInt();
            if (n < 0 || n > 10_000) {
                throw new IllegalArgumentException("bad member count " + n);
            }
            List<Member> ms = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ms.add(new Member(in.readUTF(), in.readUTF(), in.readBoolean()));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes after configuration");
            }
            return new Configuration(ms);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed configuration: " + e, e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (Member m : members) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(m.id()).append(m.voter() ? "" : "(learner)");
        }
        return sb.append('}').toString();
    }
}
