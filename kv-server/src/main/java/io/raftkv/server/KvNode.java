package io.raftkv.server;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.core.RaftOptions;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.server.http.KvApi;
import io.raftkv.server.http.KvHttpServer;
import io.raftkv.server.http.LeaderForwarder;
import io.raftkv.server.storage.NodeStorage;
import io.raftkv.transport.netty.NettyTransport;
import io.raftkv.transport.netty.NettyTransportConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One running KV server: storage, state machine, Raft transport, {@link RaftServer} and the HTTP API, wired
 * together and closed together. {@code bin/raftkv serve} runs exactly one; tests run several in one JVM.
 *
 * <pre>
 *  HTTP (Netty) ── KvApi ──┬── RaftServer ── NettyTransport (peers)
 *                          │        └─ ChronicleLogStore + FileStableStore (DIR)
 *                          └── KvStateMachine (in memory, rebuilt from the log at start)
 * </pre>
 */
public final class KvNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvNode.class);

    private final ServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final NodeStorage storage;
    private final KvStateMachine stateMachine;
    private final RaftServer raft;
    private final LeaderForwarder forwarder;
    private final KvHttpServer http;
    private final JvmGcMetrics gcMetrics;
    private boolean closed;

    private KvNode(ServerConfig config, PrometheusMeterRegistry registry, NodeStorage storage,
                   KvStateMachine stateMachine, RaftServer raft, LeaderForwarder forwarder, KvHttpServer http,
                   JvmGcMetrics gcMetrics) {
        this.config = config;
        this.registry = registry;
        this.storage = storage;
        this.stateMachine = stateMachine;
        this.raft = raft;
        this.forwarder = forwarder;
        this.http = http;
        this.gcMetrics = gcMetrics;
    }

    /**
     * Opens the data directory and starts the node. On any failure everything opened so far is closed again.
     *
     * @throws IOException if the data directory is unusable (locked, unwritable, corrupt) or a port cannot be bound
     */
    public static KvNode start(ServerConfig config) throws IOException {
        return start(config, null);
    }

    /**
     * Starts a node whose peer connections use mutual TLS when {@code tls} is not null (every server of the
     * cluster must then use TLS, with certificates signed by the trusted CA).
     */
    public static KvNode start(ServerConfig config, io.raftkv.transport.netty.TlsConfig tls) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);

        List<AutoCloseable> opened = new ArrayList<>();
        opened.add(gc);
        opened.add(registry::close);
        try {
            NodeStorage storage = NodeStorage.open(config.dataDir(), registry, config.id());
            opened.add(storage::releaseLock);
            // If start() fails RaftServer.close() does not close the stores (it never owned them): we do.
            opened.add(storage.log());
            opened.add(storage.stable());
            KvStateMachine sm = new KvStateMachine();
            NettyTransport transport = new NettyTransport(
                    NettyTransportConfig.builder(config.id(), config.clusterId(), config.raftAddress()).tls(tls).build(),
                    registry);
            List<Member> voters = new ArrayList<>();
            for (Map.Entry<String, String> p : config.peers().entrySet()) {
                voters.add(Member.voter(p.getKey(), p.getValue()));
            }
            RaftServer raft = RaftServer.builder(config.id())
                    .raftOptions(RaftOptions.defaults().withElectionTimeoutTicks(config.electionTicks()))
                    .serverOptions(RaftServerOptions.defaults().withTickInterval(config.tickInterval())
                            .withSnapshots(config.snapshotThreshold(), config.snapshotTrailingEntries()))
                    .logStore(storage.log())
                    .stableStore(storage.stable())
                    .snapshotStore(storage.snapshots())
                    .stateMachine(sm)
                    .transport(transport)
                    // Only used for a brand-new data directory; a restart takes the configuration from the log.
                    .bootstrap(Configuration.ofVoters(voters))
                    .meterRegistry(registry)
                    .build();
            opened.add(raft); // closes the stores and the transport too
            try {
                raft.start();
            } catch (IOException e) {
                throw new IOException("Raft on " + config.raftAddress() + ": " + e.getMessage(), e);
            }
            KvHttpServer http = KvHttpServer.create(config.id(), 2);
            opened.add(http);
            LeaderForwarder forwarder = new LeaderForwarder(config.id(),
                    config.requestTimeout().plusSeconds(1), registry, http.eventLoops());
            opened.add(forwarder);
            KvApi api = new KvApi(raft, sm, forwarder, config::httpAddressOf, config.requestTimeout(),
                    registry::scrape, http.executor());
            InetSocketAddress httpBind = ServerConfig.parseHostPort(config.httpAddress(), "--http");
            try {
                // Netty rethrows the bind failure (a checked BindException) without declaring it.
                bindHttp(http, httpBind, api, registry, config.maxBodyBytes());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while binding HTTP " + config.httpAddress(), e);
            } catch (IOException | RuntimeException e) {
                throw new IOException("HTTP on " + config.httpAddress() + ": " + e.getMessage(), e);
            }
            LOG.info("{}: serving KV on http://{} (raft {}, data {})", config.id(), config.httpAddress(),
                    config.raftAddress(), config.dataDir());
            return new KvNode(config, registry, storage, sm, raft, forwarder, http, gc);
        } catch (IOException | RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static void bindHttp(KvHttpServer http, InetSocketAddress bind, KvApi api,
                                 PrometheusMeterRegistry registry, int maxBody) throws IOException, InterruptedException {
        http.bind(bind, api, registry, maxBody);
    }

    public ServerConfig config() {
        return config;
    }

    public RaftServer raft() {
        return raft;
    }

    public KvStateMachine stateMachine() {
        return stateMachine;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public InetSocketAddress httpAddress() {
        return http.localAddress();
    }

    /**
     * Stops accepting HTTP, then stops Raft (which finishes its fsync in progress and closes the transport and
     * the stores), then releases the directory lock. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        forwarder.close(); // its connections live on the HTTP event loops: close it first
        http.close();
        raft.close();
        storage.releaseLock();
        gcMetrics.close();
        registry.close();
    }
}
