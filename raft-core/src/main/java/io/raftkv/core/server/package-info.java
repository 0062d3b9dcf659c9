/**
 * The driver: {@link io.raftkv.core.server.RaftServer} runs the pure {@link io.raftkv.core.RaftNode} against real
 * storage, a transport and a state machine.
 *
 * <h2>Threads</h2>
 * <pre>
 *  callers ──propose/read──┐                                 ┌──► Transport.send (peers), InstallSnapshot chunks
 *  transport ──messages────┤  MPSC queue   ┌─────────────┐   │
 *                          └─────────────► │ raft thread │ ──┼──► LogStore.append + sync, StableStore.save
 *                                          │ owns the    │   │
 *                                          │ RaftNode    │ ──┴──► apply queue ──► ┌──────────────┐
 *                                          └─────────────┘                         │ apply thread │ ──► StateMachine.apply
 *                                                                                  └──────────────┘     futures complete
 *                                                                                         │ captured snapshot
 *                                                                                         ▼
 *                                                   SnapshotStore ◄── snapshot thread (writes it out, then tells
 *                                                                     the raft thread to compact)
 * </pre>
 * <ul>
 *   <li><b>Callers</b> (any thread) never touch the node. {@code propose} and {@code read} check the pending bounds,
 *       create a future and put an event on the raft thread's queue; over a bound they fail at once with
 *       {@link io.raftkv.core.server.OverloadedException}. {@code STALE} reads query the state machine directly.</li>
 *   <li><b>Transport threads</b> hand inbound messages to the same queue (dropping beyond a bound: Raft retries).</li>
 *   <li><b>The raft thread</b> is the only one that touches the {@code RaftNode}, the {@code LogStore} and the
 *       {@code StableStore}, so none of them needs a lock. Each loop turn it waits for an event or the next tick,
 *       fires the ticks that are due, drains <em>every</em> queued event into the node, and executes one
 *       {@link io.raftkv.core.Ready}. It never waits for the state machine.</li>
 *   <li><b>The apply thread</b> applies committed entries in index order, exactly once each, completes the
 *       proposers' futures, and serves linearizable reads once their read index is applied. The state machine's
 *       {@code apply}, {@code snapshot} and {@code restore} run only here ({@code query} may run anywhere).</li>
 * </ul>
 *
 * <h2>The life of a write</h2>
 * <ol>
 *   <li>A client calls {@code propose(command)} on the leader. The command is copied, counted against
 *       {@code maxPendingProposals}/{@code maxPendingBytes}, and queued.</li>
 *   <li>The raft thread drains it with everything else that arrived during its previous turn and calls
 *       {@code RaftNode.propose}. A follower throws {@link io.raftkv.core.NotLeaderException}, which fails the future
 *       with the leader's id. The leader answers with the entry's (index, term), under which the future is filed.</li>
 *   <li>The turn ends with one {@link io.raftkv.core.Ready}, carried out in the order its javadoc states. For the
 *       write that means: the AppendEntries carrying the new entries leave before the leader's own disk write
 *       (thesis §10.2.1), so followers write in parallel with the leader; all the new entries of the turn are
 *       appended in one call and made durable with one {@code sync} (group commit: the more load, the bigger the
 *       batch, with no timer); messages that promise durability leave only after it; then {@code advance} tells
 *       the node the entries are durable, and a leader counts itself in the quorum from then on.</li>
 *   <li>Followers do the same with the AppendEntries: persist, then acknowledge. When a majority holds an entry of
 *       the leader's term, the leader's commit index moves (§5.3, §5.4.2) and the next Ready lists the entry as
 *       committed.</li>
 *   <li>The apply thread applies it and completes the future with the state machine's result — unless the entry
 *       found at that index has another term (a later leader overwrote it), which completes it with
 *       {@link io.raftkv.core.server.NotCommittedException}.</li>
 *   <li>If the leader loses leadership first, every proposal above its commit index fails with
 *       {@link io.raftkv.core.server.OutcomeUnknownException}: a new leader may still commit it.</li>
 * </ol>
 *
 * <h2>The life of a linearizable read</h2>
 * The raft thread asks the node for a read index ({@code RaftNode.readIndex}); the leader records its commit index
 * and confirms it is still leader with one heartbeat round (thesis §6.4); a follower asks the leader. The answer
 * ({@link io.raftkv.core.ReadState}) goes to the apply thread, which runs {@code StateMachine.query} once it has
 * applied up to the read index. A {@code LEASE} read skips the round trip while the leader's lease holds
 * (thesis §6.4.1). A read whose read index cannot be obtained fails with {@code NotLeaderException}; reads are always
 * safe to retry.
 *
 * <h2>Snapshots (§7)</h2>
 * <ul>
 *   <li><b>Taking.</b> Once {@code snapshotThreshold} entries or {@code snapshotBytesThreshold} bytes of commands
 *       were applied since the last snapshot (or on demand, {@code takeSnapshot}), the apply thread captures
 *       {@code StateMachine.snapshot()} (cheap by contract) with the term of the last applied entry and the
 *       configuration as of it, and hands it to a <b>snapshot thread</b> that streams it into the
 *       {@code SnapshotStore} while applies continue. Once it is durable the raft thread calls
 *       {@code RaftNode.compact} and {@code LogStore.compactPrefix}, keeping {@code snapshotTrailingEntries}.</li>
 *   <li><b>Sending.</b> When the leader names followers in {@code Ready.snapshotsToSend} (their next entries were
 *       compacted), the raft thread streams the newest snapshot to each, up to {@code snapshotChunksInFlight}
 *       chunks ahead of the follower's answers, resuming from the offset the follower confirms;
 *       {@code RaftNode.reportSnapshot} tells the core how it ended.</li>
 *   <li><b>Receiving.</b> Chunks from the leader are written into a snapshot sink; after the last one it is committed
 *       (durable) and only then {@code RaftNode.installSnapshot} is called and the leader told. The next Ready's
 *       {@code snapshotToInstall} makes the raft thread reset the log (if the snapshot conflicts with it) before
 *       appending anything after it, and the apply thread restore the state machine after the entries handed to it
 *       before.</li>
 *   <li><b>Restart.</b> {@code start()} restores the state machine from the newest snapshot if it is behind it, and
 *       resets a log that ends before the snapshot or disagrees with it (a crash between committing a received
 *       snapshot and resetting the log).</li>
 * </ul>
 *
 * <h2>Membership and leadership transfer</h2>
 * {@code changeMembership} proposes a single-server change (thesis §4.1) and completes when the configuration
 * entry is applied; {@code reconfigure} moves to any set of voters and learners by joint consensus (Raft §6) and
 * completes when C_new, which the leader appends after C_old,new commits, is applied here;
 * {@code transferLeadership} starts a transfer (thesis §3.10). The raft thread tells the
 * transport the new peer set whenever the configuration changes.
 *
 * <h2>Shutdown and failure</h2>
 * {@code close()} stops admitting work, lets the raft thread finish its turn (an fsync is never interrupted:
 * interrupting {@code FileChannel.force} would close the channel), lets the apply thread apply what is committed,
 * fails what is left (appended proposals: outcome unknown; everything else: {@link
 * io.raftkv.core.server.ShutdownException}), then closes the transport and the stores. A storage error on the raft
 * thread or an exception from {@code StateMachine.apply} stops the server the same way, with that error as the cause:
 * going on could acknowledge what is not durable, or let replicas diverge. The one storage error that does not stop
 * it is {@link io.raftkv.core.storage.NoSpaceException} (a write found no space and damaged nothing): the raft
 * thread waits for space and retries.
 *
 * <h2>Disks</h2>
 * {@code DiskGuard} watches free space against a reserve and times the raft thread's disk operations
 * ({@link io.raftkv.core.server.DiskOptions}): below the reserve the server refuses writes and a leader hands its
 * leadership over; an operation that does not return makes the server silent ({@code StallFence}) so that the
 * others elect a leader with a working disk. {@code RaftServer.diskAlarms()} says which.
 */
package io.raftkv.core.server;
