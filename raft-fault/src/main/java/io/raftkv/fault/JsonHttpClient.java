package io.raftkv.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The clients' HTTP side that the counter and bank workloads share: one request to one node with a response
 * timeout, its answer as status + JSON, and whether the request can have left (which is what tells a failure from
 * an unknown outcome). Thread-safe.
 */
final class JsonHttpClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final ServerProcesses servers;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    /** @param timeout response timeout of every request (then: outcome unknown) */
    JsonHttpClient(ServerProcesses servers, Duration timeout) {
        this.servers = servers;
        this.timeout = timeout;
    }

    /**
     * How one request ended: the status (0 = no answer), the body if it was JSON, and whether the request may
     * have reached the server.
     */
    record Answer(int status, JsonNode body, boolean sent) {
        static final Answer NOT_SENT = new Answer(0, null, false);
        static final Answer UNKNOWN = new Answer(0, null, true);

        /** It may have been applied, or not: no answer after sending, 504, or a server error other than 503. */
        boolean unknown() {
            return status == 0 && sent || status == 504 || status >= 500 && status != 503;
        }

        /** Certainly not applied: never sent (connection refused or not opened in time), or 503. */
        boolean failed() {
            return !sent || status == 503;
        }
    }

    /** A request to {@code node}'s HTTP address with this client's response timeout. */
    HttpRequest.Builder request(String node, String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://" + servers.node(node).http() + pathAndQuery)).timeout(timeout);
    }

    /** {@code POST} of a JSON body. */
    Answer post(String node, String pathAndQuery, String json) {
        return send(request(node, pathAndQuery).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    Answer send(HttpRequest request) {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            return Answer.NOT_SENT; // never reached the node: cannot take effect
        } catch (IOException e) {
            return Answer.UNKNOWN; // response timeout, reset, EOF: it may have been applied
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.UNKNOWN;
        }
        JsonNode body = null;
        try {
            body = response.body().isEmpty() ? null : JSON.readTree(response.body());
        } catch (IOException e) {
            // not JSON: keep the status
        }
        return new Answer(response.statusCode(), body, true);
    }
}
