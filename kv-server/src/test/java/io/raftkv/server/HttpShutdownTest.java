package io.raftkv.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Closing a node ends every HTTP connection it holds. A keep-alive connection left open by a closed node is a
 * trap for pooling clients: after a restart on the same port they reuse it, and their request sits unread in a
 * socket nobody serves until the client's timeout (this is how SnapshotHttpTest once failed under CPU load).
 */
class HttpShutdownTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void closingANode_endsItsKeepAliveConnections() throws Exception {
        try (TestCluster c = new TestCluster(dir, 1, Duration.ofSeconds(5), ServerConfig.DEFAULT_MAX_BODY_BYTES)) {
            c.awaitLeader(Duration.ofSeconds(30));
            Socket[] sockets = new Socket[3];
            try {
                for (int i = 0; i < sockets.length; i++) {
                    sockets[i] = new Socket();
                    sockets[i].connect(c.nodes.get("n1").httpAddress(), 2000);
                    sockets[i].setSoTimeout(10_000);
                    if (i < 2) { // two that have been used (keep-alive, idle in a pool), one never used
                        sockets[i].getOutputStream().write(
                                "GET /status HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        readOneResponse(sockets[i].getInputStream());
                    }
                }
                c.stop("n1");
                for (Socket s : sockets) {
                    try {
                        assertEquals(-1, s.getInputStream().read(), "nothing more after the node closed");
                    } catch (SocketTimeoutException e) {
                        fail("the connection stayed open after the node closed");
                    } catch (java.net.SocketException e) {
                        // a reset also ends the connection
                    }
                }
            } finally {
                for (Socket s : sockets) {
                    if (s != null) {
                        s.close();
                    }
                }
            }
        }
    }

    /** Reads the head and the Content-Length body of one HTTP response. */
    private static void readOneResponse(InputStream in) throws Exception {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertTrue(b >= 0, "connection closed inside a response head: " + head);
            head.append((char) b);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        assertEquals(length, in.readNBytes(length).length);
    }
}
