package io.raftkv.server;

import io.raftkv.core.server.DiskOptions;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.embedded.Members;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one server needs to start. Every knob, with its default, is in kv-server/README.md.
 *
 * <p><b>HTTP addresses of the peers.</b> A follower forwards writes to the leader's HTTP port, so it must know
 * every member's HTTP address. They come from {@code httpPeers} when given; otherwise a peer's HTTP address is
 * derived from its Raft address: same host, port shifted by this server's own offset
 * ({@code httpPort - raftPort}). With the demo layout (Raft 7001–7003, HTTP 8001–8003) the offset is 1000 on every
 * node, so {@code --http-peers} is only needed when nodes use different offsets.
 *
 * @param id             this server's id (must be a key of {@code peers})
 * @param clusterId      sent in the transport handshake; connections from another cluster are refused
 * @param dataDir        directory of the log and hard state (created if missing)
 * @param raftAddress    host:port the Raft transport listens on
 * @param httpAddress    host:port the HTTP API listens on
 * @param peers          id to Raft host:port of every voter of the initial configuration, this server included;
 *                       empty for a server that joins a running cluster ({@code --join}): it starts with an empty
 *                       configuration, so it never campaigns before a leader adds it (thesis §4.2.1)
 * @param httpPeers      id to HTTP host:port overrides (may be empty)
 * @param tickInterval   wall-clock length of one Raft tick
 * @param electionTicks  election timeout in ticks (randomised in [n, 2n))
 * @param requestTimeout how long the HTTP layer waits for a write or read before answering 504 / 503
 * @param maxBodyBytes   largest HTTP request body; larger ones get 413
 * @param snapshotThreshold       take a snapshot after this many applied entries (0 = never), see
 *                                {@link io.raftkv.core.server.RaftServerOptions}
 * @param snapshotTrailingEntries log entries kept behind a snapshot for followers that are slightly behind
 * @param snapshotBytes           also snapshot once the commands applied since the last snapshot add up to this many
 *                                bytes (0 = no byte trigger)
 * @param snapshotWriteRate       bytes per second a snapshot is written at (0 = as fast as the disk goes); pacing
 *                                keeps the log's fsyncs from queueing behind snapshot flushes
 * @param snapshotDir             where snapshots are kept; {@code null} means {@code dataDir/snapshots}. Another
 *                                device than the log's takes snapshot flushes out of the way of the log's fsyncs
 * @param ioThreads               event-loop threads shared by the HTTP front door and the Raft transport
 * @param autoPromoteLearners     the leader promotes a learner to voter once it has caught up (learner-first joins,
 *                                thesis §4.2.1); false keeps learners (read replicas) until {@code /reconfigure}
 *                                names them voters
 * @param diskReserveBytes        free space below which (in the log's, the hard state's or the snapshots' directory)
 *                                the node refuses writes (507), see {@link io.raftkv.core.server.DiskOptions}
 * @param diskStallTimeout        a disk operation running longer counts as a stalled disk (the node falls silent
 *                                and refuses requests with 503); {@code null} = one election timeout
 * @param stateMachine            the name of the state machine plugin to run ({@code --state-machine}), found with
 *                                {@link java.util.ServiceLoader}
 */
public record ServerConfig(String id, String clusterId, Path dataDir, String raftAddress, String httpAddress,
                           Map<String, String> peers, Map<String, String> httpPeers, Duration tickInterval,
                           int electionTicks, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                           long snapshotTrailingEntries, long snapshotBytes, long snapshotWriteRate,
                           Path snapshotDir, int ioThreads, boolean autoPromoteLearners, long diskReserveBytes,
                           Duration diskStallTimeout, String stateMachine) {

    public static final String DEFAULT_CLUSTER_ID = "raftkv";
    /** The plugin {@code serve} runs unless told otherwise ({@code --state-machine}). */
    public static final String DEFAULT_STATE_MACHINE = "kv";
    public static final Duration DEFAULT_TICK = Duration.ofMillis(50);
    public static final int DEFAULT_ELECTION_TICKS = 10;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** A 1 MiB value plus JSON/escaping overhead for a batch of them. */
    public static final int DEFAULT_MAX_BODY_BYTES = 8 << 20;
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 100_000;
    public static final long DEFAULT_SNAPSHOT_TRAILING = 1_024;
    public static final long DEFAULT_SNAPSHOT_BYTES = 64L << 20;
    public static final long DEFAULT_SNAPSHOT_WRITE_RATE = RaftServerOptions.DEFAULT_SNAPSHOT_WRITE_RATE;
    /**
     * One I/O thread: on the 2-core machines this was measured on, one shared event loop for HTTP and the Raft
     * transport cost ~140-170 µs of server CPU per replicated put against ~200-350 µs with two HTTP and two
     * transport loops (docs/benchmarks.md): fewer threads to wake, fewer context switches per request.
     */
    public static final int DEFAULT_IO_THREADS = 1;
    public static final long DEFAULT_DISK_RESERVE_BYTES = DiskOptions.DEFAULT_RESERVE_BYTES;

    public ServerConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(stateMachine, "stateMachine");
        if (snapshotDir == null) {
            snapshotDir = dataDir.resolve("snapshots");
        }
        parseHostPort(raftAddress, "--raft");
        parseHostPort(httpAddress, "--http");
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
        httpPeers = Collections.unmodifiableMap(new LinkedHashMap<>(httpPeers));
        if (id.isBlank()) {
            throw new IllegalArgumentException("--id must not be blank");
        }
        if (stateMachine.isBlank()) {
            throw new IllegalArgumentException("--state-machine must not be blank");
        }
        if (!peers.isEmpty() && !peers.containsKey(id)) {
            throw new IllegalArgumentException("--peers must include this server's id " + id + ", got " + peers.keySet());
        }
        Members.voters(peers); // every voter must be dialable: an empty or malformed address elects nobody
        httpPeers.forEach((peer, addr) -> parseHostPort(addr, "--http-peers " + peer));
        if (snapshotThreshold < 0 || snapshotTrailingEntries < 0 || snapshotBytes < 0) {
            throw new IllegalArgumentException("snapshot thresholds and trailing entries must be >= 0");
        }
        if (snapshotWriteRate < 0) {
            throw new IllegalArgumentException("--snapshot-write-rate must be >= 0 (0 = unlimited), got "
                    + snapshotWriteRate);
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("--io-threads must be >= 1, got " + ioThreads);
        }
        if (diskReserveBytes < 0) {
            throw new IllegalArgumentException("--disk-reserve-bytes must be >= 0, got " + diskReserveBytes);
        }
        if (diskStallTimeout != null && diskStallTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("--disk-stall-ms must be >= 1 ms (0 = one election timeout)");
        }
        if (tickInterval.toMillis() < 1 || electionTicks < 2 || requestTimeout.toMillis() < 1 || maxBodyBytes < 1024) {
            throw new IllegalArgumentException("tick >= 1 ms, election ticks >= 2, request timeout >= 1 ms and"
                    + " max body >= 1024 bytes are required");
        }
    }

    /** The same with the default state machine ({@link #DEFAULT_STATE_MACHINE}). */
    public ServerConfig(String id, String clusterId, Path dataDir, String raftAddress, String httpAddress,
                        Map<String, String> peers, Map<String, String> httpPeers, Duration tickInterval,
                        int electionTicks, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                        long snapshotTrailingEntries, long snapshotBytes, long snapshotWriteRate,
                        Path snapshotDir, int ioThreads, boolean autoPromoteLearners, long diskReserveBytes,
                        Duration diskStallTimeout) {
        this(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval, electionTicks,
                requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries, snapshotBytes,
                snapshotWriteRate, snapshotDir, ioThreads, autoPromoteLearners, diskReserveBytes, diskStallTimeout,
                DEFAULT_STATE_MACHINE);
    }

    /** The same with auto-promotion of learners on and the default disk reserve and stall timeout. */
    public ServerConfig(String id, String clusterId, Path dataDir, String raftAddress, String httpAddress,
                        Map<String, String> peers, Map<String, String> httpPeers, Duration tickInterval,
                        int electionTicks, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                        long snapshotTrailingEntries, long snapshotBytes, long snapshotWriteRate, Path snapshotDir) {
        this(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval, electionTicks,
                requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries, snapshotBytes,
                snapshotWriteRate, snapshotDir, DEFAULT_IO_THREADS, true, DEFAULT_DISK_RESERVE_BYTES, null);
    }

    /** The same with snapshots under {@code dataDir/snapshots}. */
    public ServerConfig(String id, String clusterId, Path dataDir, String raftAddress, String httpAddress,
                        Map<String, String> peers, Map<String, String> httpPeers, Duration tickInterval,
                        int electionTicks, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                        long snapshotTrailingEntries, long snapshotBytes, long snapshotWriteRate) {
        this(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval, electionTicks,
                requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries, snapshotBytes,
                snapshotWriteRate, null);
    }

    /** The same with the default snapshot write rate ({@link #DEFAULT_SNAPSHOT_WRITE_RATE}). */
    public ServerConfig(String id, String clusterId, Path dataDir, String raftAddress, String httpAddress,
                        Map<String, String> peers, Map<String, String> httpPeers, Duration tickInterval,
                        int electionTicks, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                        long snapshotTrailingEntries, long snapshotBytes) {
        this(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval, electionTicks,
                requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries, snapshotBytes,
                DEFAULT_SNAPSHOT_WRITE_RATE);
    }

    /** The same without a byte trigger argument: it takes the default ({@link #DEFAULT_SNAPSHOT_BYTES}). */
    public ServerConfig(String id, String clusterId, Path dataDir, String raftAddress, String httpAddress,
                        Map<String, String> peers, Map<String, String> httpPeers, Duration tickInterval,
                        int electionTicks, Duration requestTimeout, int maxBodyBytes, long snapshotThreshold,
                        long snapshotTrailingEntries) {
        this(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval, electionTicks,
                requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries, DEFAULT_SNAPSHOT_BYTES);
    }

    /** A config with the defaults for every tunable. */
    public static ServerConfig of(String id, Path dataDir, String raftAddress, String httpAddress,
                                  Map<String, String> peers, Map<String, String> httpPeers) {
        return new ServerConfig(id, DEFAULT_CLUSTER_ID, dataDir, raftAddress, httpAddress, peers, httpPeers,
                DEFAULT_TICK, DEFAULT_ELECTION_TICKS, DEFAULT_REQUEST_TIMEOUT, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_SNAPSHOT_THRESHOLD, DEFAULT_SNAPSHOT_TRAILING);
    }

    /** A copy with other snapshot settings. */
    public ServerConfig withSnapshots(long threshold, long trailingEntries) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, threshold, trailingEntries, snapshotBytes,
                snapshotWriteRate, snapshotDir, ioThreads, autoPromoteLearners, diskReserveBytes,
                diskStallTimeout, stateMachine);
    }

    /** A copy with another byte trigger for snapshots (0 = none). */
    public ServerConfig withSnapshotBytes(long bytes) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries, bytes,
                snapshotWriteRate, snapshotDir, ioThreads, autoPromoteLearners, diskReserveBytes,
                diskStallTimeout, stateMachine);
    }

    /** A copy with another snapshot write rate in bytes per second (0 = unlimited). */
    public ServerConfig withSnapshotWriteRate(long bytesPerSecond) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries,
                snapshotBytes, bytesPerSecond, snapshotDir, ioThreads, autoPromoteLearners, diskReserveBytes,
                diskStallTimeout, stateMachine);
    }

    /** A copy that keeps snapshots in {@code dir} ({@code null}: under the data directory). */
    public ServerConfig withSnapshotDir(Path dir) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries,
                snapshotBytes, snapshotWriteRate, dir, ioThreads, autoPromoteLearners, diskReserveBytes,
                diskStallTimeout, stateMachine);
    }

    /** A copy with {@code n} event-loop threads for HTTP and the Raft transport. */
    public ServerConfig withIoThreads(int n) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries,
                snapshotBytes, snapshotWriteRate, snapshotDir, n, autoPromoteLearners, diskReserveBytes,
                diskStallTimeout, stateMachine);
    }

    /** A copy with learner auto-promotion on or off (see {@link #autoPromoteLearners()}). */
    public ServerConfig withAutoPromoteLearners(boolean on) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries,
                snapshotBytes, snapshotWriteRate, snapshotDir, ioThreads, on, diskReserveBytes, diskStallTimeout,
                stateMachine);
    }

    /** A copy that runs the state machine plugin named {@code name}. */
    public ServerConfig withStateMachine(String name) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries,
                snapshotBytes, snapshotWriteRate, snapshotDir, ioThreads, autoPromoteLearners, diskReserveBytes,
                diskStallTimeout, name);
    }

    /** A copy with another disk reserve and stall timeout ({@code null}: one election timeout). */
    public ServerConfig withDisk(long reserveBytes, Duration stallTimeout) {
        return new ServerConfig(id, clusterId, dataDir, raftAddress, httpAddress, peers, httpPeers, tickInterval,
                electionTicks, requestTimeout, maxBodyBytes, snapshotThreshold, snapshotTrailingEntries,
                snapshotBytes, snapshotWriteRate, snapshotDir, ioThreads, autoPromoteLearners, reserveBytes, stallTimeout,
                stateMachine);
    }

    /** The disks a node of this config watches: the log, the hard state and the snapshots, with the reserve. */
    public DiskOptions diskOptions() {
        Map<String, Path> dirs = new LinkedHashMap<>(); // the log first: it is what fills a disk
        dirs.put(DiskOptions.LOG, dataDir.resolve("log"));
        dirs.put(DiskOptions.SNAPSHOTS, snapshotDir);
        dirs.put(DiskOptions.HARD_STATE, dataDir);
        return DiskOptions.watching(dirs).withReserveBytes(diskReserveBytes).withStallTimeout(diskStallTimeout);
    }

    /**
     * How long a leadership transfer may take before it is given up: two maximal election timeouts (the timeout
     * is randomised in [n, 2n) ticks; the core abandons a transfer after one).
     */
    public Duration transferWait() {
        return tickInterval.multipliedBy(4L * electionTicks);
    }

    /** The HTTP host:port of member {@code memberId} (see the class comment), if it can be known. */
    public Optional<String> httpAddressOf(String memberId) {
        if (memberId.equals(id)) {
            return Optional.of(httpAddress);
        }
        String explicit = httpPeers.get(memberId);
        if (explicit != null) {
            return Optional.of(explicit);
        }
        String raft = peers.get(memberId);
        return raft == null ? Optional.empty() : httpAddressForRaft(raft);
    }

    /**
     * The HTTP host:port a member with Raft address {@code raft} is assumed to serve on: same host, port shifted
     * by this server's own {@code httpPort - raftPort} (see the class comment).
     */
    public Optional<String> httpAddressForRaft(String raft) {
        int offset = parseHostPort(httpAddress, "--http").getPort() - parseHostPort(raftAddress, "--raft").getPort();
        InetSocketAddress peer;
        try {
            peer = parseHostPort(raft, "member address");
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int port = peer.getPort() + offset;
        if (port < 1 || port > 65535) {
            return Optional.empty();
        }
        return Optional.of(peer.getHostString() + ":" + port);
    }

    /** Parses {@code host:port} (IPv6 as {@code [::1]:port}) without resolving the host. */
    public static InetSocketAddress parseHostPort(String s, String what) {
        return Members.parseHostPort(s, what);
    }

    /** Parses {@code n1=host:port,n2=host:port}; ids must be unique. */
    public static Map<String, String> parsePeers(String spec, String what) {
        return Members.parse(spec, what);
    }
}
