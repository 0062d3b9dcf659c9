package io.raftkv.server.ui;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The page's static files, read once from the jar ({@code io/raftkv/server/ui/static/}). Only the files named here
 * are ever served: a request path is looked up in this fixed table, never resolved against a directory, so no
 * path can reach anything else.
 */
final class UiAssets {
    /** An asset: its bytes and Content-Type. */
    record Asset(byte[] body, String contentType) {
    }

    /** File name to Content-Type, for every file of the page. */
    static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "model.js", "text/javascript; charset=utf-8",
            "view.js", "text/javascript; charset=utf-8",
            "live.js", "text/javascript; charset=utf-8",
            "replay.js", "text/javascript; charset=utf-8");

    private static final String ROOT = "/io/raftkv/server/ui/static/";

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    /** @throws UncheckedIOException if a file is missing from the jar (a broken build) */
    UiAssets() {
        for (Map.Entry<String, String> f : FILES.entrySet()) {
            try (InputStream in = UiAssets.class.getResourceAsStream(ROOT + f.getKey())) {
                if (in == null) {
                    throw new IOException("UI file " + ROOT + f.getKey() + " is missing from the classpath");
                }
                assets.put(f.getKey(), new Asset(in.readAllBytes(), f.getValue()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The asset at {@code /ui/<name>}; the empty name is the page itself. */
    Optional<Asset> get(String name) {
        return Optional.ofNullable(assets.get(name.isEmpty() ? "index.html" : name));
    }
}
