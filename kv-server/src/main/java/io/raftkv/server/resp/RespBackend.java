package io.raftkv.server.resp;

import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the RESP front door needs of the node: batches of proposals and queries, and the node's Raft status. A
 * {@link RaftServer} in production ({@link #of}); tests put a state machine behind it directly.
 */
public interface RespBackend {

    /** See {@link RaftServer#proposeAll}: futures in the order of {@code commands}. */
    List<CompletableFuture<byte[]>> proposeAll(List<byte[]> commands);

    /** See {@link RaftServer#readAll}: futures in the order of {@code queries}. */
    List<CompletableFuture<byte[]>> readAll(List<byte[]> queries, ReadLevel level);

    /** For INFO, HELLO and the reasons of CLUSTERDOWN. */
    RaftStatus status();

    static RespBackend of(RaftServer raft) {
        return new RespBackend() {
            @Override
            public List<CompletableFuture<byte[]>> proposeAll(List<byte[]> commands) {
                return raft.proposeAll(commands);
            }

            @Override
            public List<CompletableFuture<byte[]>> readAll(List<byte[]> queries, ReadLevel level) {
                return raft.readAll(queries, level);
            }

            @Override
            public RaftStatus status() {
                return raft.status();
            }
        };
    }
}
