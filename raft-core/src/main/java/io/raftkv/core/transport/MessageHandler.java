package io.raftkv.core.transport;

import io.raftkv.core.message.RaftMessage;

/** Receives inbound messages from a {@link Transport}. Called from transport threads; must not block. */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(RaftMessage message);
}
