package io.raftkv.core.server;

import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.transport.MessageHandler;
import io.raftkv.core.transport.Transport;

import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A {@link Transport} that passes every call to another one, {@link #isReachable} and {@link #sendAll} included:
 * the server's wrappers ({@link StallFence}, {@link TracingTransport}) extend it and override only what they watch or
 * change, so none of them can forget a method (the storage side's {@code ForwardingLogStore} does the same).
 */
abstract class ForwardingTransport implements Transport {
    private final Transport delegate;

    ForwardingTransport(Transport delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The transport calls are passed to. */
    final Transport delegate() {
        return delegate;
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
        delegate.send(message);
    }

    @Override
    public void sendAll(List<RaftMessage> messages) {
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
