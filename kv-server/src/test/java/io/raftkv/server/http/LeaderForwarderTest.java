package io.raftkv.server.http;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.raftkv.plugin.http.Reply;
import io.raftkv.plugin.http.Request;
import io.raftkv.server.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The forwarder against fake leaders: one that answers, one that is not there, one that swallows requests. */
@Timeout(60)
class LeaderForwarderTest {
    private EventLoopGroup loops;
    private SimpleMeterRegistry registry;
    private LeaderForwarder forwarder;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        registry = new SimpleMeterRegistry();
        forwarder = new LeaderForwarder("n2", Duration.ofMillis(2000), registry, loops);
    }

    @AfterEach
    void tearDown() throws Exception {
        forwarder.close();
        for (AutoCloseable c : toClose) {
            c.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static Request put(String key, String value) {
        return new Request("PUT", "/key/" + key, "/key/" + key, Map.of(), value.getBytes(StandardCharsets.UTF_8), null);
    }

    private static Request get(String key) {
        return new Request("GET", "/key/" + key + "?level=linearizable", "/key/" + key, Map.of(), new byte[0], null);
    }

    @Test
    void passesTheLeadersAnswerThroughAndReusesConnections() throws Exception {
        AtomicReference<String> forwardedBy = new AtomicReference<>();
        HttpServer leader = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        leader.createContext("/", ex -> {
            forwardedBy.set(ex.getRequestHeaders().getFirst(LeaderForwarder.FORWARDED_HEADER));
            byte[] body = ex.getRequestBody().readAllBytes();
            byte[] answer = ("{\"got\":\"" + ex.getRequestMethod() + " " + ex.getRequestURI() + " "
                    + new String(body, StandardCharsets.UTF_8) + "\"}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(409, answer.length);
            ex.getResponseBody().write(answer);
            ex.close();
        });
        java.util.concurrent.ExecutorService workers = java.util.concurrent.Executors.newFixedThreadPool(4);
        leader.setExecutor(workers);
        leader.start();
        toClose.add(workers::shutdownNow);
        toClose.add(() -> leader.stop(0));
        String addr = "127.0.0.1:" + leader.getAddress().getPort();
        for (int i = 0; i < 50; i++) {
            Reply r = forwarder.forward("n1", addr, put("k" + i, "v" + i), true).get(10, TimeUnit.SECONDS);
            assertEquals(409, r.status(), "status passed through unchanged");
            assertEquals("application/json", r.contentType());
            assertEquals("{\"got\":\"PUT /key/k" + i + " v" + i + "\"}", new String(r.body(), StandardCharsets.UTF_8));
        }
        assertEquals("n2", forwardedBy.get(), "the forwarded header names the forwarding server");
        assertEquals(50.0, registry.counter("kv.http.forwarded", "result", "answered").count());
        // Concurrent forwards share the pool.
        List<CompletableFuture<Reply>> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(forwarder.forward("n1", addr, get("c" + i), false));
        }
        for (CompletableFuture<Reply> f : many) {
            Reply r = f.get(10, TimeUnit.SECONDS);
            assertEquals(409, r.status(), new String(r.body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aRequestIsForwardedAndAnsweredOnItsOwnConnectionsLoop() throws Exception {
        HttpServer leader = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        leader.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        leader.start();
        toClose.add(() -> leader.stop(0));
        String addr = "127.0.0.1:" + leader.getAddress().getPort();
        for (io.netty.util.concurrent.EventExecutor executor : loops) {
            io.netty.channel.EventLoop loop = (io.netty.channel.EventLoop) executor;
            for (int i = 0; i < 10; i++) {
                Request request = new Request("PUT", "/key/k" + i, "/key/k" + i, Map.of(),
                        new byte[] {'v'}, null, loop);
                // As the HTTP handler does: forward from the connection's loop, look where the answer arrives.
                CompletableFuture<Boolean> answeredOnLoop = loop.submit(
                        () -> forwarder.forward("n1", addr, request, true).thenApply(r -> {
                            assertEquals(204, r.status());
                            return loop.inEventLoop();
                        })).get(10, TimeUnit.SECONDS);
                assertTrue(answeredOnLoop.get(10, TimeUnit.SECONDS),
                        "the leader's answer completes on the loop the request came from: no thread hand-off");
            }
        }
        assertEquals(20.0, registry.counter("kv.http.forwarded", "result", "answered").count());
    }

    @Test
    void anUnreachableLeaderIs503BecauseNothingWasSent() throws Exception {
        String nobody = "127.0.0.1:" + Ports.free();
        assertEquals(503, forwarder.forward("n1", nobody, put("a", "b"), true).get(10, TimeUnit.SECONDS).status());
        assertEquals(503, forwarder.forward("n1", nobody, get("a"), false).get(10, TimeUnit.SECONDS).status());
        assertEquals(2.0, registry.counter("kv.http.forwarded", "result", "not_sent").count());
    }

    @Test
    void aLeaderThatSwallowsTheRequestIs504ForWritesAnd503ForReads() throws Exception {
        ServerSocket blackHole = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        toClose.add(blackHole);
        List<Socket> accepted = new ArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (!blackHole.isClosed()) {
                    Socket s = blackHole.accept();
                    synchronized (accepted) {
                        accepted.add(s); // read nothing, answer nothing
                    }
                }
            } catch (IOException closed) {
                // test over
            }
        }, "black-hole");
        acceptor.setDaemon(true);
        acceptor.start();
        toClose.add(() -> {
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        });
        String addr = "127.0.0.1:" + blackHole.getLocalPort();
        Reply write = forwarder.forward("n1", addr, put("a", "b"), true).get(10, TimeUnit.SECONDS);
        assertEquals(504, write.status(), new String(write.body(), StandardCharsets.UTF_8));
        Reply read = forwarder.forward("n1", addr, get("a"), false).get(10, TimeUnit.SECONDS);
        assertEquals(503, read.status());
    }

    @Test
    void aLeaderThatHangsUpMidRequestIs504ForAWrite() throws Exception {
        ServerSocket hangUp = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        toClose.add(hangUp);
        Thread acceptor = new Thread(() -> {
            try (Socket s = hangUp.accept()) {
                // Read the whole request (headers and the 1-byte body), then die without answering. (Closing
                // before the request is fully read would fail the forwarder's write: then it was never sent.)
                InputStream in = s.getInputStream();
                StringBuilder seen = new StringBuilder();
                int c;
                while ((c = in.read()) >= 0) {
                    seen.append((char) c);
                    if (seen.indexOf("\r\n\r\n") >= 0 && seen.length() > seen.indexOf("\r\n\r\n") + 4) {
                        break;
                    }
                }
            } catch (IOException closed) {
                // test over
            }
        }, "hang-up");
        acceptor.setDaemon(true);
        acceptor.start();
        Reply r = forwarder.forward("n1", "127.0.0.1:" + hangUp.getLocalPort(), put("a", "b"), true)
                .get(10, TimeUnit.SECONDS);
        assertEquals(504, r.status(), new String(r.body(), StandardCharsets.UTF_8));
    }
}
