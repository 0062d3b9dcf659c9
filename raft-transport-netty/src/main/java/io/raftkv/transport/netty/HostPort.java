package io.raftkv.transport.netty;

import java.net.InetSocketAddress;

/**
 * A parsed {@code host:port} ({@code [v6addr]:port} for IPv6), as {@link io.raftkv.core.cluster.Member} carries.
 *
 * @param host the host name or address literal (without IPv6 brackets), never blank
 * @param port 0-65535; 0 only makes sense for a listen address (pick a free port)
 */
public record HostPort(String host, int port) {

    /**
     * Parses without resolving the host.
     *
     * @throws IllegalArgumentException for a null, empty or malformed address, naming the problem
     */
    public static HostPort parse(String address) {
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("missing host:port");
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + address + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("no host in '" + address + "'");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + address + "'", e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range in '" + address + "'");
        }
        return new HostPort(host, port);
    }

    /** Resolves now (not cached), so that a peer whose name moved is found at its new address on reconnect. */
    InetSocketAddress resolve() {
        return new InetSocketAddress(host, port);
    }
}
