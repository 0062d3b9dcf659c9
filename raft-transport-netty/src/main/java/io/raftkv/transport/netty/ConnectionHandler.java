package io.raftkv.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * What both ends of a connection share: the handshake deadline and the one place where a connection is closed
 * because of bad input, with a metric and one rate-limited log line. Bad input never propagates further than
 * the connection it arrived on.
 */
abstract class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionHandler.class);

    protected final ConnectionContext context;
    /** The remote node id once its handshake was accepted; null before. Event-loop only. */
    protected String peerId;
    private ScheduledFuture<?> handshakeDeadline;

    ConnectionHandler(ConnectionContext context) {
        this.context = context;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        long millis = context.config().handshakeTimeout().toMillis();
        handshakeDeadline = ctx.executor().schedule(() -> {
            if (peerId == null) {
                reject(ctx, new MalformedFrameException(MalformedFrameException.Reason.HANDSHAKE,
                        "no handshake within " + millis + " ms"));
            }
        }, millis, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelHandshakeDeadline();
        super.channelInactive(ctx);
    }

    /** Marks the handshake as done: from now on the connection belongs to {@code remoteId}. */
    protected void handshakeAccepted(String remoteId) {
        peerId = remoteId;
        cancelHandshakeDeadline();
    }

    private void cancelHandshakeDeadline() {
        if (handshakeDeadline != null) {
            handshakeDeadline.cancel(false);
            handshakeDeadline = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        MalformedFrameException bad = malformed(cause);
        if (bad != null) {
            reject(ctx, bad);
        } else if (sslFailure(cause) != null) {
            // Untrusted certificate, wrong host name, plain text on a TLS port, ...
            reject(ctx, new MalformedFrameException(MalformedFrameException.Reason.TLS, rootMessage(cause)));
        } else if (cause instanceof IOException) {
            // Resets and closed sockets are normal life for a transport (peers restart); Raft retries.
            LOG.debug("{}: connection {} (peer {}) failed: {}", context.config().nodeId(), ctx.channel(), peerId,
                    cause.toString());
            ctx.close();
        } else {
            context.log().warn("error:" + cause.getClass().getSimpleName(),
                    "{}: closing connection {} (peer {}): {}", context.config().nodeId(), ctx.channel(),
                    peerName(), rootMessage(cause));
            ctx.close();
        }
    }

    /** Closes the connection because of bad input: one metric, one (rate-limited) log line. */
    /**
     * Hands a message that arrived after the handshake to the {@link io.raftkv.core.transport.MessageHandler}.
     * A second handshake, or a message whose {@code from} is not the handshaken node, closes the connection: a
     * peer cannot speak for another.
     */
    protected void deliver(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof io.raftkv.core.message.RaftMessage message)) {
            reject(ctx, new MalformedFrameException(MalformedFrameException.Reason.HANDSHAKE,
                    "second handshake on one connection"));
            return;
        }
        if (!message.from().equals(peerId)) {
            reject(ctx, new MalformedFrameException(MalformedFrameException.Reason.MALFORMED, "message from '"
                    + ConnectionContext.printable(message.from()) + "' on the connection of '" + peerName() + "'"));
            return;
        }
        if (!message.to().equals(context.config().nodeId())) {
            context.log().warn("misrouted", "{}: dropping a {} addressed to '{}' from {}",
                    context.config().nodeId(), message.getClass().getSimpleName(),
                    ConnectionContext.printable(message.to()), peerName());
            return;
        }
        context.metrics().peer(metricPeerTag()).received.increment();
        try {
            context.handler().onMessage(message);
        } catch (RuntimeException e) {
            // A handler bug must not cost us the connection (or the node); report it and carry on.
            context.log().warn("handler", "{}: message handler threw on {}", context.config().nodeId(),
                    message.getClass().getSimpleName(), e);
        }
    }

    protected void reject(ChannelHandlerContext ctx, MalformedFrameException e) {
        context.metrics().rejected(metricPeerTag(), e.reason()).increment();
        context.log().warn("reject:" + e.reason().tag(), "{}: closing connection {} (peer {}): {}: {}",
                context.config().nodeId(), ctx.channel(), peerName(), e.reason().tag(), e.getMessage());
        ctx.close();
    }

    /** The remote node id for log lines ("?" before the handshake). */
    protected String peerName() {
        return peerId == null ? "?" : ConnectionContext.printable(peerId);
    }

    /** The {@code peer} tag for meters of this connection. */
    protected String metricPeerTag() {
        return context.peerTag(peerId);
    }

    private static MalformedFrameException malformed(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof MalformedFrameException m) {
                return m;
            }
            if (!(t instanceof DecoderException) || t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static SSLException sslFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }
}
