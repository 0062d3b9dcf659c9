package io.raftkv.core.trace;

import io.raftkv.core.Role;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;

import java.util.List;

/**
 * Something one Raft server did or saw, in the vocabulary of the simulator's trace: the live event stream of a
 * server ({@code GET /ui/events}) and a simulator run's events file ({@code raftkv simulate --seed S --events FILE})
 * are made of these, encoded by {@link TraceJson} as one JSON object per line (the schema: docs/events.md).
 *
 * <p>Events carry neither time nor node: the {@link TraceSink} that receives them knows both and stamps them
 * ({@link TraceRecord}). Network and fault events of the simulator have no node.
 */
public sealed interface TraceEvent {

    /** The schema's {@code type} of this event. */
    String type();

    /** Role, term or known leader changed (§5.1, §5.2). {@code leader} is null when no leader is known. */
    record State(Role role, long term, String leader) implements TraceEvent {
        @Override
        public String type() {
            return "state";
        }
    }

    /** Term and vote were made durable (§5.2: before any message of that term leaves). */
    record Persist(long term, String vote) implements TraceEvent {
        @Override
        public String type() {
            return "persist";
        }
    }

    /** Why a vote was granted or refused (the rules of §5.1, §5.2, §5.4.1 and thesis §4.2.3, §9.6). */
    enum VoteReason {
        /** Granted: not voted for anyone else this term, no leader known, candidate's log up to date. */
        GRANTED,
        /** §5.2: already voted for another candidate in this term. */
        ALREADY_VOTED,
        /** A leader of this term is known: a (pre-)vote would help depose it for nothing. */
        LEADER_KNOWN,
        /** §5.4.1 election restriction: the candidate's log is less up to date than the voter's. */
        LOG_BEHIND,
        /** §5.1: the request carries a term older than the voter's. */
        STALE_TERM,
        /** Thesis §4.2.3 leader stickiness: heard from a leader within the election timeout; request ignored. */
        IN_LEASE;

        /** The schema's name: lower case, words joined by '-'. */
        public String schemaName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * This server (the voter) answered a (pre-)vote request of {@code candidate} for {@code term}.
     *
     * @param detail a readable account of the decision, e.g. {@code "candidate's log 7@2 is behind ours 9@3"}
     */
    record Vote(String candidate, long term, boolean preVote, boolean granted, VoteReason reason, String detail)
            implements TraceEvent {
        @Override
        public String type() {
            return "vote";
        }
    }

    /** Entries {@code from..to}, all of {@code term}, were appended to the log (§5.3). */
    record Append(long from, long to, long term) implements TraceEvent {
        @Override
        public String type() {
            return "append";
        }
    }

    /** A conflicting suffix {@code from..to} was deleted from the log before an append (§5.3). */
    record Truncate(long from, long to) implements TraceEvent {
        @Override
        public String type() {
            return "truncate";
        }
    }

    /** The commit index moved to {@code index} (§5.3, §5.4.2). */
    record Commit(long index) implements TraceEvent {
        @Override
        public String type() {
            return "commit";
        }
    }

    /** The state machine applied up to {@code index} (lastApplied of Figure 2). */
    record Apply(long index) implements TraceEvent {
        @Override
        public String type() {
            return "apply";
        }
    }

    /** How a server got a snapshot (§7). */
    enum SnapshotOrigin {
        /** Taken here, of the local state machine. */
        TAKEN,
        /** Received from the leader (InstallSnapshot) and adopted. */
        INSTALLED;

        public String schemaName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A snapshot covering the log up to {@code index}@{@code term} is durable here; {@code bytes} -1 if unknown. */
    record Snapshot(SnapshotOrigin origin, long index, long term, long bytes) implements TraceEvent {
        @Override
        public String type() {
            return "snapshot";
        }
    }

    /**
     * The configuration in effect changed (thesis §4.1: as soon as its entry is in the log). {@code change} says what
     * changed, e.g. {@code "add-learner n4"}, {@code "promote n4"}, {@code "remove n5"} (several joined by
     * {@code ", "}); {@code index} is the configuration entry's index (0 if it came from a snapshot or bootstrap).
     */
    record Config(long index, List<Member> members, String change) implements TraceEvent {
        public Config {
            members = List.copyOf(members);
        }

        @Override
        public String type() {
            return "config";
        }
    }

    /** This leader started handing leadership to {@code target} (thesis §3.10). */
    record Transfer(String target) implements TraceEvent {
        @Override
        public String type() {
            return "transfer";
        }
    }

    /** What happened to a message. */
    enum Direction {
        SEND, RECV, DROP;

        public String schemaName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One message sent, received or dropped. Holds the message itself: its fields are read when the event is
     * encoded, off the Raft thread. {@code reason} says why a message was dropped (null otherwise); {@code id}
     * pairs a send with its receipt or drop where the recorder can (the simulator does), else 0.
     */
    record Message(Direction direction, RaftMessage message, String reason, long id) implements TraceEvent {
        @Override
        public String type() {
            return direction.schemaName();
        }
    }

    /**
     * {@code count} messages of one kind and term on one link, summarised into one event by a stream that is
     * behind (see docs/events.md, "aggregation"); {@code first..last} is the union of their entry ranges (0 if none).
     */
    record Messages(Direction direction, String kind, String from, String to, long term, int count, long first,
                    long last) implements TraceEvent {
        @Override
        public String type() {
            return direction.schemaName();
        }
    }

    /**
     * A run of log entries of one term: indexes {@code from..to}.
     */
    record TermRun(long from, long to, long term) {
    }

    /**
     * The whole visible state of one server at once: what a subscriber that joins mid-run starts from, and what a
     * simulated server starts or restarts with. {@code log} is the tail of the log as runs of one term (at most
     * {@link TraceEmitter#VIEW_TAIL} entries); entries at or below {@code snapshotIndex} are covered by a snapshot.
     */
    record View(Role role, long term, String vote, String leader, long commit, long applied, long lastIndex,
                long snapshotIndex, List<TermRun> log, List<Member> members) implements TraceEvent {
        public View {
            log = List.copyOf(log);
            members = List.copyOf(members);
        }

        @Override
        public String type() {
            return "view";
        }
    }

    /** The server stopped (a simulated crash): {@code lastIndex} is the last log index that survived it. */
    record Down(String reason, long lastIndex) implements TraceEvent {
        @Override
        public String type() {
            return "down";
        }
    }

    /** Simulator: a fault was injected ({@code text} as the simulator's trace shows it). */
    record Fault(String text) implements TraceEvent {
        @Override
        public String type() {
            return "fault";
        }
    }

    /**
     * Simulator: the network after a fault changed it. {@code blocked} lists the links that lose every message, each
     * as {@code [from, to]}; {@code quality} names the link quality for the others (e.g. "healthy", "lossy").
     */
    record Network(List<List<String>> blocked, String quality) implements TraceEvent {
        public Network {
            blocked = blocked.stream().map(List::copyOf).toList();
        }

        @Override
        public String type() {
            return "network";
        }
    }

    /** Simulator: the invariant checker found a violation; the run ends here. */
    record Violation(String text) implements TraceEvent {
        @Override
        public String type() {
            return "violation";
        }
    }
}
