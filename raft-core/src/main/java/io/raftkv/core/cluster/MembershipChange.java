package io.raftkv.core.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A membership change the leader proposes as one configuration entry. Two kinds:
 * <ul>
 *   <li>single-server changes (thesis §4.1: {@link AddVoter}, {@link AddLearner}, {@link Promote}, {@link Remove}):
 *       changing one voter at a time guarantees that the majorities of the old and the new configuration overlap,
 *       so the new configuration can take effect directly;</li>
 *   <li>{@link Reconfigure}, joint consensus (Raft §6, thesis §4.3): any number of servers at once, through the
 *       joint configuration C_old,new, whose decisions need majorities of both.</li>
 * </ul>
 */
public sealed interface MembershipChange
        permits MembershipChange.AddVoter, MembershipChange.AddLearner, MembershipChange.Promote,
                MembershipChange.Remove, MembershipChange.Reconfigure {

    /**
     * The configuration the change's entry carries (for {@link Reconfigure}, the joint C_old,new); throws
     * IllegalArgumentException, with the reason, if it does not apply to {@code current}.
     */
    Configuration applyTo(Configuration current);

    /** Adds a voting member directly (prefer {@link AddLearner}: a slow new voter can cost availability). */
    record AddVoter(String id, String address) implements MembershipChange {
        @Override
        public Configuration applyTo(Configuration current) {
            if (current.contains(id)) {
                throw new IllegalArgumentException(id + " is already a member");
            }
            return current.with(Member.voter(id, address));
        }
    }

    /** Adds a non-voting member that receives the log (thesis §4.2.1) and may be promoted once caught up. */
    record AddLearner(String id, String address) implements MembershipChange {
        @Override
        public Configuration applyTo(Configuration current) {
            if (current.contains(id)) {
                throw new IllegalArgumentException(id + " is already a member");
            }
            return current.with(Member.learner(id, address));
        }
    }

    /** Turns a learner into a voter. */
    record Promote(String id) implements MembershipChange {
        @Override
        public Configuration applyTo(Configuration current) {
            Member m = current.member(id).orElseThrow(() -> new IllegalArgumentException(id + " is not a member"));
            if (m.voter()) {
                throw new IllegalArgumentException(id + " is already a voter");
            }
            return current.with(Member.voter(id, m.address()));
        }
    }

    /** Removes a member (voter or learner). */
    record Remove(String id) implements MembershipChange {
        @Override
        public Configuration applyTo(Configuration current) {
            Member m = current.member(id).orElseThrow(() -> new IllegalArgumentException(id + " is not a member"));
            if (m.voter() && current.voterIds().size() == 1) {
                throw new IllegalArgumentException("cannot remove the last voter " + id);
            }
            return current.without(id);
        }
    }

    /**
     * Moves the cluster to exactly these voters and learners in one step, by joint consensus (§6): the leader
     * appends C_old,new; once that is committed it appends C_new by itself. Every named server must already be a
     * member (a new server joins as a learner first and catches up; naming it a voter here promotes it); members
     * not named are removed; learners stay learners unless named as voters.
     */
    record Reconfigure(Set<String> voters, Set<String> learners) implements MembershipChange {
        public Reconfigure {
            // Sorted and unmodifiable: the order servers are listed in never matters, and iteration is deterministic.
            voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
            learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
        }

        @Override
        public Configuration applyTo(Configuration current) {
            if (current.isJoint()) {
                throw new IllegalArgumentException("a joint change is still in progress: " + current);
            }
            if (voters.isEmpty()) {
                throw new IllegalArgumentException("the new configuration needs at least one voter");
            }
            List<Member> next = new ArrayList<>();
            for (String id : voters) {
                next.add(Member.voter(id, existing(current, id).address()));
            }
            for (String id : learners) {
                if (voters.contains(id)) {
                    throw new IllegalArgumentException(id + " is named both as a voter and as a learner");
                }
                next.add(Member.learner(id, existing(current, id).address()));
            }
            Configuration target = new Configuration(next);
            if (target.equals(current)) {
                throw new IllegalArgumentException("the configuration already is " + current);
            }
            return Configuration.joint(current, target);
        }

        private static Member existing(Configuration current, String id) {
            return current.member(id).orElseThrow(() -> new IllegalArgumentException(id
                    + " is not a member; add it as a learner first (it catches up, then this change can promote it)"));
        }
    }
}
