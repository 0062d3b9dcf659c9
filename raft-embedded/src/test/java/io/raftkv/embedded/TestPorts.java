package io.raftkv.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Free loopback ports for tests that start servers on ports chosen in advance (a cluster's members must know each
 * other's addresses before any of them binds). The ports come from <em>below</em> the kernel's ephemeral range
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}, 32768-60999 by default): a port found free by binding port 0
 * lies inside that range, and an outgoing connection of the test itself (a node dialling its peers) may take it as
 * its source port before the server binds it — "Address already in use" once in a few hundred runs. Below the range
 * only a listener can take a port, and this class checks that none does. Each port is handed out once per JVM; the
 * start is random per process, so two test JVMs rarely probe the same ports.
 */
public final class TestPorts {
    private static final Set<Integer> GIVEN = new HashSet<>();
    private static final int HIGHEST = ephemeralLow() - 1;
    private static final int LOWEST = Math.max(1024, HIGHEST - 12_000);
    private static int next = LOWEST + new SplittableRandom(ProcessHandle.current().pid()).nextInt(HIGHEST - LOWEST);

    private TestPorts() {
    }

    /** A loopback port that no listener holds now and this JVM has not handed out before. */
    public static int free() {
        return freeRun(1);
    }

    /**
     * The first of {@code n} consecutive loopback ports, all free now and none handed out before (for a command
     * that takes a base port and uses base, base+1, …); all {@code n} count as handed out.
     */
    public static synchronized int freeRun(int n) {
        if (n < 1 || n > 100) {
            throw new IllegalArgumentException("a run of 1-100 ports, not " + n);
        }
        for (int tries = 0; tries <= HIGHEST - LOWEST; tries++) {
            int base = next;
            next = next + n > HIGHEST ? LOWEST : next + n;
            if (base + n - 1 <= HIGHEST && allFree(base, n)) {
                for (int i = 0; i < n; i++) {
                    GIVEN.add(base + i);
                }
                return base;
            }
        }
        throw new IllegalStateException("no run of " + n + " free loopback ports in " + LOWEST + "-" + HIGHEST);
    }

    private static boolean allFree(int base, int n) {
        for (int i = 0; i < n; i++) {
            if (GIVEN.contains(base + i) || !bindable(base + i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > 14_000 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
