package io.raftkv.fault;

import io.raftkv.fault.BankWorkload.Ledger;
import io.raftkv.fault.BankWorkload.Logged;
import io.raftkv.fault.BankWorkload.Outcome;
import io.raftkv.fault.BankWorkload.Sent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bank's end-of-run check on hand-made ledgers: a consistent one passes, and each way a ledger can disagree with
 * what the clients were told is reported. (The torn and stale reads are shown to bite by SqlBankMutationIT.)
 */
class BankCheckTest {
    private static final Sent ONE_TO_TWO = new Sent(1, 2, 100);
    private static final Sent THREE_TO_FOUR = new Sent(3, 4, 900);
    private static final Sent FIVE_TO_SIX = new Sent(5, 6, 50);
    private static final Sent SEVEN_TO_EIGHT = new Sent(7, 8, 10);

    /** t0-0 applied, t0-1 declined, t0-2 in doubt (and applied), t0-3 certainly not applied. */
    private static BankWorkload clients() {
        BankWorkload bank = new BankWorkload(null, RunConfig.Bank.standard(), Duration.ofSeconds(1), Duration.ZERO);
        bank.record("t0-0", ONE_TO_TWO, Outcome.APPLIED);
        bank.record("t0-1", THREE_TO_FOUR, Outcome.DECLINED);
        bank.record("t0-2", FIVE_TO_SIX, Outcome.IN_DOUBT);
        bank.record("t0-3", SEVEN_TO_EIGHT, Outcome.NOT_APPLIED);
        return bank;
    }

    private static Map<String, Logged> consistentLog() {
        Map<String, Logged> log = new TreeMap<>();
        log.put("t0-0", new Logged(1, 2, 100, true));
        log.put("t0-1", new Logged(3, 4, 900, false));
        log.put("t0-2", new Logged(5, 6, 50, true));
        return log;
    }

    private static Map<Integer, Long> balances(long... b) {
        Map<Integer, Long> m = new TreeMap<>();
        for (int i = 0; i < b.length; i++) {
            m.put(i + 1, b[i]);
        }
        return m;
    }

    private static final Map<Integer, Long> CONSISTENT = balances(900, 1100, 1000, 1000, 950, 1050, 1000, 1000);

    /** Exactly one finding, and it says {@code what}. */
    private static void assertOnly(List<String> found, String what) {
        assertEquals(1, found.size(), found.toString());
        assertTrue(found.get(0).contains(what), found.toString());
    }

    @Test
    void aLedgerThatReplaysFromItsLogAndHoldsEveryAnswerPasses() {
        assertEquals(List.of(), clients().check(new Ledger(CONSISTENT, consistentLog())));
    }

    @Test
    void anAnsweredTransferMissingFromTheLogIsLost() {
        Map<String, Logged> log = consistentLog();
        log.remove("t0-0");
        List<String> found = clients().check(new Ledger(balances(1000, 1000, 1000, 1000, 950, 1050, 1000, 1000), log));
        assertOnly(found, "1 answered transfers missing from the log");
    }

    @Test
    void aLogRowNoClientSentOrWithAnotherAmountIsReported() {
        Map<String, Logged> log = consistentLog();
        log.put("t9-9", new Logged(7, 8, 0, false));
        log.put("t0-2", new Logged(5, 6, 51, true));
        List<String> found = clients().check(new Ledger(balances(900, 1100, 1000, 1000, 949, 1051, 1000, 1000), log));
        assertOnly(found, "2 log rows no client sent");
    }

    @Test
    void aTransferCertainlyNotAppliedMustNotBeLogged() {
        Map<String, Logged> log = consistentLog();
        log.put("t0-3", new Logged(7, 8, 10, true));
        List<String> found = clients().check(new Ledger(balances(900, 1100, 1000, 1000, 950, 1050, 990, 1010), log));
        assertOnly(found, "every try of them certainly failed");
    }

    @Test
    void aVerdictOtherThanTheAnswerIsReported() {
        Map<String, Logged> log = consistentLog();
        log.put("t0-1", new Logged(3, 4, 900, true));
        List<String> found = clients().check(new Ledger(balances(900, 1100, 100, 1900, 950, 1050, 1000, 1000), log));
        assertOnly(found, "another verdict");
    }

    @Test
    void aDebitWithoutItsCreditBreaksTheTotalAndTheReplay() {
        List<String> found = clients().check(new Ledger(balances(900, 1000, 1000, 1000, 950, 1050, 1000, 1000),
                consistentLog()));
        assertEquals(2, found.size(), found.toString());
        assertTrue(found.get(0).contains("holding 7900, not 8 holding 8000"), found.toString());
        assertTrue(found.get(1).contains("not the opening balances replayed"), found.toString());
    }

    @Test
    void anOverdrawnAccountIsReportedEvenWhenTheTotalHolds() {
        Map<String, Logged> log = consistentLog();
        log.put("t0-1", new Logged(3, 4, 900, true));
        BankWorkload bank = clients();
        bank.record("t0-1", THREE_TO_FOUR, Outcome.APPLIED);
        bank.record("t1-0", new Sent(3, 4, 900), Outcome.APPLIED);
        log.put("t1-0", new Logged(3, 4, 900, true));
        List<String> found = bank.check(new Ledger(balances(900, 1100, -800, 2800, 950, 1050, 1000, 1000), log));
        assertOnly(found, "account 3 is overdrawn (-800)");
    }
}
