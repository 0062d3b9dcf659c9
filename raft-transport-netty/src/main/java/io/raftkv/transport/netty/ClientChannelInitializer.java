package io.raftkv.transport.netty;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;

/**
 * Pipeline of an outbound connection: [TLS] → flush consolidation → frame decoder → client handshake handler.
 * Messages are encoded by the sender before they are written, so there is no encoder in the pipeline.
 */
final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {
    /** Flush at the latest after this many consolidated flush requests, even if the loop stays busy. */
    private static final int EXPLICIT_FLUSH_AFTER_FLUSHES = 256;

    private final ConnectionContext context;
    private final PeerConnection peer;

    ClientChannelInitializer(ConnectionContext context, PeerConnection peer) {
        this.context = context;
        this.peer = peer;
    }

    @Override
    protected void initChannel(SocketChannel ch) throws Exception {
        context.channels().add(ch); // closed explicitly by NettyTransport.close()
        ChannelPipeline p = ch.pipeline();
        SslContext ssl = context.clientSsl();
        if (ssl != null) {
            HostPort hp = HostPort.parse(peer.address());
            p.addLast("tls", ssl.newHandler(ch.alloc(), hp.host(), hp.port()));
        }
        // Many writes from the raft thread become one flush (one syscall) per event-loop turn.
        p.addLast("flush", new FlushConsolidationHandler(EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        p.addLast("frames", new FrameDecoder(context.config().maxFrameBytes()));
        p.addLast("handshake", new ClientConnectionHandler(context, peer));
    }
}
