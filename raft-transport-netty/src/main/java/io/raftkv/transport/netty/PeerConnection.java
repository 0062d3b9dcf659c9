package io.raftkv.transport.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The one outbound connection to one peer, kept up for as long as the peer is configured: when it closes (peer
 * restarted, network cut, handshake refused) it is re-dialled after an exponential, capped {@link Backoff}, so
 * a peer that comes back is reached again without anyone's help.
 *
 * <p><b>Threads.</b> All connection state is touched only on this peer's event loop, except {@link #active},
 * which senders read (volatile), and {@link #closed}.
 */
final class PeerConnection {
    private static final Logger LOG = LoggerFactory.getLogger(PeerConnection.class);

    private final String peerId;
    private final String address;
    private final ConnectionContext context;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final Backoff backoff;
    private final TransportMetrics.PeerMeters meters;

    /** The handshaken connection senders may write to, or null. */
    private volatile Channel active;
    private volatile boolean closed;
    /** The connection being dialled or up (handshaken or not). Event-loop only. */
    private Channel current;
    /** The pending re-dial. Event-loop only. */
    private ScheduledFuture<?> redial;

    PeerConnection(String peerId, String address, ConnectionContext context, EventLoop loop,
                   Bootstrap template) {
        this.peerId = peerId;
        this.address = address;
        this.context = context;
        this.loop = loop;
        this.bootstrap = template.clone(loop).handler(new ClientChannelInitializer(context, this));
        this.backoff = new Backoff(context.config().backoffMin(), context.config().backoffMax());
        this.meters = context.metrics().peer(peerId);
    }

    String peerId() {
        return peerId;
    }

    String address() {
        return address;
    }

    TransportMetrics.PeerMeters meters() {
        return meters;
    }

    /** The connection to write to, or null while (re)connecting. */
    Channel active() {
        return active;
    }

    void start() {
        executeOnLoop(this::dial);
    }

    /** Stops dialling and closes the connection; called when the peer leaves the configuration or on shutdown. */
    void close() {
        closed = true;
        active = null;
        executeOnLoop(() -> {
            if (redial != null) {
                redial.cancel(false);
                redial = null;
            }
            if (current != null) {
                current.close();
            }
        });
    }

    private void executeOnLoop(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The event loop is shutting down; it closes every channel itself.
        }
    }

    private void dial() {
        redial = null;
        if (closed) {
            return;
        }
        InetSocketAddress remote;
        InetSocketAddress local;
        try {
            HostPort hp = HostPort.parse(address);
            remote = hp.resolve();
            local = new InetSocketAddress(context.config().localBindHost(), 0);
            if (remote.isUnresolved() || local.isUnresolved()) {
                throw new IllegalArgumentException("cannot resolve " + (remote.isUnresolved() ? remote : local));
            }
        } catch (IllegalArgumentException e) {
            context.log().warn("dial:" + peerId, "{}: cannot dial peer {} at '{}': {}", context.config().nodeId(),
                    peerId, address, e.getMessage());
            scheduleRedial();
            return;
        }
        // Binding the local side to our own host gives every node on one machine its own source address
        // (127.0.0.x), so that tests can cut single pairs with firewall rules.
        ChannelFuture connect = bootstrap.connect(remote, local);
        Channel channel = connect.channel();
        current = channel;
        channel.closeFuture().addListener(f -> onClosed(channel));
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                LOG.debug("{}: connect to peer {} at {} failed: {}", context.config().nodeId(), peerId, address,
                        f.cause().toString());
                channel.close(); // not every failed connect closes the channel by itself
            }
        });
    }

    /** Called by the {@link ClientConnectionHandler} once the peer's handshake was accepted. */
    void onHandshaken(Channel channel) {
        if (closed || channel != current) {
            channel.close();
            return;
        }
        backoff.reset();
        active = channel;
        meters.outboundConnections.increment();
        LOG.info("{}: connected to peer {} at {}", context.config().nodeId(), peerId, address);
    }

    private void onClosed(Channel channel) {
        if (active == channel) {
            active = null;
            LOG.info("{}: lost connection to peer {} at {}", context.config().nodeId(), peerId, address);
        }
        if (current != channel) {
            return; // a stale channel
        }
        current = null;
        scheduleRedial();
    }

    private void scheduleRedial() {
        if (closed || redial != null) {
            return;
        }
        redial = loop.schedule(this::dial, backoff.nextDelayMillis(), TimeUnit.MILLISECONDS);
    }
}
