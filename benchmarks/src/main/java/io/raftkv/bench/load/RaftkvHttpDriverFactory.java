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
 * {@code --driver raftkv}: raftkv's HTTP API over Netty's HTTP/1.1 client codec, one keep-alive connection per
 * client, all on {@code kvbench.io.threads} event loops (default 1). A client's next request is written from the
 * event loop that read the previous answer, so a request costs the generator no thread hand-off — about as cheap
 * per operation as the etcd driver's gRPC client (kvbench prints both generators' CPU per operation).
 */
public final class RaftkvHttpDriverFactory implements KvDriverFactory {
    private EventLoopGroup loops;
    private Bootstrap bootstrap;
    private boolean sessions;

    /** {@code --sessions}: drivers made from now on put in a client session each. */
    public synchronized void useSessions() {
        sessions = true;
    }

    @Override
    public String name() {
        return "raftkv";
    }

    @Override
    public synchronized KvDriver connect(String endpoint, String readLevel, Duration timeout) {
        if (!readLevel.equals("linearizable") && !readLevel.equals("lease") && !readLevel.equals("stale")) {
            throw new IllegalArgumentException("raftkv has no read level '" + readLevel + "'");
        }
        if (loops == null) {
            int threads = Integer.getInteger("kvbench.io.threads", 1);
            loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("kvbench-io", true),
                    NioIoHandler.newFactory());
            bootstrap = new Bootstrap().group(loops).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis());
        }
        return new RaftkvHttpDriver(bootstrap, endpoint, readLevel, timeout, sessions);
    }

    @Override
    public synchronized void close() {
        if (loops != null) {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            loops = null;
        }
    }
}
