package io.raftkv.core.server;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BudgetTest {

    @Test
    void refusesBeyondCountOrBytes_andReleaseFreesRoom() {
        Budget b = new Budget(2, 100);
        assertTrue(b.tryAcquire(40));
        assertFalse(b.tryAcquire(61), "bytes bound");
        assertTrue(b.tryAcquire(60));
        assertFalse(b.tryAcquire(0), "count bound");
        b.release(40);
        assertTrue(b.tryAcquire(40));
        assertEquals(2, b.count());
        assertEquals(100, b.bytes());
    }

    @Test
    void theBoundHoldsUnderContention() throws Exception {
        Budget b = new Budget(10, Long.MAX_VALUE);
        AtomicInteger inside = new AtomicInteger();
        AtomicLong maxInside = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 20_000; i++) {
                    if (b.tryAcquire(1)) {
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        inside.decrementAndGet();
                        b.release(1);
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        go.countDown();
        for (Thread th : threads) {
            th.join(10_000);
        }
        assertTrue(maxInside.get() <= 10, "never more than the bound inside: " + maxInside.get());
        assertEquals(0, b.count());
    }
}
