package io.raftkv.fault;

import io.raftkv.fault.RunResult.BankResult;
import io.raftkv.fault.RunResult.CounterResult;
import io.raftkv.verify.CheckResult;
import io.raftkv.verify.History;
import io.raftkv.verify.HistoryJson;
import io.raftkv.verify.HistoryRecorder;
import io.raftkv.verify.LinearizabilityChecker;
import io.raftkv.verify.Outcome;
import io.raftkv.verify.StaleReadChecker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One end-to-end run, Jepsen style:
 * <ol>
 *   <li>start {@code n} {@code raftkv serve} processes on 127.0.0.x and wait for a leader;</li>
 *   <li>clients (each pinned to one node) record a history while the {@link Nemesis} injects faults;</li>
 *   <li>heal everything; a leader all nodes agree on must appear within {@link RunConfig#leaderBound()};
 *       the clients keep going for a short heal period, then stop;</li>
 *   <li>a final linearizable read of every key goes into the history (so a lost acknowledged write is a
 *       linearizability violation), and every node must reach the same {@code /digest} at the same index;</li>
 *   <li>processes are killed, iptables rules removed; then the checkers run: linearizable and lease reads,
 *       writes and CAS must be linearizable ({@link LinearizabilityChecker}), stale reads must keep the weaker
 *       guarantees of {@link StaleReadChecker}.</li>
 * </ol>
 * A run with a finding keeps {@code history.jsonl} (re-check with raft-verify's CheckHistory), the lease reads'
 * ids, the node logs and a {@code summary.txt} naming the key and the operations; a clean run keeps only the
 * summary.
 *
 * <p>A bank run ({@link RunConfig#bank}) serves the SQL state machine and runs the {@link BankWorkload} in place of
 * the register and counter clients: its ledger is set up before the nemesis starts and checked after the heal, in
 * place of the final reads and the linearizability check (its history is empty); convergence, the leader bound and
 * crashed processes are checked alike.
 */
public final class FaultRun {
    /** Successive runs in one JVM use fresh addresses, so a dying run's sockets cannot meet the next run's. */
    private static final AtomicInteger NEXT_OCTET = new AtomicInteger(10);
    private static final Duration HEAL_PERIOD = Duration.ofSeconds(2);
    /** Each node's own file system for the disk faults, and the free-space reserve the servers keep on it. */
    private static final int DISK_MIB = 256;
    static final long DISK_RESERVE_BYTES = 24L << 20;

    private final RunConfig config;
    private final Path dir;
    private final List<String> problems = new ArrayList<>();
    private final List<String> observations = new ArrayList<>();
    private final StringBuilder summary = new StringBuilder();
    private Optional<NodeDisks> disks = Optional.empty();

    public FaultRun(RunConfig config) {
        this.config = config;
        this.dir = config.outDir().resolve(config.name());
    }

    private void log(String line) {
        System.out.println("[" + config.name() + "] " + line);
    }

    private void note(String line) {
        log(line);
        summary.append(line).append('\n');
    }

    public RunResult run() throws IOException, InterruptedException {
        deleteRecursively(dir);
        Files.createDirectories(dir);
        note("run " + config.name() + ": seed " + config.seed() + ", " + config.nodes() + " nodes, "
                + (config.bank() != null ? "SQL bank " + config.bank()
                        : config.clientsPerNode() + " clients per node, " + config.keys() + " keys")
                + ", nemesis " + config.duration().toSeconds() + " s " + config.faults()
                + (config.bank() != null ? "" : ", clients over " + config.protocol())
                + (config.unsafeLocalReads() ? ", UNSAFE local linearizable reads (mutation)" : ""));
        boolean diskFaults = config.faults().contains(FaultKind.DISK_FULL) || config.faults().contains(FaultKind.DISK_STALL);
        List<String> jvmArgs = new ArrayList<>();
        if (config.unsafeLocalReads()) {
            jvmArgs.add("-Draftkv.unsafe.localLinearizableReads=true");
        }
        if (diskFaults) {
            jvmArgs.add(NodeDisks.syncStallJvmArg(dir.resolve("data")));
        }
        int octet = NEXT_OCTET.getAndUpdate(o -> o + config.nodes() > 240 ? 10 : o + config.nodes());
        HistoryRecorder recorder = new HistoryRecorder();
        Workload workload = null;
        CounterWorkload counterWorkload = null;
        CounterResult counterResult = null;
        BankWorkload bankWorkload = null;
        BankResult bankResult = null;
        Nemesis nemesis;
        long electionMillis = -1;
        Optional<IptablesPartitioner> partitioner = config.faults().contains(FaultKind.PARTITION)
                ? IptablesPartitioner.create(this::note) : Optional.empty();
        List<String> serveArgs = diskFaults
                ? List.of("--disk-reserve-bytes", Long.toString(DISK_RESERVE_BYTES)) : List.of();
        try (ServerProcesses servers = new ServerProcesses(config.jar(), dir.resolve("data"), config.nodes(), octet,
                jvmArgs, serveArgs, config.stateMachine())) {
            if (diskFaults) {
                disks = NodeDisks.create(dir.resolve("data"), dir.resolve("disks"), servers.ids(), DISK_MIB, this::note);
            }
            ClusterProbe probe = new ClusterProbe(servers);
            for (String id : servers.ids()) {
                servers.start(id);
            }
            if (!await(Duration.ofSeconds(60), () -> probe.agreedLeader().isPresent())) {
                problems.add("no leader within 60 s of starting; crashed: " + servers.crashed());
                return finish(recorder.history(), Set.of(), null, -1, servers, null, null);
            }
            List<Thread> clients = new ArrayList<>();
            int processes = config.nodes() * config.clientsPerNode();
            if (config.bank() != null) {
                bankWorkload = new BankWorkload(servers, config.bank(), config.clientTimeout(),
                        CounterWorkload.RESOLVE_WINDOW);
                if (!bankWorkload.setUp(Duration.ofSeconds(60))) {
                    problems.add("bank: the accounts could not be created within 60 s; crashed: " + servers.crashed());
                    return finish(recorder.history(), Set.of(), null, -1, servers, null, null);
                }
                note("bank: " + config.bank().accounts() + " accounts holding " + bankWorkload.total());
            } else {
                workload = new Workload(recorder, servers, config.keys(), config.clientTimeout(), config.protocol());
            }
            long origin = System.nanoTime();
            nemesis = new Nemesis(servers, partitioner, disks, DISK_RESERVE_BYTES, probe, config.seed(), config.faults(),
                    origin, this::log);
            for (int p = 0; workload != null && p < processes; p++) {
                int process = p;
                String node = servers.ids().get(p % config.nodes());
                Workload w = workload;
                Thread t = new Thread(() -> w.runClient(process, node, config.seed() * 1000 + process),
                        config.name() + "-client-" + p);
                t.setDaemon(true);
                clients.add(t);
                t.start();
            }
            List<Thread> counterClients = new ArrayList<>();
            if (config.counters() != null) {
                RunConfig.Counters c = config.counters();
                note("counter workload: " + c);
                counterWorkload = new CounterWorkload(servers, c.counters(), c.sessions(), c.timeout(),
                        CounterWorkload.RESOLVE_WINDOW);
                for (int p = 0; p < config.nodes() * c.clientsPerNode(); p++) {
                    int process = p;
                    String node = servers.ids().get(p % config.nodes());
                    CounterWorkload w = counterWorkload;
                    Thread t = new Thread(() -> w.runClient(process, node, config.seed() * 1000 + 500 + process),
                            config.name() + "-counter-" + p);
                    t.setDaemon(true);
                    counterClients.add(t);
                    t.start();
                }
            }
            if (bankWorkload != null) {
                startBankClients(bankWorkload, servers, clients);
            }
            long healedAt;
            try {
                nemesis.run(origin + config.duration().toNanos());
            } finally {
                healedAt = nemesis.healAll();
                if (partitioner.isPresent()) {
                    partitioner.get().close(); // no rule outlives the faults, whatever happens next
                }
            }
            note("nemesis done: " + nemesis.counts() + "; healed at " + String.format("%.3f s", (healedAt - origin) / 1e9));
            // A restarted JVM needs seconds to serve on a loaded 2-core machine; that is not Raft's to answer for,
            // so the election bound starts once every node answers /status again.
            if (!await(Duration.ofSeconds(60), () -> servers.ids().stream().allMatch(id -> probe.status(id).isPresent()))) {
                problems.add("not every node answers /status within 60 s of the last heal; crashed: " + servers.crashed());
            }
            long readyAt = System.nanoTime();
            // Thesis §3.4/§9: once a majority can talk again a leader must emerge within a few election timeouts.
            Optional<String> leader = awaitValue(config.leaderBound(), probe::agreedLeader);
            if (leader.isPresent()) {
                electionMillis = (System.nanoTime() - readyAt) / 1_000_000;
                note("leader " + leader.get() + " agreed by all nodes " + electionMillis + " ms after all nodes answered ("
                        + (readyAt - healedAt) / 1_000_000 + " ms after the last heal)");
            } else {
                problems.add("no leader agreed by all nodes within " + config.leaderBound().toSeconds()
                        + " s after the last fault was healed and every node answered");
            }
            Thread.sleep(HEAL_PERIOD.toMillis()); // clients keep working on the healed cluster
            if (workload != null) {
                workload.stop();
            }
            if (bankWorkload != null) {
                bankWorkload.stop(); // no new transfers; those in flight are resolved first
            }
            if (counterWorkload != null) {
                counterWorkload.stop(); // no new increments; those in flight are resolved first
            }
            for (Thread t : clients) {
                // A bank transfer client may still be resolving its transfer in flight.
                t.join(config.clientTimeout().toMillis() + 5_000
                        + (bankWorkload != null ? CounterWorkload.RESOLVE_WINDOW.toMillis() : 0));
                if (t.isAlive()) {
                    problems.add("client " + t.getName() + " did not stop (harness bug)");
                }
            }
            for (Thread t : counterClients) {
                t.join(CounterWorkload.RESOLVE_WINDOW.toMillis() + config.counters().timeout().toMillis() + 5_000);
                if (t.isAlive()) {
                    problems.add("counter client " + t.getName() + " did not stop (harness bug)");
                }
            }
            if (workload != null) {
                finalReads(workload, servers, probe, processes);
            }
            if (bankWorkload != null) {
                bankResult = checkBank(bankWorkload, servers, probe);
            }
            if (counterWorkload != null) {
                counterResult = checkCounters(counterWorkload, servers, probe);
            }
            awaitConvergence(probe, servers);
            List<String> crashed = servers.crashed();
            if (!crashed.isEmpty()) {
                problems.add("processes died on their own: " + crashed);
            }
            if (workload != null) {
                Workload w = workload;
                long overResp = recorder.history().operations().stream().filter(o -> w.speaksResp(o.process())).count();
                note(overResp + " of " + recorder.history().size() + " operations over RESP, the rest over HTTP");
            }
            return finish(recorder.history(), workload == null ? Set.of() : workload.leaseReads(), nemesis,
                    electionMillis, servers, counterResult, bankResult);
        } finally {
            if (bankWorkload != null) {
                bankWorkload.stop(); // an exception above must not leave bank clients spinning in this JVM
            }
            if (workload != null) {
                workload.stop(); // an exception above must not leave client threads spinning in this JVM
                workload.closeConnections();
                if (counterWorkload != null) {
                    counterWorkload.stop(); // nor counter clients (they start after the workload)
                }
            }
            disks.ifPresent(NodeDisks::close); // after the servers are gone (try-with-resources closed them)
            if (partitioner.isPresent()) {
                partitioner.get().close();
            }
        }
    }

    /**
     * A linearizable read of every key, recorded like any other operation and invoked after every client
     * operation completed: if an acknowledged write was lost, no linearization fits. Retried (each attempt
     * recorded) until one returns OK.
     */
    private void finalReads(Workload workload, ServerProcesses servers, ClusterProbe probe, int process)
            throws InterruptedException {
        for (int k = 0; k < config.keys(); k++) {
            String key = workload.key(k);
            boolean ok = false;
            for (int attempt = 0; attempt < 40 && !ok; attempt++) {
                String node = probe.leader().orElse(servers.ids().get(attempt % config.nodes()));
                ok = workload.read(process, node, key, "linearizable") == Outcome.OK;
                if (!ok) {
                    Thread.sleep(250);
                }
            }
            if (!ok) {
                problems.add("final linearizable read of " + key + " did not succeed in 40 attempts");
            }
        }
    }

    /**
     * Each counter must hold exactly the increments its clients were told succeeded (read linearizably, after every
     * client stopped). With sessions anything else is a problem: an increment applied twice (above) or an
     * acknowledged one lost (below), or one left in doubt. Without sessions, counters above their count are the
     * expected double-applies of blind resends: an observation, the proof that this check bites.
     */
    private CounterResult checkCounters(CounterWorkload w, ServerProcesses servers, ClusterProbe probe)
            throws InterruptedException {
        long acknowledged = 0;
        long applied = 0;
        long excess = 0;
        StringBuilder detail = new StringBuilder();
        for (int k = 0; k < w.counters(); k++) {
            Long value = null;
            for (int attempt = 0; attempt < 40 && value == null; attempt++) {
                value = w.read(probe.leader().orElse(servers.ids().get(attempt % config.nodes())), k);
                if (value == null) {
                    Thread.sleep(250);
                }
            }
            long acked = w.acknowledged(k);
            acknowledged += acked;
            if (value == null) {
                problems.add("final read of counter " + w.counter(k) + " did not succeed in 40 attempts");
                applied = -1;
                continue;
            }
            if (applied >= 0) {
                applied += value;
            }
            detail.append(' ').append(w.counter(k)).append('=').append(value).append(" (acknowledged ").append(acked).append(')');
            if (value < acked) {
                problems.add("counter " + w.counter(k) + " = " + value + " but " + acked
                        + " increments were acknowledged: acknowledged writes lost");
            } else if (value > acked) {
                excess += value - acked;
            }
        }
        CounterResult r = new CounterResult(w.sessions(), acknowledged, applied, excess, w.resends(), w.inDoubt());
        note("counters:" + detail + "; " + r + ", " + w.conflicts() + " CAS conflicts (" + w.conflictsAfterUnknown()
                + " right after an unknown outcome), " + w.sessionsOpened() + " sessions opened");
        w.problems().forEach(p -> problems.add("counter workload: " + p));
        if (w.sessions()) {
            if (excess > 0) {
                problems.add("counters ended " + excess + " above the acknowledged increments although every CAS ran"
                        + " in a session: increments applied twice (thesis §6.3 broken)");
            }
            if (w.inDoubt() > 0) {
                problems.add(w.inDoubt() + " increment(s) left in doubt: no server could tell their outcome");
            }
        } else if (excess > 0) {
            observations.add("without sessions, " + excess + " increment(s) were applied twice by blind resends of a"
                    + " CAS whose answer was lost (what client sessions prevent)");
        }
        return r;
    }

    /**
     * The bank's transfer clients (spread over the nodes: a follower hands their writes to the leader) and readers
     * (each read through a random node).
     */
    private void startBankClients(BankWorkload bank, ServerProcesses servers, List<Thread> clients) {
        RunConfig.Bank b = config.bank();
        int transferClients = config.nodes() * b.transferClientsPerNode();
        for (int p = 0; p < transferClients + config.nodes() * b.readersPerNode(); p++) {
            int process = p;
            long seed = config.seed() * 1000 + process;
            Runnable body = p < transferClients
                    ? () -> bank.runTransfers(process, servers.ids().get(process % config.nodes()), seed)
                    : () -> bank.runReader(process, seed);
            Thread t = new Thread(body, config.name() + (p < transferClients ? "-transfers-" : "-reader-") + p);
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
    }

    /**
     * The bank's end, after every client stopped: the ledger read linearizably through the leader (retried), then
     * {@link BankWorkload#check}'s verdicts become the run's problems.
     */
    private BankResult checkBank(BankWorkload bank, ServerProcesses servers, ClusterProbe probe)
            throws InterruptedException {
        Optional<BankWorkload.Ledger> ledger = Optional.empty();
        for (int attempt = 0; attempt < 40 && ledger.isEmpty(); attempt++) {
            ledger = bank.readLedger(probe.leader().orElse(servers.ids().get(attempt % config.nodes())));
            if (ledger.isEmpty()) {
                Thread.sleep(250);
            }
        }
        BankResult r = bank.result();
        if (ledger.isEmpty()) {
            problems.add("bank: the final ledger could not be read in 40 attempts");
        } else {
            bank.check(ledger.get()).forEach(p -> problems.add("bank: " + p));
            note("bank: final balances " + ledger.get().balances() + ", " + ledger.get().log().size()
                    + " transfers logged (" + bank.inDoubtLogged(ledger.get()) + " of the " + r.inDoubt()
                    + " in doubt among them)");
        }
        note("bank: " + r + "; reads unanswered: " + bank.readsUnanswered());
        return r;
    }

    /** All nodes must report the same digest at the same applied index (no client writes any more). */
    private void awaitConvergence(ClusterProbe probe, ServerProcesses servers) throws InterruptedException {
        AtomicReference<Map<String, String>> last = new AtomicReference<>(Map.of());
        boolean converged = await(Duration.ofSeconds(30), () -> {
            Map<String, String> d = probe.digests();
            last.set(d);
            return d.values().stream().distinct().count() == 1 && !d.containsValue("no answer");
        });
        if (converged) {
            note("all " + servers.ids().size() + " nodes converged: digest@appliedIndex "
                    + last.get().values().iterator().next());
        } else {
            problems.add("nodes did not converge within 30 s: " + last.get());
        }
    }

    private RunResult finish(History history, Set<Long> leaseReads, Nemesis nemesis, long electionMillis,
                             ServerProcesses servers, CounterResult counters, BankResult bank) throws IOException {
        servers.close(); // before checking: the checker wants the CPU
        disks.ifPresent(NodeDisks::close); // the data directories are mount points until here
        if (nemesis != null) {
            problems.addAll(nemesis.findings());
        }
        Map<String, Long> byOutcome = new TreeMap<>(history.operations().stream().collect(
                Collectors.groupingBy(o -> o.kind() + "/" + o.outcome(), Collectors.counting())));
        note(history.size() + " operations: " + byOutcome + ", " + leaseReads.size() + " lease reads");
        boolean violated = false;
        if (history.size() > 0) {
            violated = checkLinearizability(history, leaseReads, nemesis == null ? 0 : nemesis.leaderPauses());
            // Nodes restart: sessions are labelled n2#3 (3rd start), see StaleReadChecker's monotonic rule. Lease
            // reads are left out: the linearizability check above holds them to the stronger rule already, and a
            // lease anomaly must be reported as one, not as a stale-read problem.
            StaleReadChecker.Result stale = new StaleReadChecker().check(history.filter(o -> !leaseReads.contains(o.id())));
            note("stale reads: " + stale.readsChecked() + " reads checked, " + stale.anomalies().size() + " anomalies");
            if (!stale.ok()) {
                problems.add("stale-read guarantee broken: " + stale.report());
                summary.append(stale.report()).append('\n');
            }
        }
        if (nemesis != null) {
            summary.append("nemesis timeline:\n");
            nemesis.timeline().forEach(l -> summary.append("  ").append(l).append('\n'));
        }
        problems.forEach(p -> note("PROBLEM: " + p));
        observations.forEach(o -> note("OBSERVATION: " + o));
        // -Dfault.keepHistory=true keeps the files of clean runs too, e.g. to study lease reads after pauses.
        if (!problems.isEmpty() || !observations.isEmpty() || Boolean.getBoolean("fault.keepHistory")) {
            HistoryJson.write(history, dir.resolve("history.jsonl"));
            Files.writeString(dir.resolve("lease-read-ids.txt"), leaseReads.stream().sorted().map(String::valueOf)
                    .collect(Collectors.joining("\n", "", "\n")));
            for (String id : servers.ids()) {
                if (Files.exists(servers.log(id))) {
                    Files.copy(servers.log(id), dir.resolve(id + ".log"));
                }
            }
            note("saved history.jsonl, lease-read-ids.txt and node logs in " + dir);
        }
        deleteRecursively(dir.resolve("data"));
        Files.writeString(dir.resolve("summary.txt"), summary);
        return new RunResult(config.name(), config.seed(), config.nodes(), history.size(), byOutcome,
                nemesis == null ? Map.of() : nemesis.counts(), nemesis == null ? 0 : nemesis.leaderPauses(),
                electionMillis, violated, List.copyOf(problems), List.copyOf(observations), dir, counters, bank);
    }

    /**
     * Linearizable reads + lease reads + writes + CAS. If that fails, the lease reads are set aside and the rest
     * checked again, to tell a lease anomaly (documented to need bounded clock drift, thesis §6.4.1, which a
     * SIGSTOPped leader violates) from a broken ReadIndex or log. Returns whether any violation was found.
     */
    private boolean checkLinearizability(History history, Set<Long> leaseReads, int leaderPauses) {
        LinearizabilityChecker checker = new LinearizabilityChecker();
        CheckResult all = checker.check(history);
        note("linearizability (linearizable + lease reads, writes, CAS): " + firstLine(all.report()));
        if (all.isLinearizable()) {
            return false;
        }
        summary.append(all.report()).append('\n');
        if (all.violations().isEmpty()) {
            problems.add("checker undecided within its budget: " + firstLine(all.report()));
            return false;
        }
        History withoutLease = history.filter(o -> !leaseReads.contains(o.id()));
        CheckResult strict = checker.check(withoutLease);
        note("without the lease reads: " + firstLine(strict.report()));
        String keys = all.violations().stream().map(v -> v.key()).collect(Collectors.joining(", "));
        if (!strict.violations().isEmpty()) {
            summary.append(strict.report()).append('\n');
            problems.add("NOT linearizable without lease reads, key(s) "
                    + strict.violations().stream().map(v -> v.key()).collect(Collectors.joining(", "))
                    + " (see summary.txt)");
        } else if (leaderPauses > 0) {
            observations.add("lease reads not linearizable on key(s) " + keys + " after " + leaderPauses
                    + " SIGSTOP(s) of the leader beyond the lease's drift bound (thesis §6.4.1)");
        } else {
            problems.add("lease reads NOT linearizable on key(s) " + keys + " although no leader was paused");
        }
        return true;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static boolean await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private static <T> Optional<T> awaitValue(Duration timeout, java.util.function.Supplier<Optional<T>> value)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> v = value.get();
            if (v.isPresent()) {
                return v;
            }
            Thread.sleep(50);
        }
        return Optional.empty();
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
