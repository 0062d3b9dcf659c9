package io.raftkv.plugin.resp;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The hook through which a plugin offers commands to a Redis-protocol (RESP) front door, as {@code HttpRoutes} does
 * for HTTP: a command table by name. Netty-free, like the HTTP types. (kv-server's RESP front door does not take
 * its commands from here yet; this is the place it will.)
 */
public interface RespCommands {

    /** The command names this plugin answers, upper case (e.g. {@code GET}, {@code SET}, {@code CAS}). */
    Set<String> names();

    /**
     * Runs one command; {@code argv.get(0)} is its name as the client sent it, the rest its arguments. Completes with
     * the reply to encode, on {@code loop} (the connection's event loop) or any thread; never blocks.
     */
    CompletableFuture<RespValue> call(List<byte[]> argv, Executor loop);
}
