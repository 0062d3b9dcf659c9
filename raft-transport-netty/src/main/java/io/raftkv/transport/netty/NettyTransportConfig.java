package io.raftkv.transport.netty;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link NettyTransport}. Build with {@link #builder(String, String, String)}.
 *
 * <table>
 *   <caption>NettyTransport options</caption>
 *   <tr><th>option</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>nodeId</td><td>(required)</td><td>this node's id, sent in the handshake</td></tr>
 *   <tr><td>clusterId</td><td>(required)</td><td>connections from other clusters are refused</td></tr>
 *   <tr><td>listenAddress</td><td>(required)</td><td>{@code host:port} the inbound server binds (port 0 picks
 *       a free port, see {@link NettyTransport#localAddress()})</td></tr>
 *   <tr><td>localBindHost</td><td>host of listenAddress</td><td>local address of outbound sockets, so that each
 *       node on one machine has its own 127.0.0.x and firewall rules can cut single pairs</td></tr>
 *   <tr><td>maxFrameBytes</td><td>16 MiB</td><td>larger frames are refused (connection closed) and larger
 *       messages are not sent; must exceed the core's maxAppendBytes and snapshot chunk size</td></tr>
 *   <tr><td>backoffMin / backoffMax</td><td>50 ms / 2 s</td><td>reconnect delay, doubling per failed attempt,
 *       capped; lower max = a restarted peer is found sooner, at the cost of more connect attempts</td></tr>
 *   <tr><td>connectTimeout</td><td>1 s</td><td>TCP connect timeout</td></tr>
 *   <tr><td>handshakeTimeout</td><td>5 s</td><td>a connection that has not completed its handshake by then is
 *       closed</td></tr>
 *   <tr><td>writeBufferLow / HighWaterMark</td><td>1 MiB / 4 MiB</td><td>per peer; above high the peer is
 *       "not writable" and messages to it are dropped (and counted) until the buffer drains below low</td></tr>
 *   <tr><td>ioThreads</td><td>2</td><td>Netty event-loop threads (inbound and outbound share them)</td></tr>
 *   <tr><td>tls</td><td>null (plain TCP)</td><td>mutual TLS, see {@link TlsConfig}</td></tr>
 * </table>
 */
public record NettyTransportConfig(String nodeId, String clusterId, String listenAddress, String localBindHost,
                                   int maxFrameBytes, Duration backoffMin, Duration backoffMax,
                                   Duration connectTimeout, Duration handshakeTimeout,
                                   int writeBufferLowWaterMark, int writeBufferHighWaterMark, int ioThreads,
                                   TlsConfig tls) {

    public NettyTransportConfig {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(listenAddress, "listenAddress");
        HostPort listen = HostPort.parse(listenAddress);
        if (localBindHost == null || localBindHost.isBlank()) {
            localBindHost = listen.host();
        }
        if (nodeId.isBlank() || clusterId.isBlank()) {
            throw new IllegalArgumentException("nodeId and clusterId must not be blank");
        }
        if (maxFrameBytes < 1024) {
            throw new IllegalArgumentException("maxFrameBytes must be >= 1024, got " + maxFrameBytes);
        }
        Objects.requireNonNull(backoffMin, "backoffMin");
        Objects.requireNonNull(backoffMax, "backoffMax");
        if (backoffMin.isNegative() || backoffMin.isZero() || backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("need 0 < backoffMin <= backoffMax");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (writeBufferLowWaterMark < 1 || writeBufferHighWaterMark < writeBufferLowWaterMark) {
            throw new IllegalArgumentException("need 0 < writeBufferLowWaterMark <= writeBufferHighWaterMark");
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads must be >= 1");
        }
    }

    public static Builder builder(String nodeId, String clusterId, String listenAddress) {
        return new Builder(nodeId, clusterId, listenAddress);
    }

    /** A builder starting from the defaults in the table above. */
    public Builder toBuilder() {
        return new Builder(nodeId, clusterId, listenAddress).localBindHost(localBindHost)
                .maxFrameBytes(maxFrameBytes).backoff(backoffMin, backoffMax).connectTimeout(connectTimeout)
                .handshakeTimeout(handshakeTimeout).writeBufferWaterMarks(writeBufferLowWaterMark,
                        writeBufferHighWaterMark).ioThreads(ioThreads).tls(tls);
    }

    /** Builder for {@link NettyTransportConfig}; every setter has the default of the table above. */
    public static final class Builder {
        private String nodeId;
        private String clusterId;
        private String listenAddress;
        private String localBindHost;
        private int maxFrameBytes = WireFormat.DEFAULT_MAX_FRAME_BYTES;
        private Duration backoffMin = Duration.ofMillis(50);
        private Duration backoffMax = Duration.ofSeconds(2);
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Duration handshakeTimeout = Duration.ofSeconds(5);
        private int writeBufferLowWaterMark = 1 << 20;
        private int writeBufferHighWaterMark = 4 << 20;
        private int ioThreads = 2;
        private TlsConfig tls;

        private Builder(String nodeId, String clusterId, String listenAddress) {
            this.nodeId = nodeId;
            this.clusterId = clusterId;
            this.listenAddress = listenAddress;
        }

        public Builder listenAddress(String v) {
            listenAddress = v;
            return this;
        }

        public Builder localBindHost(String v) {
            localBindHost = v;
            return this;
        }

        public Builder maxFrameBytes(int v) {
            maxFrameBytes = v;
            return this;
        }

        public Builder backoff(Duration min, Duration max) {
            backoffMin = min;
            backoffMax = max;
            return this;
        }

        public Builder connectTimeout(Duration v) {
            connectTimeout = v;
            return this;
        }

        public Builder handshakeTimeout(Duration v) {
            handshakeTimeout = v;
            return this;
        }

        public Builder writeBufferWaterMarks(int low, int high) {
            writeBufferLowWaterMark = low;
            writeBufferHighWaterMark = high;
            return this;
        }

        public Builder ioThreads(int v) {
            ioThreads = v;
            return this;
        }

        public Builder tls(TlsConfig v) {
            tls = v;
            return this;
        }

        public NettyTransportConfig build() {
            return new NettyTransportConfig(nodeId, clusterId, listenAddress, localBindHost, maxFrameBytes,
                    backoffMin, backoffMax, connectTimeout, handshakeTimeout, writeBufferLowWaterMark,
                    writeBufferHighWaterMark, ioThreads, tls);
        }
    }
}
