/**
 * Client sessions for exactly-once commands (Ongaro's thesis §6.3), reusable by any
 * {@link io.raftkv.core.statemachine.StateMachine}.
 *
 * <p>{@link io.raftkv.core.session.SessionStateMachine} wraps a state machine and keeps the session table in the
 * replicated state; proposers encode {@link io.raftkv.core.session.SessionFrame}s and decode the
 * {@link io.raftkv.core.session.SessionReply} that {@code RaftServer.propose} completes with;
 * {@link io.raftkv.core.session.SessionOptions} holds the caps. The guide is the "Sessions" section of
 * {@code raft-core/README.md}.
 */
package io.raftkv.core.session;
