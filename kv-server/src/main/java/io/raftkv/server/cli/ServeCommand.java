package io.raftkv.server.cli;

import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.server.ServerNode;
import io.raftkv.server.Main;
import io.raftkv.server.ServerConfig;
import io.raftkv.server.resp.RespOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code raftkv serve}: runs one server until SIGTERM/SIGINT (or until the parent process given by
 * {@code --parent-pid} exits). All servers of a cluster get the same {@code --peers}; restarting with the same
 * {@code --data} resumes from disk.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run one server: of a new cluster (--peers) or joining a running one (--join).",
                "Example: raftkv serve --id n1 --data data/n1 --raft 127.0.0.1:7001 --http 127.0.0.1:8001 "
                        + "--peers n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003",
                "Redis clients too: add --resp 127.0.0.1:6381, then: redis-cli -p 6381 set hello world",
                "Grow it: raftkv serve --id n4 --data data/n4 --raft 127.0.0.1:7004 --http 127.0.0.1:8004 "
                        + "--join http://127.0.0.1:8001"})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--id", required = true, description = "This server's id (one of the --peers ids).")
    String id;

    @Option(names = "--data", required = true, description = "Data directory (log and hard state); created if missing.")
    Path data;

    @Option(names = "--raft", required = true, paramLabel = "HOST:PORT", description = "Raft transport listen address.")
    String raft;

    @Option(names = "--http", required = true, paramLabel = "HOST:PORT", description = "HTTP API listen address.")
    String http;

    @Option(names = "--peers", paramLabel = "ID=HOST:PORT,...",
            description = "Every voter's Raft address, this server included (same on all servers). "
                    + "Give either --peers (a new cluster) or --join (grow a running one).")
    String peers;

    @Option(names = "--join", paramLabel = "URL",
            description = "HTTP URL of any member of a running cluster (e.g. http://127.0.0.1:8001): start with an "
                    + "empty configuration and ask to be added as a learner (promoted once caught up). Ignored "
                    + "when the data directory already holds a configuration (a restart).")
    String join;

    @Option(names = "--join-timeout-ms", defaultValue = "60000",
            description = "How long --join keeps retrying (default: ${DEFAULT-VALUE}).")
    long joinTimeoutMs;

    @Option(names = "--http-peers", paramLabel = "ID=HOST:PORT,...",
            description = "HTTP addresses of the peers, for forwarding to the leader. Default: the peer's Raft "
                    + "host with its port shifted by this server's (http port - raft port).")
    String httpPeers;

    @Option(names = "--state-machine", defaultValue = ServerConfig.DEFAULT_STATE_MACHINE, paramLabel = "NAME",
            description = "The state machine plugin to run: kv (the key-value store), sql (a replicated SQLite"
                    + " database), or any other plugin on the class path (default: ${DEFAULT-VALUE}). A data"
                    + " directory keeps the plugin it was first started with.")
    String stateMachine;

    @Option(names = "--cluster-id", defaultValue = ServerConfig.DEFAULT_CLUSTER_ID,
            description = "Cluster id checked in the transport handshake (default: ${DEFAULT-VALUE}).")
    String clusterId;

    @Option(names = "--tick-ms", defaultValue = "50", description = "Raft tick in ms (default: ${DEFAULT-VALUE}).")
    int tickMs;

    @Option(names = "--election-ticks", defaultValue = "10",
            description = "Election timeout in ticks, randomised in [n, 2n) (default: ${DEFAULT-VALUE}).")
    int electionTicks;

    @Option(names = "--request-timeout-ms", defaultValue = "5000",
            description = "Time a request may wait for commit/read before 504/503 (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    @Option(names = "--max-body-bytes", defaultValue = "8388608",
            description = "Largest HTTP request body; larger gets 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    @Option(names = "--snapshot-threshold", defaultValue = "100000",
            description = "Snapshot after this many applied entries; 0 = no count trigger (default: ${DEFAULT-VALUE}).")
    long snapshotThreshold;

    @Option(names = "--snapshot-bytes", defaultValue = "67108864",
            description = "Also snapshot once the commands applied since the last snapshot add up to this many bytes;"
                    + " 0 = no byte trigger (default: ${DEFAULT-VALUE}). With both triggers 0, only POST /snapshot.")
    long snapshotBytes;

    @Option(names = "--snapshot-write-rate", defaultValue = "" + RaftServerOptions.DEFAULT_SNAPSHOT_WRITE_RATE,
            paramLabel = "BYTES_PER_S",
            description = "While the log is busy, write snapshots at most this fast, so the log's fsyncs do not queue"
                    + " behind them (an idle log lets them go flat out); 0 = always as fast as the disk goes"
                    + " (default: ${DEFAULT-VALUE}).")
    long snapshotWriteRate;

    @Option(names = "--snapshot-dir", paramLabel = "DIR",
            description = "Keep snapshots here instead of under --data; on another disk than the log, snapshot"
                    + " writes stay out of the way of the log's fsyncs. One directory per server.")
    Path snapshotDir;

    @Option(names = "--io-threads", defaultValue = "" + ServerConfig.DEFAULT_IO_THREADS,
            description = "Event-loop threads shared by the HTTP API and the Raft transport (default: ${DEFAULT-VALUE}:"
                    + " on a machine with few cores, one thread that is already awake beats several that must be"
                    + " woken).")
    int ioThreads;

    @Option(names = "--snapshot-trailing", defaultValue = "1024",
            description = "Log entries kept behind a snapshot for slightly lagging followers (default: ${DEFAULT-VALUE}).")
    long snapshotTrailing;

    @Option(names = "--auto-promote", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "The leader promotes a learner (a server that joined) to voter once it has caught up;"
                    + " --no-auto-promote keeps learners as read replicas until POST /reconfigure names them voters."
                    + " Give every server the same setting: whichever leads applies it (default: ${DEFAULT-VALUE}).")
    boolean autoPromote;

    @Option(names = "--disk-reserve-bytes", defaultValue = "" + ServerConfig.DEFAULT_DISK_RESERVE_BYTES,
            paramLabel = "BYTES",
            description = "Below this much free space in the log's, hard state's or snapshots' directory the node"
                    + " refuses writes (507) and hands leadership away until space returns; 0 = only when a write"
                    + " finds no space (default: ${DEFAULT-VALUE}).")
    long diskReserveBytes;

    @Option(names = "--disk-stall-ms", defaultValue = "0", paramLabel = "MS",
            description = "A log or hard-state write that has not returned after this long counts as a stalled disk:"
                    + " the node falls silent so that another one leads, and answers 503; 0 = one election timeout"
                    + " (default: ${DEFAULT-VALUE}).")
    long diskStallMs;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "Peer TLS: this server's certificate chain (PEM). With --tls-key and --tls-ca, peers talk "
                    + "mutual TLS; all servers of a cluster must use it.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Peer TLS: this server's private key (PKCS#8 PEM).")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "PEM", description = "Peer TLS: the CA certificate(s) peers must chain to.")
    Path tlsCa;

    @Option(names = "--resp", paramLabel = "HOST:PORT",
            description = "Also speak RESP2, the Redis protocol, here (off unless given): redis-cli, redis-benchmark and"
                    + " Redis client libraries can then use this node with the plugin's commands (kv: GET, SET, MGET,"
                    + " MSET, INCR, MULTI/EXEC, SCAN, ...; see kv-server/README.md). A plugin without RESP commands"
                    + " (sql) cannot be served with it.")
    String resp;

    @Option(names = "--resp-max-bulk-bytes", defaultValue = "" + RespOptions.DEFAULT_MAX_BULK_BYTES,
            description = "Longest RESP bulk string (Redis's proto-max-bulk-len); longer is a protocol error and closes"
                    + " the connection (default: ${DEFAULT-VALUE}).")
    int respMaxBulkBytes;

    @Option(names = "--resp-max-args", defaultValue = "" + RespOptions.DEFAULT_MAX_ARRAY_ELEMENTS,
            description = "Most arguments of one RESP command, its name included (default: ${DEFAULT-VALUE}).")
    int respMaxArgs;

    @Option(names = "--resp-max-command-bytes", defaultValue = "" + RespOptions.DEFAULT_MAX_COMMAND_BYTES,
            description = "Most bytes of arguments in one RESP command (default: ${DEFAULT-VALUE}).")
    long respMaxCommandBytes;

    @Option(names = "--resp-incomplete-timeout-ms", defaultValue = "30000",
            description = "Close a RESP connection that began a command and did not finish it within this long"
                    + " (idle connections are kept) (default: ${DEFAULT-VALUE}).")
    long respIncompleteTimeoutMs;

    @Option(names = "--resp-max-connections", defaultValue = "" + RespOptions.DEFAULT_MAX_CONNECTIONS,
            description = "Most open RESP connections (default: ${DEFAULT-VALUE}).")
    int respMaxConnections;

    @Option(names = "--resp-allow-flushdb", description = "Let RESP clients run commands that clear the whole state"
            + " (kv: FLUSHDB/FLUSHALL; off: refused).")
    boolean respAllowFlushdb;

    @Option(names = "--session-timeout-ms", defaultValue = "3600000",
            description = "Client sessions (POST /session) expire after this long without activity, in the time"
                    + " carried by the log (default: ${DEFAULT-VALUE} = 1 h).")
    long sessionTimeoutMs;

    @Option(names = "--max-sessions", defaultValue = "10000",
            description = "Most client sessions at once; one more evicts the least recently active. Must be equal"
                    + " on all servers (default: ${DEFAULT-VALUE}).")
    int maxSessions;

    @Option(names = "--max-session-answers", defaultValue = "256",
            description = "Most answers kept per session for retries. Must be equal on all servers"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxSessionAnswers;

    @Option(names = "--max-session-answer-bytes", defaultValue = "67108864",
            description = "Most memory of answers kept in all sessions together (each: its bytes + 80). Must be"
                    + " equal on all servers (default: ${DEFAULT-VALUE}).")
    long maxSessionAnswerBytes;

    @Option(names = "--parent-pid", hidden = true,
            description = "Exit (gracefully) when this process exits; used by 'raftkv demo'.")
    Long parentPid;

    @Override
    public Integer call() {
        ServerConfig config;
        try {
            if ((peers == null) == (join == null)) {
                throw new IllegalArgumentException("give exactly one of --peers (new cluster) and --join (grow one)");
            }
            Map<String, String> peerMap = ServerConfig.parsePeers(peers, "--peers");
            Map<String, String> httpMap = ServerConfig.parsePeers(httpPeers, "--http-peers");
            config = new ServerConfig(id, clusterId, data, raft, http, peerMap, httpMap, Duration.ofMillis(tickMs),
                    electionTicks, Duration.ofMillis(requestTimeoutMs), maxBodyBytes, snapshotThreshold,
                    snapshotTrailing, snapshotBytes, snapshotWriteRate, snapshotDir, ioThreads, autoPromote,
                    diskReserveBytes, diskStallMs == 0 ? null : Duration.ofMillis(diskStallMs), stateMachine);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage(), e);
        }
        io.raftkv.transport.netty.TlsConfig tls = tlsConfig();
        RespOptions respOptions = respOptions();
        ServerNode node;
        try {
            node = ServerNode.start(config, tls, sessionOptions(), respOptions);
        } catch (IOException | IllegalArgumentException e) {
            throw new Main.UsageException("cannot start " + id + ": " + e.getMessage(), e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            LOG.info("{}: shutting down", id);
            node.transferLeadershipAway(); // clients see a new leader now, not after an election timeout
            node.close();
            stopped.countDown();
        }, "raftkv-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        if (parentPid != null) {
            watchParent(parentPid);
        }
        if (join != null) {
            try {
                node.joinIfNew(join, Duration.ofMillis(joinTimeoutMs));
            } catch (IOException e) {
                node.close();
                throw new Main.UsageException("cannot join " + join + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                node.close();
                return 1;
            }
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The --resp* flags, or null without --resp. */
    private RespOptions respOptions() {
        if (resp == null) {
            return null;
        }
        try {
            ServerConfig.parseHostPort(resp, "--resp");
            return RespOptions.at(resp).withProtocolLimits(respMaxBulkBytes, respMaxArgs, respMaxCommandBytes,
                            Duration.ofMillis(respIncompleteTimeoutMs)).withMaxConnections(respMaxConnections)
                    .withAllowFlushdb(respAllowFlushdb);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage(), e);
        }
    }

    /** Client sessions from the --session-* and --max-session* flags. */
    private SessionOptions sessionOptions() {
        try {
            return new SessionOptions(Duration.ofMillis(sessionTimeoutMs), maxSessions, maxSessionAnswers,
                    maxSessionAnswerBytes, SessionOptions.UnsafeMutation.NONE);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageException(e.getMessage(), e);
        }
    }

    /** Peer TLS from the three --tls-* flags: all or none. */
    private io.raftkv.transport.netty.TlsConfig tlsConfig() {
        int given = (tlsCert != null ? 1 : 0) + (tlsKey != null ? 1 : 0) + (tlsCa != null ? 1 : 0);
        if (given == 0) {
            return null;
        }
        if (given != 3) {
            throw new Main.UsageException("peer TLS needs all of --tls-cert, --tls-key and --tls-ca", null);
        }
        for (Path p : new Path[] {tlsCert, tlsKey, tlsCa}) {
            if (!java.nio.file.Files.isReadable(p)) {
                throw new Main.UsageException("cannot read TLS file " + p, null);
            }
        }
        return new io.raftkv.transport.netty.TlsConfig(tlsCert, tlsKey, tlsCa);
    }

    /** The demo's children must not outlive it, even after a kill -9 of the parent: exit when it does. */
    private void watchParent(long pid) {
        Optional<ProcessHandle> parent = ProcessHandle.of(pid);
        if (parent.isEmpty() || !parent.get().isAlive()) {
            LOG.error("{}: parent process {} is gone; exiting", id, pid);
            System.exit(0);
        }
        parent.get().onExit().thenRun(() -> {
            LOG.info("{}: parent process {} exited; shutting down", id, pid);
            System.exit(0); // runs the shutdown hook: graceful close
        });
    }
}
