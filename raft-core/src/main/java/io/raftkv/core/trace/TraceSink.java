package io.raftkv.core.trace;

/**
 * Where a Raft server's {@link TraceEvent}s go: the observer SPI of the core ({@code RaftNode}) and its drivers
 * ({@code RaftServer}, the simulator). A sink stamps each event with its time and node and hands it on (to a live
 * stream's subscribers, to a file).
 *
 * <p><b>Costs nothing when off.</b> Every emitting site first asks {@link #enabled()} and builds no event object
 * when it says no; an implementation answers from one volatile read. {@link #emit} is called on the thread that
 * runs the server's Raft logic (and, for dropped inbound messages, on transport threads): it must never block,
 * and should do little more than hand the event to another thread.
 */
public interface TraceSink {

    /** The sink of a server nobody watches: never enabled. */
    TraceSink NONE = new TraceSink() {
        @Override
        public boolean enabled() {
            return false;
        }

        @Override
        public void emit(TraceEvent event) {
        }

        @Override
        public String toString() {
            return "TraceSink.NONE";
        }
    };

    /** True if events are wanted now; false means callers build none. Must be cheap (a volatile read). */
    boolean enabled();

    /** One event, in the order it happened on this server. Must not block. */
    void emit(TraceEvent event);

    /**
     * True if the sink wants a {@link TraceEvent.View} of the server's whole state (e.g. a new subscriber joined
     * mid-run and has seen none of what came before). The driver answers with one soon (within one loop turn);
     * the sink stops asking once it got it.
     */
    default boolean viewWanted() {
        return false;
    }
}
