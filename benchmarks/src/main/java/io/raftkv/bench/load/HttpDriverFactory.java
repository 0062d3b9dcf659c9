package io.raftkv.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What the HTTP drivers' factories share: every client's {@link HttpConnection} on {@code kvbench.io.threads}
 * Netty event loops (default 1), made on the first connect and shut down by {@link #close()}. A client's next
 * request is written from the event loop that read the previous answer, so a request costs the generator no thread
 * hand-off — about as cheap per operation as the etcd driver's gRPC client (kvbench prints both generators' CPU per
 * operation).
 */
abstract class HttpDriverFactory implements KvDriverFactory {
    private EventLoopGroup loops;
    private Bootstrap bootstrap;

    /** The bootstrap every connection clones; the event loops start on the first call. */
    protected final synchronized Bootstrap bootstrap(Duration timeout) {
        if (loops == null) {
            int threads = Integer.getInteger("kvbench.io.threads", 1);
            loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("kvbench-io", true),
                    NioIoHandler.newFactory());
            bootstrap = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis());
        }
        return bootstrap;
    }

    @Override
    public synchronized void close() {
        if (loops != null) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            loops = null;
        }
    }
}
