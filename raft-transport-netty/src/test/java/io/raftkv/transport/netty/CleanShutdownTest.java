package io.raftkv.transport.netty;

import io.raftkv.core.message.TimeoutNow;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * After {@link NettyTransport#close()} no event-loop thread and no file descriptor is left behind, also with
 * connections up, peers dialling a dead address, and TLS.
 */
class CleanShutdownTest {

    @Test
    void closeLeavesNoThreadsAndNoFileDescriptors() throws Exception {
        runCluster(); // warm-up: class loading and JDK internals open their files once
        awaitNoTransportThreads();
        long fdsBefore = openFileDescriptors();
        List<String> before = describeFileDescriptors();

        runCluster();

        awaitNoTransportThreads();
        // File descriptors of closed sockets are released by the event loops as they stop; allow them a moment.
        TestNode.awaitTrue(() -> openFileDescriptors() <= fdsBefore, Duration.ofSeconds(10),
                "open fds back to " + fdsBefore + " (now " + openFileDescriptors() + "); new: "
                        + newFileDescriptors(before));
        assertEquals(0, transportThreads());
    }

    private static void runCluster() throws Exception {
        TestCertificates ca = new TestCertificates(java.nio.file.Files.createTempDirectory("raftkv-tls"), "ca");
        try (TestNode a = TestNode.start("a", "127.0.0.2", 0, cfg -> cfg.ioThreads(2));
             TestNode b = TestNode.start("b", "127.0.0.3");
             TestNode c = TestNode.start("c", "127.0.0.4");
             TestNode t1 = TestNode.start("t1", "127.0.0.5", 0, cfg -> cfg.tls(tlsOf(ca, "t1", "127.0.0.5")));
             TestNode t2 = TestNode.start("t2", "127.0.0.6", 0, cfg -> cfg.tls(tlsOf(ca, "t2", "127.0.0.6")))) {
            TestNode.mesh(a, b, c);
            TestNode.mesh(t1, t2);
            // A peer that does not exist: a keeps re-dialling it until close.
            a.transport.updatePeers(List.of(a.member(), b.member(), c.member(),
                    io.raftkv.core.cluster.Member.voter("ghost", "127.0.0.7:1")));
            for (int i = 0; i < 100; i++) {
                a.transport.send(new TimeoutNow("a", "b", i));
                t1.transport.send(new TimeoutNow("t1", "t2", i));
            }
            b.take("a message");
            t2.take("a TLS message");
            Thread.sleep(200);
        }
    }

    private static TlsConfig tlsOf(TestCertificates ca, String id, String ip) {
        try {
            return ca.nodeTls(id, ip, true);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitNoTransportThreads() {
        TestNode.awaitTrue(() -> transportThreads() == 0, Duration.ofSeconds(10),
                "no thread named " + NettyTransport.THREAD_PREFIX + "* (have " + transportThreads() + ")");
    }

    private static long transportThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(NettyTransport.THREAD_PREFIX))
                .count();
    }

    private static List<String> describeFileDescriptors() {
        List<String> out = new java.util.ArrayList<>();
        String[] fds = new File("/proc/self/fd").list();
        if (fds != null) {
            for (String fd : fds) {
                try {
                    out.add(fd + "->" + java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd", fd)));
                } catch (java.io.IOException e) {
                    // closed while listing
                }
            }
        }
        return out;
    }

    private static List<String> newFileDescriptors(List<String> before) {
        List<String> now = describeFileDescriptors();
        now.removeAll(before);
        List<String> out = new java.util.ArrayList<>(now);
        try {
            List<String> lines = new java.util.ArrayList<>();
            for (String table : List.of("tcp", "tcp6", "udp", "udp6", "unix")) {
                lines.addAll(java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/" + table)));
            }
            for (String line : lines) {
                for (String fd : now) {
                    String inode = fd.replaceAll(".*socket:\\[(\\d+)\\].*", "$1");
                    if (line.contains(" " + inode + " ")) {
                        out.add(line.trim());
                    }
                }
            }
        } catch (java.io.IOException e) {
            out.add(e.toString());
        }
        return out;
    }

    private static long openFileDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}
