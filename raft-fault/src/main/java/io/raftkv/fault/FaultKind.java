package io.raftkv.fault;

/** The nemesis's repertoire. */
public enum FaultKind {
    /** {@code kill -9} one node (the leader half the time), restart it after a while. */
    KILL,
    /** {@code SIGSTOP} one node (the leader half the time) beyond the election timeout, then {@code SIGCONT}. */
    PAUSE,
    /** {@code kill -9} every node at once, then start them all again (only the disks survive). */
    RESTART_ALL,
    /** iptables: cut a minority from the majority — often the minority holding the old leader. */
    PARTITION,
    /**
     * Fill one node's disk (the leader half the time): below its free-space reserve, or completely; then free it.
     * Needs {@link NodeDisks} (root).
     */
    DISK_FULL,
    /** {@code fsfreeze} one node's disk beyond the election timeout, so its syncs hang; then thaw it. Root only. */
    DISK_STALL
}
