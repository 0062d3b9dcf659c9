package io.raftkv.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Disk trouble on the leader of 3 real {@code raftkv serve} processes, each on its own 256 MiB ext4 (loop device,
 * mounted by the test: root only, CI runs as root; skipped with a loud line otherwise), under a write load of
 * 1 KiB values through all three nodes:
 * <ol>
 *   <li><b>reserve</b>: the leader's disk is filled to 6 MiB above its 24 MiB reserve and the writes take it below:
 *       the leader raises the alarm, answers 507 naming its directory, hands leadership over; the space is freed
 *       and it clears the alarm and catches up without a restart;</li>
 *   <li><b>full</b>: the (new) leader's disk is filled to the last page at once: its log finds no space
 *       (a NoSpaceException, not a SIGBUS: the process must live), it waits, falls silent and is replaced;
 *       freed, it goes on;</li>
 *   <li><b>hung fsync</b>: the (new) leader's log syncs stop returning (kv-server's test-only switch; nothing else
 *       of its disk or JVM is affected): it answers 503 {@code role: stalled}, another node leads; released, it
 *       steps down and catches up;</li>
 *   <li><b>frozen disk</b>: the (new) leader's file system is frozen ({@code fsfreeze}): its memory-mapped writes
 *       block too, in a page fault, which stops its whole JVM at the next safepoint: it is silent (its
 *       {@code /status} may not answer at all, but it never claims to lead once another node does); another node
 *       leads; thawed, it steps down and catches up.</li>
 * </ol>
 * Then every acknowledged write is read back linearizably, and the nodes must converge. The timeline of each
 * episode (time to the first refused write, to another leader, the longest gap between acknowledged writes, time
 * to clear) is printed and written to {@code target/fault-runs/disk-timeline.txt}.
 */
class DiskFaultIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long RESERVE = FaultRun.DISK_RESERVE_BYTES;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private final StringBuilder timeline = new StringBuilder();

    /** One answer to a write: when, from whom, what. */
    private record Answer(long nanos, String node, int status, String key, String body) {
    }

    @Test
    @Timeout(300)
    void fullReserve_fullDisk_andHungFsync_onTheLeader() throws Exception {
        Path dir = Harness.out().resolve("disk-it");
        FaultRun.deleteRecursively(dir);
        Path data = dir.resolve("data");
        try (ServerProcesses servers = new ServerProcesses(Harness.jar(), data, 3, 241,
                List.of("-Draftkv.log.segmentBytes=" + (4 << 20), NodeDisks.syncStallJvmArg(data)),
                List.of("--disk-reserve-bytes", Long.toString(RESERVE)))) {
            Optional<NodeDisks> maybeDisks = NodeDisks.create(data, dir.resolve("disks"), servers.ids(), 256,
                    this::note);
            if (maybeDisks.isEmpty()) {
                System.err.println("SKIPPED: DiskFaultIT needs a small file system per node (root: losetup, mount,"
                        + " fsfreeze); see the line above for why it cannot here. CI runs as root.");
                Assumptions.abort("no small file systems here");
            }
            NodeDisks disks = maybeDisks.get();
            try {
                ClusterProbe probe = new ClusterProbe(servers);
                for (String id : servers.ids()) {
                    servers.start(id);
                }
                awaitTrue(Duration.ofSeconds(60), () -> probe.agreedLeader().isPresent(), "a leader");
                ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> writers = startWriters(servers, answers, stop, 6);
                try {
                    reserveEpisode(servers, disks, probe, answers);
                    fullDiskEpisode(servers, disks, probe, answers);
                    hungFsyncEpisode(disks, probe, answers);
                    frozenDiskEpisode(disks, probe, answers);
                } finally {
                    stop.set(true);
                    for (Thread t : writers) {
                        t.join(10_000);
                    }
                    disks.healAll();
                }
                assertTrue(servers.crashed().isEmpty(), "processes died: " + servers.crashed());
                checkNothingAcknowledgedIsLost(servers, probe, answers);
                awaitTrue(Duration.ofSeconds(60), () -> {
                    Map<String, String> d = probe.digests();
                    return d.values().stream().distinct().count() == 1 && !d.containsValue("no answer");
                }, "the nodes converge");
                note("all nodes converged: " + probe.digests().values().iterator().next());
            } finally {
                disks.healAll();
                servers.close(); // before the file systems go away under them
                disks.close();
            }
        } finally {
            Files.createDirectories(Harness.out());
            Files.writeString(Harness.out().resolve("disk-timeline.txt"), timeline);
        }
    }

    // ------------------------------------------------------------------------------------------------ episodes

    private void reserveEpisode(ServerProcesses servers, NodeDisks disks, ClusterProbe probe,
                                ConcurrentLinkedQueue<Answer> answers) throws Exception {
        String victim = leader(probe);
        note("--- reserve: " + victim + " (leader) filled to " + (RESERVE + (6 << 20)) + " bytes free; the writes take"
                + " it below its " + RESERVE + "-byte reserve");
        disks.fill(victim, RESERVE + (6 << 20));
        long filled = System.nanoTime();
        long alarm = awaitNanos(Duration.ofSeconds(60), () -> alarm(probe, victim, "nospace"), victim + " raises nospace");
        note(ms(filled, alarm) + " ms after the fill: " + victim + " raised the nospace alarm (the writes filled 6 MiB)");
        Answer refused = awaitAnswer(answers, a -> a.node().equals(victim) && a.status() == 507 && a.nanos() >= alarm,
                victim + " answers 507");
        note(ms(alarm, refused.nanos()) + " ms after the alarm: first refused write: 507 " + refused.body());
        JsonNode body = JSON.readTree(refused.body());
        assertTrue(body.path("error").asText().contains(disks.mount(victim).toString()), refused.body());
        assertTrue(body.path("alarm").path("freeBytes").asLong() < RESERVE, refused.body());
        long newLeader = awaitNanos(Duration.ofSeconds(30), () -> probe.leader().filter(l -> !l.equals(victim))
                .isPresent(), "another leader");
        note(ms(alarm, newLeader) + " ms after the alarm: " + probe.leader().orElse("?") + " leads (" + victim
                + " handed leadership over, thesis 3.10)");
        String metrics = get(servers, victim, "/metrics").body();
        assertTrue(metrics.contains("raft_disk_alarm{alarm=\"nospace\",node=\"" + victim + "\"} 1.0"), metrics);
        Thread.sleep(3000);
        long freed = System.nanoTime();
        disks.free(victim);
        long cleared = awaitNanos(Duration.ofSeconds(30), () -> probe.status(victim)
                .map(s -> s.path("alarms").isEmpty()).orElse(false), victim + " clears its alarm");
        note(ms(freed, cleared) + " ms after the space was freed: " + victim + " cleared its alarm");
        awaitCaughtUp(probe, victim, freed);
        note("longest gap between acknowledged writes in this episode: " + longestGap(answers, filled) + " ms");
    }

    private void fullDiskEpisode(ServerProcesses servers, NodeDisks disks, ClusterProbe probe,
                                 ConcurrentLinkedQueue<Answer> answers) throws Exception {
        String victim = leader(probe);
        note("--- full: " + victim + " (leader) filled to the last page at once");
        long filledAt = System.nanoTime();
        disks.fill(victim, 0);
        long filled = System.nanoTime();
        note(ms(filledAt, filled) + " ms to fill " + victim + "'s disk");
        Answer refused = awaitAnswer(answers, a -> a.node().equals(victim) && a.nanos() >= filled
                && (a.status() == 507 || a.status() == 503), victim + " refuses a write");
        note(ms(filled, refused.nanos()) + " ms after the fill: first refused write: " + refused.status() + " "
                + refused.body());
        long newLeader = awaitNanos(Duration.ofSeconds(30), () -> probe.leader().filter(l -> !l.equals(victim))
                .isPresent(), "another leader");
        note(ms(filled, newLeader) + " ms after the fill: " + probe.leader().orElse("?") + " leads");
        Optional<JsonNode> s = probe.statusBody(victim);
        note(victim + " /status: role " + s.map(j -> j.path("role").asText()).orElse("?") + ", alarms "
                + s.map(j -> j.path("alarms").toString()).orElse("?"));
        assertTrue(s.isPresent() && s.get().path("alarms").toString().contains("nospace"), String.valueOf(s));
        assertTrue(servers.crashed().isEmpty(), "a full disk killed a process (SIGBUS?): " + servers.crashed());
        Thread.sleep(2000);
        long freed = System.nanoTime();
        disks.free(victim);
        long cleared = awaitNanos(Duration.ofSeconds(30), () -> probe.status(victim)
                .map(j -> j.path("alarms").isEmpty()).orElse(false), victim + " clears its alarm");
        note(ms(freed, cleared) + " ms after the space was freed: " + victim + " wrote again and cleared its alarm");
        awaitCaughtUp(probe, victim, freed);
        note("longest gap between acknowledged writes in this episode: " + longestGap(answers, filled) + " ms");
    }

    private void hungFsyncEpisode(NodeDisks disks, ClusterProbe probe, ConcurrentLinkedQueue<Answer> answers)
            throws Exception {
        String victim = leader(probe);
        note("--- hung fsync: " + victim + " (leader): its log syncs stop returning");
        disks.stallSyncs(victim);
        long hung = System.nanoTime();
        long stalled = awaitNanos(Duration.ofSeconds(30), () -> probe.statusBody(victim)
                .map(j -> "stalled".equals(j.path("role").asText())).orElse(false), victim + " says stalled");
        note(ms(hung, stalled) + " ms after the syncs hung: " + victim + " /status says role stalled (503): "
                + probe.statusBody(victim).map(j -> j.path("error").asText()).orElse("?"));
        Answer refused = awaitAnswer(answers, a -> a.node().equals(victim) && a.nanos() >= hung && a.status() == 503,
                victim + " refuses a write");
        note(ms(hung, refused.nanos()) + " ms after the syncs hung: first refused write: 503 " + refused.body());
        long newLeader = awaitNanos(Duration.ofSeconds(30), () -> probe.leader().filter(l -> !l.equals(victim))
                .isPresent(), "another leader");
        note(ms(hung, newLeader) + " ms after the syncs hung: " + probe.leader().orElse("?") + " leads");
        Thread.sleep(2000);
        long released = System.nanoTime();
        disks.releaseSyncs(victim);
        awaitFollowerAgain(probe, victim, released, "the syncs returned");
        note("longest gap between acknowledged writes in this episode: " + longestGap(answers, hung) + " ms");
    }

    private void frozenDiskEpisode(NodeDisks disks, ClusterProbe probe, ConcurrentLinkedQueue<Answer> answers)
            throws Exception {
        String victim = leader(probe);
        note("--- frozen disk: " + victim + " (leader): fsfreeze of its file system");
        disks.freeze(victim);
        long frozen = System.nanoTime();
        long newLeader = awaitNanos(Duration.ofSeconds(30), () -> probe.leader().filter(l -> !l.equals(victim))
                .isPresent(), "another leader");
        String leader = probe.leader().orElse("?");
        note(ms(frozen, newLeader) + " ms after the freeze: " + leader + " leads");
        Optional<JsonNode> s = probe.statusBody(victim);
        note(victim + " /status while frozen: " + s.map(j -> j.path("role").asText() + " " + j.path("alarms"))
                .orElse("no answer (its JVM waits for a safepoint behind the page fault)"));
        assertTrue(s.isEmpty() || !"leader".equals(s.get().path("role").asText()),
                victim + " claims to lead while " + leader + " does: " + s);
        Thread.sleep(2000);
        long thawed = System.nanoTime();
        disks.thaw(victim);
        awaitFollowerAgain(probe, victim, thawed, "the thaw");
        note("longest gap between acknowledged writes in this episode: " + longestGap(answers, frozen) + " ms");
    }

    private void awaitFollowerAgain(ClusterProbe probe, String victim, long healed, String what) throws Exception {
        long follows = awaitNanos(Duration.ofSeconds(30), () -> probe.status(victim)
                .map(j -> "follower".equals(j.path("role").asText()) && j.path("alarms").isEmpty()).orElse(false),
                victim + " follows");
        note(ms(healed, follows) + " ms after " + what + ": " + victim + " is a follower again, no alarm");
        awaitCaughtUp(probe, victim, healed);
    }

    // ------------------------------------------------------------------------------------------------ checks

    private void awaitCaughtUp(ClusterProbe probe, String victim, long since) throws Exception {
        String leader = leader(probe);
        long target = probe.status(leader).orElseThrow().path("commitIndex").asLong();
        long caughtUp = awaitNanos(Duration.ofSeconds(60), () -> probe.status(victim)
                .map(j -> j.path("appliedIndex").asLong() >= target).orElse(false), victim + " catches up");
        note(ms(since, caughtUp) + " ms after the heal: " + victim + " applied up to the leader's commit index "
                + target + " (no restart)");
    }

    private void checkNothingAcknowledgedIsLost(ServerProcesses servers, ClusterProbe probe,
                                                ConcurrentLinkedQueue<Answer> answers) throws Exception {
        List<Answer> acked = answers.stream().filter(a -> a.status() == 204).toList();
        Map<Integer, Long> byStatus = new java.util.TreeMap<>();
        answers.forEach(a -> byStatus.merge(a.status(), 1L, Long::sum));
        note("writes: " + byStatus + " by status (0 = no answer); " + acked.size() + " acknowledged");
        assertTrue(acked.size() > 500, "too few acknowledged writes to mean anything: " + acked.size());
        String leader = leader(probe);
        int missing = 0;
        for (Answer a : acked) {
            HttpResponse<String> r = get(servers, leader, "/key/" + a.key() + "?level=linearizable");
            if (r.statusCode() != 200 || !JSON.readTree(r.body()).path(a.key()).asText().equals(value(a.key()))) {
                missing++;
                if (missing < 5) {
                    note("LOST: " + a.key() + " acknowledged by " + a.node() + ", now " + r.statusCode() + " " + r.body());
                }
            }
        }
        note("read back " + acked.size() + " acknowledged writes linearizably: " + missing + " missing");
        assertEquals(0, missing, "acknowledged writes lost");
    }

    // ------------------------------------------------------------------------------------------------ load

    private List<Thread> startWriters(ServerProcesses servers, ConcurrentLinkedQueue<Answer> answers,
                                      AtomicBoolean stop, int threads) {
        List<Thread> out = new ArrayList<>();
        List<String> ids = servers.ids();
        for (int t = 0; t < threads; t++) {
            int writer = t;
            Thread th = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String node = ids.get((writer + i) % ids.size());
                    String key = "w" + writer + "-" + i;
                    HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + servers.node(node).http() + "/key/" + key))
                            .timeout(Duration.ofSeconds(3)).PUT(HttpRequest.BodyPublishers.ofString(value(key))).build();
                    int status;
                    String body;
                    try {
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        status = r.statusCode();
                        body = r.body();
                    } catch (IOException e) {
                        status = 0;
                        body = e.toString();
                    } catch (InterruptedException e) {
                        return;
                    }
                    answers.add(new Answer(System.nanoTime(), node, status, key, body));
                    if (status != 204) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
            }, "disk-it-writer-" + t);
            th.setDaemon(true);
            th.start();
            out.add(th);
        }
        return out;
    }

    /** 1 KiB, derived from the key so that a read can check it. */
    private static String value(String key) {
        StringBuilder sb = new StringBuilder(1024);
        while (sb.length() < 1024) {
            sb.append(key).append(';');
        }
        return sb.substring(0, 1024);
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private HttpResponse<String> get(ServerProcesses servers, String node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + servers.node(node).http() + path))
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String leader(ClusterProbe probe) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<String> l = probe.agreedLeader();
            if (l.isPresent()) {
                return l.get();
            }
            Thread.sleep(50);
        }
        fail("no agreed leader within 30 s");
        return null;
    }

    private static boolean alarm(ClusterProbe probe, String node, String kind) {
        return probe.statusBody(node).map(s -> s.path("alarms").toString().contains("\"" + kind + "\"")).orElse(false);
    }

    /** The longest interval without an acknowledged write between {@code since} and now, in ms. */
    private static long longestGap(ConcurrentLinkedQueue<Answer> answers, long since) {
        List<Long> acks = answers.stream().filter(a -> a.status() == 204 && a.nanos() >= since).map(Answer::nanos)
                .sorted().toList();
        long last = since;
        long longest = 0;
        for (long t : acks) {
            longest = Math.max(longest, t - last);
            last = t;
        }
        return longest / 1_000_000;
    }

    private static Answer awaitAnswer(ConcurrentLinkedQueue<Answer> answers, java.util.function.Predicate<Answer> p,
                                      String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Answer> a = answers.stream().filter(p).findFirst();
            if (a.isPresent()) {
                return a.get();
            }
            Thread.sleep(10);
        }
        fail("timed out after 30 s waiting for: " + what);
        return null;
    }

    private static long awaitNanos(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
        awaitTrue(timeout, condition, what);
        return System.nanoTime();
    }

    private static void awaitTrue(Duration timeout, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static long ms(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private void note(String line) {
        System.out.println("[disk-it] " + line);
        timeline.append(line).append('\n');
    }
}
