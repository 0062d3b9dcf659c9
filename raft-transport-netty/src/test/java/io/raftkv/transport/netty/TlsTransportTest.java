package io.raftkv.transport.netty;

import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.TimeoutNow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

class TlsTransportTest {
    @TempDir
    static Path dir;
    static TestCertificates ca;
    static TestCertificates otherCa;

    @BeforeAll
    static void certificates() throws Exception {
        ca = new TestCertificates(dir, "cluster-ca");
        otherCa = new TestCertificates(dir, "rogue-ca");
    }

    private static TestNode tlsNode(String id, String ip, TlsConfig tls) throws Exception {
        return TestNode.start(id, ip, 0, cfg -> cfg.tls(tls));
    }

    @Test
    void nodesWithCertificatesOfTheClusterCaTalkOverMutualTls() throws Exception {
        try (TestNode a = tlsNode("a", "127.0.0.2", ca.nodeTls("a", "127.0.0.2", true));
             TestNode b = tlsNode("b", "127.0.0.3", ca.nodeTls("b", "127.0.0.3", true))) {
            TestNode.mesh(a, b);
            RandomMessages gen = new RandomMessages(5);
            for (int kind = 0; kind < RandomMessages.TYPE_COUNT; kind++) {
                RaftMessage m = gen.message(kind, "a", "b");
                a.transport.send(m);
                RandomMessages.assertSameMessage(m, b.take("kind " + kind), "over TLS");
            }
        }
    }

    @Test
    void aNodeWhoseCertificateIsFromAnotherCaIsRejected() throws Exception {
        TlsConfig rogue = otherCa.nodeTls("r", "127.0.0.4", true);
        // The rogue trusts the cluster CA, so only a's check of the client certificate can stop it.
        TlsConfig rogueTrustingClusterCa = new TlsConfig(rogue.certChain(), rogue.privateKey(), ca.caPath(), true);
        try (TestNode a = tlsNode("a", "127.0.0.2", ca.nodeTls("a", "127.0.0.2", true));
             TestNode r = tlsNode("r", "127.0.0.4", rogueTrustingClusterCa)) {
            r.transport.updatePeers(List.of(a.member()));
            TestNode.awaitTrue(() -> a.counter("raft.transport.connections.rejected", "reason", "tls") >= 1,
                    Duration.ofSeconds(10), "a rejects the rogue's certificate");
            assertFalse(r.transport.isConnected("a"));
            r.transport.send(new TimeoutNow("r", "a", 1));
            assertNull(a.poll(Duration.ofMillis(200)));
        }
    }

    @Test
    void aPlainTextNodeCannotTalkToATlsNode() throws Exception {
        try (TestNode a = tlsNode("a", "127.0.0.2", ca.nodeTls("a", "127.0.0.2", true));
             TestNode p = TestNode.start("p", "127.0.0.3")) {
            p.transport.updatePeers(List.of(a.member()));
            TestNode.awaitTrue(() -> a.counter("raft.transport.connections.rejected", "reason", "tls") >= 1,
                    Duration.ofSeconds(10), "a rejects plain text");
            assertFalse(p.transport.isConnected("a"));
        }
    }

    @Test
    void aCertificateForAnotherHostFailsHostnameVerification() throws Exception {
        // b's certificate names 127.0.0.9, but b listens on 127.0.0.3.
        try (TestNode a = tlsNode("a", "127.0.0.2", ca.nodeTls("a", "127.0.0.2", true));
             TestNode b = tlsNode("b", "127.0.0.3", ca.nodeTls("b", "127.0.0.9", true))) {
            a.transport.updatePeers(List.of(b.member()));
            TestNode.awaitTrue(() -> a.counter("raft.transport.connections.rejected", "reason", "tls") >= 1,
                    Duration.ofSeconds(10), "a refuses b's certificate for the wrong host");
            assertFalse(a.transport.isConnected("b"));
        }
    }
}
