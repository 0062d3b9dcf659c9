package io.raftkv.sim;

import io.raftkv.core.Role;

/**
 * Collects the human-readable trace of a run, one line per event:
 * <pre>
 *    12.3 n2 follower  t3  recv n1->n2 App(t3 prev 4@3 [5@3 'c7'] commit 4 seq 9)
 * </pre>
 * time in ticks (a tick is {@link Simulation#TICK} units, the digit after the dot is the unit within the tick),
 * node, its role and term <em>after</em> the event, and what happened. Lines from the network and the fault
 * injector have {@code net} / {@code fault} in the node column.
 *
 * <p>Tracing is off for bulk runs (formatting costs more than simulating); callers check {@link #on()} before
 * building a line. A disabled tracer keeps nothing.
 */
public final class Tracer {
    private final StringBuilder out;
    private int lines;

    private Tracer(boolean on) {
        this.out = on ? new StringBuilder(1 << 16) : null;
    }

    public static Tracer enabled() {
        return new Tracer(true);
    }

    public static Tracer disabled() {
        return new Tracer(false);
    }

    public boolean on() {
        return out != null;
    }

    /** A line about a node in a given role and term. */
    public void node(long time, String nodeId, Role role, long term, String what) {
        if (out == null) {
            return;
        }
        String r = role == null ? "down" : role.lowerName();
        prefix(time);
        out.append(pad(nodeId, 4)).append(pad(r, 14)).append(pad("t" + term, 5)).append(what).append('\n');
        lines++;
    }

    /** A line from the network, the fault injector or the clients. */
    public void system(long time, String who, String what) {
        if (out == null) {
            return;
        }
        prefix(time);
        out.append(pad(who, 23)).append(what).append('\n');
        lines++;
    }

    private void prefix(long time) {
        out.append(pad(formatTime(time), 8)).append(' ');
    }

    public static String formatTime(long time) {
        return (time / Simulation.TICK) + "." + (time % Simulation.TICK);
    }

    private static String pad(String s, int width) {
        if (s.length() >= width) {
            return s + ' ';
        }
        return s + " ".repeat(width - s.length());
    }

    public int lineCount() {
        return lines;
    }

    /** The whole trace, or the empty string if tracing was off. */
    public String text() {
        return out == null ? "" : out.toString();
    }
}
