package io.raftkv.core.message;

/**
 * The leader's answer to a {@link ReadIndexRequest}: once the follower has applied up to {@code readIndex} it
 * may serve the read locally. {@code success} is false if the receiver could not confirm its leadership.
 */
public record ReadIndexResponse(String from, String to, long term, long requestId, long readIndex,
                                boolean success) implements RaftMessage {
}
