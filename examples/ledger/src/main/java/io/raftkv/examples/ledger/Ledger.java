package io.raftkv.examples.ledger;

import io.raftkv.core.statemachine.SnapshotInput;
import io.raftkv.core.statemachine.SnapshotOutput;
import io.raftkv.core.statemachine.TextStateMachine;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * A bank ledger, replicated: accounts with whole-number balances. Commands and answers are text.
 * <pre>
 * open NAME                 → ok | error: account exists
 * deposit NAME AMOUNT       → ok BALANCE | error: no such account | error: bad amount
 * transfer FROM TO AMOUNT   → ok | error: short funds | error: no such account | error: bad amount
 * balance NAME   (query)    → BALANCE | error: no such account
 * total          (query)    → ACCOUNTS TOTAL   (every account, at one point in the log)
 * digest         (query)    → INDEX SHA-256    (equal on servers at the same index)
 * </pre>
 * A failure is a result, the same on every server (a transfer on short funds changes nothing anywhere), never an
 * exception. {@code transfer} is not idempotent: a retry after an unknown outcome could move the money twice.
 * Apply holds this object's monitor (TextStateMachine's contract), so a {@code synchronized} query sees one moment.
 */
public final class Ledger extends TextStateMachine {
    /** Sorted, so that snapshots and digests walk accounts in the same order on every server. */
    private final TreeMap<String, Long> balances = new TreeMap<>();

    public Ledger() {
        super("LDGR", 1);
    }

    @Override
    protected String applyText(long index, String command) {
        String[] w = command.trim().split("\\s+");
        return switch (w[0] + "/" + w.length) {
            case "open/2" -> balances.putIfAbsent(w[1], 0L) == null ? "ok" : "error: account exists";
            case "deposit/3" -> transfer(null, w[1], amount(w[2]));
            case "transfer/4" -> transfer(w[1], w[2], amount(w[3]));
            default -> "error: unknown command";
        };
    }

    /** Moves {@code amount} from {@code from} (null: from outside the bank, a deposit) to {@code to}. */
    private String transfer(String from, String to, long amount) {
        Long source = from == null ? Long.valueOf(amount) : balances.get(from);
        Long target = balances.get(to);
        if (source == null || target == null) {
            return "error: no such account";
        }
        if (amount <= 0 || to.equals(from) || target > Long.MAX_VALUE - amount) {
            return "error: bad amount";
        }
        if (source < amount) {
            return "error: short funds";
        }
        if (from != null) {
            balances.put(from, source - amount);
        }
        balances.put(to, target + amount);
        return from == null ? "ok " + (target + amount) : "ok";
    }

    /** A malformed amount is {@code -1}: refused as a bad amount, like a negative one. */
    private static long amount(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    protected synchronized String queryText(String query) {
        String[] w = query.trim().split("\\s+");
        return switch (w[0] + "/" + w.length) {
            case "balance/2" -> balances.containsKey(w[1]) ? balances.get(w[1]).toString() : "error: no such account";
            case "total/1" -> balances.size() + " " + balances.values().stream().mapToLong(Long::longValue).sum();
            case "digest/1" -> stateDigest();
            default -> "error: unknown query";
        };
    }

    /** A copy, taken while apply waits (cheap for thousands of accounts; a bigger state would share structure). */
    @Override
    protected StateWriter captureState() {
        Map<String, Long> copy = new TreeMap<>(balances);
        return out -> out.writeMap(copy, SnapshotOutput::writeString, SnapshotOutput::writeLong);
    }

    @Override
    protected Runnable readState(SnapshotInput in) throws IOException {
        Map<String, Long> read = in.readMap(TreeMap::new, i -> i.readString("name"), i -> i.readLong("balance"));
        return () -> {
            balances.clear();
            balances.putAll(read);
        };
    }
}
