package io.raftkv.core.transport;

import io.raftkv.core.cluster.Member;
import io.raftkv.core.message.RaftMessage;

import java.util.Collection;
import java.util.List;

/**
 * Carries {@link RaftMessage}s between servers.
 *
 * <p><b>Contract.</b> Delivery is best effort: messages may be lost, duplicated or reordered across
 * connections, and Raft tolerates all of it (it retries by itself). So {@link #send} never blocks and never
 * queues without bound: when a peer is slow or unreachable, messages are dropped (and counted). Inbound
 * messages are handed to the {@link MessageHandler} from transport threads; the handler must not block.
 */
public interface Transport extends AutoCloseable {

    /** Starts serving inbound connections; inbound messages go to {@code handler}. */
    void start(MessageHandler handler) throws Exception;

    /** Sets who the peers are and where to reach them (called again on every configuration change). */
    void updatePeers(Collection<Member> peers);

    /** Sends one message to {@code message.to()}. Non-blocking; may drop. */
    void send(RaftMessage message);

    /** Sends a batch; implementations flush once for the batch rather than once per message. */
    default void sendAll(List<RaftMessage> messages) {
        for (RaftMessage m : messages) {
            send(m);
        }
    }

    /**
     * Whether a message to {@code peerId} would leave now, as far as the transport knows (for the Netty transport:
     * its connection to that peer is up). The driver holds client proposals for a leader it cannot reach instead
     * of sending them into the void, so a follower whose leader crashed hands them to the next leader. A hint,
     * not a promise: a message sent while this says true may still be lost. A transport that cannot tell answers
     * true; a transport that wraps another must ask it (no default, so that a wrapper cannot forget).
     */
    boolean isReachable(String peerId);

    /**
     * Checks that peers could reach {@code member} at its address, before it enters a configuration (a new cluster's
     * voters, a server being added). A transport that dials addresses throws {@link IllegalArgumentException} for an
     * empty or malformed one: a voter nobody can reach could keep a new cluster from ever electing a leader, and
     * would fail silently at run time. The default accepts any address (an in-process transport routes by id).
     */
    default void checkAddress(Member member) {
    }

    @Override
    void close();
}
