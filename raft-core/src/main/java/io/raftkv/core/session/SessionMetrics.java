package io.raftkv.core.session;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.ToDoubleFunction;

/**
 * Meters of a {@link SessionStateMachine}'s table: {@code raft_sessions}, {@code raft_session_answers},
 * {@code raft_session_answer_bytes} (gauges) and {@code raft_session_events_total{event}} (repeat answered from
 * the table, unknown session, seq too old, expired, evicted session, evicted answer). Read from
 * {@link SessionStateMachine#stats()}: no cost on the apply thread.
 */
public final class SessionMetrics {
    private SessionMetrics() {
    }

    public static void bind(SessionStateMachine sessions, MeterRegistry registry) {
        gauge(registry, "raft.sessions", "client sessions alive", sessions, s -> s.stats().sessions());
        gauge(registry, "raft.session.answers", "answers kept for retries", sessions, s -> s.stats().answers());
        gauge(registry, "raft.session.answer.bytes", "bytes of the answers kept for retries", sessions,
                s -> s.stats().answerBytes());
        counter(registry, "repeat", sessions, s -> s.stats().repeatsAnswered());
        counter(registry, "unknown_session", sessions, s -> s.stats().unknownSession());
        counter(registry, "sequence_too_old", sessions, s -> s.stats().sequenceTooOld());
        counter(registry, "expired", sessions, s -> s.stats().expired());
        counter(registry, "evicted_session", sessions, s -> s.stats().evictedSessions());
        counter(registry, "evicted_answer", sessions, s -> s.stats().evictedAnswers());
    }

    private static void gauge(MeterRegistry registry, String name, String description, SessionStateMachine sessions,
                              ToDoubleFunction<SessionStateMachine> value) {
        Gauge.builder(name, sessions, value).description(description).register(registry);
    }

    private static void counter(MeterRegistry registry, String event, SessionStateMachine sessions,
                                ToDoubleFunction<SessionStateMachine> value) {
        FunctionCounter.builder("raft.session.events", sessions, value).tag("event", event)
                .description("what the client session table did (thesis §6.3)").register(registry);
    }
}
