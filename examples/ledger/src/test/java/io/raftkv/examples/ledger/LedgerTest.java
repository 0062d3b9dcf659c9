package io.raftkv.examples.ledger;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The ledger's commands, failures as results, and a snapshot that restores exactly (or not at all). */
class LedgerTest {
    private final Ledger ledger = new Ledger();
    private long index;

    private String run(String command) {
        return new String(ledger.apply(++index, command.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    private static String ask(Ledger l, String query) {
        return new String(l.query(query.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @Test
    void commandsAndTheirFailures() {
        assertEquals("ok", run("open alice"));
        assertEquals("error: account exists", run("open alice"));
        assertEquals("ok", run("open bob"));
        assertEquals("ok 100", run("deposit alice 100"));
        assertEquals("error: no such account", run("deposit carol 5"));
        assertEquals("error: bad amount", run("deposit alice -5"));
        assertEquals("error: bad amount", run("deposit alice lots"));
        assertEquals("ok", run("transfer alice bob 30"));
        assertEquals("error: short funds", run("transfer alice bob 71"));
        assertEquals("error: bad amount", run("transfer alice alice 1"));
        assertEquals("error: no such account", run("transfer alice carol 1"));
        assertEquals("error: unknown command", run("withdraw alice 1"));
        assertEquals("error: unknown command", run(""));
        assertEquals("error: bank total too large", run("deposit bob " + Long.MAX_VALUE), "the sum of balances fits a long");
        assertEquals("70", ask(ledger, "balance alice"));
        assertEquals("30", ask(ledger, "balance bob"));
        assertEquals("2 100", ask(ledger, "total"));
        assertEquals("error: unknown query", ask(ledger, "owner alice"));
        assertEquals(index, ledger.lastAppliedIndex(), "failed commands are applied entries too");
    }

    @Test
    void aSnapshotRestoresTheSameLedger_andACorruptOneChangesNothing() throws IOException {
        run("open alice");
        run("deposit alice 42");
        run("open bob");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ledger.snapshot().writeTo(out);
        run("deposit alice 1"); // after the capture: not in the snapshot

        Ledger copy = new Ledger();
        copy.restore(3, new ByteArrayInputStream(out.toByteArray()));
        assertEquals("42", ask(copy, "balance alice"));
        assertEquals("2 42", ask(copy, "total"));
        assertEquals(3, copy.lastAppliedIndex());

        byte[] corrupt = out.toByteArray();
        corrupt[corrupt.length / 2] ^= 1;
        assertThrows(IOException.class, () -> copy.restore(3, new ByteArrayInputStream(corrupt)));
        assertEquals("42", ask(copy, "balance alice"), "a corrupt snapshot leaves the state as it was");
    }
}
