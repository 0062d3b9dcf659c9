package io.raftkv.core.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.raftkv.core.storage.NoSpaceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Watches the disks of one server (see {@link DiskOptions}): free space against the reserve, and how long the raft
 * thread's disk operation in progress has been running. Raises and clears the {@link DiskAlarm}s that
 * {@link RaftServer} acts on, logs them, and exposes them as meters.
 *
 * <p><b>Threads.</b> The raft thread brackets its disk operations with {@link #begin}/{@link #end} (two volatile
 * writes) and reports writes that failed for lack of space. A daemon thread polls free space every
 * {@code pollInterval} and logs stalls while they last. The stall alarm itself is computed from the operation's
 * start time whenever someone asks ({@link #stalled()}): it does not depend on the poller, which may itself hang
 * on a sick file system ({@code statvfs} on a dead NFS mount).
 */
final class DiskGuard implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiskGuard.class);

    private final String id;
    private final DiskOptions options;
    private final long stallTimeoutNanos;
    private final List<Watched> watched = new ArrayList<>();

    /** Raised by the poller when a directory's free space fell below the reserve; cleared with hysteresis. */
    private volatile DiskAlarm.NoSpace reserveAlarm;
    /** Raised by the raft thread when a store could not get space for a write; cleared when the retry succeeds. */
    private volatile DiskAlarm.NoSpace writeAlarm;

    // The raft thread's disk operation in progress. opStart is written last by begin() and cleared first by end(),
    // so a reader that sees opStart != 0 sees the store and operation of that same operation.
    private volatile String opStore;
    private volatile String opName;
    private volatile long opStart;
    /** The start time of the operation whose stall was logged, so that it is logged once and its end too. */
    private volatile long stallLoggedFor;
    private volatile Thread raftThread;

    private final Counter refusedWrites;
    private final Counter refusedReads;
    final Counter inboundDropped;
    final Counter outboundDropped;
    final Counter noSpaceRetries;

    private ScheduledExecutorService poller;

    private record Watched(String store, Path directory, AtomicLong freeBytes) {
    }

    DiskGuard(String id, DiskOptions options, Duration stallTimeout, MeterRegistry registry) {
        this.id = id;
        this.options = options;
        this.stallTimeoutNanos = stallTimeout.toNanos();
        Tags tags = Tags.of("node", id);
        for (Map.Entry<String, Path> e : options.directories().entrySet()) {
            Watched w = new Watched(e.getKey(), e.getValue(), new AtomicLong(-1));
            watched.add(w);
            Gauge.builder("raft.disk.free.bytes", w.freeBytes(), AtomicLong::get).tags(tags).tag("store", w.store())
                    .description("usable bytes in the store's directory at the last poll (-1: unknown)")
                    .baseUnit("bytes").register(registry);
        }
        Gauge.builder("raft.disk.reserve.bytes", options, DiskOptions::reserveBytes).tags(tags).baseUnit("bytes")
                .description("free space below which writes are refused").register(registry);
        Gauge.builder("raft.disk.alarm", this, g -> g.noSpace() == null ? 0 : 1).tags(tags).tag("alarm", "nospace")
                .description("1 while a watched directory is below its reserve or a write found no space")
                .register(registry);
        Gauge.builder("raft.disk.alarm", this, g -> g.stalled() == null ? 0 : 1).tags(tags).tag("alarm", "stalled")
                .description("1 while a disk operation of the raft thread runs longer than the stall timeout")
                .register(registry);
        Gauge.builder("raft.disk.operation.seconds", this, DiskGuard::operationSeconds).tags(tags).baseUnit("seconds")
                .description("how long the raft thread's disk operation in progress has been running (0: none)")
                .register(registry);
        refusedWrites = Counter.builder("raft.disk.refused").tags(tags).tag("request", "write")
                .description("requests refused because of a disk alarm").register(registry);
        refusedReads = Counter.builder("raft.disk.refused").tags(tags).tag("request", "read").register(registry);
        inboundDropped = Counter.builder("raft.disk.inbound.dropped").tags(tags)
                .description("entries and snapshot chunks from the leader dropped while out of space").register(registry);
        outboundDropped = Counter.builder("raft.disk.outbound.dropped").tags(tags)
                .description("messages not sent because the disk was stalled").register(registry);
        noSpaceRetries = Counter.builder("raft.disk.write.retries").tags(tags)
                .description("writes retried after a store found no space").register(registry);
    }

    /** Starts polling free space (once, before the first poll result the server runs without the alarm). */
    void start(Thread raftThread) {
        this.raftThread = raftThread;
        poll(); // a server started on a full disk refuses writes from its first request on
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raft-disk-" + id);
            t.setDaemon(true);
            return t;
        });
        long period = options.pollInterval().toNanos();
        poller.scheduleWithFixedDelay(this::pollAndLogStalls, period, period, TimeUnit.NANOSECONDS);
    }

    // ------------------------------------------------------------------------------------------ raft thread

    /** The raft thread starts a disk operation on {@code store}. */
    void begin(String store, String operation) {
        opStore = store;
        opName = operation;
        opStart = System.nanoTime() | 1; // never 0, which means "none"
    }

    /** The operation ended (returned or threw). */
    void end() {
        long started = opStart;
        opStart = 0;
        if (started != 0 && stallLoggedFor == started) {
            LOG.warn("{}: {} {} returned after a stall of {} ms; the server speaks again", id, opStore, opName,
                    (System.nanoTime() - started) / 1_000_000);
        }
    }

    /** A write to {@code store} failed for lack of space; the raft thread will wait and retry it. */
    void writeFailedForSpace(String store, NoSpaceException e) {
        noSpaceRetries.increment();
        if (writeAlarm != null) {
            return;
        }
        Path dir = e.directory().orElse(options.directories().get(store));
        long free = -1;
        if (dir != null) {
            try {
                free = options.probe().usableBytes(dir);
            } catch (IOException | RuntimeException ignored) {
                // the message below says what we know
            }
        }
        writeAlarm = new DiskAlarm.NoSpace(store, dir, free, options.reserveBytes(), true);
        LOG.error("{}: DISK ALARM: {} ({}); retrying until space is freed", id, writeAlarm.message(), e.getMessage());
    }

    /** The write that had failed for lack of space succeeded: that alarm clears (the reserve's may remain). */
    void writeSucceeded() {
        if (writeAlarm != null) {
            LOG.warn("{}: the {} write that found no space went through; alarm cleared", id, writeAlarm.store());
            writeAlarm = null;
        }
    }

    // ------------------------------------------------------------------------------------------ any thread

    /** The no-space alarm, or null. */
    DiskAlarm.NoSpace noSpace() {
        DiskAlarm.NoSpace w = writeAlarm;
        return w != null ? w : reserveAlarm;
    }

    /**
     * The stall alarm, or null: computed now from the start of the operation in progress. An operation waiting
     * for disk space is stalled at once: it cannot return before an operator frees space.
     */
    DiskAlarm.Stalled stalled() {
        long started = opStart;
        if (started == 0) {
            return null;
        }
        long elapsed = System.nanoTime() - started;
        boolean waitingForSpace = writeAlarm != null;
        if (elapsed < stallTimeoutNanos && !waitingForSpace) {
            return null;
        }
        String store = opStore;
        return new DiskAlarm.Stalled(store, options.directories().get(store),
                waitingForSpace ? opName + " (waiting for disk space)" : opName, Duration.ofNanos(elapsed));
    }

    /** Both alarms, stalled first (it is the more urgent). */
    List<DiskAlarm> alarms() {
        List<DiskAlarm> out = new ArrayList<>(2);
        DiskAlarm.Stalled s = stalled();
        if (s != null) {
            out.add(s);
        }
        DiskAlarm.NoSpace n = noSpace();
        if (n != null) {
            out.add(n);
        }
        return out;
    }

    /**
     * Why a write must be refused now, or null: the stalled server cannot commit, the full one must not grow. A
     * write that found no space is reported as the full disk it is, although it also stalls the server.
     */
    RaftException refuseWrite() {
        DiskAlarm.NoSpace failed = writeAlarm;
        if (failed != null) {
            refusedWrites.increment();
            return new DiskFullException(id, failed);
        }
        DiskAlarm.Stalled s = stalled();
        if (s != null) {
            refusedWrites.increment();
            return new DiskStalledException(id, s);
        }
        DiskAlarm.NoSpace n = noSpace();
        if (n != null) {
            refusedWrites.increment();
            return new DiskFullException(id, n);
        }
        return null;
    }

    /** Why a read that needs the raft thread must be refused now, or null (a full disk does not stop reads). */
    RaftException refuseRead() {
        DiskAlarm.Stalled s = stalled();
        if (s != null) {
            refusedReads.increment();
            return new DiskStalledException(id, s);
        }
        return null;
    }

    private double operationSeconds() {
        long started = opStart;
        return started == 0 ? 0 : (System.nanoTime() - started) / 1e9;
    }

    // ------------------------------------------------------------------------------------------ poller

    private void pollAndLogStalls() {
        try {
            poll();
            logStall();
        } catch (RuntimeException e) {
            LOG.warn("{}: disk poll failed", id, e); // keep polling: a scheduled task that throws is never run again
        }
    }

    /** Reads free space everywhere; raises the alarm below the reserve, clears it at the resume level. */
    void poll() {
        DiskAlarm.NoSpace worst = null;
        boolean allResumed = true;
        for (Watched w : watched) {
            long free;
            try {
                free = options.probe().usableBytes(w.directory());
            } catch (IOException | RuntimeException e) {
                if (w.freeBytes().getAndSet(-1) != -1) {
                    LOG.warn("{}: cannot read the free space of {} ({}): {}", id, w.directory(), w.store(), e.toString());
                }
                continue;
            }
            w.freeBytes().set(free);
            if (free < options.resumeBytes()) {
                allResumed = false;
            }
            if (free < options.reserveBytes() && (worst == null || free < worst.freeBytes())) {
                worst = new DiskAlarm.NoSpace(w.store(), w.directory(), free, options.reserveBytes(), false);
            }
        }
        DiskAlarm.NoSpace before = reserveAlarm;
        if (worst != null) {
            reserveAlarm = worst;
            if (before == null) {
                LOG.error("{}: DISK ALARM: {}", id, worst.message());
            }
        } else if (before != null) {
            if (allResumed) {
                reserveAlarm = null;
                LOG.warn("{}: disk alarm cleared: {}; writes are accepted again", id, freeSpaceSummary());
            } else {
                // Between the reserve and the resume level: keep the alarm (no flapping), with current numbers.
                for (Watched w : watched) {
                    if (w.store().equals(before.store())) {
                        reserveAlarm = new DiskAlarm.NoSpace(w.store(), w.directory(), w.freeBytes().get(),
                                options.reserveBytes(), false);
                    }
                }
            }
        }
    }

    private String freeSpaceSummary() {
        return watched.stream().map(w -> w.store() + " " + w.freeBytes().get() + " bytes free")
                .collect(Collectors.joining(", "));
    }

    /** Logs a stall once, with where the raft thread is stuck, while it lasts. */
    private void logStall() {
        long started = opStart;
        DiskAlarm.Stalled s = stalled();
        if (s == null || stallLoggedFor == started) {
            return;
        }
        stallLoggedFor = started;
        Thread t = raftThread;
        String where = t == null ? "" : Arrays.stream(t.getStackTrace()).limit(8).map(String::valueOf)
                .collect(Collectors.joining("\n\tat ", "; the raft thread is at:\n\tat ", ""));
        LOG.error("{}: DISK ALARM: {}{}", id, s.message(), where);
    }

    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
            try {
                // Bounded: a poll stuck in statvfs on a dead mount must not hold up the shutdown (it is a daemon).
                if (!poller.awaitTermination(1, TimeUnit.SECONDS)) {
                    LOG.warn("{}: the disk poller did not stop within 1 s", id);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
