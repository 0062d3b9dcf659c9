package io.raftkv.transport.netty;

import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.raftkv.core.transport.MessageHandler;

import java.util.function.Predicate;

/**
 * What every connection handler of one transport shares: its settings, meters, log limiter, the handler
 * inbound messages go to, who the configured peers are (for metric tags), the TLS contexts (null without
 * TLS), and the group of every open connection (closed explicitly on shutdown).
 */
record ConnectionContext(NettyTransportConfig config, TransportMetrics metrics, RateLimitedLogger log,
                         MessageHandler handler, Predicate<String> isKnownPeer, SslContext serverSsl,
                         SslContext clientSsl, ChannelGroup channels,
                         java.util.concurrent.ConcurrentMap<String, io.netty.channel.Channel> inboundByPeer) {

    Handshake ownHandshake() {
        return new Handshake(WireFormat.PROTOCOL_VERSION, config.clusterId(), config.nodeId());
    }

    /** The peer id as a metric tag: unknown ids collapse to one tag so input cannot create meters. */
    String peerTag(String peerId) {
        return peerId != null && isKnownPeer.test(peerId) ? peerId : TransportMetrics.UNKNOWN_PEER;
    }

    /**
     * Checks a received handshake against this node's protocol version and cluster id.
     *
     * @throws MalformedFrameException with reason HANDSHAKE and a message that says what did not match
     */
    void validate(Handshake h) {
        if (h.protocolVersion() != WireFormat.PROTOCOL_VERSION) {
            throw new MalformedFrameException(MalformedFrameException.Reason.HANDSHAKE, "node '"
                    + printable(h.nodeId()) + "' speaks protocol version " + h.protocolVersion() + ", this node speaks "
                    + WireFormat.PROTOCOL_VERSION);
        }
        if (!h.clusterId().equals(config.clusterId())) {
            throw new MalformedFrameException(MalformedFrameException.Reason.HANDSHAKE, "node '"
                    + printable(h.nodeId()) + "' belongs to cluster '" + printable(h.clusterId())
                    + "', this node to '" + config.clusterId() + "'");
        }
        if (h.nodeId().isBlank()) {
            throw new MalformedFrameException(MalformedFrameException.Reason.HANDSHAKE, "blank node id in handshake");
        }
    }

    /**
     * A remote-supplied string made safe for a log line: control characters escaped (no forged log lines) and
     * cut to 64 characters.
     */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 64) + 8);
        for (int i = 0; i < s.length(); i++) {
            if (sb.length() >= 64) {
                return sb.append("...").toString();
            }
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
