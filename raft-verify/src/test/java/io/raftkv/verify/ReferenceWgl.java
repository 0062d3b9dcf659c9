package io.raftkv.verify;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A second, deliberately plain implementation of Lowe's algorithm, to compare the real checker with on histories
 * too long for {@link BruteForceChecker}: one list of calls and returns, an UNKNOWN operation as a call without a
 * return, memo of (BitSet, value) pairs, no pruning, no ordering tricks, no dominance, its own model on strings.
 */
final class ReferenceWgl {
    private ReferenceWgl() {
    }

    private static final class Node {
        final int op;
        final boolean call;
        final long time;
        Node match;
        Node prev;
        Node next;

        Node(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Config(BitSet linearized, String state) {
    }

    /** @return true/false, or null if {@code maxSteps} ran out */
    static Boolean isLinearizable(List<Operation> keyOps, long maxSteps) {
        List<Operation> ops = keyOps.stream()
                .filter(op -> op.outcome() != Outcome.FAIL && op.kind() != OpKind.STALE_READ)
                .filter(op -> !(op.kind() == OpKind.READ && op.isUnknown()))
                .toList();
        List<Node> nodes = new ArrayList<>();
        int definite = 0;
        for (int i = 0; i < ops.size(); i++) {
            Node call = new Node(i, true, ops.get(i).invokedAt());
            nodes.add(call);
            if (!ops.get(i).isUnknown()) {
                definite++;
                Node ret = new Node(i, false, ops.get(i).completedAt());
                call.match = ret;
                nodes.add(ret);
            }
        }
        nodes.sort(Comparator.comparingLong((Node n) -> n.time).thenComparing(n -> !n.call));
        Node head = new Node(-1, false, Long.MIN_VALUE);
        Node last = head;
        for (Node n : nodes) {
            last.next = n;
            n.prev = last;
            last = n;
        }
        BitSet linearized = new BitSet();
        Set<Config> cache = new HashSet<>();
        List<Node> stackNode = new ArrayList<>();
        List<String> stackState = new ArrayList<>();
        String state = null;
        int remaining = definite;
        Node entry = head.next;
        for (long steps = 0; remaining > 0; steps++) {
            if (steps > maxSteps) {
                return null;
            }
            if (entry != null && entry.call) {
                Operation op = ops.get(entry.op);
                String[] next = apply(op, state);
                boolean entered = false;
                if (next != null) {
                    BitSet after = (BitSet) linearized.clone();
                    after.set(entry.op);
                    if (cache.add(new Config(after, next[0]))) {
                        stackNode.add(entry);
                        stackState.add(state);
                        linearized = after;
                        state = next[0];
                        lift(entry);
                        if (!op.isUnknown()) {
                            remaining--;
                        }
                        entry = head.next;
                        entered = true;
                    }
                }
                if (!entered) {
                    entry = entry.next;
                }
            } else {
                // A return (or, with only unknown calls left before it, the end of the list): backtrack.
                if (stackNode.isEmpty()) {
                    return false;
                }
                Node top = stackNode.remove(stackNode.size() - 1);
                state = stackState.remove(stackState.size() - 1);
                linearized = (BitSet) linearized.clone();
                linearized.clear(top.op);
                unlift(top);
                if (!ops.get(top.op).isUnknown()) {
                    remaining++;
                }
                entry = top.next;
            }
        }
        return true;
    }

    private static String[] apply(Operation op, String state) {
        boolean matches = Objects.equals(state, op.expected());
        return switch (op.kind()) {
            case READ -> Objects.equals(state, op.output()) ? new String[] {state} : null;
            case WRITE -> new String[] {op.value()};
            case CAS -> op.isUnknown() ? new String[] {matches ? op.value() : state}
                    : op.swapped() != matches ? null : new String[] {matches ? op.value() : state};
            default -> throw new IllegalArgumentException(op.toString());
        };
    }

    private static void lift(Node n) {
        n.prev.next = n.next;
        if (n.next != null) {
            n.next.prev = n.prev;
        }
        if (n.match != null) {
            n.match.prev.next = n.match.next;
            if (n.match.next != null) {
                n.match.next.prev = n.match.prev;
            }
        }
    }

    private static void unlift(Node n) {
        if (n.match != null) {
            n.match.prev.next = n.match;
            if (n.match.next != null) {
                n.match.next.prev = n.match;
            }
        }
        n.prev.next = n;
        if (n.next != null) {
            n.next.prev = n;
        }
    }
}
