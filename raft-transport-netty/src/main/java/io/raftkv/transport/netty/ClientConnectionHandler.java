package io.raftkv.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.raftkv.transport.netty.MalformedFrameException.Reason;

/**
 * The dialling end of a connection to one peer. Sends this node's {@link Handshake} as soon as the connection
 * is up and waits for the peer's: only when the peer proved it is the expected node of the same cluster does
 * the connection become usable for sends. The peer normally answers over its own outbound connection, but a
 * node that does not know us as a peer yet (a server joining with an empty configuration) answers over this one,
 * so messages after the handshake are accepted under the same rules as on an inbound connection.
 */
final class ClientConnectionHandler extends ConnectionHandler {
    private final PeerConnection peer;

    ClientConnectionHandler(ConnectionContext context, PeerConnection peer) {
        super(context);
        this.peer = peer;
    }

    @Override
    protected String peerName() {
        return peer.peerId();
    }

    @Override
    protected String metricPeerTag() {
        return context.peerTag(peer.peerId());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        ctx.writeAndFlush(MessageCodec.encode(ctx.alloc(), context.ownHandshake()));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (peerId != null) {
            deliver(ctx, msg);
            return;
        }
        if (!(msg instanceof Handshake h)) {
            reject(ctx, new MalformedFrameException(Reason.HANDSHAKE, "expected a handshake first, got "
                    + msg.getClass().getSimpleName()));
            return;
        }
        try {
            context.validate(h);
            if (!h.nodeId().equals(peer.peerId())) {
                throw new MalformedFrameException(Reason.HANDSHAKE, "dialled node '" + peer.peerId() + "' at "
                        + peer.address() + " but node '" + ConnectionContext.printable(h.nodeId()) + "' answered");
            }
        } catch (MalformedFrameException e) {
            reject(ctx, e);
            return;
        }
        handshakeAccepted(h.nodeId());
        peer.onHandshaken(ctx.channel());
    }
}
