package io.raftkv.log;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Threads for bulk background work (writing a snapshot) that must not add latency to the log's own path.
 *
 * <p>On a small machine a snapshot writer keeps one core busy serialising for hundreds of milliseconds. At normal
 * priority it competes with the raft, apply and network threads, and every hand-off between them can wait a time
 * slice: writes get slower at p99 while the snapshot runs. Linux's {@code SCHED_IDLE} class fixes exactly that: such
 * a thread runs only on CPU time nothing else wants, and any normal thread that wakes up preempts it at once. Under
 * sustained full load the snapshot therefore takes longer (the log grows meanwhile, which the snapshot threshold
 * bounds); under the usual partial load it costs the writes nothing.
 *
 * <p>Java has no portable way to set this ({@link Thread#setPriority} is ignored on Linux by default), so this calls
 * {@code sched_setscheduler(0, SCHED_IDLE)} through JNA from the new thread itself (0 = the calling thread). On other
 * systems, or if the call fails, the thread runs at normal priority and one line says so.
 */
public final class BackgroundThreads {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundThreads.class);
    /** {@code SCHED_IDLE} in {@code <sched.h>} on Linux. */
    private static final int SCHED_IDLE = 5;
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private BackgroundThreads() {
    }

    /** The C library calls used; public only because JNA proxies it. */
    public interface LibC extends Library {
        int sched_setscheduler(int pid, int policy, int[] param);
    }

    /** A factory whose threads lower themselves to {@code SCHED_IDLE} before running their task. */
    public static ThreadFactory idlePriority() {
        return task -> new Thread(() -> {
            lowerCurrentThread();
            task.run();
        });
    }

    /**
     * Moves the calling thread to {@code SCHED_IDLE}; false (and a single log line per JVM) where that is not
     * possible. Lowering one's own priority needs no privilege.
     */
    public static boolean lowerCurrentThread() {
        if (!Platform.isLinux()) {
            warnOnce("not Linux");
            return false;
        }
        try {
            LibC libc = Holder.LIBC;
            int rc = libc.sched_setscheduler(0, SCHED_IDLE, new int[] {0});
            if (rc != 0) {
                warnOnce("sched_setscheduler failed, errno " + Native.getLastError());
                return false;
            }
            return true;
        } catch (LinkageError | RuntimeException e) {
            warnOnce(e.toString());
            return false;
        }
    }

    private static void warnOnce(String why) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("background threads run at normal CPU priority ({}); snapshots may add write latency", why);
        }
    }

    /** Loaded on first use, so a JVM without JNA's native part only fails here, not at class load. */
    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }
}
