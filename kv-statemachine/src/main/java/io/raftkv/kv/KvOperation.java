package io.raftkv.kv;

/**
 * Anything a {@link KvCommand.Transaction} can hold: a write ({@link KvCommand}) or a read ({@link KvQuery}) that
 * sees the transaction's earlier writes.
 */
public sealed interface KvOperation permits KvCommand, KvQuery {
}
