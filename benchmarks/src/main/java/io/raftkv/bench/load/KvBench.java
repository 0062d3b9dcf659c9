package io.raftkv.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The cluster load generator: N client threads, each pinned to one endpoint (round-robin), doing puts and gets
 * on a key space, closed-loop by default (each client waits for its answer before the next request) or
 * open-loop at a fixed total rate ({@code --rate}), where latency is measured from the moment a request was
 * <em>due</em>, so a stalled server shows up in the numbers instead of silently slowing the clients down
 * (no coordinated omission). Latencies go to HdrHistogram; a progress line prints every second; the result is
 * printed as JSON (and written to {@code --out}).
 */
@Command(name = "kvbench", mixinStandardHelpOptions = true,
        description = "Load generator for raftkv (HTTP API) and, with the kvbench jar of benchmarks-etcd, etcd v3.")
public final class KvBench implements Callable<Integer> {

    @Option(names = "--driver", defaultValue = "raftkv",
            description = "store under test: raftkv (the KV plugin), sql (single-row inserts into the SQL plugin),"
                    + " or etcd with the benchmarks-etcd jar (default ${DEFAULT-VALUE})")
    String driverName;

    @Option(names = "--endpoints", required = true, split = ",", description = "host:port of each node's HTTP API")
    List<String> endpoints;

    @Option(names = "--clients", defaultValue = "16", description = "concurrent clients (default ${DEFAULT-VALUE})")
    int clients;

    @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
            description = "measured duration, e.g. 30s, 2m (default ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
            description = "unmeasured warm-up (default ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--value-size", defaultValue = "100", description = "bytes per value (default ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = "--keys", defaultValue = "100000", description = "key space size (default ${DEFAULT-VALUE})")
    int keys;

    @Option(names = "--read-ratio", defaultValue = "0.0", description = "fraction of reads, 0..1 (default ${DEFAULT-VALUE})")
    double readRatio;

    @Option(names = "--read-level", defaultValue = "linearizable",
            description = "linearizable | lease | stale (default ${DEFAULT-VALUE})")
    String readLevel;

    @Option(names = "--rate", defaultValue = "0",
            description = "open-loop total requests/s (0 = closed loop, the default)")
    double rate;

    @Option(names = "--timeout", defaultValue = "5s", converter = DurationConverter.class,
            description = "per-request timeout (default ${DEFAULT-VALUE})")
    Duration timeout;

    @Option(names = "--seed", defaultValue = "1", description = "seed for keys and values (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--sessions",
            description = "raftkv: every put in a client session (one per client, opened on its first put; headers "
                    + "Raftkv-Session/Seq/Acked: exactly-once writes, thesis §6.3), to measure what they cost")
    boolean sessions;

    @Option(names = "--cpu-pids", split = ",",
            description = "PIDs of the servers under test: their CPU seconds in the measured interval go into the "
                    + "result next to the generator's own (Linux /proc)")
    List<Long> cpuPids = new ArrayList<>();

    @Option(names = "--out", description = "write the JSON result to this file")
    File out;

    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    private final OperationStats puts = new OperationStats();
    private final OperationStats gets = new OperationStats();
    private double selfCpu = Double.NaN;
    private double serversCpu = Double.NaN;

    public static void main(String[] args) {
        System.exit(new CommandLine(new KvBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (readRatio < 0 || readRatio > 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--read-ratio must be in [0, 1]");
        }
        try (KvDriverFactory factory = factory(driverName)) {
            if (sessions) {
                if (!(factory instanceof RaftkvHttpDriverFactory raftkv)) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--sessions is raftkv's (the "
                            + driverName + " driver has no client sessions)");
                }
                raftkv.useSessions();
            }
            return run(factory);
        }
    }

    /** The {@link KvDriverFactory} named {@code name} on the class path. */
    static KvDriverFactory factory(String name) {
        List<String> known = new ArrayList<>();
        for (KvDriverFactory f : ServiceLoader.load(KvDriverFactory.class)) {
            if (f.name().equals(name)) {
                return f;
            }
            known.add(f.name());
        }
        throw new CommandLine.ParameterException(new CommandLine(new KvBench()), "no driver '" + name
                + "' on the class path (have " + known + "; etcd's is in benchmarks-etcd/target/kvbench.jar)");
    }

    private int run(KvDriverFactory factory) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        List<ClientLoop> loops = new ArrayList<>();
        List<KvDriver> drivers = new ArrayList<>();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kvbench-timer");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            KvDriver driver = factory.connect(endpoints.get(c % endpoints.size()), readLevel, timeout);
            drivers.add(driver);
            long periodNanos = rate > 0 ? (long) (1e9 * clients / rate) : 0;
            ClientLoop loop = new ClientLoop(driver, new SplittableRandom(seed * 1_000_003L + c), running, start,
                    periodNanos, timer);
            loops.add(loop);
        }
        loops.forEach(ClientLoop::start);
        sleepWithProgress(warmup, "warmup");
        puts.reset();
        gets.reset();
        long measuredStart = System.nanoTime();
        double selfCpu0 = CpuClock.selfSeconds();
        double serversCpu0 = CpuClock.processesSeconds(cpuPids);
        sleepWithProgress(duration, "run");
        double seconds = (System.nanoTime() - measuredStart) / 1e9;
        selfCpu = CpuClock.selfSeconds() - selfCpu0;
        serversCpu = CpuClock.processesSeconds(cpuPids) - serversCpu0;
        Histogram measuredPuts = puts.total().copy();
        Histogram measuredGets = gets.total().copy();
        Map<String, Long> putErrors = puts.errors();
        Map<String, Long> getErrors = gets.errors();
        running.set(false);
        for (ClientLoop loop : loops) {
            loop.awaitStopped(timeout.toMillis() + 1000);
        }
        timer.shutdownNow();
        drivers.forEach(KvDriver::close);
        Map<String, Object> result = result(seconds, measuredPuts, putErrors, measuredGets, getErrors);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        System.out.println(json.writeValueAsString(result));
        if (out != null) {
            json.writeValue(out, result);
        }
        return 0;
    }

    /**
     * One client: a closed loop of asynchronous calls. The next call starts from the previous call's completion,
     * on the thread that completed it (no thread per client); in open-loop mode a call that is not due yet is
     * started by the timer at its due time, and its latency counts from that due time.
     */
    private final class ClientLoop {
        private final KvDriver driver;
        private final SplittableRandom random;
        private final AtomicBoolean running;
        private final long periodNanos;
        private final ScheduledExecutorService timer;
        private final byte[] value = new byte[valueSize];
        private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
        private long due;

        ClientLoop(KvDriver driver, SplittableRandom random, AtomicBoolean running, long start, long periodNanos,
                   ScheduledExecutorService timer) {
            this.driver = driver;
            this.random = random;
            this.running = running;
            this.periodNanos = periodNanos;
            this.timer = timer;
            this.due = start + (periodNanos > 0 ? random.nextLong(periodNanos) : 0);
        }

        void start() {
            next();
        }

        private void next() {
            if (!running.get()) {
                stopped.countDown();
                return;
            }
            if (periodNanos > 0) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    timer.schedule(this::issue, wait, TimeUnit.NANOSECONDS);
                    return;
                }
            }
            issue();
        }

        private void issue() {
            long begin = periodNanos > 0 ? due : System.nanoTime();
            due += periodNanos;
            String key = "k" + random.nextInt(keys);
            boolean read = random.nextDouble() < readRatio;
            OperationStats stats = read ? gets : puts;
            CompletionStage<?> call;
            try {
                if (read) {
                    call = driver.get(key);
                } else {
                    random.nextBytes(value);
                    call = driver.put(key, value.clone());
                }
            } catch (RuntimeException e) {
                call = java.util.concurrent.CompletableFuture.failedFuture(e);
            }
            ISSUING.set(Boolean.TRUE);
            try {
                call.whenComplete((r, e) -> {
                    if (e == null) {
                        stats.recordOk(System.nanoTime() - begin);
                    } else {
                        stats.recordError(errorKind(e));
                    }
                    if (ISSUING.get()) {
                        // Completed inline (a failed connect, a driver that answered at once): go round through the
                        // timer rather than recurse without bound on this stack.
                        timer.execute(this::next);
                    } else {
                        next();
                    }
                });
            } finally {
                ISSUING.set(Boolean.FALSE);
            }
        }

        void awaitStopped(long millis) throws InterruptedException {
            stopped.await(millis, TimeUnit.MILLISECONDS);
        }
    }

    /** True on a thread while it is inside {@link ClientLoop#issue}. */
    private static final ThreadLocal<Boolean> ISSUING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private static String errorKind(Throwable e) {
        Throwable t = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (t instanceof KvDriver.KvError k) {
            return k.kind();
        }
        if (t instanceof java.util.concurrent.TimeoutException) {
            return "timeout";
        }
        if (t instanceof java.io.IOException) {
            return "io";
        }
        return t.getClass().getSimpleName();
    }

    private void sleepWithProgress(Duration d, String phase) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        double serversCpuBefore = cpuPids.isEmpty() ? Double.NaN : CpuClock.processesSeconds(cpuPids);
        double selfCpuBefore = CpuClock.selfSeconds();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            if (!quiet) {
                Histogram p = puts.interval();
                Histogram g = gets.interval();
                long ops = p.getTotalCount() + g.getTotalCount();
                // CPU per operation in this interval: how a fresh JVM settles (JIT) shows here second by second.
                double serversCpu = cpuPids.isEmpty() ? Double.NaN : CpuClock.processesSeconds(cpuPids);
                double selfCpu = CpuClock.selfSeconds();
                String cpu = ops == 0 ? "" : String.format(java.util.Locale.ROOT, " | cpu µs/op srv %.0f gen %.0f",
                        1e6 * (serversCpu - serversCpuBefore) / ops, 1e6 * (selfCpu - selfCpuBefore) / ops);
                serversCpuBefore = serversCpu;
                selfCpuBefore = selfCpu;
                System.err.printf("[%s] put %,d ops p99 %.1f ms | get %,d ops p99 %.1f ms | errors %s%s%n", phase,
                        p.getTotalCount(), p.getValueAtPercentile(99) / 1000.0, g.getTotalCount(),
                        g.getValueAtPercentile(99) / 1000.0, errorsSummary(), cpu);
            }
        }
    }

    private String errorsSummary() {
        Map<String, Long> all = new LinkedHashMap<>();
        puts.errors().forEach((k, v) -> all.merge(k, v, Long::sum));
        gets.errors().forEach((k, v) -> all.merge(k, v, Long::sum));
        return all.isEmpty() ? "none" : all.toString();
    }

    private Map<String, Object> result(double seconds, Histogram p, Map<String, Long> putErrors, Histogram g,
                                       Map<String, Long> getErrors) {
        Map<String, Object> r = new LinkedHashMap<>();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("driver", driverName);
        config.put("endpoints", endpoints);
        config.put("clients", clients);
        config.put("durationSeconds", duration.toSeconds());
        config.put("valueSize", valueSize);
        config.put("keys", keys);
        config.put("readRatio", readRatio);
        config.put("readLevel", readLevel);
        config.put("sessions", sessions);
        config.put("mode", rate > 0 ? "open-loop " + rate + "/s" : "closed-loop");
        r.put("config", config);
        long ops = p.getTotalCount() + g.getTotalCount();
        r.put("opsPerSecond", Math.round(ops / seconds));
        Map<String, Object> operations = new LinkedHashMap<>();
        operations.put("put", summary(p, putErrors, seconds));
        operations.put("get", summary(g, getErrors, seconds));
        r.put("operations", operations);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("wallSeconds", round(seconds));
        cpu.put("generatorCpuSeconds", round(selfCpu));
        cpu.put("generatorCpuMicrosPerOp", ops == 0 ? null : round(1e6 * selfCpu / ops));
        if (!cpuPids.isEmpty()) {
            cpu.put("serversCpuSeconds", round(serversCpu));
            cpu.put("serversCpuMicrosPerOp", ops == 0 ? null : round(1e6 * serversCpu / ops));
        }
        r.put("cpu", cpu);
        return r;
    }

    private static Map<String, Object> summary(Histogram h, Map<String, Long> errors, double seconds) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("count", h.getTotalCount());
        s.put("opsPerSecond", Math.round(h.getTotalCount() / seconds));
        s.put("p50Ms", h.getValueAtPercentile(50) / 1000.0);
        s.put("p90Ms", h.getValueAtPercentile(90) / 1000.0);
        s.put("p99Ms", h.getValueAtPercentile(99) / 1000.0);
        s.put("p999Ms", h.getValueAtPercentile(99.9) / 1000.0);
        s.put("maxMs", h.getMaxValue() / 1000.0);
        s.put("errors", errors);
        return s;
    }

    /** Two decimals; NaN (unmeasurable) as null so the JSON stays valid. */
    private static Double round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 100) / 100.0;
    }


    /** Parses 30s, 500ms, 2m, 1h. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String v) {
            String s = v.trim().toLowerCase();
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new CommandLine.TypeConversionException("not a duration: " + v + " (use 30s, 500ms, 2m)");
            };
        }
    }
}
