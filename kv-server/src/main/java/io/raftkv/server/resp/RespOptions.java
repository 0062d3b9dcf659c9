package io.raftkv.server.resp;

import java.time.Duration;
import java.util.Objects;

/**
 * The RESP front door's address and limits ({@code raftkv serve --resp*}, documented in kv-server/README.md). A
 * request beyond a protocol limit is a protocol error: the client gets {@code -ERR Protocol error: ...} after the
 * replies to the commands before it, and the connection is closed, as Redis does; other connections are not
 * affected.
 *
 * @param address               host:port to listen on
 * @param maxBulkBytes          longest bulk string (Redis's {@code proto-max-bulk-len}); default 1 MiB, the value limit
 * @param maxArrayElements      most arguments of one command, its name included (default 100,000: an MSET of the
 *                              10,000 pairs a batch may hold fits; a million does not)
 * @param maxCommandBytes       most bytes of bulk strings in one command (default 16 MiB)
 * @param maxInlineBytes        longest inline command or protocol line (default 64 KiB, Redis's)
 * @param incompleteTimeout     a command begun but not complete after this long closes the connection (a client
 *                              that sends half a command and stalls); idle connections between commands are kept
 * @param maxPendingReplies     commands of one connection read but not yet answered; beyond it the connection is
 *                              not read until answers catch up (backpressure, no error), and at most this many are
 *                              in Raft at a time (default 1,024: well below the node's 4,096 pending proposals,
 *                              which all clients share, so one pipelining client cannot overload the node)
 * @param maxQueuedCommands     most commands in one MULTI (default 10,000, the batch limit of the KV store)
 * @param maxConnections        most open connections; the next one gets {@code -ERR max number of clients reached}
 * @param allowFlushdb          whether the plugin's commands that clear the whole state may run (off by default;
 *                              handed to the plugin as {@code RespSettings.allowDestructiveCommands}: the KV store's
 *                              FLUSHDB/FLUSHALL)
 */
public record RespOptions(String address, int maxBulkBytes, int maxArrayElements, long maxCommandBytes,
                          int maxInlineBytes, Duration incompleteTimeout, int maxPendingReplies,
                          int maxQueuedCommands, int maxConnections, boolean allowFlushdb) {

    public static final int DEFAULT_MAX_BULK_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_ARRAY_ELEMENTS = 100_000;
    public static final long DEFAULT_MAX_COMMAND_BYTES = 16L << 20;
    public static final int DEFAULT_MAX_INLINE_BYTES = 64 * 1024;
    public static final Duration DEFAULT_INCOMPLETE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_PENDING_REPLIES = 1024;
    public static final int DEFAULT_MAX_QUEUED_COMMANDS = 10_000;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

    public RespOptions {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(incompleteTimeout, "incompleteTimeout");
        if (maxBulkBytes < 1 || maxArrayElements < 2 || maxCommandBytes < 1 || maxInlineBytes < 64
                || maxPendingReplies < 1 || maxQueuedCommands < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("RESP limits must be positive (array >= 2, inline >= 64)");
        }
        if (incompleteTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("--resp-incomplete-timeout-ms must be at least 1 ms");
        }
    }

    /** The defaults, listening on {@code address}. */
    public static RespOptions at(String address) {
        return new RespOptions(address, DEFAULT_MAX_BULK_BYTES, DEFAULT_MAX_ARRAY_ELEMENTS, DEFAULT_MAX_COMMAND_BYTES,
                DEFAULT_MAX_INLINE_BYTES, DEFAULT_INCOMPLETE_TIMEOUT, DEFAULT_MAX_PENDING_REPLIES,
                DEFAULT_MAX_QUEUED_COMMANDS, DEFAULT_MAX_CONNECTIONS, false);
    }

    public RespOptions withAddress(String a) {
        return new RespOptions(a, maxBulkBytes, maxArrayElements, maxCommandBytes, maxInlineBytes,
                incompleteTimeout, maxPendingReplies, maxQueuedCommands, maxConnections, allowFlushdb);
    }

    public RespOptions withProtocolLimits(int bulkBytes, int arrayElements, long commandBytes, Duration incomplete) {
        return new RespOptions(address, bulkBytes, arrayElements, commandBytes, maxInlineBytes, incomplete,
                maxPendingReplies, maxQueuedCommands, maxConnections, allowFlushdb);
    }

    public RespOptions withMaxConnections(int n) {
        return new RespOptions(address, maxBulkBytes, maxArrayElements, maxCommandBytes, maxInlineBytes,
                incompleteTimeout, maxPendingReplies, maxQueuedCommands, n, allowFlushdb);
    }

    public RespOptions withAllowFlushdb(boolean allow) {
        return new RespOptions(address, maxBulkBytes, maxArrayElements, maxCommandBytes, maxInlineBytes,
                incompleteTimeout, maxPendingReplies, maxQueuedCommands, maxConnections, allow);
    }
}
