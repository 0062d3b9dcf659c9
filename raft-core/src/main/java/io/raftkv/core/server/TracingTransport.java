package io.raftkv.core.server;

import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.trace.TraceEmitter;
import io.raftkv.core.transport.Transport;

import java.util.List;

/** A {@link Transport} that reports every message it is handed as sent, then passes it on. Raft thread only. */
final class TracingTransport extends ForwardingTransport {
    private final TraceEmitter trace;

    TracingTransport(Transport delegate, TraceEmitter trace) {
        super(delegate);
        this.trace = trace;
    }

    @Override
    public void send(RaftMessage message) {
        trace.sent(message);
        delegate().send(message);
    }

    @Override
    public void sendAll(List<RaftMessage> messages) {
        trace.sent(messages);
        delegate().sendAll(messages);
    }
}
