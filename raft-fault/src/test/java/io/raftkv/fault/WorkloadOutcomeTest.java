package io.raftkv.fault;

import com.sun.net.httpserver.HttpServer;
import io.raftkv.verify.HistoryRecorder;
import io.raftkv.verify.OpKind;
import io.raftkv.verify.Operation;
import io.raftkv.verify.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How {@link Workload} records each kind of answer. This mapping decides whether the checker can be trusted:
 * calling an applied write FAIL makes false alarms, calling an unknown outcome OK hides real ones. A fake node
 * (JDK HttpServer on the node's 127.0.0.x address) answers what each case needs.
 */
class WorkloadOutcomeTest {
    @TempDir
    Path dir;

    private ServerProcesses servers;
    private HttpServer fake;
    private volatile int status;
    private volatile String body = "";
    private volatile long delayMs;
    private final HistoryRecorder recorder = new HistoryRecorder();
    private Workload workload;

    @BeforeEach
    void startFakeNode() throws Exception {
        servers = new ServerProcesses(dir.resolve("no.jar"), dir, 1, 250, List.of());
        ServerProcesses.Node n = servers.node("n1");
        fake = HttpServer.create(new InetSocketAddress(n.host(), n.httpPort()), 0);
        fake.createContext("/", exchange -> {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getRequestBody().readAllBytes();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, status == 204 ? -1 : b.length == 0 ? -1 : b.length);
            if (status != 204 && b.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(b);
                }
            }
            exchange.close();
        });
        fake.start();
        workload = new Workload(recorder, servers, 1, Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        if (fake != null) {
            fake.stop(0);
        }
        servers.close();
    }

    private Operation last() {
        List<Operation> ops = recorder.history().operations();
        return ops.get(ops.size() - 1);
    }

    private void answer(int s, String b) {
        status = s;
        body = b;
    }

    @Test
    void readsAreOkWithTheirValueOrAbsentAndFailOn503() {
        answer(200, "{\"k0\":\"v1\"}");
        assertEquals(Outcome.OK, workload.read(0, "n1", "k0", "linearizable"));
        assertEquals("v1", last().output());
        assertEquals(OpKind.READ, last().kind());
        assertEquals("n1#0/linearizable", last().node());
        answer(404, "{\"error\":\"key not found\"}");
        workload.read(0, "n1", "k0", "stale");
        assertEquals(Outcome.OK, last().outcome());
        assertNull(last().output());
        assertEquals(OpKind.STALE_READ, last().kind());
        assertEquals("n1#0", last().node(), "a stale read's session is the node incarnation itself");
        answer(503, "{\"error\":\"no leader\"}");
        assertEquals(Outcome.FAIL, workload.read(0, "n1", "k0", "lease"));
        assertTrue(workload.leaseReads().contains(last().id()));
        answer(500, "{\"error\":\"boom\"}");
        assertEquals(Outcome.UNKNOWN, workload.read(0, "n1", "k0", "linearizable"));
    }

    @Test
    void writesAreOkOn204FailOn503AndUnknownOn504() {
        answer(204, "");
        assertEquals(Outcome.OK, workload.write(1, "n1", "k0", "v"));
        assertEquals("v", last().value());
        assertEquals(Outcome.OK, workload.write(1, "n1", "k0", null));
        assertNull(last().value(), "DELETE is a write of absent");
        answer(503, "{\"error\":\"not applied\"}");
        assertEquals(Outcome.FAIL, workload.write(1, "n1", "k0", "v"));
        answer(504, "{\"error\":\"outcome unknown\"}");
        assertEquals(Outcome.UNKNOWN, workload.write(1, "n1", "k0", "v"));
    }

    @Test
    void aCasThatDidNotMatchIsOkNotFailed() {
        answer(200, "{\"swapped\":true}");
        assertEquals(Outcome.OK, workload.cas(2, "n1", "k0", null, "v"));
        assertTrue(last().swapped());
        answer(409, "{\"current\":\"x\"}");
        assertEquals(Outcome.OK, workload.cas(2, "n1", "k0", "y", "v"));
        assertFalse(last().swapped());
        assertEquals("y", last().expected());
    }

    @Test
    void aResponseTimeoutIsUnknownButARefusedConnectionIsFail() {
        answer(204, "");
        delayMs = 3500; // longer than the 2 s client timeout: the write may have been applied
        assertEquals(Outcome.UNKNOWN, workload.write(3, "n1", "k0", "v"));
        delayMs = 0;
        fake.stop(0);
        fake = null;
        assertEquals(Outcome.FAIL, workload.write(3, "n1", "k0", "v"), "nothing listens: the request never left");
    }
}
