package io.raftkv.fault;

import java.util.List;

/** One fault the nemesis injected: what it did, to whom, so that the run's log and summary can say it. */
public sealed interface Fault {
    FaultKind kind();

    String describe();

    /** A node killed with SIGKILL; {@code wasLeader}: it led when killed. */
    record Kill(String node, boolean wasLeader) implements Fault {
        public FaultKind kind() {
            return FaultKind.KILL;
        }

        public String describe() {
            return "kill -9 " + node + (wasLeader ? " (leader)" : "");
        }
    }

    /** A node frozen with SIGSTOP. */
    record Pause(String node, boolean wasLeader) implements Fault {
        public FaultKind kind() {
            return FaultKind.PAUSE;
        }

        public String describe() {
            return "SIGSTOP " + node + (wasLeader ? " (leader)" : "");
        }
    }

    /** Every node killed with SIGKILL and started again. */
    record RestartAll() implements Fault {
        public FaultKind kind() {
            return FaultKind.RESTART_ALL;
        }

        public String describe() {
            return "kill -9 all, restart all";
        }
    }

    /** A node's disk filled so that only {@code leftBytes} remain free. */
    record DiskFull(String node, boolean wasLeader, long leftBytes) implements Fault {
        public FaultKind kind() {
            return FaultKind.DISK_FULL;
        }

        public String describe() {
            return "fill the disk of " + node + (wasLeader ? " (leader)" : "") + " to " + leftBytes + " bytes free";
        }
    }

    /** A node's file system frozen ({@code frozen}: all its writes hang), or only its log syncs hung. */
    record DiskStall(String node, boolean wasLeader, boolean frozen) implements Fault {
        public FaultKind kind() {
            return FaultKind.DISK_STALL;
        }

        public String describe() {
            return (frozen ? "fsfreeze the disk of " : "hang the log syncs of ") + node + (wasLeader ? " (leader)" : "");
        }
    }

    /** {@code minority} cannot talk to {@code majority}; {@code leaderInMinority}: the leader was cut off. */
    record Partition(List<String> minority, List<String> majority, boolean leaderInMinority) implements Fault {
        public FaultKind kind() {
            return FaultKind.PARTITION;
        }

        public String describe() {
            return "partition " + minority + " | " + majority + (leaderInMinority ? " (old leader in minority)" : "");
        }
    }
}
