package io.raftkv.core.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.storage.InMemorySnapshotStore;
import io.raftkv.core.storage.SnapshotMeta;
import io.raftkv.core.storage.SnapshotStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The InstallSnapshot protocol of {@link SnapshotTransfers}, step by step, without threads or timing. */
class SnapshotTransfersTest {

    private static final SnapshotMeta META = new SnapshotMeta(40, 3, Configuration.ofVoterIds("n1", "n2"));
    private static final byte[] DATA = new byte[25];

    static {
        for (int i = 0; i < DATA.length; i++) {
            DATA[i] = (byte) i;
        }
    }

    private final Journal journal = new Journal();
    private final ScriptedCore core = new ScriptedCore("n1", journal);
    private final List<RaftMessage> sent = new ArrayList<>();
    private final Journal.Net net = journal.new Net(new io.raftkv.core.transport.Transport() {
        @Override
        public void start(io.raftkv.core.transport.MessageHandler handler) {
        }

        @Override
        public void updatePeers(java.util.Collection<io.raftkv.core.cluster.Member> peers) {
        }

        @Override
        public void send(RaftMessage message) {
            sent.add(message);
        }

        @Override
        public boolean isReachable(String peerId) {
            return true;
        }

        @Override
        public void close() {
        }
    });
    private final InMemorySnapshotStore store = new InMemorySnapshotStore();
    /** One chunk in flight: the tests of the protocol's steps. */
    private final SnapshotTransfers transfers = transfers(10, 1);

    private SnapshotTransfers transfers(int chunkBytes, int chunksInFlight) {
        return new SnapshotTransfers("n1", core, net, store,
                new RaftMetrics(new SimpleMeterRegistry(), "n1", new Budget(1, 1), () -> 0L),
                RaftServerOptions.defaults().withSnapshotTransfer(chunkBytes, chunksInFlight, Duration.ofMillis(400)));
    }

    private void storeSnapshot() throws IOException {
        try (SnapshotStore.Sink sink = store.begin(META)) {
            sink.stream().write(DATA);
            sink.commit();
        }
    }

    private List<Long> offsetsSentFrom(int first) {
        List<Long> offsets = new ArrayList<>();
        for (RaftMessage m : sent.subList(first, sent.size())) {
            offsets.add(((InstallSnapshotRequest) m).offset());
        }
        return offsets;
    }

    /** The follower's answer to the chunk at {@code answeredOffset}: it expects {@code nextOffset} next. */
    private static InstallSnapshotResponse answer(long nextOffset, long answeredOffset, boolean done) {
        return new InstallSnapshotResponse("n2", "n1", 1, 40, nextOffset, answeredOffset, done);
    }

    private InstallSnapshotRequest chunk(long offset, int length, boolean done) {
        return new InstallSnapshotRequest("n2", "n1", 5, META.lastIncludedIndex(), META.lastIncludedTerm(),
                META.configuration(), offset, Arrays.copyOfRange(DATA, (int) offset, (int) offset + length), done);
    }

    private InstallSnapshotResponse lastResponse() {
        return (InstallSnapshotResponse) sent.get(sent.size() - 1);
    }

    private void becomeFollowerOfN2InTerm5() {
        core.step(new AppendEntriesRequest("n2", "n1", 5, 0, 0, List.of(), 0, 1));
    }

    @Test
    void receiver_writesChunksInOrder_answersTheExpectedOffsetOnAGapOrDuplicate_commitsBeforeInstalling()
            throws IOException {
        becomeFollowerOfN2InTerm5();
        transfers.onRequest(chunk(0, 10, false));
        assertEquals(10, lastResponse().nextOffset());
        transfers.onRequest(chunk(20, 5, true)); // chunk 10..20 lost
        assertEquals(10, lastResponse().nextOffset());
        assertFalse(lastResponse().done());
        transfers.onRequest(chunk(0 + 10, 10, false));
        transfers.onRequest(chunk(10, 10, false)); // duplicate
        assertEquals(20, lastResponse().nextOffset());
        assertTrue(core.installed.isEmpty());
        core.onInstall = () -> assertEquals(Optional.of(META), store.latest().map(m -> m), "durable before install");
        transfers.onRequest(chunk(20, 5, true));
        assertTrue(lastResponse().done());
        assertEquals(List.of(META), core.installed);
        try (SnapshotStore.Source src = store.openLatest().orElseThrow()) {
            assertArrayEquals(DATA, src.open(0).readAllBytes());
        }
    }

    @Test
    void receiver_resumesATransferTheLeaderStartsAgain_insteadOfDiscardingWhatItHas() throws IOException {
        becomeFollowerOfN2InTerm5();
        transfers.onRequest(chunk(0, 10, false));
        transfers.onRequest(chunk(10, 10, false));
        // The leader gave up (timeout) and starts the same snapshot again at 0: the answer says "send from 20".
        transfers.onRequest(chunk(0, 10, false));
        assertEquals(20, lastResponse().nextOffset());
        assertFalse(lastResponse().done());
        transfers.onRequest(chunk(20, 5, true));
        assertTrue(lastResponse().done());
        try (SnapshotStore.Source src = store.openLatest().orElseThrow()) {
            assertArrayEquals(DATA, src.open(0).readAllBytes(), "no chunk written twice");
        }
    }

    @Test
    void sender_resumesFromTheOffsetTheFollowerNames_whenItStartsATransferAgain() throws Exception {
        try (SnapshotStore.Sink sink = store.begin(META)) {
            sink.stream().write(DATA);
            sink.commit();
        }
        transfers.send(List.of("n2"));
        assertEquals(0, ((InstallSnapshotRequest) sent.get(0)).offset());
        // The follower already holds 20 bytes of this snapshot from an abandoned transfer.
        transfers.onResponse(answer(20, 0, false));
        InstallSnapshotRequest next = (InstallSnapshotRequest) sent.get(sent.size() - 1);
        assertEquals(20, next.offset());
        assertEquals(5, next.data().length);
        assertTrue(next.done());
    }

    @Test
    void receiver_ignoresChunksFromAStaleTermOrANonLeader() throws IOException {
        becomeFollowerOfN2InTerm5();
        transfers.onRequest(new InstallSnapshotRequest("n3", "n1", 5, 40, 3, META.configuration(), 0, DATA, true));
        transfers.onRequest(new InstallSnapshotRequest("n2", "n1", 4, 40, 3, META.configuration(), 0, DATA, true));
        assertTrue(sent.isEmpty());
        assertTrue(core.installed.isEmpty());
        assertTrue(store.latest().isEmpty());
    }

    @Test
    void sender_streamsChunksAsConfirmed_retransmitsFromTheConfirmedOffset_thenGivesUp() throws Exception {
        try (SnapshotStore.Sink sink = store.begin(META)) {
            sink.stream().write(DATA);
            sink.commit();
        }
        transfers.send(List.of("n2"));
        InstallSnapshotRequest first = (InstallSnapshotRequest) sent.get(0);
        assertEquals(0, first.offset());
        assertEquals(10, first.data().length);
        transfers.onResponse(answer(10, 0, false));
        assertEquals(10, ((InstallSnapshotRequest) sent.get(1)).offset());

        // No answer: the same chunk again, three times, then the core hears of the failure.
        long now = System.nanoTime();
        for (int i = 1; i <= 3; i++) {
            transfers.expire(now + i * 150_000_000L);
            InstallSnapshotRequest again = (InstallSnapshotRequest) sent.get(sent.size() - 1);
            assertEquals(10, again.offset(), "retransmission " + i + " resumes at the confirmed offset");
        }
        assertEquals(List.of(), core.reports);
        transfers.expire(now + 4 * 150_000_000L);
        assertEquals(List.of("n2:40:false"), core.reports);
    }

    @Test
    void sender_afterARetransmission_sendsTheNextChunkOnceForTheTwoAnswers() throws Exception {
        try (SnapshotStore.Sink sink = store.begin(META)) {
            sink.stream().write(DATA);
            sink.commit();
        }
        transfers.send(List.of("n2"));
        transfers.expire(System.nanoTime() + 150_000_000L); // the answer is late: chunk 0 goes out again
        assertEquals(2, sent.size());
        // Both copies of chunk 0 are answered; the second answer asks for the chunk already on its way.
        transfers.onResponse(answer(10, 0, false));
        transfers.onResponse(answer(10, 0, false));
        assertEquals(3, sent.size(), "chunk 10 sent once, not once per answer: " + sent);
        transfers.onResponse(answer(20, 10, false));
        transfers.onResponse(answer(20, 10, false));
        assertEquals(4, sent.size(), "and the doubling does not carry on to the next chunk");
        assertEquals(20, ((InstallSnapshotRequest) sent.get(3)).offset());
    }

    @Test
    void sender_reportsSuccessWhenTheFollowerIsDone() throws Exception {
        try (SnapshotStore.Sink sink = store.begin(META)) {
            sink.stream().write(DATA);
            sink.commit();
        }
        transfers.send(List.of("n2"));
        transfers.onResponse(answer(10, 0, false));
        transfers.onResponse(answer(20, 10, false));
        InstallSnapshotRequest last = (InstallSnapshotRequest) sent.get(sent.size() - 1);
        assertEquals(20, last.offset());
        assertTrue(last.done());
        transfers.onResponse(answer(25, 20, true));
        assertEquals(List.of("n2:40:true"), core.reports);
        // A late duplicate answer changes nothing.
        transfers.onResponse(answer(25, 20, true));
        assertEquals(1, core.reports.size());
    }

    @Test
    void window_opensAfterTheFirstAnswer_slidesWithProgress_andNeverHoldsMoreThanItsSize() throws Exception {
        storeSnapshot(); // 25 bytes: chunks at 0, 5, 10, 15, 20
        SnapshotTransfers windowed = transfers(5, 2);
        windowed.send(List.of("n2"));
        assertEquals(List.of(0L), offsetsSentFrom(0), "alone until the follower says where it stands");
        windowed.onResponse(answer(5, 0, false));
        assertEquals(List.of(0L, 5L, 10L), offsetsSentFrom(0), "then two in flight");
        windowed.onResponse(answer(10, 5, false));
        assertEquals(List.of(0L, 5L, 10L, 15L), offsetsSentFrom(0), "each step forward opens room for one more");
        windowed.onResponse(answer(15, 10, false));
        windowed.onResponse(answer(20, 15, false));
        assertEquals(List.of(0L, 5L, 10L, 15L, 20L), offsetsSentFrom(0), "nothing past the end");
        assertTrue(((InstallSnapshotRequest) sent.get(sent.size() - 1)).done());
        windowed.onResponse(answer(25, 20, true));
        assertEquals(List.of("n2:40:true"), core.reports);
    }

    @Test
    void window_startsWhereTheFollowerAlreadyIs_goesBackOnceAfterALostChunk_andIgnoresDuplicates() throws Exception {
        storeSnapshot();
        SnapshotTransfers windowed = transfers(5, 2);
        windowed.send(List.of("n2"));
        windowed.onResponse(answer(15, 0, false)); // a partial download of this snapshot kept from an earlier transfer
        assertEquals(List.of(0L, 15L, 20L), offsetsSentFrom(0));
        // The answer to a duplicate (a chunk before the one expected) says nothing new: sending on it would double
        // the traffic after every retransmission.
        windowed.onResponse(answer(15, 5, false));
        assertEquals(3, sent.size());
        // Chunk 15 was dropped (transport backpressure) and chunk 20 arrived: go back to 15, once.
        windowed.onResponse(answer(15, 20, false));
        assertEquals(List.of(0L, 15L, 20L, 15L, 20L), offsetsSentFrom(0));
        windowed.onResponse(answer(15, 20, false)); // another answer from behind the same gap
        assertEquals(5, sent.size());
        windowed.onResponse(answer(20, 15, false));
        windowed.onResponse(answer(25, 20, true));
        assertEquals(List.of("n2:40:true"), core.reports);
    }

    @Test
    void window_isSentAgainFromTheConfirmedOffsetWhenNothingMoves_thenAbandoned() throws Exception {
        storeSnapshot();
        SnapshotTransfers windowed = transfers(5, 2);
        windowed.send(List.of("n2"));
        windowed.onResponse(answer(5, 0, false));
        int before = sent.size(); // chunks 5 and 10 in flight, and lost with the connection
        long now = System.nanoTime();
        for (int i = 1; i <= 3; i++) {
            windowed.expire(now + i * 150_000_000L);
            assertEquals(List.of(5L, 10L), offsetsSentFrom(before), "retransmission " + i + ": the whole window");
            before = sent.size();
        }
        assertEquals(List.of(), core.reports);
        windowed.expire(now + 4 * 150_000_000L);
        assertEquals(List.of("n2:40:false"), core.reports);
    }

    @Test
    void window_followsAFollowerThatWentBack() throws Exception {
        storeSnapshot();
        SnapshotTransfers windowed = transfers(5, 2);
        windowed.send(List.of("n2"));
        windowed.onResponse(answer(10, 0, false));
        int before = sent.size();
        windowed.onResponse(answer(0, 10, false)); // it restarted and lost its partial download
        assertEquals(List.of(0L, 5L), offsetsSentFrom(before));
    }

    @Test
    void sender_stopsAtOnceWhenLeadershipEnds_andANonLeaderStartsNoTransfer() throws Exception {
        storeSnapshot();
        transfers.send(List.of("n2"));
        assertEquals(1, sent.size());
        assertEquals(1, ((InstallSnapshotRequest) sent.get(0)).term());
        becomeFollowerOfN2InTerm5(); // stepped in the batch before the timer runs; the soft state comes later
        int before = sent.size();
        transfers.expire(System.nanoTime() + 150_000_000L);
        transfers.onResponse(answer(10, 0, false));
        transfers.send(List.of("n2", "n3"));
        for (RaftMessage m : sent.subList(before, sent.size())) {
            assertFalse(m instanceof InstallSnapshotRequest,
                    "a chunk stamped with a term this node does not lead: " + m);
        }
    }
}
