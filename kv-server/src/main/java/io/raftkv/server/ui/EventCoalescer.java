package io.raftkv.server.ui;

import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.trace.TraceEvent;
import io.raftkv.core.trace.TraceJson;
import io.raftkv.core.trace.TraceRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Shrinks one drain interval's events when the server is busy (the batch holds more than {@code threshold}
 * events), so that a browser sees the shape of the traffic instead of falling behind it:
 * <ul>
 *   <li>messages of one direction, kind, link and term become one {@link TraceEvent.Messages} with their
 *       {@code count} and the union of their entry ranges, at the place of the first of them;</li>
 *   <li>of consecutive commit (or apply) moves only the last is kept, and appends of one term that continue each
 *       other become one range;</li>
 *   <li>everything else (state, persist, vote, truncate, snapshot, config, transfer, view) is kept as it is, in
 *       order, and no commit, apply or append is merged across one of them.</li>
 * </ul>
 * A quiet batch passes unchanged. Pure: one instance serves any number of threads.
 */
final class EventCoalescer {
    private final int threshold;

    EventCoalescer(int threshold) {
        this.threshold = threshold;
    }

    static boolean isMessage(TraceEvent e) {
        return e instanceof TraceEvent.Message || e instanceof TraceEvent.Messages;
    }

    List<TraceRecord> coalesce(List<TraceRecord> batch) {
        if (batch.size() <= threshold) {
            return batch;
        }
        List<TraceRecord> out = new ArrayList<>(threshold);
        Map<MessageKey, Integer> messageAt = new HashMap<>();
        int commitAt = -1;
        int applyAt = -1;
        int appendAt = -1;
        for (TraceRecord r : batch) {
            TraceEvent e = r.event();
            if (e instanceof TraceEvent.Message || e instanceof TraceEvent.Messages) {
                TraceEvent.Messages m = summary(e);
                MessageKey key = new MessageKey(m.direction(), m.kind(), m.from(), m.to(), m.term());
                Integer at = messageAt.get(key);
                if (at == null) {
                    messageAt.put(key, out.size());
                    out.add(new TraceRecord(r.t(), r.node(), m));
                } else {
                    TraceRecord prev = out.get(at);
                    out.set(at, new TraceRecord(prev.t(), prev.node(), merge((TraceEvent.Messages) prev.event(), m)));
                }
            } else if (e instanceof TraceEvent.Commit) {
                commitAt = keepLast(out, commitAt, r);
            } else if (e instanceof TraceEvent.Apply) {
                applyAt = keepLast(out, applyAt, r);
            } else if (e instanceof TraceEvent.Append a) {
                TraceEvent.Append prev = appendAt < 0 ? null : (TraceEvent.Append) out.get(appendAt).event();
                if (prev != null && prev.term() == a.term() && prev.to() + 1 == a.from()) {
                    TraceRecord first = out.get(appendAt);
                    out.set(appendAt, new TraceRecord(first.t(), first.node(),
                            new TraceEvent.Append(prev.from(), a.to(), a.term())));
                } else {
                    appendAt = out.size();
                    out.add(r);
                }
            } else {
                // A barrier: what follows must not be merged into what came before it.
                commitAt = -1;
                applyAt = -1;
                appendAt = -1;
                out.add(r);
            }
        }
        return out;
    }

    private static int keepLast(List<TraceRecord> out, int at, TraceRecord r) {
        if (at < 0) {
            out.add(r);
            return out.size() - 1;
        }
        out.set(at, r);
        return at;
    }

    private static TraceEvent.Messages summary(TraceEvent e) {
        if (e instanceof TraceEvent.Messages m) {
            return m;
        }
        TraceEvent.Message one = (TraceEvent.Message) e;
        RaftMessage m = one.message();
        long[] range = TraceJson.entryRange(m);
        return new TraceEvent.Messages(one.direction(), TraceJson.kind(m), m.from(), m.to(), m.term(), 1,
                range == null ? 0 : range[0], range == null ? 0 : range[1]);
    }

    private static TraceEvent.Messages merge(TraceEvent.Messages a, TraceEvent.Messages b) {
        long first;
        long last;
        if (a.first() == 0) {
            first = b.first();
            last = b.last();
        } else if (b.first() == 0) {
            first = a.first();
            last = a.last();
        } else {
            first = Math.min(a.first(), b.first());
            last = Math.max(a.last(), b.last());
        }
        return new TraceEvent.Messages(a.direction(), a.kind(), a.from(), a.to(), a.term(), a.count() + b.count(),
                first, last);
    }

    private record MessageKey(TraceEvent.Direction direction, String kind, String from, String to, long term) {
        MessageKey {
            Objects.requireNonNull(kind);
        }
    }
}
