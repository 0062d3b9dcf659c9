package io.raftkv.transport.netty;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;

/** Pipeline of an inbound connection: [TLS] → frame decoder → server connection handler. */
final class ServerChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final ConnectionContext context;

    ServerChannelInitializer(ConnectionContext context) {
        this.context = context;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        context.channels().add(ch); // closed explicitly by NettyTransport.close()
        ChannelPipeline p = ch.pipeline();
        SslContext ssl = context.serverSsl();
        if (ssl != null) {
            p.addLast("tls", ssl.newHandler(ch.alloc()));
        }
        p.addLast("frames", new FrameDecoder(context.config().maxFrameBytes()));
        p.addLast("connection", new ServerConnectionHandler(context));
    }
}
