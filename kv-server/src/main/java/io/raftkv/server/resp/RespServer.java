package io.raftkv.server.resp;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FixedRedisMessagePool;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.raftkv.plugin.resp.RespCommandSpec;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.server.ServerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The RESP2 (Redis protocol) listener of a node, on the node's shared event loops. Each connection's pipeline:
 * <pre>
 *  bytes → RespFraming.bytesWatcher → RedisDecoder (Netty) → RespFraming.messageGuard (limits)
 *        → RedisBulkStringAggregator → RedisArrayAggregator → RespConnection (session, batching, replies)
 *  replies ← RedisEncoder
 * </pre>
 * Data commands come from the plugin's {@link RespCommandTable} ({@code PluginInstance.respCommands}); connection
 * commands, MULTI, pipelining, limits and the errors of the Raft layer are this package's, the same for every plugin.
 */
public final class RespServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RespServer.class);

    /** What every connection of this listener shares. */
    record Context(RespBackend raft, RespCommandTable table, RespOptions options, Duration requestTimeout,
                   Map<String, RespCommandSpec> specs, Set<String> dataCommands, IntSupplier connections, IntSupplier port,
                   String version, AtomicLong clientIds) {
        long nextClientId() {
            return clientIds.incrementAndGet();
        }
    }

    private final String nodeId;
    private final Channel channel;
    private final ChannelGroup connections;

    private RespServer(String nodeId, Channel channel, ChannelGroup connections) {
        this.nodeId = nodeId;
        this.channel = channel;
        this.connections = connections;
    }

    /**
     * Binds {@link RespOptions#address()} (port 0 picks a free one) on {@code loops} and starts serving.
     *
     * @param requestTimeout how long a command may wait for Raft before it fails (the node's request timeout)
     * @throws IOException if the address cannot be bound
     */
    public static RespServer start(String nodeId, RespBackend raft, RespCommandTable table, RespOptions options,
                                   EventLoopGroup loops, MeterRegistry registry, Duration requestTimeout)
            throws IOException {
        ChannelGroup connections = new DefaultChannelGroup("kv-resp-connections", GlobalEventExecutor.INSTANCE);
        RespMetrics metrics = new RespMetrics(registry, connections::size);
        InetSocketAddress bind = ServerConfig.parseHostPort(options.address(), "--resp");
        java.util.concurrent.atomic.AtomicReference<Channel> listening = new java.util.concurrent.atomic.AtomicReference<>();
        Context context = context(raft, table, options, requestTimeout, connections::size,
                () -> listening.get() == null ? bind.getPort()
                        : ((InetSocketAddress) listening.get().localAddress()).getPort());
        ServerBootstrap b = new ServerBootstrap()
                .group(loops, loops)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (connections.size() >= options.maxConnections()) {
                            metrics.protocolError("too_many_connections");
                            ch.writeAndFlush(new ErrorRedisMessage("ERR max number of clients reached"))
                                    .addListener(ChannelFutureListener.CLOSE);
                            ch.pipeline().addLast(new RedisEncoder());
                            return;
                        }
                        connections.add(ch);
                        initPipeline(ch.pipeline(), context, metrics);
                    }
                });
        Channel channel;
        try {
            channel = b.bind(new InetSocketAddress(bind.getHostString(), bind.getPort())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding RESP " + options.address(), e);
        } catch (RuntimeException e) {
            // Netty rethrows the bind failure (a checked BindException) without declaring it.
            throw new IOException("RESP on " + options.address() + ": " + e.getMessage(), e);
        }
        listening.set(channel);
        LOG.info("{}: RESP (Redis protocol) listening on {}", nodeId, channel.localAddress());
        return new RespServer(nodeId, channel, connections);
    }

    /** The context every connection of one listener shares. */
    static Context context(RespBackend backend, RespCommandTable table, RespOptions options, Duration requestTimeout,
                           IntSupplier connections, IntSupplier port) {
        Map<String, RespCommandSpec> specs = new TreeMap<>();
        for (RespCommandSpec s : RespSession.connectionCommands()) {
            specs.put(s.name(), s);
        }
        Set<String> data = new LinkedHashSet<>();
        for (RespCommandSpec s : table.commands()) {
            if (specs.put(s.name(), s) != null) {
                throw new IllegalArgumentException("command table redefines connection command " + s.name());
            }
            data.add(s.name());
        }
        return new Context(backend, table, options, requestTimeout,
                Collections.unmodifiableMap(new LinkedHashMap<>(specs)), Collections.unmodifiableSet(data),
                connections, port, version(), new AtomicLong());
    }

    /** One connection's handlers (see the class comment). */
    static void initPipeline(ChannelPipeline pipeline, Context context, RespMetrics metrics) {
        RespFraming framing = new RespFraming(context.options());
        pipeline.addLast(framing.bytesWatcher())
                .addLast(new RedisDecoder(context.options().maxInlineBytes(), FixedRedisMessagePool.INSTANCE, true))
                .addLast(framing.messageGuard())
                .addLast(new RedisBulkStringAggregator())
                .addLast(new RedisArrayAggregator(context.options().maxArrayElements(), 1))
                .addLast(new RedisEncoder())
                .addLast(new RespConnection(context, metrics, framing));
    }

    /** How many commands a listener serving {@code table} answers ({@code COMMAND COUNT}: connection commands included). */
    static int commandCount(RespCommandTable table) {
        return RespSession.connectionCommands().size() + table.commands().size();
    }

    private static String version() {
        String v = RespServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops accepting and closes every connection; the event loops stay (they are the node's). Idempotent. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (!connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS)) {
            LOG.warn("{}: RESP connections still closing after 2 s", nodeId);
        }
    }

}
