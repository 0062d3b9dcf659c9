package io.raftkv.verify;

import java.util.ArrayList;
import java.util.List;

/** Builds hand-made histories for tests: one call per operation, ids in call order. */
final class Hist {
    private final List<Operation> ops = new ArrayList<>();
    private String key = "k";

    Hist key(String k) {
        this.key = k;
        return this;
    }

    Hist read(int process, String output, long invokedAt, long completedAt) {
        return add(process, OpKind.READ, null, null, invokedAt, completedAt, Outcome.OK, output, null);
    }

    Hist staleRead(int process, String output, long invokedAt, long completedAt) {
        return add(process, OpKind.STALE_READ, null, null, invokedAt, completedAt, Outcome.OK, output, null);
    }

    Hist write(int process, String value, long invokedAt, long completedAt) {
        return add(process, OpKind.WRITE, null, value, invokedAt, completedAt, Outcome.OK, null, null);
    }

    Hist writeUnknown(int process, String value, long invokedAt, long gaveUpAt) {
        return add(process, OpKind.WRITE, null, value, invokedAt, gaveUpAt, Outcome.UNKNOWN, null, null);
    }

    Hist writeFailed(int process, String value, long invokedAt, long completedAt) {
        return add(process, OpKind.WRITE, null, value, invokedAt, completedAt, Outcome.FAIL, null, null);
    }

    Hist cas(int process, String expected, String value, boolean swapped, long invokedAt, long completedAt) {
        return add(process, OpKind.CAS, expected, value, invokedAt, completedAt, Outcome.OK, null, swapped);
    }

    Hist casUnknown(int process, String expected, String value, long invokedAt, long gaveUpAt) {
        return add(process, OpKind.CAS, expected, value, invokedAt, gaveUpAt, Outcome.UNKNOWN, null, null);
    }

    Hist readUnknown(int process, long invokedAt, long gaveUpAt) {
        return add(process, OpKind.READ, null, null, invokedAt, gaveUpAt, Outcome.UNKNOWN, null, null);
    }

    /** A stale read served by {@code node}. */
    Hist staleRead(int process, String node, String output, long invokedAt, long completedAt) {
        ops.add(new Operation(ops.size(), process, node, key, OpKind.STALE_READ, null, null, invokedAt, completedAt,
                Outcome.OK, output, null));
        return this;
    }

    Hist add(int process, OpKind kind, String expected, String value, long invokedAt, long completedAt,
             Outcome outcome, String output, Boolean swapped) {
        ops.add(new Operation(ops.size(), process, null, key, kind, expected, value, invokedAt, completedAt, outcome,
                output, swapped));
        return this;
    }

    History history() {
        return new History(ops);
    }
}
