package io.raftkv.plugin;

import io.micrometer.core.instrument.MeterRegistry;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What the server hands a plugin when it opens it.
 *
 * @param nodeId    this server's id
 * @param directory the plugin's own directory inside the server's data directory ({@code DATA/<plugin name>}); it may
 *                  not exist yet (create it if you keep files). The data directory is locked by this process, so no
 *                  other server shares it
 * @param registry  the server's meter registry ({@code GET /metrics}): register the plugin's own meters here
 */
public record PluginContext(String nodeId, Path directory, MeterRegistry registry) {
    public PluginContext {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(registry, "registry");
    }
}
