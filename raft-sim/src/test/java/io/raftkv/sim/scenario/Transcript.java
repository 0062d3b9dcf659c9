package io.raftkv.sim.scenario;

import java.util.ArrayList;
import java.util.List;

/**
 * The output of one scenario command, line by line. What a delivered message causes is indented under it, so a
 * reader sees which message made a server do what.
 */
final class Transcript {
    private final List<String> lines = new ArrayList<>();
    private String indent = "";
    /** A heading (already indented) written before the next line, and only if one comes. */
    private String pendingHeading;

    void add(String line) {
        if (pendingHeading != null) {
            lines.add(pendingHeading);
            pendingHeading = null;
        }
        lines.add(indent + line);
    }

    /** A line about what one server did: {@code n2 persist term 3 vote n1}. */
    void node(String id, String what) {
        add(id + " " + what);
    }

    /** Runs {@code body} with its lines indented one level under {@code heading}, which is written right away. */
    void nested(String heading, Runnable body) {
        add(heading);
        indented(body);
    }

    /**
     * Like {@link #nested}, but the heading appears only if {@code body} writes something: a tick that changes
     * nothing leaves no trace.
     */
    void nestedIfAny(String heading, Runnable body) {
        pendingHeading = indent + heading;
        try {
            indented(body);
        } finally {
            pendingHeading = null;
        }
    }

    private void indented(Runnable body) {
        String saved = indent;
        indent = indent + "  ";
        try {
            body.run();
        } finally {
            indent = saved;
        }
    }

    /** The lines so far, which it forgets. */
    List<String> take() {
        List<String> out = List.copyOf(lines);
        lines.clear();
        return out;
    }
}
