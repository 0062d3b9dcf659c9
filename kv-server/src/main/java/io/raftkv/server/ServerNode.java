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
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftServerOptions;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.session.SessionMetrics;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.embedded.EmbeddedNode;
import io.raftkv.embedded.NodeStorage;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateMachinePlugin;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespSettings;
import io.raftkv.server.http.GenericApi;
import io.raftkv.server.http.KvHttpServer;
import io.raftkv.server.http.LeaderForwarder;
import io.raftkv.server.http.NodeApi;
import io.raftkv.server.plugin.DataDirectoryOwner;
import io.raftkv.server.plugin.Plugins;
import io.raftkv.server.resp.RespBackend;
import io.raftkv.server.resp.RespOptions;
import io.raftkv.server.resp.RespServer;
import io.raftkv.server.ui.EventHub;
import io.raftkv.server.ui.UiService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running server: storage, the state machine of its plugin, Raft transport, {@link RaftServer} and the HTTP
 * API, wired together and closed together. {@code bin/raftkv serve} runs exactly one; tests run several in one JVM.
 *
 * <pre>
 *  HTTP (Netty) ── NodeApi (/status, /metrics, /digest, membership, /snapshot)
 *               └─ the plugin's routes (KV: /key, /cas; SQL: /db/...) or the GenericApi (/command, /query)
 *                     └── NodeHost ── RaftServer ── NettyTransport (peers)
 *                                         ├─ ChronicleLogStore + FileStableStore + FileSnapshotStore (DIR)
 *                                         └─ the plugin's StateMachine (--state-machine, found with ServiceLoader)
 *  RESP (--resp) ── RespServer ── the plugin's RespCommandTable (KV: GET, SET, ...) ── RaftServer
 * </pre>
 *
 * The server names no plugin: the KV store is found the same way as the SQL database or a user's, and its HTTP
 * routes and RESP commands come through the same hooks as theirs.
 */
public final class ServerNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerNode.class);

    private final ServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final EmbeddedNode node;
    private final PluginInstance plugin;
    private final RaftServer raft;
    private final LeaderForwarder forwarder;
    private final KvHttpServer http;
    private final JvmGcMetrics gcMetrics;
    /** The Redis-protocol listener, or null without {@code --resp}. */
    private RespServer resp;
    private boolean closed;

    private ServerNode(ServerConfig config, PrometheusMeterRegistry registry, EmbeddedNode node,
                       PluginInstance plugin, LeaderForwarder forwarder, KvHttpServer http, JvmGcMetrics gcMetrics) {
        this.config = config;
        this.registry = registry;
        this.node = node;
        this.plugin = plugin;
        this.raft = node.raft();
        this.forwarder = forwarder;
        this.http = http;
        this.gcMetrics = gcMetrics;
    }

    /**
     * Opens the data directory and starts the node. On any failure everything opened so far is closed again.
     *
     * @throws IOException if the data directory is unusable (locked, unwritable, corrupt, another plugin's) or a
     *                     port cannot be bound
     * @throws IllegalArgumentException if no plugin of {@link ServerConfig#stateMachine()}'s name is on the class path
     */
    public static ServerNode start(ServerConfig config) throws IOException {
        return start(config, null);
    }

    /**
     * Starts a node whose peer connections use mutual TLS when {@code tls} is not null (every server of the
     * cluster must then use TLS, with certificates signed by the trusted CA).
     */
    public static ServerNode start(ServerConfig config, io.raftkv.transport.netty.TlsConfig tls) throws IOException {
        return start(config, tls, SessionOptions.defaults());
    }

    /**
     * Starts a node whose client sessions (thesis §6.3) have these options: a timeout, and caps that must be equal on
     * all servers of the cluster.
     */
    public static ServerNode start(ServerConfig config, io.raftkv.transport.netty.TlsConfig tls,
                                   SessionOptions sessionOptions) throws IOException {
        return start(config, tls, sessionOptions, null);
    }

    /**
     * Starts a node that also speaks RESP2 (the Redis protocol) on {@code resp}'s address, on the same event loops,
     * when {@code resp} is not null (see io.raftkv.server.resp). Its data commands are the plugin's
     * ({@link PluginInstance#respCommands}: the KV store's GET, SET, ...); a plugin without any cannot be served with
     * RESP, and the node refuses to start.
     *
     * @throws IllegalArgumentException if {@code resp} is set and the plugin has no RESP commands
     */
    public static ServerNode start(ServerConfig config, io.raftkv.transport.netty.TlsConfig tls,
                                   SessionOptions sessionOptions, RespOptions resp) throws IOException {
        ServerNode node = startHttp(config, tls, sessionOptions);
        if (resp != null) {
            try {
                RespCommandTable table = node.plugin.respCommands(new RespSettings(resp.allowFlushdb()));
                if (table == null) {
                    throw new IllegalArgumentException("plugin '" + config.stateMachine() + "' has no RESP"
                            + " commands: serve it without --resp");
                }
                node.resp = RespServer.start(config.id(), RespBackend.of(node.raft), table, resp,
                        node.http.eventLoops(), node.registry, config.requestTimeout());
            } catch (IOException | RuntimeException e) {
                node.close();
                throw e;
            }
        }
        return node;
    }

    private static ServerNode startHttp(ServerConfig config, io.raftkv.transport.netty.TlsConfig tls,
                                        SessionOptions sessionOptions) throws IOException {
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
            StateMachinePlugin chosen = Plugins.named(config.stateMachine());
            NodeStorage storage = NodeStorage.open(config.dataDir(), config.snapshotDir(), registry,
                    config.id());
            AutoCloseable closeStorage = () -> {
                storage.log().close();
                storage.stable().close();
                storage.releaseLock();
            };
            opened.add(closeStorage);
            // Under the directory's lock: the plugin may keep files in it, and its claim must not race another's.
            DataDirectoryOwner.claim(config.dataDir(), chosen.name());
            PluginInstance plugin = chosen.open(new PluginContext(config.id(),
                    config.dataDir().resolve(chosen.name()), registry));
            opened.add(plugin);
            // One set of event loops for the HTTP front door and the Raft transport (KvHttpServer.eventLoops).
            KvHttpServer http = KvHttpServer.create(config.id(), config.ioThreads());
            opened.add(http);
            RaftOptions defaults = RaftOptions.defaults();
            RaftOptions raftOptions = defaults.withElectionTimeoutTicks(config.electionTicks())
                    .withAutoPromoteLearners(config.autoPromoteLearners(), defaults.promoteLagEntries());
            // The cluster view's event stream (GET /ui/events); builds no event while nobody subscribes.
            EventHub events = new EventHub(config.id(), java.time.Clock.systemUTC(), MAX_EVENT_STREAMS);
            // Thesis §6.3: the client sessions' table lives in the replicated state, around the plugin's machine.
            SessionStateMachine sessions = plugin.clientSessions()
                    ? new SessionStateMachine(plugin.stateMachine(), sessionOptions) : null;
            if (sessions != null) {
                SessionMetrics.bind(sessions, registry);
            }
            // From start() on the node owns the stores, even if it fails to start.
            opened.remove(closeStorage);
            EmbeddedNode node = EmbeddedNode.builder(config.id())
                    .storage(storage)
                    .members(config.peers()) // empty for a server that joins: it waits to be added (§4.2.1)
                    .listenAddress(config.raftAddress())
                    .clusterId(config.clusterId())
                    .tls(tls)
                    .eventLoops(http.eventLoops())
                    .stateMachine(sessions != null ? sessions : plugin.stateMachine())
                    .disk(config.diskOptions())
                    .raftOptions(raftOptions)
                    .serverOptions(RaftServerOptions.defaults().withTickInterval(config.tickInterval())
                            .withSnapshots(config.snapshotThreshold(), config.snapshotTrailingEntries())
                            .withSnapshotBytes(config.snapshotBytes())
                            .withSnapshotWriteRate(config.snapshotWriteRate()))
                    .meterRegistry(registry)
                    .traceSink(events)
                    .closeAfterStop(plugin) // after Raft stopped applying to it, before the directory is unlocked
                    .start();
            opened.remove(plugin);
            // Before the event loops (http, above it in this list) stop: the transport runs on them.
            opened.add(node);
            RaftServer raft = node.raft();
            LeaderForwarder forwarder = new LeaderForwarder(config.id(),
                    config.requestTimeout().plusSeconds(1), registry, http.eventLoops());
            opened.add(forwarder);
            HttpDirectory directory = new HttpDirectory(config);
            directory.membersFrom(() -> raft.status().members());
            NodeApi api = new NodeApi(raft, chosen.name(), plugin, forwarder, directory::httpAddressOf,
                    config.requestTimeout(), registry::scrape, http.executor(), directory::learn,
                    config.transferWait(), raftOptions.promoteLagEntries(), sessions);
            HttpRoutes ownRoutes = plugin.httpRoutes(api.host());
            HttpRoutes routes = ownRoutes != null ? ownRoutes : new GenericApi(api.host(), plugin.mediaType());
            http.frontDoor(new UiService(events, () -> memberHttpAddresses(raft, directory))::newHandler);
            InetSocketAddress httpBind = ServerConfig.parseHostPort(config.httpAddress(), "--http");
            try {
                // Netty rethrows the bind failure (a checked BindException) without declaring it.
                http.bind(httpBind, api, routes, registry, config.maxBodyBytes());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while binding HTTP " + config.httpAddress(), e);
            } catch (IOException | RuntimeException e) {
                throw new IOException("HTTP on " + config.httpAddress() + ": " + e.getMessage(), e);
            }
            LOG.info("{}: serving the {} state machine on http://{} (raft {}, data {})", config.id(), chosen.name(),
                    config.httpAddress(), config.raftAddress(), config.dataDir());
            return new ServerNode(config, registry, node, plugin, forwarder, http, gc);
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

    /** Event streams one server serves at once (each costs its subscriber's queue and a drain every 100 ms). */
    private static final int MAX_EVENT_STREAMS = 16;

    /** The HTTP address of every member this server knows of (for the cluster view's cross-origin reads). */
    private static List<String> memberHttpAddresses(RaftServer raft, HttpDirectory directory) {
        List<String> out = new ArrayList<>();
        out.add(directory.httpAddressOf(raft.id()).orElse(""));
        for (RaftStatus.MemberStatus m : raft.status().members()) {
            directory.httpAddressOf(m.id()).ifPresent(out::add);
        }
        return out;
    }

    public ServerConfig config() {
        return config;
    }

    public RaftServer raft() {
        return raft;
    }

    /** The state machine plugin's instance this server runs. */
    public PluginInstance plugin() {
        return plugin;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public InetSocketAddress httpAddress() {
        return http.localAddress();
    }

    /** The RESP listener's address, or null if the node has none. */
    public InetSocketAddress respAddress() {
        return resp == null ? null : resp.localAddress();
    }

    /**
     * True if this server holds a configuration (from {@code --peers}, its log or its snapshot), false if it
     * started empty and waits to be added with {@code POST /join}. Waits briefly for the raft thread's first
     * status.
     */
    public boolean hasConfiguration() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (raft.status().role() == null && raft.isRunning() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return !raft.status().members().isEmpty();
    }

    /**
     * {@code serve --join}: unless the data directory already holds a configuration (a restart: the log or
     * snapshot says which cluster this is, and a removed server that restarts cannot disrupt the cluster thanks
     * to pre-vote, thesis §9.6), asks {@code memberUrl} to add this server as a learner.
     *
     * @return true if it joined, false if it had a configuration already
     * @throws IOException if the cluster refused the join or did not accept it in time
     */
    public boolean joinIfNew(String memberUrl, Duration timeout) throws IOException, InterruptedException {
        if (hasConfiguration()) {
            LOG.info("{}: data directory holds a configuration; not joining again", config.id());
            return false;
        }
        // Until the leader's first entries bring a configuration this server knows no peers; the transport
        // answers the leader over the leader's own connection, so nothing needs seeding here.
        Joiner.join(memberUrl, config, timeout);
        return true;
    }

    /**
     * If this server leads and another voter exists, hands leadership over (thesis §3.10) and waits, bounded by
     * {@link ServerConfig#transferWait()}, until another server leads: clients then see a new leader at once
     * instead of after an election timeout. Best effort; returns the new leader if the transfer happened.
     */
    public Optional<String> transferLeadershipAway() {
        RaftStatus s = raft.status();
        if (!s.isLeader() || s.members().stream().noneMatch(m -> m.voter() && !m.id().equals(config.id()))) {
            return Optional.empty();
        }
        long deadline = System.nanoTime() + config.transferWait().toNanos();
        try {
            raft.transferLeadership(null).get(config.transferWait().toMillis(), TimeUnit.MILLISECONDS);
            while (System.nanoTime() < deadline) {
                String leader = raft.status().leaderId();
                if (leader != null && !leader.equals(config.id())) {
                    LOG.info("{}: handed leadership to {} before stopping", config.id(), leader);
                    return Optional.of(leader);
                }
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("{}: leadership transfer before stopping failed: {}", config.id(), e.getCause() == null ? e : e.getCause());
            return Optional.empty();
        }
        LOG.warn("{}: no other server took over within {} ms; stopping anyway", config.id(), config.transferWait().toMillis());
        return Optional.empty();
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
        if (resp != null) {
            resp.close(); // its connections live on the same event loops
        }
        forwarder.close(); // its connections live on the HTTP event loops: close it first
        http.stopServing();
        // Raft (and the Raft transport, which runs on the same event loops), then the plugin, then the lock.
        node.close();
        http.close();
        gcMetrics.close();
        registry.close();
    }
}
