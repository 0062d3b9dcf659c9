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
            description = "store under test: raftkv, or etcd with the benchmarks-etcd jar (default ${DEFAULT-VALUE})")
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
        List<Thread> threads = new ArrayList<>();
        List<KvDriver> drivers = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            KvDriver driver = factory.connect(endpoints.get(c % endpoints.size()), readLevel, timeout);
            drivers.add(driver);
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + c);
            long periodNanos = rate > 0 ? (long) (1e9 * clients / rate) : 0;
            Thread t = new Thread(() -> clientLoop(driver, random, running, start, periodNanos), "kvbench-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
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
        running.set(false);
        for (Thread t : threads) {
            t.join(timeout.toMillis() + 1000);
        }
        drivers.forEach(KvDriver::close);
        Map<String, Object> result = result(seconds);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        System.out.println(json.writeValueAsString(result));
        if (out != null) {
            json.writeValue(out, result);
        }
        return 0;
    }

    private void clientLoop(KvDriver driver, SplittableRandom random, AtomicBoolean running, long start,
                            long periodNanos) {
        byte[] value = new byte[valueSize];
        long due = start + (periodNanos > 0 ? random.nextLong(periodNanos) : 0);
        while (running.get()) {
            if (periodNanos > 0) {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    sleepNanos(wait);
                }
            }
            long begin = periodNanos > 0 ? due : System.nanoTime();
            String key = "k" + random.nextInt(keys);
            boolean read = random.nextDouble() < readRatio;
            OperationStats stats = read ? gets : puts;
            try {
                if (read) {
                    driver.get(key);
                } else {
                    random.nextBytes(value);
                    driver.put(key, value);
                }
                stats.recordOk(System.nanoTime() - begin);
            } catch (KvDriver.KvError e) {
                stats.recordError(e.kind());
            } catch (java.net.http.HttpTimeoutException | java.util.concurrent.TimeoutException e) {
                stats.recordError("timeout");
            } catch (java.io.IOException e) {
                stats.recordError("io");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                stats.recordError(e.getClass().getSimpleName());
            }
            due += periodNanos;
        }
    }

    private void sleepWithProgress(Duration d, String phase) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            if (!quiet) {
                Histogram p = puts.interval();
                Histogram g = gets.interval();
                System.err.printf("[%s] put %,d ops p99 %.1f ms | get %,d ops p99 %.1f ms | errors %s%n", phase,
                        p.getTotalCount(), p.getValueAtPercentile(99) / 1000.0, g.getTotalCount(),
                        g.getValueAtPercentile(99) / 1000.0, errorsSummary());
            }
        }
    }

    private String errorsSummary() {
        Map<String, Long> all = new LinkedHashMap<>();
        puts.errors().forEach((k, v) -> all.merge(k, v, Long::sum));
        gets.errors().forEach((k, v) -> all.merge(k, v, Long::sum));
        return all.isEmpty() ? "none" : all.toString();
    }

    private Map<String, Object> result(double seconds) {
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
        config.put("mode", rate > 0 ? "open-loop " + rate + "/s" : "closed-loop");
        r.put("config", config);
        Histogram p = puts.total();
        Histogram g = gets.total();
        r.put("opsPerSecond", Math.round((p.getTotalCount() + g.getTotalCount()) / seconds));
        Map<String, Object> ops = new LinkedHashMap<>();
        ops.put("put", summary(p, puts, seconds));
        ops.put("get", summary(g, gets, seconds));
        r.put("operations", ops);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("wallSeconds", round(seconds));
        cpu.put("generatorCpuSeconds", round(selfCpu));
        if (!cpuPids.isEmpty()) {
            cpu.put("serversCpuSeconds", round(serversCpu));
        }
        r.put("cpu", cpu);
        return r;
    }

    private static Map<String, Object> summary(Histogram h, OperationStats stats, double seconds) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("count", h.getTotalCount());
        s.put("opsPerSecond", Math.round(h.getTotalCount() / seconds));
        s.put("p50Ms", h.getValueAtPercentile(50) / 1000.0);
        s.put("p90Ms", h.getValueAtPercentile(90) / 1000.0);
        s.put("p99Ms", h.getValueAtPercentile(99) / 1000.0);
        s.put("p999Ms", h.getValueAtPercentile(99.9) / 1000.0);
        s.put("maxMs", h.getMaxValue() / 1000.0);
        s.put("errors", stats.errors());
        return s;
    }

    /** Two decimals; NaN (unmeasurable) as null so the JSON stays valid. */
    private static Double round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 100) / 100.0;
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
