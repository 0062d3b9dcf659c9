package io.raftkv.core.cluster;

/**
 * One single-server membership change (thesis §4.1). Changing one server at a time guarantees that the
 * majorities of the old and the new configuration overlap, so no joint consensus is needed.
 */
public sealed interface MembershipChange
        permits MembershipChange.AddVoter, MembershipChange.AddLearner, MembershipChange.Promote,
                MembershipChange.Remove {

    /** The server the change is about. */
    String id();

    /** The configuration after this change; throws IllegalArgumentException if it does not apply. */
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
}
