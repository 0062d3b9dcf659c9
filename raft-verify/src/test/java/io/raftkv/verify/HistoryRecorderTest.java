package io.raftkv.verify;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HistoryRecorderTest {

    @Test
    void recordsWhatEachCallSaw() {
        AtomicLong clock = new AtomicLong(100);
        HistoryRecorder recorder = new HistoryRecorder(clock::get);
        HistoryRecorder.Client c = recorder.client(7, "n2");

        HistoryRecorder.Call w = c.write("k", "a");
        clock.set(110);
        w.ok();
        HistoryRecorder.Call r = c.read("k");
        clock.set(120);
        r.okRead("a");
        HistoryRecorder.Call cas = c.cas("k", "a", null);
        clock.set(130);
        cas.okCas(false);
        HistoryRecorder.Call failed = c.write("k", "b");
        failed.fail();
        HistoryRecorder.Call lost = c.staleRead("k");
        lost.unknown();

        List<Operation> ops = recorder.history().operations();
        assertEquals(5, ops.size());
        assertEquals(new Operation(0, 7, "n2", "k", OpKind.WRITE, null, "a", 100, 110, Outcome.OK, null, null),
                ops.get(0));
        assertEquals(new Operation(1, 7, "n2", "k", OpKind.READ, null, null, 110, 120, Outcome.OK, "a", null),
                ops.get(1));
        assertEquals(new Operation(2, 7, "n2", "k", OpKind.CAS, "a", null, 120, 130, Outcome.OK, null, false),
                ops.get(2));
        assertEquals(Outcome.FAIL, ops.get(3).outcome());
        assertEquals(Outcome.UNKNOWN, ops.get(4).outcome());
        assertEquals(0, recorder.inFlight());
    }

    @Test
    void callsInFlightAppearAsUnknownAndMayStillComplete() {
        AtomicLong clock = new AtomicLong(0);
        HistoryRecorder recorder = new HistoryRecorder(clock::get);
        HistoryRecorder.Call w = recorder.client(1).write("k", "a");
        clock.set(50);
        Operation pending = recorder.history().operations().get(0);
        assertEquals(Outcome.UNKNOWN, pending.outcome());
        assertEquals(50, pending.completedAt());
        w.ok();
        assertEquals(Outcome.OK, recorder.history().operations().get(0).outcome());
    }

    @Test
    void misuseIsRefused() {
        HistoryRecorder recorder = new HistoryRecorder();
        HistoryRecorder.Client c = recorder.client(1);
        HistoryRecorder.Call w = c.write("k", "a");
        assertThrows(IllegalStateException.class, () -> w.okRead("a"));
        assertThrows(IllegalStateException.class, () -> w.okCas(true));
        w.ok();
        assertThrows(IllegalStateException.class, w::ok);
        assertThrows(IllegalStateException.class, w::unknown);
        assertThrows(IllegalStateException.class, () -> c.read("k").ok());
        assertThrows(IllegalArgumentException.class, () -> recorder.invoke(1, null, "k", OpKind.WRITE, "x", "y"));
        assertThrows(IllegalArgumentException.class, () -> recorder.invoke(1, null, "k", OpKind.READ, null, "y"));
    }

    /** Client threads record a correct store's operations concurrently; the history is complete and checks OK. */
    @Test
    void concurrentClientsAgainstAnAtomicRegister() throws Exception {
        HistoryRecorder recorder = new HistoryRecorder();
        AtomicReference<String> register = new AtomicReference<>();
        int threads = 4;
        int perThread = 500;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> clients = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int process = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    HistoryRecorder.Client c = recorder.client(process);
                    for (int i = 0; i < perThread; i++) {
                        switch (i % 3) {
                            case 0 -> {
                                String v = process + "-" + i;
                                HistoryRecorder.Call call = c.write("k", v);
                                synchronized (register) {
                                    register.set(v);
                                }
                                call.ok();
                            }
                            case 1 -> {
                                HistoryRecorder.Call call = c.read("k");
                                call.okRead(register.get());
                            }
                            default -> {
                                String expected = process + "-" + (i - 2);
                                HistoryRecorder.Call call = c.cas("k", expected, "cas" + process + i);
                                boolean swapped;
                                // By value, not AtomicReference's identity compare.
                                synchronized (register) {
                                    swapped = expected.equals(register.get());
                                    if (swapped) {
                                        register.set("cas" + process + i);
                                    }
                                }
                                call.okCas(swapped);
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "client-" + t);
            thread.start();
            clients.add(thread);
        }
        start.countDown();
        for (Thread thread : clients) {
            thread.join(60_000);
        }
        assertEquals(null, failure.get());
        History history = recorder.history();
        assertEquals(threads * perThread, history.size());
        Set<Long> ids = new HashSet<>();
        history.operations().forEach(op -> ids.add(op.id()));
        assertEquals(history.size(), ids.size());
        CheckResult result = new LinearizabilityChecker().check(history);
        assertEquals(Verdict.OK, result.verdict(), result::report);
        assertTrue(new StaleReadChecker().check(history).ok());
    }
}
