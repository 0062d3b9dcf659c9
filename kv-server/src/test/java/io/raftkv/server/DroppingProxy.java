package io.raftkv.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 proxy in front of one server that loses answers: the first {@code drops} requests whose
 * request line starts with {@code prefix} (e.g. {@code "POST /cas/"}) reach the server, and when its answer comes
 * back the proxy cuts the client's connection instead of passing it on. The client then cannot tell whether the
 * write was applied — it was — which is the "outcome unknown" a retry must survive. Everything else passes,
 * request by request on kept-alive connections (bodies framed by Content-Length, as the JDK client and our server
 * send them).
 */
final class DroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String target;
    private final String prefix;
    private final AtomicInteger dropsLeft;
    private final AtomicInteger dropped = new AtomicInteger();

    DroppingProxy(String target, String prefix, int drops) throws IOException {
        this.target = target;
        this.prefix = prefix;
        this.dropsLeft = new AtomicInteger(drops);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "dropping-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** host:port clients should use. */
    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Answers lost so far. */
    int dropped() {
        return dropped.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread t = new Thread(() -> serve(client), "dropping-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        int colon = target.lastIndexOf(':');
        try (client; Socket backend = new Socket(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)))) {
            InputStream fromClient = new BufferedInputStream(client.getInputStream());
            InputStream fromBackend = new BufferedInputStream(backend.getInputStream());
            OutputStream toBackend = backend.getOutputStream();
            OutputStream toClient = client.getOutputStream();
            while (true) {
                byte[] request = readMessage(fromClient);
                if (request == null) {
                    return;
                }
                String line = new String(request, 0, Math.min(request.length, 200), StandardCharsets.ISO_8859_1);
                boolean drop = line.startsWith(prefix) && dropsLeft.getAndDecrement() > 0;
                toBackend.write(request);
                toBackend.flush();
                byte[] response = readMessage(fromBackend);
                if (response == null) {
                    return;
                }
                if (drop) {
                    dropped.incrementAndGet();
                    return; // the server answered, so it applied the write; the client never hears of it
                }
                toClient.write(response);
                toClient.flush();
            }
        } catch (IOException e) {
            // a side hung up: nothing to do
        }
    }

    /** One HTTP message (head and Content-Length body), or null at the end of the stream. */
    private static byte[] readMessage(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        if (matched < 4) {
            return null;
        }
        int length = 0;
        for (String h : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
            if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(h.substring("content-length:".length()).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            return null;
        }
        head.write(body);
        return head.toByteArray();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
