package io.raftkv.transport.netty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.transport.MessageHandler;
import io.raftkv.core.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Transport} SPI over Netty 4.2 TCP: an inbound server, one outbound connection per peer that is
 * re-dialled with backoff, a handshake on every connection, binary frames (see the module README) and optional
 * mutual TLS.
 *
 * <p><b>Sending.</b> {@link #send} and {@link #sendAll} encode on the caller's thread into a pooled buffer and
 * hand it to the peer's connection without blocking. A message is dropped, and counted in
 * {@code raft.transport.messages.dropped}, when the peer is not connected, when its connection is above the
 * write-buffer high-water mark (backpressure: Raft retransmits, so dropping is safe and queueing without bound
 * is not), or when it would exceed the maximum frame size. Flushes are consolidated: {@code sendAll} flushes
 * each peer once, and {@code send}'s flushes are merged per event-loop turn.
 *
 * <p><b>Receiving.</b> Inbound messages are handed to the {@link MessageHandler} on the Netty event loop that
 * owns the connection; the handler must not block, and with more than one I/O thread it is called concurrently
 * for different peers (messages of one peer arrive in order on one thread). Bad input closes only the
 * connection it came on.
 *
 * <p>Thread names start with {@code raft-netty-<nodeId>}; {@link #close()} stops all of them.
 */
public final class NettyTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(NettyTransport.class);

    /** Prefix of every thread this transport starts. */
    public static final String THREAD_PREFIX = "raft-netty-";

    private final NettyTransportConfig config;
    private final TransportMetrics metrics;
    private final Counter droppedUnknownPeer;
    private final RateLimitedLogger log = new RateLimitedLogger(LOG, Duration.ofSeconds(5));
    private final Map<String, PeerConnection> peers = new ConcurrentHashMap<>();
    /**
     * The newest handshaken inbound connection of each node. A node that is not (yet) a configured peer — e.g. a
     * leader talking to a server that joins with an empty configuration — is answered over it.
     */
    private final java.util.concurrent.ConcurrentMap<String, Channel> inboundByPeer =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Every open connection, inbound and outbound; closed channels leave it by themselves. */
    private final ChannelGroup channels = new DefaultChannelGroup("raft-transport", ImmediateEventExecutor.INSTANCE);

    private EventLoopGroup group;
    /** Event loops given by the caller (shared with, e.g., an HTTP server): used, never shut down here. */
    private final EventLoopGroup sharedGroup;
    private Channel serverChannel;
    private ConnectionContext context;
    private Bootstrap clientTemplate;
    private volatile boolean closed;
    /** Peers given before {@link #start}; dialled when it completes. */
    private List<Member> pendingMembers;

    public NettyTransport(NettyTransportConfig config, MeterRegistry registry) {
        this(config, registry, null);
    }

    /**
     * A transport on event loops the caller owns ({@code config.ioThreads()} is then ignored). A server that also
     * runs, say, an HTTP front door on the same loops wakes one thread, not two, when a client request and the Raft
     * traffic it causes arrive together; on a machine with few cores that is most of the cost of a request. The
     * loops are not shut down by {@link #close()}.
     */
    public NettyTransport(NettyTransportConfig config, MeterRegistry registry, EventLoopGroup sharedLoops) {
        this.config = Objects.requireNonNull(config, "config");
        this.metrics = new TransportMetrics(registry, config.nodeId());
        this.droppedUnknownPeer = metrics.droppedUnknownPeer();
        this.sharedGroup = sharedLoops;
    }

    public NettyTransportConfig config() {
        return config;
    }

    @Override
    public synchronized void start(MessageHandler handler) throws Exception {
        if (group != null || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        Objects.requireNonNull(handler, "handler");
        SslContext serverSsl = config.tls() == null ? null : TlsContexts.server(config.tls());
        SslContext clientSsl = config.tls() == null ? null : TlsContexts.client(config.tls());
        context = new ConnectionContext(config, metrics, log, handler, peers::containsKey, serverSsl, clientSsl,
                channels, inboundByPeer);
        group = sharedGroup != null ? sharedGroup : new MultiThreadIoEventLoopGroup(config.ioThreads(),
                new DefaultThreadFactory(THREAD_PREFIX + config.nodeId(), true), NioIoHandler.newFactory());
        clientTemplate = new Bootstrap()
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        config.writeBufferLowWaterMark(), config.writeBufferHighWaterMark()));
        try {
            serverChannel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new ServerChannelInitializer(context))
                    .bind(HostPort.parse(config.listenAddress()).resolve())
                    .sync()
                    .channel();
        } catch (Exception e) {
            shutdownGroup();
            group = null;
            throw e;
        }
        LOG.info("{}: raft transport listening on {}{}", config.nodeId(), serverChannel.localAddress(),
                config.tls() == null ? "" : " (mutual TLS)");
        if (pendingMembers != null) {
            updatePeers(pendingMembers);
            pendingMembers = null;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Peers dial {@code host:port}, so a member needs one, with a port in 1-65535.
     */
    @Override
    public void checkAddress(Member member) {
        HostPort address;
        try {
            address = HostPort.parse(member.address());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("member " + member.id() + " cannot be reached by the Netty transport: "
                    + e.getMessage() + " (give every member the host:port its transport listens on, e.g. "
                    + "Configuration.ofVoters(List.of(Member.voter(\"n1\", \"10.0.0.1:7001\"), ...)); "
                    + "Configuration.ofVoterIds gives none)", e);
        }
        if (address.port() == 0) {
            throw new IllegalArgumentException("member " + member.id() + " cannot be reached by the Netty transport: "
                    + "port 0 in '" + member.address() + "' (give the port it listens on)");
        }
    }

    /** The address the server is bound to (useful with port 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Peers not in {@code members} are closed, new ones dialled, and a peer whose address changed is
     * re-dialled at its new address; this node's own id is skipped. Called before {@link #start}, the peers
     * are remembered and dialled once started; called after {@link #close}, it does nothing.
     */
    @Override
    public synchronized void updatePeers(Collection<Member> members) {
        if (closed) {
            return;
        }
        if (group == null) {
            pendingMembers = List.copyOf(members);
            return;
        }
        Map<String, String> wanted = new HashMap<>();
        for (Member m : members) {
            if (!m.id().equals(config.nodeId())) {
                wanted.put(m.id(), m.address());
            }
        }
        // Close peers that left or moved; a moved peer is dialled afresh at its new address below.
        peers.entrySet().removeIf(e -> {
            String address = wanted.get(e.getKey());
            if (address == null || !address.equals(e.getValue().address())) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (!peers.containsKey(e.getKey())) {
                PeerConnection peer = new PeerConnection(e.getKey(), e.getValue(), context, group.next(),
                        clientTemplate);
                peers.put(e.getKey(), peer);
                peer.start();
            }
        }
    }

    @Override
    public void send(RaftMessage message) {
        Channel channel = write(message);
        if (channel != null) {
            channel.flush();
        }
    }

    /**
     * Encodes every message for one peer into one buffer and hands it to that peer's connection with a single
     * write-and-flush: from the raft thread that is one task for the connection's event loop per peer and turn,
     * not one per message, and one socket write.
     */
    @Override
    public void sendAll(List<RaftMessage> messages) {
        if (messages.size() == 1) {
            send(messages.get(0));
            return;
        }
        Map<Channel, ByteBuf> batches = new IdentityHashMap<>();
        for (RaftMessage m : messages) {
            PeerConnection peer = peers.get(m.to());
            if (peer == null) {
                Channel channel = writeOverInbound(m);
                if (channel != null) {
                    channel.flush();
                }
                continue;
            }
            TransportMetrics.PeerMeters meters = peer.meters();
            Channel channel = usableChannel(peer, meters);
            if (channel == null) {
                continue;
            }
            ByteBuf batch = batches.get(channel);
            if (batch == null) {
                batch = channel.alloc().ioBuffer(Math.max(256, MessageCodec.estimatedFrameSize(m)));
                batches.put(channel, batch);
            }
            int before = batch.writerIndex();
            int size = MessageCodec.encodeInto(batch, m);
            if (size - WireFormat.LENGTH_FIELD_BYTES > config.maxFrameBytes()) {
                batch.writerIndex(before);
                dropTooLarge(peer, meters, m, size);
                continue;
            }
            if (batch.readableBytes() > channel.bytesBeforeUnwritable()) {
                // Backpressure: what this batch adds would take the connection over its high-water mark.
                batch.writerIndex(before);
                meters.droppedBackpressure.increment();
                continue;
            }
            meters.sent.increment();
            meters.bytesSent.increment(size);
        }
        batches.forEach((channel, batch) -> {
            if (batch.isReadable()) {
                channel.writeAndFlush(batch, channel.voidPromise());
            } else {
                batch.release();
            }
        });
    }

    /**
     * A message for a node that is not a configured peer goes back over that node's inbound connection, if it
     * has one (connections are full duplex); otherwise it is dropped and counted.
     */
    private Channel writeOverInbound(RaftMessage message) {
        Channel channel = closed ? null : inboundByPeer.get(message.to());
        if (channel == null || !channel.isActive() || !channel.isWritable()) {
            droppedUnknownPeer.increment();
            return null;
        }
        ByteBuf frame = MessageCodec.encode(channel.alloc(), message);
        if (frame.readableBytes() - WireFormat.LENGTH_FIELD_BYTES > config.maxFrameBytes()) {
            frame.release();
            droppedUnknownPeer.increment();
            return null;
        }
        channel.write(frame, channel.voidPromise());
        return channel;
    }

    /** Encodes and writes (without flushing) one message; returns the channel written to, or null if dropped. */
    private Channel write(RaftMessage message) {
        PeerConnection peer = peers.get(message.to());
        if (peer == null) {
            return writeOverInbound(message);
        }
        TransportMetrics.PeerMeters meters = peer.meters();
        Channel channel = usableChannel(peer, meters);
        if (channel == null) {
            return null;
        }
        ByteBuf frame = MessageCodec.encode(channel.alloc(), message);
        int size = frame.readableBytes();
        if (size - WireFormat.LENGTH_FIELD_BYTES > config.maxFrameBytes()) {
            frame.release();
            dropTooLarge(peer, meters, message, size);
            return null;
        }
        // Written from this thread, the write is queued to the event loop and counted against the water mark
        // at once, so isWritable() above sees the bytes of earlier sends that are not yet on the wire.
        channel.write(frame, channel.voidPromise());
        meters.sent.increment();
        meters.bytesSent.increment(size);
        return channel;
    }

    /** The peer's connection if a message may be written to it now; otherwise counts why not and returns null. */
    private Channel usableChannel(PeerConnection peer, TransportMetrics.PeerMeters meters) {
        if (closed) {
            meters.droppedClosed.increment();
            return null;
        }
        Channel channel = peer.active();
        if (channel == null) {
            meters.droppedNotConnected.increment();
            return null;
        }
        if (!channel.isWritable()) {
            meters.droppedBackpressure.increment();
            return null;
        }
        return channel;
    }

    private void dropTooLarge(PeerConnection peer, TransportMetrics.PeerMeters meters, RaftMessage message, int size) {
        meters.droppedTooLarge.increment();
        log.warn("too_large:" + peer.peerId(), "{}: not sending a {} of {} bytes to {}: over maxFrameBytes {}",
                config.nodeId(), message.getClass().getSimpleName(), size, peer.peerId(), config.maxFrameBytes());
    }

    /** The handshaken outbound connection to {@code peerId}, or null (tests inspect its pipeline). */
    Channel activeChannel(String peerId) {
        PeerConnection peer = peers.get(peerId);
        return peer == null ? null : peer.active();
    }

    /** True if an outbound connection to {@code peerId} is up and handshaken (for tests and status pages). */
    public boolean isConnected(String peerId) {
        PeerConnection peer = peers.get(peerId);
        return peer != null && peer.active() != null;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A configured peer is reachable while its outbound connection is up: a peer whose process died loses it at
     * once (the kernel closes the socket) and stays unreachable while re-dials are refused. Any other node is
     * reachable while its inbound connection to us is open (answers go back over it).
     */
    @Override
    public boolean isReachable(String peerId) {
        if (closed) {
            return false;
        }
        PeerConnection peer = peers.get(peerId);
        if (peer != null) {
            return peer.active() != null;
        }
        Channel inbound = inboundByPeer.get(peerId);
        return inbound != null && inbound.isActive();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // The peers stay in the map (closed), so that late sends are counted as dropped{reason=closed}.
        peers.values().forEach(PeerConnection::close);
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        // Close every connection ourselves before stopping the event loops: relying on the loops' shutdown left
        // accepted sockets open (CLOSE_WAIT) in our leak test.
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdownGroup();
        LOG.info("{}: raft transport closed", config.nodeId());
    }

    private void shutdownGroup() {
        if (group != null && group != sharedGroup) {
            // No quiet period: Raft does not need in-flight messages delivered; closing every channel is enough.
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }
}
