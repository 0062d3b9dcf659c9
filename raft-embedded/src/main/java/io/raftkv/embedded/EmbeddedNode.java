package io.raftkv.embedded;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.server.DiskOptions;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.trace.TraceSink;
import io.raftkv.transport.netty.NettyTransport;
import io.raftkv.transport.netty.NettyTransportConfig;
import io.raftkv.transport.netty.TlsConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * One Raft server in one call: the durable log (Chronicle Queue), the hard state and the snapshot files in a data
 * directory, the Netty transport to the other members, and a {@link RaftServer} applying to your state machine.
 *
 * <pre>{@code
 * EmbeddedNode node = EmbeddedNode.builder("n1")
 *         .dataDirectory(Path.of("data/n1"))
 *         .members("n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003")
 *         .stateMachine(new Ledger())
 *         .start();
 * node.awaitLeader(Duration.ofSeconds(10));
 * byte[] result = node.propose(command).get(5, TimeUnit.SECONDS); // on any member: followers forward
 * node.close();
 * }</pre>
 *
 * Every member is started with the same member list (a new cluster's voters); a restart with the same data
 * directory resumes from it (term, vote, log, snapshots) and takes the configuration from the log. Addresses are
 * checked at {@link Builder#start()}: an empty or malformed one is an error there, not a cluster that silently
 * never elects a leader. The JVM needs Chronicle Queue's flags (see raft-log/README.md).
 *
 * <p>{@link #close()} stops Raft gracefully (the fsync in progress finishes, every future completes), closes the
 * transport and the stores, then what was given to {@link Builder#closeAfterStop}, then unlocks the directory.
 */
public final class EmbeddedNode implements AutoCloseable {
    private final RaftServer raft;
    private final NodeStorage storage;
    private final List<AutoCloseable> afterStop;
    private boolean closed;

    private EmbeddedNode(RaftServer raft, NodeStorage storage, List<AutoCloseable> afterStop) {
        this.raft = raft;
        this.storage = storage;
        this.afterStop = afterStop;
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** The Raft server: propose, read, membership changes, leadership transfer, snapshots, status. */
    public RaftServer raft() {
        return raft;
    }

    public String id() {
        return raft.id();
    }

    /** {@link RaftServer#propose}: on any member (a follower hands the command to the leader). */
    public CompletableFuture<byte[]> propose(byte[] command) {
        return raft.propose(command);
    }

    /** {@link RaftServer#read(byte[], ReadLevel)}: every level on any member. */
    public CompletableFuture<byte[]> read(byte[] query, ReadLevel level) {
        return raft.read(query, level);
    }

    /**
     * Waits until this server knows a leader (itself or another member) and returns its id.
     *
     * @throws TimeoutException if none is known within {@code timeout} (no majority of the members is running, or
     *                          they cannot reach each other: check the addresses and the cluster id)
     */
    public String awaitLeader(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            RaftStatus s = raft.status();
            if (s.leaderId() != null && (!s.leaderId().equals(s.id()) || s.isLeader())) {
                return s.leaderId();
            }
            if (!raft.isRunning()) {
                throw new IllegalStateException(raft.id() + " stopped" + raft.failure().map(f -> ": " + f).orElse(""));
            }
            if (System.nanoTime() >= deadline) {
                throw new TimeoutException(raft.id() + " knows no leader after " + timeout.toMillis() + " ms (members "
                        + s.members().stream().map(m -> m.id() + "=" + m.address()).toList() + ")");
            }
            Thread.sleep(10);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        raft.close(); // stops the raft and apply threads, closes the transport and the stores
        RuntimeException failure = null;
        for (AutoCloseable c : afterStop) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException(raft.id() + ": closing " + c + " failed", e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        storage.releaseLock(); // last: what lives in the directory is closed now
        if (failure != null) {
            throw failure;
        }
    }

    /** Assembles and starts an {@link EmbeddedNode}; only the data directory and the state machine are required. */
    public static final class Builder {
        private final String id;
        private Path dataDirectory;
        private Path snapshotDirectory;
        private NodeStorage storage;
        private final Map<String, String> members = new LinkedHashMap<>();
        private String listenAddress;
        private String clusterId = "raftkv";
        private StateMachine stateMachine;
        private RaftOptions raftOptions = RaftOptions.defaults();
        private RaftServerOptions serverOptions = RaftServerOptions.defaults();
        private DiskOptions disk;
        private MeterRegistry registry;
        private TlsConfig tls;
        private EventLoopGroup eventLoops;
        private TraceSink traceSink = TraceSink.NONE;
        private final List<AutoCloseable> afterStop = new ArrayList<>();

        private Builder(String id) {
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("a node needs an id, got '" + id + "'");
            }
            this.id = id;
        }

        /** Where the log, the hard state and (unless {@link #snapshotDirectory}) the snapshots live. Required. */
        public Builder dataDirectory(Path dir) {
            this.dataDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /** Keep snapshots here instead of {@code DATA/snapshots} (another disk keeps their writes off the log's). */
        public Builder snapshotDirectory(Path dir) {
            this.snapshotDirectory = dir;
            return this;
        }

        /**
         * Stores the caller opened itself with {@link NodeStorage#open} (which locks the data directory), instead of
         * opening them in {@link #start()}: e.g. to open a state machine's own files in the directory under its
         * lock first. The node owns them from {@link #start()} on, also when it fails.
         */
        public Builder storage(NodeStorage opened) {
            this.storage = Objects.requireNonNull(opened, "opened");
            return this;
        }

        /** One voter of a new cluster and the {@code host:port} its Raft transport listens on. */
        public Builder member(String memberId, String address) {
            if (members.put(memberId, address) != null) {
                throw new IllegalArgumentException("member " + memberId + " is given twice");
            }
            return this;
        }

        /** The voters of a new cluster, {@code n1=host:port,n2=host:port,...}: the same list on every member. */
        public Builder members(String spec) {
            Members.parse(spec, "members").forEach(this::member);
            return this;
        }

        /** The voters of a new cluster, id → {@code host:port}, in order. */
        public Builder members(Map<String, String> addresses) {
            addresses.forEach(this::member);
            return this;
        }

        /**
         * Where this server's transport listens; by default its own member's address. Required for a server that
         * starts with no members (it waits to be added to a running cluster as a learner).
         */
        public Builder listenAddress(String address) {
            this.listenAddress = address;
            return this;
        }

        /** Checked in the transport handshake: servers of other clusters are refused (default {@code raftkv}). */
        public Builder clusterId(String id) {
            this.clusterId = Objects.requireNonNull(id, "id");
            return this;
        }

        /** The replicated application. Required. */
        public Builder stateMachine(StateMachine sm) {
            this.stateMachine = Objects.requireNonNull(sm, "sm");
            return this;
        }

        public Builder raftOptions(RaftOptions o) {
            this.raftOptions = Objects.requireNonNull(o, "o");
            return this;
        }

        public Builder serverOptions(RaftServerOptions o) {
            this.serverOptions = Objects.requireNonNull(o, "o");
            return this;
        }

        /**
         * Which directories to watch for free space, the reserve below which writes are refused, and the stall
         * timeout (see {@link DiskOptions}); by default the data and snapshot directories with the default reserve.
         */
        public Builder disk(DiskOptions d) {
            this.disk = Objects.requireNonNull(d, "d");
            return this;
        }

        /** Where the log's, transport's and server's meters go; a private registry if not set. */
        public Builder meterRegistry(MeterRegistry r) {
            this.registry = r;
            return this;
        }

        /** Mutual TLS between members (all or none of the cluster). */
        public Builder tls(TlsConfig t) {
            this.tls = t;
            return this;
        }

        /** Run the transport on these event loops (not owned: the caller closes them after the node). */
        public Builder eventLoops(EventLoopGroup loops) {
            this.eventLoops = loops;
            return this;
        }

        /** Where the server reports what it does (see {@code RaftServer.Builder.traceSink}). */
        public Builder traceSink(TraceSink sink) {
            this.traceSink = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /**
         * Closed by {@link EmbeddedNode#close()} after Raft stopped (no apply, query or snapshot write runs any
         * more) and before the data directory is unlocked, in the order given: e.g. a state machine's own files.
         */
        public Builder closeAfterStop(AutoCloseable resource) {
            afterStop.add(Objects.requireNonNull(resource, "resource"));
            return this;
        }

        /**
         * Checks the settings, opens the stores, starts the transport and the Raft server. On any failure whatever
         * was opened is closed again.
         *
         * @throws IllegalArgumentException for a missing or malformed setting: an empty or malformed member address,
         *                                  this server not among the members, no listen address
         * @throws IOException              if the data directory is unusable (locked by another process, unwritable,
         *                                  corrupt) or the listen address cannot be bound
         */
        public EmbeddedNode start() throws IOException {
            List<Member> voters;
            String listen;
            try {
                voters = checkedVoters();
                listen = listenAddress != null ? listenAddress : members.get(id);
                if (listen == null) {
                    throw new IllegalArgumentException(id + ": a server without members needs a listenAddress");
                }
                Members.parseHostPort(listen, id + " listen address");
            } catch (IllegalArgumentException e) {
                if (storage != null) {
                    closeStores(storage, e);
                }
                throw e;
            }
            MeterRegistry meters = registry != null ? registry : new SimpleMeterRegistry();
            NodeStorage storage = this.storage != null ? this.storage : NodeStorage.open(dataDirectory,
                    snapshotDirectory != null ? snapshotDirectory : dataDirectory.resolve("snapshots"), meters, id);
            RaftServer raft;
            try {
                NettyTransportConfig config = NettyTransportConfig.builder(id, clusterId, listen).tls(tls).build();
                NettyTransport transport = eventLoops == null ? new NettyTransport(config, meters)
                        : new NettyTransport(config, meters, eventLoops);
                raft = RaftServer.builder(id)
                        .raftOptions(raftOptions)
                        .serverOptions(serverOptions)
                        .logStore(storage.log())
                        .stableStore(storage.stable())
                        .snapshotStore(storage.snapshots())
                        .disk(disk != null ? disk : defaultDisk())
                        .stateMachine(stateMachine)
                        .transport(transport)
                        // Only for a brand-new data directory; a restart takes the configuration from the log (or
                        // snapshot). Empty for a server that joins: it waits to be added (thesis §4.2.1).
                        .bootstrap(Configuration.ofVoters(voters))
                        .meterRegistry(meters)
                        .traceSink(traceSink)
                        .build();
            } catch (RuntimeException e) {
                closeStores(storage, e);
                throw e;
            }
            try {
                raft.start();
            } catch (IOException e) {
                IOException failure = new IOException("Raft on " + listen + ": " + e.getMessage(), e);
                stopUnstarted(raft, storage, failure);
                throw failure;
            } catch (RuntimeException e) {
                stopUnstarted(raft, storage, e);
                throw e;
            }
            return new EmbeddedNode(raft, storage, List.copyOf(afterStop));
        }

        /** The directories {@link NodeStorage#open} uses, with the default reserve; stalls only for given stores. */
        private DiskOptions defaultDisk() {
            if (dataDirectory == null) {
                return DiskOptions.none(); // stores opened by the caller: we do not know where they are
            }
            Map<String, Path> dirs = new LinkedHashMap<>(); // the log first: it is what fills a disk
            dirs.put(DiskOptions.LOG, dataDirectory.resolve("log"));
            dirs.put(DiskOptions.SNAPSHOTS, snapshotDirectory != null ? snapshotDirectory
                    : dataDirectory.resolve("snapshots"));
            dirs.put(DiskOptions.HARD_STATE, dataDirectory);
            return DiskOptions.watching(dirs);
        }

        private List<Member> checkedVoters() {
            if (dataDirectory == null && storage == null) {
                throw new IllegalArgumentException(id + ": dataDirectory is required");
            }
            if (stateMachine == null) {
                throw new IllegalArgumentException(id + ": stateMachine is required");
            }
            List<Member> voters = Members.voters(members);
            if (!members.isEmpty() && !members.containsKey(id)) {
                throw new IllegalArgumentException(id + " is not among the members " + members.keySet()
                        + "; a server that joins a running cluster starts with no members and a listenAddress");
            }
            return voters;
        }

        /** RaftServer.close() does not close stores it never started with: we opened them, we close them. */
        private static void stopUnstarted(RaftServer raft, NodeStorage storage, Exception failure) {
            raft.close();
            closeStores(storage, failure);
        }

        private static void closeStores(NodeStorage storage, Exception failure) {
            for (AutoCloseable c : List.<AutoCloseable>of(storage.log(), storage.stable(), storage::releaseLock)) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    failure.addSuppressed(suppressed);
                }
            }
        }
    }
}
