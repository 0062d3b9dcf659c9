package io.raftkv.core.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToLongFunction;

/**
 * A cluster membership: the set of servers, each a voter or a learner — or, during a joint-consensus change
 * (Raft §6, thesis §4.3), the joint configuration C_old,new, which is both C_old and C_new at once. Immutable;
 * members sorted by id.
 *
 * <p>A configuration travels in CONFIGURATION log entries and in snapshot metadata. A server uses the latest
 * configuration in its log, committed or not (thesis §4.1).
 *
 * <p>While joint, agreement (an election, a commit, a ReadIndex round, check-quorum) needs a majority of C_old
 * <em>and</em> a separate majority of C_new (§6): {@link #hasQuorum} and {@link #quorumValue} implement that rule
 * once for every caller. The member views ({@link #members()}, {@link #voterIds()}, {@link #isVoter}) are the
 * union of both halves: a server votes in C_old,new if it votes in either, and every member of either half
 * receives the log.
 */
public final class Configuration {

    public static final Configuration EMPTY = new Configuration(List.of());

    /** Leading int of the version-2 encoding; a version-1 encoding starts with the member count, never negative. */
    private static final int JOINT_FORMAT = -2;
    private static final int MAX_MEMBERS = 10_000;

    /** The configuration's members; while joint, C_new's. */
    private final List<Member> incoming;
    /** While joint, C_old's members; empty otherwise. */
    private final List<Member> outgoing;
    /** Both halves merged (see {@link #members()}). */
    private final List<Member> members;
    private final Set<String> incomingVoters;
    private final Set<String> outgoingVoters;
    private final Set<String> voterIds;
    private final Set<String> allIds;

    /** A simple (non-joint) configuration of these members; ids must be unique. */
    public Configuration(List<Member> members) {
        this(members, List.of());
    }

    private Configuration(List<Member> incoming, List<Member> outgoing) {
        this.incoming = sortedUnique(incoming);
        this.outgoing = sortedUnique(outgoing);
        this.incomingVoters = voters(this.incoming);
        this.outgoingVoters = voters(this.outgoing);
        TreeMap<String, Member> union = new TreeMap<>();
        for (Member m : this.outgoing) {
            union.put(m.id(), m);
        }
        for (Member m : this.incoming) {
            union.merge(m.id(), m, (old, now) -> new Member(now.id(), now.address(), now.voter() || old.voter()));
        }
        this.members = List.copyOf(union.values());
        this.voterIds = voters(this.members);
        this.allIds = Collections.unmodifiableSet(new TreeSet<>(union.keySet()));
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

    /**
     * The joint configuration C_old,new (§6) that moves the cluster from {@code oldConfiguration} to
     * {@code newConfiguration}; both must be simple and C_old must have a voter (C_new is checked by the caller).
     */
    public static Configuration joint(Configuration oldConfiguration, Configuration newConfiguration) {
        if (oldConfiguration.isJoint() || newConfiguration.isJoint()) {
            throw new IllegalArgumentException("the halves of a joint configuration must be simple: "
                    + oldConfiguration + " -> " + newConfiguration);
        }
        if (oldConfiguration.incomingVoters.isEmpty() || newConfiguration.incomingVoters.isEmpty()) {
            throw new IllegalArgumentException("both halves of a joint configuration need a voter: "
                    + oldConfiguration + " -> " + newConfiguration);
        }
        return new Configuration(newConfiguration.incoming, oldConfiguration.incoming);
    }

    private static List<Member> sortedUnique(List<Member> members) {
        Set<String> ids = new HashSet<>();
        for (Member m : members) {
            if (!ids.add(m.id())) {
                throw new IllegalArgumentException("duplicate member id " + m.id());
            }
        }
        return List.copyOf(new TreeSet<>(members)); // sorted by id (Member's natural order)
    }

    private static Set<String> voters(List<Member> members) {
        TreeSet<String> ids = new TreeSet<>();
        for (Member m : members) {
            if (m.voter()) {
                ids.add(m.id());
            }
        }
        return Collections.unmodifiableSet(ids);
    }

    // ------------------------------------------------------------------------------------------------ joint

    /** True for C_old,new, the intermediate configuration of a joint-consensus change (§6). */
    public boolean isJoint() {
        return !outgoing.isEmpty();
    }

    /** While joint, C_old; otherwise this configuration itself. */
    public Configuration oldConfiguration() {
        return isJoint() ? new Configuration(outgoing) : this;
    }

    /**
     * While joint, C_new — the configuration the change moves to, which the leader appends by itself once C_old,new
     * is committed (§6); otherwise this configuration itself.
     */
    public Configuration newConfiguration() {
        return isJoint() ? new Configuration(incoming) : this;
    }

    // ------------------------------------------------------------------------------------------------ members

    /**
     * Every member, sorted by id. While joint, the union of C_old and C_new: a member is a voter if it votes in
     * either half (its vote may be needed for one of the two majorities), and its address is C_new's.
     */
    public List<Member> members() {
        return members;
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
        return allIds.contains(id);
    }

    /** True if {@code id} votes (while joint: in C_old or in C_new). */
    public boolean isVoter(String id) {
        return voterIds.contains(id);
    }

    /** Ids of the voting members, sorted (while joint: of both halves). */
    public Set<String> voterIds() {
        return voterIds;
    }

    /** Ids of every member, voters and learners, sorted (while joint: of both halves). */
    public Set<String> allIds() {
        return allIds;
    }

    // ------------------------------------------------------------------------------------------------ quorums

    /**
     * The number of voters that makes a majority, {@code floor(n/2)+1}, of a simple configuration. A joint one
     * has two majorities (use {@link #hasQuorum} or {@link #quorumValue}).
     *
     * @throws IllegalStateException if joint
     */
    public int quorumSize() {
        if (isJoint()) {
            throw new IllegalStateException("a joint configuration needs a majority of each half: " + this);
        }
        return incomingVoters.size() / 2 + 1;
    }

    /** True if {@code ids} contains a majority of the voters (while joint: a majority of C_old and one of C_new, §6). */
    public boolean hasQuorum(Set<String> ids) {
        return quorumValue(voter -> ids.contains(voter) ? 1 : 0) == 1;
    }

    /**
     * The highest value a quorum of voters has reached: the quorum-th highest of {@code valueOf} over the voters,
     * so a majority holds at least it (etcd's {@code MajorityConfig.CommittedIndex}). While joint, the smaller of
     * that value in C_old and in C_new (§6: agreement needs separate majorities of both). With match indexes this
     * is the commit rule's index (§5.3), with acknowledged heartbeat rounds the round a quorum confirmed (ReadIndex
     * and lease, thesis §6.4). 0 without voters.
     */
    public long quorumValue(ToLongFunction<String> valueOf) {
        long value = majorityValue(incomingVoters, valueOf);
        return isJoint() ? Math.min(value, majorityValue(outgoingVoters, valueOf)) : value;
    }

    private static long majorityValue(Set<String> voters, ToLongFunction<String> valueOf) {
        if (voters.isEmpty()) {
            return 0;
        }
        long[] values = new long[voters.size()];
        int i = 0;
        for (String voter : voters) {
            values[i++] = valueOf.applyAsLong(voter);
        }
        Arrays.sort(values);
        // Ascending: with n voters, the value at n - quorum is held by at least quorum = n/2 + 1 of them.
        return values[values.length - (values.length / 2 + 1)];
    }

    // ------------------------------------------------------------------------------------------------ changes

    /** This simple configuration with {@code member} added, or replacing the member of that id. */
    public Configuration with(Member member) {
        requireSimple("with");
        List<Member> ms = new ArrayList<>();
        for (Member m : incoming) {
            if (!m.id().equals(member.id())) {
                ms.add(m);
            }
        }
        ms.add(member);
        return new Configuration(ms);
    }

    /** This simple configuration without member {@code id}. */
    public Configuration without(String id) {
        requireSimple("without");
        List<Member> ms = new ArrayList<>();
        for (Member m : incoming) {
            if (!m.id().equals(id)) {
                ms.add(m);
            }
        }
        return new Configuration(ms);
    }

    private void requireSimple(String what) {
        if (isJoint()) {
            throw new IllegalStateException(what + " applies to a simple configuration, not to joint " + this);
        }
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /**
     * Encodes in the oldest format that can express the configuration, so that a server of an older release can
     * still read every configuration it could before:
     * <ul>
     *   <li>version 1, simple: {@code count:int, then per member: id:UTF, address:UTF, voter:boolean};</li>
     *   <li>version 2, joint: {@code -2:int}, then C_new and C_old, each as in version 1. An older server rejects
     *       it as a negative member count instead of misreading it.</li>
     * </ul>
     */
    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            if (isJoint()) {
                out.writeInt(JOINT_FORMAT);
                writeMembers(out, incoming);
                writeMembers(out, outgoing);
            } else {
                writeMembers(out, incoming);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeMembers(DataOutputStream out, List<Member> members) throws IOException {
        out.writeInt(members.size());
        for (Member m : members) {
            out.writeUTF(m.id());
            out.writeUTF(m.address());
            out.writeBoolean(m.voter());
        }
    }

    /** Decodes what {@link #encode()} wrote (either version); throws IllegalArgumentException on malformed input. */
    public static Configuration decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int first = in.readInt();
            Configuration c;
            if (first == JOINT_FORMAT) {
                List<Member> incoming = readMembers(in, in.readInt());
                List<Member> outgoing = readMembers(in, in.readInt());
                if (outgoing.isEmpty()) {
                    throw new IllegalArgumentException("joint configuration without an old half");
                }
                c = joint(new Configuration(outgoing), new Configuration(incoming));
            } else if (first < 0) {
                throw new IllegalArgumentException("bad member count or unknown configuration format " + first);
            } else {
                c = new Configuration(readMembers(in, first));
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes after configuration");
            }
            return c;
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed configuration: " + e, e);
        }
    }

    private static List<Member> readMembers(DataInputStream in, int n) throws IOException {
        if (n < 0 || n > MAX_MEMBERS) {
            throw new IllegalArgumentException("bad member count " + n);
        }
        List<Member> ms = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ms.add(new Member(in.readUTF(), in.readUTF(), in.readBoolean()));
        }
        return ms;
    }

    // ------------------------------------------------------------------------------------------------ object

    @Override
    public boolean equals(Object o) {
        return o instanceof Configuration c && incoming.equals(c.incoming) && outgoing.equals(c.outgoing);
    }

    @Override
    public int hashCode() {
        return 31 * incoming.hashCode() + outgoing.hashCode();
    }

    /** {@code {n1,n2,n4(learner)}}; while joint {@code {n1,n2,n3} -> {n1,n2,n4}}. */
    @Override
    public String toString() {
        return isJoint() ? describe(outgoing) + " -> " + describe(incoming) : describe(incoming);
    }

    private static String describe(List<Member> members) {
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
