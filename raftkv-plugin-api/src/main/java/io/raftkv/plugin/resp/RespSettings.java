package io.raftkv.plugin.resp;

/**
 * What the server tells a plugin about the RESP front door it is about to serve the plugin's
 * {@link RespCommandTable} on ({@code PluginInstance.respCommands}).
 *
 * @param allowDestructiveCommands whether commands that destroy the whole state at once may run
 *                                 ({@code serve --resp-allow-flushdb}; off by default): the KV store's FLUSHDB and
 *                                 FLUSHALL are refused with an error that names the flag unless it is on. A table
 *                                 with such commands must honour it
 */
public record RespSettings(boolean allowDestructiveCommands) {

    /** The server's defaults: destructive commands refused. */
    public static RespSettings defaults() {
        return new RespSettings(false);
    }
}
