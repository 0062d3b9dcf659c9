package io.raftkv.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.transport.netty.MalformedFrameException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accepting end of a connection. Expects the peer's {@link Handshake} first and answers with its own, then
 * hands every {@link RaftMessage} to the {@link io.raftkv.core.transport.MessageHandler} on this event loop
 * (the handler must not block). A message whose {@code from} is not the handshaken node closes the connection:
 * a peer cannot speak for another.
 */
final class ServerConnectionHandler extends ConnectionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnectionHandler.class);

    ServerConnectionHandler(ConnectionContext context) {
        super(context);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!ctx.channel().isActive()) {
            return; // closing after a rejection; ignore what was already decoded
        }
        if (peerId == null) {
            onHandshake(ctx, msg);
            return;
        }
        deliver(ctx, msg);
    }

    private void onHandshake(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Handshake h)) {
            reject(ctx, new MalformedFrameException(Reason.HANDSHAKE, "expected a handshake first, got "
                    + msg.getClass().getSimpleName()));
            return;
        }
        try {
            context.validate(h);
        } catch (MalformedFrameException e) {
            reject(ctx, e);
            return;
        }
        handshakeAccepted(h.nodeId());
        io.netty.channel.Channel channel = ctx.channel();
        context.inboundByPeer().put(h.nodeId(), channel); // lets us answer a node that is not a configured peer
        channel.closeFuture().addListener(f -> context.inboundByPeer().remove(h.nodeId(), channel));
        context.metrics().peer(context.peerTag(h.nodeId())).inboundConnections.increment();
        ctx.writeAndFlush(MessageCodec.encode(ctx.alloc(), context.ownHandshake()));
        LOG.info("{}: accepted connection from node {} ({})", context.config().nodeId(), peerName(),
                ctx.channel().remoteAddress());
    }
}
