package io.raftkv.embedded;

import io.raftkv.core.cluster.Member;
import io.raftkv.transport.netty.HostPort;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Member addresses, checked where they are given rather than discovered at run time: a member whose address is
 * empty or not {@code host:port} would be unreachable (its peers log a warning on every dial) and, among the voters
 * of a new cluster, could keep it from ever electing a leader.
 */
public final class Members {
    private Members() {
    }

    /**
     * Parses {@code host:port} ({@code [v6addr]:port} for IPv6) without resolving the host; port 0 is allowed (a
     * listen address that picks a free port), see {@link #member} for addresses peers dial.
     *
     * @param what names the value in the error message (a flag, a member)
     * @throws IllegalArgumentException naming {@code what} and the problem
     */
    public static InetSocketAddress parseHostPort(String s, String what) {
        try {
            HostPort hp = HostPort.parse(s);
            return InetSocketAddress.createUnresolved(hp.host(), hp.port());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage());
        }
    }

    /**
     * A voter whose address peers can dial: a non-blank id and {@code host:port} with a port in 1..65535.
     *
     * @throws IllegalArgumentException if either is not
     */
    public static Member voter(String id, String address) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a member needs an id, got '" + id + "'");
        }
        InetSocketAddress a = parseHostPort(address, "address of member " + id);
        if (a.getPort() == 0) {
            throw new IllegalArgumentException("address of member " + id + ": port 0 cannot be dialled ('"
                    + address + "'); give the port the member listens on");
        }
        return Member.voter(id, address);
    }

    /**
     * Parses {@code n1=host:port,n2=host:port} into id → address, in order; ids must be unique.
     *
     * @param what names the value in error messages (e.g. {@code --peers})
     */
    public static Map<String, String> parse(String spec, String what) {
        Map<String, String> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String part : spec.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1) {
                throw new IllegalArgumentException(what + ": expected id=host:port, got '" + p + "'");
            }
            String id = p.substring(0, eq).trim();
            String addr = p.substring(eq + 1).trim();
            parseHostPort(addr, what + " " + id);
            if (out.put(id, addr) != null) {
                throw new IllegalArgumentException(what + ": duplicate id " + id);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Voters from id → address, each checked with {@link #voter}; ids are unique by construction. */
    public static List<Member> voters(Map<String, String> addresses) {
        List<Member> out = new ArrayList<>();
        addresses.forEach((id, address) -> out.add(voter(id, address)));
        return out;
    }
}
