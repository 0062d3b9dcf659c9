package io.raftkv.examples.ledger;

import io.raftkv.core.statemachine.AbstractStateMachine;
import io.raftkv.core.statemachine.SnapshotInput;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * A bank ledger, replicated: accounts with whole-number balances. Commands and answers are text.
 * <pre>
 * open NAME                 → ok | error: account exists
 * deposit NAME AMOUNT       → ok BALANCE | error: no account NAME | error: bad amount
 * transfer FROM TO AMOUNT   → ok | error: short funds | error: no account NAME | error: bad amount
 * balance NAME   (query)    → BALANCE | error: no account NAME
 * total          (query)    → ACCOUNTS TOTAL   (every account, at one point in the log)
 * digest         (query)    → INDEX SHA-256    (of every account and balance: equal on servers at one index)
 * </pre>
 * A failure is a result, the same on every server (a transfer on short funds changes nothing anywhere), never an
 * exception. {@code transfer} is not idempotent: a retry after an unknown outcome could move the money twice.
 */
public final class Ledger extends AbstractStateMachine {
    /** Sorted, so that the snapshot and {@code total} walk accounts in the same order everywhere. */
    private final TreeMap<String, Long> balances = new TreeMap<>();

    public Ledger() {
        super("LDGR", 1);
    }

    @Override
    protected synchronized byte[] applyCommand(long index, byte[] command) {
        String[] w = new String(command, StandardCharsets.UTF_8).trim().split("\\s+");
        return bytes(switch (w[0] + "/" + w.length) {
            case "open/2" -> balances.putIfAbsent(w[1], 0L) == null ? "ok" : "error: account exists";
            case "deposit/3" -> deposit(w[1], amount(w[2]));
            case "transfer/4" -> transfer(w[1], w[2], amount(w[3]));
            default -> "error: unknown command";
        });
    }

    private String deposit(String name, long amount) {
        Long balance = balances.get(name);
        if (balance == null || amount <= 0) {
            return balance == null ? "error: no account " + name : "error: bad amount";
        }
        if (balance > Long.MAX_VALUE - amount) {
            return "error: balance too large";
        }
        balances.put(name, balance + amount);
        return "ok " + (balance + amount);
    }

    private String transfer(String from, String to, long amount) {
        Long source = balances.get(from);
        Long target = balances.get(to);
        if (source == null || target == null) {
            return "error: no account " + (source == null ? from : to);
        }
        if (amount <= 0 || from.equals(to)) {
            return "error: bad amount";
        }
        if (source < amount) {
            return "error: short funds";
        }
        balances.put(from, source - amount);
        balances.put(to, target + amount);
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
    public synchronized byte[] query(byte[] request) {
        String[] w = new String(request, StandardCharsets.UTF_8).trim().split("\\s+");
        if (w.length == 1 && w[0].equals("total")) {
            return bytes(balances.size() + " " + balances.values().stream().mapToLong(Long::longValue).sum());
        }
        if (w.length == 1 && w[0].equals("digest")) {
            return bytes(lastAppliedIndex() + " " + sha256(balances.toString()));
        }
        if (w.length == 2 && w[0].equals("balance")) {
            Long b = balances.get(w[1]);
            return bytes(b == null ? "error: no account " + w[1] : Long.toString(b));
        }
        return bytes("error: unknown query");
    }

    /** A copy, taken while apply waits (cheap for thousands of accounts; a bigger state would share structure). */
    @Override
    protected synchronized StateWriter captureState() {
        Map<String, Long> copy = new TreeMap<>(balances);
        return out -> {
            out.writeVarInt(copy.size());
            for (Map.Entry<String, Long> e : copy.entrySet()) {
                out.writeString(e.getKey());
                out.writeLong(e.getValue());
            }
        };
    }

    @Override
    protected Runnable readState(SnapshotInput in) throws IOException {
        TreeMap<String, Long> read = new TreeMap<>();
        for (int n = in.readVarInt("account count"); n > 0; n--) {
            read.put(in.readString("name"), in.readLong("balance"));
        }
        return () -> {
            synchronized (this) {
                balances.clear();
                balances.putAll(read);
            }
        };
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(s)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
