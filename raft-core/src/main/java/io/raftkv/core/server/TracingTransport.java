package io.raftkv.core.server;

import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.trace.TraceEmitter;
import io.raftkv.core.transport.MessageHandler;
import io.raftkv.core.transport.Transport;

import java.util.Collection;
import java.util.List;

/** A {@link Transport} that reports every message it is handed as sent, then passes it on. Raft thread only. */
final class TracingTransport implements Transport {
    private final Transport delegate;
    private final TraceEmitter trace;

    TracingTransport(Transport delegate, TraceEmitter trace) {
        this.delegate = delegate;
        this.trace = trace;
    }

    @Override
    public void start(MessageHandler handler) throws Exception {
        delegate.start(handler);
    }

    @Override
    public void updatePeers(Collection<Member> peers) {
        delegate.updatePeers(peers);
    }

    @Override
    public void send(RaftMessage message) {
        trace.sent(message);
        delegate.send(message);
    }

    @Override
    public void sendAll(List<RaftMessage> messages) {
        trace.sent(messages);
        delegate.sendAll(messages);
    }

    @Override
    public boolean isReachable(String peerId) {
        return delegate.isReachable(peerId);
    }

    @Override
    public void checkAddress(Member member) {
        delegate.checkAddress(member);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
