package io.raftkv.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.fault.JsonHttpClient.Answer;
import io.raftkv.fault.RunResult.BankResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bank workload, on the SQL state machine ({@code serve --state-machine sql}, rqlite's HTTP API): a table of
 * accounts with a known total, transfer clients moving money between them, and readers of all balances.
 *
 * <p><b>A transfer</b> is one request, {@code POST /db/execute?transaction}, of two statements that are all or
 * nothing — no client-side read-then-write:
 * <ol>
 *   <li>{@code INSERT INTO transfers(id, src, dst, amount, applied) VALUES(:id, …, (SELECT balance >= :amount FROM
 *       accounts WHERE id = :src))}: the transfer's own row in a log table, with the verdict on the funds taken inside
 *       the transaction. {@code id} is the log's primary key, chosen by the client: a resend of a transfer that was
 *       already applied fails here with a UNIQUE error, and {@code ?transaction} rolls the whole resend back;</li>
 *   <li>{@code UPDATE accounts SET balance = balance + CASE id WHEN :src THEN -:amount ELSE :amount END WHERE id IN
 *       (:src, :dst) AND (SELECT applied FROM transfers WHERE id = :id) = 1}: debit and credit in one statement,
 *       only if the log row says the funds sufficed (2 rows changed, or 0 for a declined transfer).</li>
 * </ol>
 * So the log row is the idempotency key, and a try whose outcome is unknown (504, a response timeout, a reset) is
 * resent with the same id — to the next node — until a server answers it, as the counter clients do with sessions
 * (which the SQL plugin does not offer). A UNIQUE error means an earlier try was applied; its verdict is then read
 * back linearizably from the log. After {@link #stop()} a client starts no new transfer but resolves the one in
 * flight within the resolve window; one still unresolved is <em>in doubt</em>.
 *
 * <p><b>Readers</b> send {@code SELECT COUNT(*), SUM(balance), MIN(balance) FROM accounts} and {@code SELECT
 * COUNT(*) FROM transfers} as one query (one read transaction) at the configured level ({@code strong}) to a random
 * node. Every answered read must show all accounts, the exact total and no negative balance — a transfer half done
 * shows as a wrong total ({@link #tornReads()}). And, because every transfer a client was answered for is in the
 * log, a linearizable read must count at least as many log rows as transfers answered before it started, and at
 * least as many as any read that completed before it started ({@link #staleReads()}: §6.4's guarantee, from the
 * outside).
 *
 * <p><b>At the end</b> ({@link #check}): the ledger read linearizably must hold the exact total, no negative balance,
 * and balances equal to the opening balances replayed through the logged transfers; every transfer answered
 * applied or declined must be in the log with that verdict, none certainly not applied may be in it, every logged
 * row must be one a client sent (same accounts and amount), and only transfers in doubt may be logged unanswered.
 *
 * <p>The mutations ({@code SqlBankMutationIT}): {@link RunConfig.Bank#splitTransfers()} sends the debit and the
 * credit as two requests, so readers see the money missing in between and a lost credit leaves the total short;
 * a read level of {@code none} reads each node's own state, which lags behind acknowledged transfers.
 */
public final class BankWorkload {
    private static final String SETUP_ACCOUNTS = "CREATE TABLE IF NOT EXISTS accounts"
            + " (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)";
    private static final String SETUP_LOG = "CREATE TABLE IF NOT EXISTS transfers (id TEXT PRIMARY KEY,"
            + " src INTEGER NOT NULL, dst INTEGER NOT NULL, amount INTEGER NOT NULL, applied INTEGER NOT NULL)";
    private static final String LOG_TRANSFER = "INSERT INTO transfers(id, src, dst, amount, applied)"
            + " VALUES(:id, :src, :dst, :amount, (SELECT balance >= :amount FROM accounts WHERE id = :src))";
    private static final String IF_LOGGED_APPLIED = " AND (SELECT applied FROM transfers WHERE id = :id) = 1";
    private static final String MOVE = "UPDATE accounts SET balance = balance + CASE id WHEN :src THEN -:amount"
            + " ELSE :amount END WHERE id IN (:src, :dst)" + IF_LOGGED_APPLIED;
    private static final String DEBIT = "UPDATE accounts SET balance = balance - :amount WHERE id = :src"
            + IF_LOGGED_APPLIED;
    private static final String CREDIT = "UPDATE accounts SET balance = balance + :amount WHERE id = :dst"
            + IF_LOGGED_APPLIED;
    private static final String DUPLICATE = "UNIQUE constraint failed: transfers.id";
    /** How many examples of each kind of bad read are kept for the report. */
    private static final int EXAMPLES = 5;

    private final ServerProcesses servers;
    private final RunConfig.Bank bank;
    private final JsonHttpClient http;
    private final Duration resolveWindow;
    private final long origin = System.nanoTime();
    private final Map<String, Sent> sent = new ConcurrentHashMap<>();
    private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
    private final AtomicLong resends = new AtomicLong();
    private final AtomicLong alreadyApplied = new AtomicLong();
    /** Transfers a client was answered for (applied or declined): each of them is in the log. */
    private final AtomicLong answered = new AtomicLong();
    /** The largest log count any completed read saw. */
    private final AtomicLong countSeen = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final Map<String, AtomicLong> readsUnanswered = new ConcurrentHashMap<>();
    private final AtomicLong torn = new AtomicLong();
    private final AtomicLong stale = new AtomicLong();
    private final ConcurrentLinkedQueue<String> tornExamples = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> staleExamples = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private volatile boolean stopped;
    private volatile long stoppedAt;

    /** What a client sent as transfer {@code id}. */
    record Sent(int src, int dst, long amount) {
    }

    /** Where a transfer ended, as far as its client knows. */
    enum Outcome { APPLIED, DECLINED, NOT_APPLIED, IN_DOUBT }

    /** A row of the log table. */
    record Logged(int src, int dst, long amount, boolean applied) {
    }

    /** The database at the end: balances by account, the log by transfer id. */
    record Ledger(Map<Integer, Long> balances, Map<String, Logged> log) {
    }

    /**
     * @param timeout       HTTP response timeout of one request (then: outcome unknown, resend)
     * @param resolveWindow after {@link #stop()}, how long a client may still resolve the transfer in flight
     */
    public BankWorkload(ServerProcesses servers, RunConfig.Bank bank, Duration timeout, Duration resolveWindow) {
        this.servers = servers;
        this.bank = bank;
        this.http = new JsonHttpClient(servers, timeout);
        this.resolveWindow = resolveWindow;
    }

    public long total() {
        return bank.accounts() * bank.openingBalance();
    }

    public long tornReads() {
        return torn.get();
    }

    public long staleReads() {
        return stale.get();
    }

    /** No new transfers; the ones in flight are still resolved (see the class comment). Readers stop at once. */
    public void stop() {
        stoppedAt = System.nanoTime();
        stopped = true;
    }

    private boolean resolveWindowOver() {
        return stopped && System.nanoTime() - stoppedAt > resolveWindow.toNanos();
    }

    // ------------------------------------------------------------------------------------------- setup

    /**
     * Creates the tables and opens the accounts, trying the nodes in turn until one answers 200 without an error:
     * every statement is idempotent ({@code IF NOT EXISTS}, {@code INSERT OR IGNORE}), so a try of unknown outcome
     * is simply sent again. Returns false if no try succeeded within {@code timeout}.
     */
    public boolean setUp(Duration timeout) throws InterruptedException {
        List<Object> statements = new ArrayList<>(List.of(SETUP_ACCOUNTS, SETUP_LOG));
        for (int a = 1; a <= bank.accounts(); a++) {
            statements.add(List.of("INSERT OR IGNORE INTO accounts(id, balance) VALUES(?, ?)", a, bank.openingBalance()));
        }
        String body = json(statements);
        List<String> ids = servers.ids();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
            Answer a = http.post(ids.get(attempt % ids.size()), "/db/execute?transaction", body);
            if (a.status() == 200 && a.body() != null && !a.body().path("results").toString().contains("\"error\"")) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------- transfers

    /** The body of transfer client {@code process}, starting at {@code node}. Returns when stopped. */
    public void runTransfers(int process, String node, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int home = servers.ids().indexOf(node);
        for (int n = 0; !stopped && !Thread.currentThread().isInterrupted(); n++) {
            String id = "t" + process + "-" + n;
            int src = 1 + random.nextInt(bank.accounts());
            int dst = 1 + (src + random.nextInt(bank.accounts() - 1)) % bank.accounts(); // never src itself
            long amount = 1 + random.nextLong(Math.max(1, bank.openingBalance() / 2));
            Sent s = new Sent(src, dst, amount);
            sent.put(id, s);
            Outcome o = transfer(home, id, s);
            outcomes.put(id, o);
            if (o == Outcome.APPLIED || o == Outcome.DECLINED) {
                answered.incrementAndGet(); // after the answer: a read that starts from now on must count it
                if (o == Outcome.APPLIED && bank.splitTransfers()) {
                    credit(home, id, s);
                }
            } else {
                sleep(50); // no node took it: do not spin
            }
        }
    }

    /** Sends transfer {@code id} (resending it after unknown outcomes) until it is answered. */
    private Outcome transfer(int home, String id, Sent s) {
        String body = json(bank.splitTransfers()
                ? List.of(statement(LOG_TRANSFER, id, s), statement(DEBIT, id, s))
                : List.of(statement(LOG_TRANSFER, id, s), statement(MOVE, id, s)));
        List<String> ids = servers.ids();
        boolean maybeApplied = false;
        for (int attempt = 0; ; attempt++) {
            if (stopped && !maybeApplied) {
                return Outcome.NOT_APPLIED; // every try so far certainly failed, and a stopped client starts none
            }
            if (resolveWindowOver()) {
                return Outcome.IN_DOUBT;
            }
            String node = ids.get((home + attempt) % ids.size());
            Answer a = http.post(node, "/db/execute?transaction", body);
            if (a.status() == 200) {
                return answered(node, id, a.body(), maybeApplied);
            }
            if (a.unknown()) {
                maybeApplied = true;
                resends.incrementAndGet();
            } else if (!a.failed()) {
                problems.add("transfer " + id + " on " + node + " answered " + a.status() + ": " + a.body());
                return maybeApplied ? Outcome.IN_DOUBT : Outcome.NOT_APPLIED;
            }
            sleep(attempt < 3 ? 20 : 100); // the node is down, paused, cut off or without a leader
        }
    }

    /** A 200 to a transfer: applied, declined, or (UNIQUE on the log) applied by an earlier try: read its verdict. */
    private Outcome answered(String node, String id, JsonNode body, boolean maybeApplied) {
        JsonNode results = body == null ? null : body.path("results");
        JsonNode logged = results == null ? null : results.path(0);
        if (logged != null && logged.path("error").asText().contains(DUPLICATE)) {
            if (!maybeApplied) {
                problems.add("transfer " + id + " was already in the log at its first try: " + body);
            }
            alreadyApplied.incrementAndGet(); // without the log's key, this resend would have moved the money again
            return readVerdict(id);
        }
        int moved = bank.splitTransfers() ? 1 : 2;
        if (results != null && results.size() == 2 && logged.path("rows_affected").asLong() == 1) {
            long changed = results.path(1).path("rows_affected").asLong(-1);
            if (changed == moved) {
                return Outcome.APPLIED;
            }
            if (changed == 0) {
                return Outcome.DECLINED;
            }
        }
        problems.add("transfer " + id + " on " + node + ": unexpected answer " + body);
        return Outcome.IN_DOUBT; // a 200 means the server ran it: it may be in the log
    }

    /** The verdict the log holds for {@code id}, read linearizably from any node that answers. */
    private Outcome readVerdict(String id) {
        String body = json(List.of(List.of("SELECT applied FROM transfers WHERE id = :id", Map.of("id", id))));
        List<String> ids = servers.ids();
        for (int attempt = 0; !resolveWindowOver(); attempt++) {
            Answer a = http.post(ids.get(attempt % ids.size()), "/db/query?level=strong", body);
            if (a.status() == 200 && a.body() != null) {
                JsonNode values = a.body().path("results").path(0).path("values");
                if (values.size() != 1) {
                    problems.add("transfer " + id + " met a UNIQUE error but is not in the log: " + a.body());
                    return Outcome.IN_DOUBT;
                }
                return values.path(0).path(0).asLong() == 1 ? Outcome.APPLIED : Outcome.DECLINED;
            }
            sleep(100);
        }
        return Outcome.IN_DOUBT;
    }

    /** The mutation's second request: the credit on its own, sent once. */
    private void credit(int home, String id, Sent s) {
        http.post(servers.ids().get(home), "/db/execute", json(List.of(statement(CREDIT, id, s))));
    }

    private static List<Object> statement(String sql, String id, Sent s) {
        Map<String, Object> named = new LinkedHashMap<>();
        if (sql.contains(":id")) {
            named.put("id", id);
        }
        if (sql.contains(":src")) {
            named.put("src", s.src());
        }
        if (sql.contains(":dst")) {
            named.put("dst", s.dst());
        }
        named.put("amount", s.amount());
        return List.of(sql, named);
    }

    // ------------------------------------------------------------------------------------------- readers

    /** The body of reader thread {@code process}: reads all balances through random nodes until stopped. */
    public void runReader(int process, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> ids = servers.ids();
        String body = json(List.of("SELECT COUNT(*), SUM(balance), MIN(balance) FROM accounts",
                "SELECT COUNT(*) FROM transfers"));
        while (!stopped && !Thread.currentThread().isInterrupted()) {
            String node = ids.get(random.nextInt(ids.size()));
            String label = servers.label(node);
            // Linearizability (§6.4): this read starts after every answer counted here, and after every read that
            // completed, so it must count at least as many log rows as either.
            long floor = Math.max(answered.get(), countSeen.get());
            long startedMs = (System.nanoTime() - origin) / 1_000_000;
            Answer a = http.post(node, "/db/query?level=" + bank.readLevel(), body);
            if (a.status() != 200 || a.body() == null) {
                String why = a.status() != 0 ? Integer.toString(a.status()) : a.sent() ? "no answer" : "refused";
                readsUnanswered.computeIfAbsent(why, w -> new AtomicLong()).incrementAndGet();
                sleep(50); // not answered: nothing was read
                continue;
            }
            JsonNode results = a.body().path("results");
            JsonNode accounts = results.path(0).path("values").path(0);
            JsonNode logCount = results.path(1).path("values").path(0).path(0);
            if (accounts.size() != 3 || !logCount.isNumber()) {
                problems.add("read on " + label + " answered " + a.body());
                continue;
            }
            reads.incrementAndGet();
            long count = accounts.get(0).asLong();
            long sum = accounts.get(1).asLong();
            long min = accounts.get(2).asLong();
            long logged = logCount.asLong();
            if (count != bank.accounts() || sum != total() || min < 0) {
                torn.incrementAndGet();
                example(tornExamples, label + " at " + startedMs + " ms: " + count + " accounts, total " + sum
                        + " of " + total() + ", lowest balance " + min);
            }
            if (logged < floor) {
                stale.incrementAndGet();
                example(staleExamples, label + " at " + startedMs + " ms: " + logged + " transfers in the log, but "
                        + floor + " were answered or read before the read started");
            }
            countSeen.accumulateAndGet(logged, Math::max);
            sleep(5);
        }
    }

    private static void example(ConcurrentLinkedQueue<String> examples, String line) {
        if (examples.size() < EXAMPLES) {
            examples.add(line);
        }
    }

    // ------------------------------------------------------------------------------------------- the end

    /** The whole ledger, read linearizably (one read transaction) through {@code node}; empty if not answered. */
    public Optional<Ledger> readLedger(String node) {
        Answer a = http.post(node, "/db/query?level=strong", json(List.of(
                "SELECT id, balance FROM accounts ORDER BY id",
                "SELECT id, src, dst, amount, applied FROM transfers")));
        if (a.status() != 200 || a.body() == null) {
            return Optional.empty();
        }
        Map<Integer, Long> balances = new TreeMap<>();
        for (JsonNode row : a.body().path("results").path(0).path("values")) {
            balances.put(row.get(0).asInt(), row.get(1).asLong());
        }
        Map<String, Logged> log = new TreeMap<>();
        for (JsonNode row : a.body().path("results").path(1).path("values")) {
            log.put(row.get(0).asText(), new Logged(row.get(1).asInt(), row.get(2).asInt(), row.get(3).asLong(),
                    row.get(4).asLong() == 1));
        }
        return Optional.of(new Ledger(balances, log));
    }

    /** The end-of-run checks of the class comment on the final ledger; each line is a problem. */
    public List<String> check(Ledger ledger) {
        List<String> found = new ArrayList<>(problems);
        long sum = ledger.balances().values().stream().mapToLong(Long::longValue).sum();
        if (ledger.balances().size() != bank.accounts() || sum != total()) {
            found.add("final ledger: " + ledger.balances().size() + " accounts holding " + sum + ", not "
                    + bank.accounts() + " holding " + total() + ": money created or destroyed");
        }
        ledger.balances().forEach((account, balance) -> {
            if (balance < 0) {
                found.add("final ledger: account " + account + " is overdrawn (" + balance + ")");
            }
        });
        Map<Integer, Long> replayed = new TreeMap<>();
        for (int a = 1; a <= bank.accounts(); a++) {
            replayed.put(a, bank.openingBalance());
        }
        ledger.log().values().stream().filter(Logged::applied).forEach(t -> {
            replayed.merge(t.src(), -t.amount(), Long::sum);
            replayed.merge(t.dst(), t.amount(), Long::sum);
        });
        if (!replayed.equals(ledger.balances())) {
            found.add("final balances " + ledger.balances() + " are not the opening balances replayed through the "
                    + "logged transfers " + replayed + ": a transfer moved money without its log row or by halves");
        }
        List<String> lost = new ArrayList<>();
        List<String> wrongVerdict = new ArrayList<>();
        List<String> unsent = new ArrayList<>();
        List<String> failedButLogged = new ArrayList<>();
        outcomes.forEach((id, o) -> {
            Logged l = ledger.log().get(id);
            switch (o) {
                case APPLIED, DECLINED -> {
                    if (l == null) {
                        lost.add(id);
                    } else if (l.applied() != (o == Outcome.APPLIED)) {
                        wrongVerdict.add(id + " (answered " + o + ", logged applied=" + l.applied() + ")");
                    }
                }
                case NOT_APPLIED -> {
                    if (l != null) {
                        failedButLogged.add(id);
                    }
                }
                case IN_DOUBT -> {
                    // either way
                }
            }
        });
        ledger.log().forEach((id, l) -> {
            Sent s = sent.get(id);
            if (s == null || s.src() != l.src() || s.dst() != l.dst() || s.amount() != l.amount()) {
                unsent.add(id + " " + l);
            }
        });
        report(found, lost, "answered transfers missing from the log (acknowledged writes lost)");
        report(found, wrongVerdict, "transfers logged with another verdict than their client was told");
        report(found, failedButLogged, "transfers logged although every try of them certainly failed (503/refused)");
        report(found, unsent, "log rows no client sent (or with other accounts or amount)");
        if (torn.get() > 0) {
            found.add(torn.get() + " of " + reads.get() + " reads at level=" + bank.readLevel() + " saw a torn"
                    + " ledger (total or account count wrong, or a negative balance), e.g. " + tornExamples);
        }
        if (stale.get() > 0) {
            found.add(stale.get() + " of " + reads.get() + " reads at level=" + bank.readLevel() + " were stale"
                    + " (missed transfers answered or read before they started), e.g. " + staleExamples);
        }
        return found;
    }

    private static void report(List<String> found, List<String> ids, String what) {
        if (!ids.isEmpty()) {
            found.add(ids.size() + " " + what + ": " + ids.stream().sorted().limit(10).toList());
        }
    }

    /** Records a transfer and where it ended as a client would (for the check's own tests). */
    void record(String id, Sent s, Outcome outcome) {
        sent.put(id, s);
        outcomes.put(id, outcome);
    }

    /** Counts for the run's result; {@code inDoubt} and {@code notApplied} are final once every client stopped. */
    public BankResult result() {
        Map<Outcome, Long> by = new java.util.EnumMap<>(Outcome.class);
        outcomes.values().forEach(o -> by.merge(o, 1L, Long::sum));
        return new BankResult(by.getOrDefault(Outcome.APPLIED, 0L), by.getOrDefault(Outcome.DECLINED, 0L),
                by.getOrDefault(Outcome.NOT_APPLIED, 0L), by.getOrDefault(Outcome.IN_DOUBT, 0L), resends.get(),
                alreadyApplied.get(), reads.get(), torn.get(), stale.get());
    }

    /** Reads that got no answer, by why (a status, "refused", "no answer"): nothing was read. */
    public Map<String, Long> readsUnanswered() {
        Map<String, Long> out = new TreeMap<>();
        readsUnanswered.forEach((why, n) -> out.put(why, n.get()));
        return out;
    }

    /** How many of the transfers in doubt the final ledger logged (applied or declined). */
    public long inDoubtLogged(Ledger ledger) {
        return outcomes.entrySet().stream()
                .filter(e -> e.getValue() == Outcome.IN_DOUBT && ledger.log().containsKey(e.getKey())).count();
    }

    private static String json(Object value) {
        try {
            return JsonHttpClient.JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
