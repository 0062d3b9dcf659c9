package io.raftkv.bench.snapshot;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.bench.BenchmarkSupport;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.cluster.Member;
import io.raftkv.core.cluster.MembershipChange;
import io.raftkv.core.server.RaftServer;
import io.raftkv.core.server.SnapshotInfo;
import io.raftkv.core.server.SnapshotRejectedException;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The snapshot numbers of the issue "Snapshots, log compaction and InstallSnapshot", for a KV store of
 * {@code --keys} keys (default 1,000,000) with {@code --value-bytes}-byte values (default 100), on the real stack
 * (Chronicle log with fsync, FileSnapshotStore, Netty transport on loopback), without HTTP:
 * <ol>
 *   <li><b>snapshot time and size</b>: {@link RaftServer#takeSnapshot()} on the loaded leader, capture to durable;</li>
 *   <li><b>write p99 with and without a snapshot</b>: an open-loop writer at {@code --rate} single-key puts/s
 *       (latency counted from when each write was due, so a stall is not hidden); phases alternate between
 *       "no snapshot" and "snapshots back to back", {@code --rounds} times each;</li>
 *   <li><b>InstallSnapshot rate and follower heap</b>: a follower JVM ({@link SnapshotFollower}, heap
 *       {@code --follower-xmx}, one run per value) joins as a learner; the leader's log no longer holds the
 *       start, so it gets the snapshot. The follower reports download time and its heap.</li>
 * </ol>
 * Run: {@code java -Xmx3g <chronicle flags> -cp benchmarks/target/benchmarks.jar io.raftkv.bench.snapshot.SnapshotBench}.
 */
public final class SnapshotBench {
    private SnapshotBench() {
    }

    public static void main(String[] args) throws Exception {
        int keys = intArg(args, "--keys", 1_000_000);
        int valueBytes = intArg(args, "--value-bytes", 100);
        int rate = intArg(args, "--rate", 2000);
        int phaseSeconds = intArg(args, "--phase-seconds", 8);
        int rounds = intArg(args, "--rounds", 2);
        if (rounds < 1 || phaseSeconds < 1 || rate < 1) {
            throw new IllegalArgumentException("--rounds, --phase-seconds and --rate must be at least 1");
        }
        String[] followerXmx = stringArg(args, "--follower-xmx", "auto,auto").split(",");
        Path base = Path.of(stringArg(args, "--dir", System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(Files.createDirectories(base), "snapshot-bench-");
        System.out.printf("snapshot bench: %,d keys x %d B values, writes at %d/s, %d rounds of %d s phases, dir %s,"
                + " load %s%n", keys, valueBytes, rate, rounds, phaseSeconds, dir, loadavg());

        String leaderAddress = "127.0.0.1:" + freePort();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        KvStateMachine sm = new KvStateMachine();
        RaftServer leader = BenchNode.start("n1", dir.resolve("n1"), leaderAddress,
                Configuration.ofVoters(List.of(Member.voter("n1", leaderAddress))), sm, registry);
        try {
            awaitLeader(leader);
            load(leader, keys, valueBytes);
            System.out.printf("loaded %,d keys (state machine holds %,d)%n", keys, sm.size());

            // 1. Snapshot time and size.
            timeSnapshots(leader, rnd -> put(rnd, keys, valueBytes), "capture + write + fsync");
            // 2. Write latency without / with a snapshot in progress, alternating.
            compareWriteLatency(leader, rnd -> put(rnd, keys, valueBytes), rate, phaseSeconds, rounds);

            // 3. InstallSnapshot to a follower JVM, once per heap size.
            leader.propose(put(new SplittableRandom(7), keys, valueBytes)).get(30, TimeUnit.SECONDS);
            leader.takeSnapshot().get(120, TimeUnit.SECONDS);
            // "auto": once with a roomy heap to learn the follower's steady state (the state loaded, after a full
            // GC), then with only 64 MB more than that: if the snapshot were held in heap it could not install.
            int run = 0;
            double steadyMb = -1;
            for (String xmx : followerXmx) {
                run++;
                String heap = xmx.trim();
                if (heap.equals("none")) {
                    continue;
                }
                if (heap.equals("auto")) {
                    heap = steadyMb < 0 ? "1g" : ((long) Math.ceil(steadyMb) + 64) + "m";
                }
                String result = installToFollower(leader, dir.resolve("n2-" + run), heap);
                steadyMb = Double.parseDouble(field(result, "steadyMB"));
            }
        } finally {
            leader.close();
            deleteRecursively(dir);
        }
    }

    /** Three {@code takeSnapshot()}s, each after one more write: size and time, capture to durable. */
    static void timeSnapshots(RaftServer leader, java.util.function.Function<SplittableRandom, byte[]> commands,
                              String what) throws Exception {
        for (int i = 0; i < 3; i++) {
            leader.propose(commands.apply(new SplittableRandom(i))).get(30, TimeUnit.SECONDS);
            SnapshotInfo info = leader.takeSnapshot().get(300, TimeUnit.SECONDS);
            System.out.printf("snapshot %d: %,d bytes (%.1f MB) in %d ms (%s) = %.0f MB/s%n",
                    i + 1, info.bytes(), info.bytes() / 1e6, info.duration().toMillis(), what,
                    info.bytes() / 1e6 / (info.duration().toNanos() / 1e9));
        }
    }

    /**
     * Write latency without / with a snapshot in progress: {@code rounds} pairs of phases, each round's ratio, the
     * pooled ratio and the ratio of the median round p99s (the one to read: it resists the host's stalls, tens of
     * ms in either kind of phase, that a pooled p99 takes in whole).
     */
    static void compareWriteLatency(RaftServer leader, java.util.function.Function<SplittableRandom, byte[]> commands,
                                    int rate, int phaseSeconds, int rounds) throws Exception {
        Histogram allQuiet = new Histogram(3);
        Histogram allBusy = new Histogram(3);
        double[] quietP99 = new double[rounds];
        double[] busyP99 = new double[rounds];
        for (int r = 1; r <= rounds; r++) {
            Phase quiet = writePhase(leader, commands, rate, phaseSeconds, false);
            System.out.println("round " + r + " no snapshot:   " + quiet);
            Phase busy = writePhase(leader, commands, rate, phaseSeconds, true);
            System.out.println("round " + r + " with snapshot: " + busy);
            System.out.printf("round %d: p99 with/without snapshot = %.2fx (load %s)%n", r,
                    (double) busy.histogram.getValueAtPercentile(99) / quiet.histogram.getValueAtPercentile(99),
                    loadavg());
            quietP99[r - 1] = quiet.histogram.getValueAtPercentile(99) / 1e3;
            busyP99[r - 1] = busy.histogram.getValueAtPercentile(99) / 1e3;
            allQuiet.add(quiet.histogram);
            allBusy.add(busy.histogram);
        }
        System.out.println("all rounds no snapshot:   " + new Phase(allQuiet, 0, 0, 0, 1));
        System.out.println("all rounds with snapshot: " + new Phase(allBusy, 0, 0, 0, 1));
        System.out.printf("all rounds: p99 with/without snapshot = %.2fx, p99.9 %.2fx%n",
                (double) allBusy.getValueAtPercentile(99) / allQuiet.getValueAtPercentile(99),
                (double) allBusy.getValueAtPercentile(99.9) / allQuiet.getValueAtPercentile(99.9));
        System.out.printf("median of round p99s: without %.2f ms, with %.2f ms = %.2fx%n", median(quietP99),
                median(busyP99), median(busyP99) / median(quietP99));
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    // ------------------------------------------------------------------------------------------ load

    private static byte[] value(SplittableRandom rnd, int valueBytes) {
        byte[] v = new byte[valueBytes];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) ('a' + rnd.nextInt(26));
        }
        return v;
    }

    private static byte[] key(int i) {
        return String.format("key%07d", i).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] put(SplittableRandom rnd, int keys, int valueBytes) {
        return KvCodec.encodeCommand(new KvCommand.Put(key(rnd.nextInt(keys)), value(rnd, valueBytes)));
    }

    private static void load(RaftServer leader, int keys, int valueBytes) throws Exception {
        long t0 = System.nanoTime();
        Semaphore inFlight = new Semaphore(8);
        AtomicInteger failed = new AtomicInteger();
        SplittableRandom rnd = new SplittableRandom(42);
        int batch = 1000;
        for (int from = 0; from < keys; from += batch) {
            List<KvCommand.Entry> entries = new ArrayList<>(batch);
            for (int i = from; i < Math.min(keys, from + batch); i++) {
                entries.add(new KvCommand.Entry(key(i), value(rnd, valueBytes)));
            }
            inFlight.acquire();
            leader.propose(KvCodec.encodeCommand(new KvCommand.PutBatch(entries))).whenComplete((r, e) -> {
                if (e != null) {
                    failed.incrementAndGet();
                }
                inFlight.release();
            });
        }
        if (!inFlight.tryAcquire(8, 120, TimeUnit.SECONDS) || failed.get() > 0) {
            throw new IllegalStateException("loading failed: " + failed.get() + " batches failed");
        }
        inFlight.release(8);
        System.out.printf("load: %,d keys in %.1f s%n", keys, (System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------------------------------ write latency

    record Phase(Histogram histogram, long errors, int snapshots, long snapshotMillis, long phaseMillis) {
        @Override
        public String toString() {
            Histogram h = histogram;
            return String.format("%,d writes, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms, errors %d%s",
                    h.getTotalCount(), h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, errors,
                    snapshots == 0 ? "" : String.format("; %d snapshots, in progress %.0f%% of the phase", snapshots,
                            100.0 * snapshotMillis / phaseMillis));
        }
    }

    /**
     * Open loop: write i is due at start + i/rate and its latency counts from then. With {@code snapshots}, another
     * thread takes snapshots back to back for the whole phase. {@code commands} makes each write (shared with
     * {@link SqlSnapshotBench}).
     */
    static Phase writePhase(RaftServer leader, java.util.function.Function<SplittableRandom, byte[]> commands,
                            int rate, int seconds, boolean snapshots) throws Exception {
        ConcurrentHistogram h = new ConcurrentHistogram(3);
        AtomicLong errors = new AtomicLong();
        AtomicInteger outstanding = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger taken = new AtomicInteger();
        AtomicLong snapshotNanos = new AtomicLong();
        Thread snapshotter = new Thread(() -> {
            while (running.get()) {
                long t0 = System.nanoTime();
                try {
                    leader.takeSnapshot().get(120, TimeUnit.SECONDS);
                    taken.incrementAndGet();
                    snapshotNanos.addAndGet(System.nanoTime() - t0);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof SnapshotRejectedException)) {
                        throw new IllegalStateException(e.getCause());
                    }
                    LockSupport.parkNanos(1_000_000); // nothing new applied yet
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }, "bench-snapshotter");
        SplittableRandom rnd = new SplittableRandom(seconds * 31L + (snapshots ? 1 : 0));
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        if (snapshots) {
            snapshotter.start();
        }
        for (long i = 0; ; i++) {
            long due = start + i * interval;
            if (due >= end) {
                break;
            }
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(Math.min(wait, 200_000));
            }
            byte[] command = commands.apply(rnd);
            outstanding.incrementAndGet();
            CompletableFuture<byte[]> f = leader.propose(command);
            f.whenComplete((r, e) -> {
                if (e == null) {
                    h.recordValue(Math.max(1, (System.nanoTime() - due) / 1000));
                } else {
                    errors.incrementAndGet();
                }
                outstanding.decrementAndGet();
            });
        }
        long phaseMillis = (System.nanoTime() - start) / 1_000_000;
        running.set(false);
        if (snapshots) {
            snapshotter.join(120_000);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (outstanding.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return new Phase(h, errors.get() + outstanding.get(), taken.get(), snapshotNanos.get() / 1_000_000,
                phaseMillis);
    }

    // ------------------------------------------------------------------------------------------ install

    private static String installToFollower(RaftServer leader, Path dir, String xmx) throws Exception {
        String address = "127.0.0.1:" + freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(BenchmarkSupport.CHRONICLE_FLAGS);
        cmd.addAll(List.of("-Xmx" + xmx, "-cp", System.getProperty("java.class.path"),
                SnapshotFollower.class.getName(), dir.toString(), address));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            if (!"READY".equals(line)) {
                throw new IllegalStateException("follower did not start: " + line);
            }
            long t0 = System.nanoTime();
            leader.changeMembership(new MembershipChange.AddLearner("n2", address)).get(30, TimeUnit.SECONDS);
            String result = null;
            for (String l; (l = out.readLine()) != null; ) {
                if (l.startsWith("RESULT")) {
                    result = l;
                    break;
                }
                if (l.startsWith("NO-SNAPSHOT")) {
                    throw new IllegalStateException("follower: " + l);
                }
            }
            long wallMs = (System.nanoTime() - t0) / 1_000_000;
            if (result == null) {
                throw new IllegalStateException("follower (-Xmx" + xmx + ") ended without a result: exit "
                        + p.waitFor() + " (out of memory?)");
            }
            long bytes = Long.parseLong(field(result, "bytes"));
            long installMs = Long.parseLong(field(result, "installMs"));
            System.out.printf("install to follower -Xmx%s: %.1f MB in %d ms (first chunk to durable) = %.0f MB/s;"
                            + " join to restored %d ms; load %s%n  %s%n", xmx, bytes / 1e6, installMs,
                    bytes / 1e6 / (installMs / 1e3), wallMs, loadavg(), result);
            return result;
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            leader.changeMembership(new MembershipChange.Remove("n2")).get(30, TimeUnit.SECONDS);
            deleteRecursively(dir);
        }
    }

    private static String field(String line, String name) {
        for (String part : line.split(" ")) {
            if (part.startsWith(name + "=")) {
                return part.substring(name.length() + 1);
            }
        }
        throw new IllegalArgumentException(name + " missing in " + line);
    }

    // ------------------------------------------------------------------------------------------ plumbing

    static void awaitLeader(RaftServer s) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!s.status().isLeader()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no leader: " + s.status());
            }
            Thread.sleep(10);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static int intArg(String[] args, String name, int dflt) {
        return Integer.parseInt(stringArg(args, name, Integer.toString(dflt)));
    }

    static String stringArg(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return dflt;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
