package io.raftkv.bench.session;

import io.raftkv.core.session.SessionFrame;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.core.session.SessionReply;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What a client session adds to the apply thread's cost of a put, and to the proposer's: the KV store with
 * {@code clients} sessions (each writing in turn with the next seq and acknowledging the previous answer, as
 * KvClient does) against the same puts without sessions.
 * <ul>
 *   <li>{@code applyPlain}: {@code SessionStateMachine.apply} of a plain put (passes through: the baseline);</li>
 *   <li>{@code applyInSession}: the same put in an Invoke frame: decode, expiry check, dedup lookup, touch,
 *       acknowledge, store the answer, encode the reply;</li>
 *   <li>{@code proposerSide}: what the server adds around a session write besides apply: encode the frame, then
 *       decode the reply to get the KV result back.</li>
 * </ul>
 * Run: {@code java -jar benchmarks/target/benchmarks.jar SessionApplyBenchmark}.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SessionApplyBenchmark {

    @Param({"64", "10000"})
    public int clients;

    private static final int KEYS = 100_000;
    private static final int COMMANDS = 1 << 14;

    private SessionStateMachine plain;
    private SessionStateMachine sessions;
    private byte[][] putCommands;
    private long[] sessionIds;
    private long[] nextSeq;
    private long plainIndex;
    private long sessionIndex;
    private long now;
    private int next;
    private byte[] encodedReply;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(42);
        putCommands = new byte[COMMANDS][];
        for (int i = 0; i < COMMANDS; i++) {
            byte[] value = new byte[100];
            random.nextBytes(value);
            putCommands[i] = KvCodec.encodeCommand(new KvCommand.Put(
                    ("key-" + random.nextInt(KEYS)).getBytes(StandardCharsets.UTF_8), value));
        }
        SessionOptions options = SessionOptions.defaults().withMaxSessions(Math.max(clients, 10_000));
        plain = new SessionStateMachine(new KvStateMachine(), options);
        sessions = new SessionStateMachine(new KvStateMachine(), options);
        sessionIds = new long[clients];
        nextSeq = new long[clients];
        for (int c = 0; c < clients; c++) {
            byte[] reply = sessions.apply(++sessionIndex, new SessionFrame.Register(now, 3_600_000).encode());
            sessionIds[c] = ((SessionReply.Registered) SessionReply.decode(reply)).sessionId();
            nextSeq[c] = 1;
        }
        encodedReply = new SessionReply.Answered(KvCodec.encodeResult(io.raftkv.kv.KvResult.OK), false).encode();
    }

    @Benchmark
    public byte[] applyPlain() {
        byte[] cmd = putCommands[next++ & (COMMANDS - 1)];
        return plain.apply(++plainIndex, cmd);
    }

    @Benchmark
    public byte[] applyInSession() {
        int i = next++;
        byte[] cmd = putCommands[i & (COMMANDS - 1)];
        int c = i % clients;
        long seq = nextSeq[c]++;
        // In turn, each client's next write; it has the answer of its previous one (acknowledged).
        return sessions.apply(++sessionIndex, new SessionFrame.Invoke(++now, sessionIds[c], seq, seq, cmd).encode());
    }

    @Benchmark
    public Object proposerSide() {
        byte[] cmd = putCommands[next++ & (COMMANDS - 1)];
        byte[] frame = new SessionFrame.Invoke(now, 7, 9, 9, cmd).encode();
        SessionReply r = SessionReply.decode(encodedReply);
        return frame.length + ((SessionReply.Answered) r).result().length;
    }
}
