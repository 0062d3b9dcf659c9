package io.raftkv.server.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.http.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.1 server of the node's API on Netty: {@code HttpServerCodec → HttpObjectAggregator (max body → 413) →
 * KvHttpHandler}. Idle connections are closed after a minute so a client cannot pin sockets forever.
 */
public final class KvHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KvHttpServer.class);
    /** A request line holds the key percent-encoded: room for a 4 KiB key at 3 bytes per byte, plus slack. */
    static final int MAX_INITIAL_LINE = 16 * 1024;
    static final int MAX_HEADER_BYTES = 16 * 1024;

    private final String nodeId;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    /**
     * Every accepted connection, so that {@link #close} closes them itself. Shutting the event loops down is
     * supposed to close their channels, but under CPU starvation we saw keep-alive connections outlive the
     * server (no FIN, request bytes unread): a client that reused one after a restart on the same port waited
     * for its full timeout. Closing them explicitly first makes every client see the end of the connection.
     */
    private final ChannelGroup connections = new DefaultChannelGroup("kv-http-connections", GlobalEventExecutor.INSTANCE);
    private volatile Channel channel;
    /** Makes each connection's handler for the front doors that go before the API's routes (e.g. the cluster view). */
    private final java.util.List<java.util.function.Supplier<io.netty.channel.ChannelHandler>> frontDoors =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    private KvHttpServer(String nodeId, int ioThreads) {
        this.nodeId = nodeId;
        this.boss = new MultiThreadIoEventLoopGroup(1,
                new io.netty.util.concurrent.DefaultThreadFactory("kv-http-accept-" + nodeId, true),
                NioIoHandler.newFactory());
        this.workers = new MultiThreadIoEventLoopGroup(ioThreads,
                new io.netty.util.concurrent.DefaultThreadFactory("raftkv-io-" + nodeId, true), NioIoHandler.newFactory());
    }

    /** Creates the event loops; {@link #bind} starts serving. */
    public static KvHttpServer create(String nodeId, int ioThreads) {
        return new KvHttpServer(nodeId, ioThreads);
    }

    /**
     * The HTTP event loops as an executor. {@link NodeHost} finishes requests on it: RaftServer completes futures on
     * its raft and apply threads, which must not spend their time encoding JSON.
     */
    public Executor executor() {
        return workers;
    }

    /**
     * The same event loops, for {@link LeaderForwarder}'s client connections and for the node's Raft transport: one
     * set of I/O threads per node, so a client request and the Raft messages it causes are handled by a thread that
     * is already awake (fewer wake-ups and context switches per request, which is most of a request's cost on a
     * machine with few cores).
     */
    public EventLoopGroup eventLoops() {
        return workers;
    }

    /**
     * Before {@link #bind}: every connection gets a handler from {@code handlers} just before the API's routes. It sees
     * each aggregated request first and handles it or passes it on.
     */
    public KvHttpServer frontDoor(java.util.function.Supplier<io.netty.channel.ChannelHandler> handlers) {
        frontDoors.add(handlers);
        return this;
    }

    /**
     * Binds {@code host:port} (port 0 picks a free one) and starts serving {@code api}'s routes, then those of the
     * state machine's plugin ({@code pluginRoutes}).
     */
    public void bind(InetSocketAddress bind, NodeApi api, HttpRoutes pluginRoutes, MeterRegistry registry,
                     int maxBodyBytes) throws IOException, InterruptedException {
        Routes routes = new Routes(api, pluginRoutes);
        HttpMetrics metrics = new HttpMetrics(registry);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .handler(new ConnectionTracker(connections))
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS) {
                                    @Override
                                    protected void channelIdle(ChannelHandlerContext ctx,
                                                               io.netty.handler.timeout.IdleStateEvent evt) {
                                        ctx.close();
                                    }
                                })
                                .addLast(new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_BYTES, 64 * 1024))
                                .addLast(new JsonErrorAggregator(maxBodyBytes, metrics));
                        for (java.util.function.Supplier<io.netty.channel.ChannelHandler> door : frontDoors) {
                            ch.pipeline().addLast(door.get());
                        }
                        ch.pipeline().addLast(new KvHttpHandler(routes, metrics));
                    }
                });
        channel = b.bind(new InetSocketAddress(bind.getHostString(), bind.getPort())).sync().channel();
        LOG.info("{}: HTTP API listening on {}", nodeId, channel.localAddress());
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        stopServing();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /**
     * Stops accepting and closes every connection, but leaves the event loops running for whoever else uses them
     * (the Raft transport of the same node, see {@link #eventLoops()}); {@link #close()} then stops them too.
     */
    public void stopServing() {
        Channel ch = channel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        // No new connections now: close the open ones (FIN to every client) before the event loops go away.
        if (!connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS)) {
            LOG.warn("{}: HTTP connections still closing after 2 s", nodeId);
        }
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /**
     * On the accept loop, ahead of the bootstrap's acceptor: records each accepted connection in the group (which
     * drops it again when it closes) before it is handed to a worker loop, so none can be missed by {@link #close}.
     */
    private static final class ConnectionTracker extends ChannelInboundHandlerAdapter {
        private final ChannelGroup connections;

        ConnectionTracker(ChannelGroup connections) {
            this.connections = connections;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object accepted) {
            connections.add((Channel) accepted);
            ctx.fireChannelRead(accepted);
        }

        @Override
        public boolean isSharable() {
            return true;
        }
    }

    /** HttpObjectAggregator whose 413 carries the same JSON error body as every other error. */
    private static final class JsonErrorAggregator extends HttpObjectAggregator {
        private final int maxBody;
        private final HttpMetrics metrics;

        JsonErrorAggregator(int maxBody, HttpMetrics metrics) {
            super(maxBody);
            this.maxBody = maxBody;
            this.metrics = metrics;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            long start = System.nanoTime();
            Reply r = Reply.error(413, "request body larger than " + maxBody + " bytes");
            // As Netty's own aggregator does: on a keep-alive connection answer and keep reading, so the rest of
            // the body is read and discarded (the aggregator skips it); closing while the client still sends
            // would reset the connection and could destroy the 413 before the client reads it. Otherwise close.
            boolean keepAlive = !(oversized instanceof io.netty.handler.codec.http.FullHttpMessage)
                    && (HttpUtil.is100ContinueExpected(oversized) || HttpUtil.isKeepAlive(oversized));
            KvHttpHandler.write(ctx, r, keepAlive);
            metrics.record("oversized", "OTHER", r.status(), start);
        }
    }
}
