package io.raftkv.bench.load;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Drives raftkv's HTTP API ({@code PUT /key/{k}}, {@code GET /key/{k}?level=...}). Followers forward to the
 * leader, so a client may talk to any node; each driver sticks to one endpoint, as a real client pinned to a
 * node would.
 */
public final class RaftkvHttpDriver implements KvDriver {

    private final HttpClient http;
    private final String base;
    private final String level;
    private final Duration timeout;

    public RaftkvHttpDriver(HttpClient http, String endpoint, String level, Duration timeout) {
        this.http = http;
        this.base = "http://" + endpoint + "/key/";
        this.level = level;
        this.timeout = timeout;
    }

    @Override
    public void put(String key, byte[] value) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(uri(key, false)).timeout(timeout)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build();
        HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (resp.statusCode() != 204 && resp.statusCode() != 200) {
            throw new KvError("http_" + resp.statusCode(), new String(resp.body(), StandardCharsets.UTF_8));
        }
    }

    @Override
    public byte[] get(String key) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(uri(key, true)).timeout(timeout).GET().build();
        HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (resp.statusCode() == 404) {
            return null;
        }
        if (resp.statusCode() != 200) {
            throw new KvError("http_" + resp.statusCode(), new String(resp.body(), StandardCharsets.UTF_8));
        }
        return resp.body();
    }

    private URI uri(String key, boolean read) {
        String k = URLEncoder.encode(key, StandardCharsets.UTF_8);
        return URI.create(base + k + (read ? "?level=" + level : ""));
    }

    @Override
    public void close() {
        // the HttpClient is shared by all drivers and closed with the JVM
    }
}
