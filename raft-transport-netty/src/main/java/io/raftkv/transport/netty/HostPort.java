package io.raftkv.transport.netty;

import java.net.InetSocketAddress;

/** A parsed {@code host:port} ({@code [v6addr]:port} for IPv6), as {@link io.raftkv.core.cluster.Member} carries. */
record HostPort(String host, int port) {

    static HostPort parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + address + "'");
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
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
