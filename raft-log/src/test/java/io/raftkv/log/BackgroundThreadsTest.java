package io.raftkv.log;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BackgroundThreadsTest {
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_IDLE = 5;

    @Test
    void threadsOfTheIdleFactoryRunUnderSchedIdleAndOthersDoNot() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "SCHED_IDLE is Linux only");

        assertEquals(SCHED_IDLE, policyOfThreadFrom(BackgroundThreads.idlePriority()));
        // A plain thread (and so the rest of the server) keeps the normal class.
        assertEquals(SCHED_OTHER, policyOfThreadFrom(Thread::new));
    }

    private static int policyOfThreadFrom(java.util.concurrent.ThreadFactory factory) throws Exception {
        CompletableFuture<Integer> policy = new CompletableFuture<>();
        Thread t = factory.newThread(() -> {
            try {
                policy.complete(schedulingPolicyOfCurrentThread());
            } catch (Exception e) {
                policy.completeExceptionally(e);
            }
        });
        t.start();
        t.join(10_000);
        return policy.get(10, TimeUnit.SECONDS);
    }

    /** Field 41 of {@code /proc/thread-self/stat} (proc(5)); the command name in field 2 may hold spaces. */
    private static int schedulingPolicyOfCurrentThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(afterName[41 - 3]);
    }
}
