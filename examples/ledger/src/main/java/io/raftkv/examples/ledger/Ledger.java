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
 * deposit NAME AMOUNT       → ok BALANCE | error: no such account | error: bad amount | error: bank total too large
 * transfer FROM TO AMOUNT   → ok | error: short funds | error: no such account | error: bad amount (also FROM = TO)
 * balance NAME   (query)    → BALANCE | error: no such account
 * total          (query)    → ACCOUNTS TOTAL   (every account, at one point in the log)
 * digest         (query)    → INDEX SHA-256    (equal on servers at the same index)
 * </pre>
 * A failure is a result, the same on every server (a transfer on short funds changes nothing anywhere), never an
 * exception. {@code transfer} is not idempotent: a retry after an unknown outcome could move the money twice.
 * Apply holds this object's monitor (TextStateMachine's contract), so a {@code synchronized} read sees one moment.
 */
public final class Ledger extends TextStateMachine {
    /** Sorted, so that snapshots and digests walk accounts in the same order on every server. */
    private final TreeMap<String, Long> balances = new TreeMap<>();
    /** The sum of all balances: deposits that would overflow it are refused, so no balance can overflow either. */
    private long total;

    public Ledger() {
        super("LDGR", 1);
    }

    @Override
    protected String applyText(long index, String command) {
        String[] w = command.trim().split("\\s+");
        return switch (w[0] + "/" + w.length) {
            case "open/2" -> balances.putIfAbsent(w[1], 0L) == null ? "ok" : "error: account exists";
            case "deposit/3" -> deposit(w[1], amount(w[2]));
            case "transfer/4" -> transfer(w[1], w[2], amount(w[3]));
            default -> "error: unknown command";
        };
    }

    private String deposit(String name, long amount) {
        Long balance = balances.get(name);
        String refused = balance == null ? "error: no such account" : amount <= 0 ? "error: bad amount"
                : total > Long.MAX_VALUE - amount ? "error: bank total too large" : null;
        if (refused != null) {
            return refused;
        }
        total += amount;
        balances.put(name, balance + amount);
        return "ok " + (balance + amount);
    }

    private String transfer(String from, String to, long amount) {
        Long source = balances.get(from);
        Long target = balances.get(to);
        String refused = source == null || target == null ? "error: no such account"
                : amount <= 0 || from.equals(to) ? "error: bad amount" : source < amount ? "error: short funds" : null;
        if (refused != null) {
            return refused;
        }
        balances.put(from, source - amount);
        balances.put(to, target + amount); // cannot overflow: no balance exceeds the total
        return "ok";
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
    protected String queryText(String query) {
        String[] w = query.trim().split("\\s+");
        return switch (w[0] + "/" + w.length) {
            case "balance/2" -> balance(w[1]);
            case "total/1" -> total();
            case "digest/1" -> stateDigest(); // takes the monitor for its capture only, and hashes outside it
            default -> "error: unknown query";
        };
    }

    private synchronized String balance(String name) {
        return balances.containsKey(name) ? balances.get(name).toString() : "error: no such account";
    }

    private synchronized String total() {
        return balances.size() + " " + total;
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
            total = read.values().stream().mapToLong(Long::longValue).sum();
        };
    }
}
