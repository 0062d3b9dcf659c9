package io.raftkv.server.ui;

import java.net.URI;
import java.util.Collection;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Which browser origins may read this server's answers across origins (CORS): the pages served by the cluster's own
 * members. The page at {@code http://n1/ui/} reads {@code /status} and {@code /ui/events} of every member; no other
 * web site may (the browser then withholds the answer). An origin is a member's if it is {@code http://} + the
 * member's HTTP address, or both name a loopback host (localhost, 127.x, [::1]) with the same port.
 */
final class MemberOrigins {
    private final Supplier<? extends Collection<String>> memberHttpAddresses;

    /** @param memberHttpAddresses the {@code host:port} each member serves HTTP on, as currently known */
    MemberOrigins(Supplier<? extends Collection<String>> memberHttpAddresses) {
        this.memberHttpAddresses = memberHttpAddresses;
    }

    boolean allows(String origin) {
        if (origin == null || origin.isEmpty()) {
            return false;
        }
        HostPort o = HostPort.ofOrigin(origin);
        if (o == null) {
            return false;
        }
        for (String address : memberHttpAddresses.get()) {
            HostPort m = HostPort.ofOrigin("http://" + address);
            if (m != null && m.port == o.port && (m.host.equals(o.host) || (m.loopback() && o.loopback()))) {
                return true;
            }
        }
        return false;
    }

    private record HostPort(String host, int port) {
        static HostPort ofOrigin(String origin) {
            try {
                URI u = new URI(origin);
                if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null || u.getPort() < 0
                        || (u.getPath() != null && !u.getPath().isEmpty())) {
                    return null;
                }
                return new HostPort(u.getHost().toLowerCase(Locale.ROOT), u.getPort());
            } catch (java.net.URISyntaxException e) {
                return null;
            }
        }

        boolean loopback() {
            return host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
        }
    }
}
