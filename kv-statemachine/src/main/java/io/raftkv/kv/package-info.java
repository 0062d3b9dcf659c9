/**
 * The replicated key-value store as a raftkv {@link io.raftkv.core.statemachine.StateMachine}.
 *
 * <p>{@link io.raftkv.kv.KvStateMachine} is the state machine; {@link io.raftkv.kv.KvCommand},
 * {@link io.raftkv.kv.KvQuery} and {@link io.raftkv.kv.KvResult} are the typed requests and answers, and
 * {@link io.raftkv.kv.KvCodec} turns them into the bytes that go through the Raft log, so servers and clients never
 * handle the bytes themselves. {@link io.raftkv.kv.KvLimits} bounds key and value sizes.
 */
package io.raftkv.kv;
