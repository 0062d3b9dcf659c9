package io.raftkv.bench.session;

import io.raftkv.core.session.SessionFrame;
import io.raftkv.core.session.SessionOptions;
import io.raftkv.core.session.SessionStateMachine;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * The heap a client session costs in {@link SessionStateMachine}'s table: registers N sessions around an empty KV
 * store, each then with {@code answers} stored answers of a put (the KV "Ok" result, 2 bytes), and divides the
 * retained heap (after full GCs) by N. The KV store's own growth is measured separately and subtracted.
 *
 * <pre>
 * java -XX:+UseSerialGC -Xmx2g -cp benchmarks/target/benchmarks.jar io.raftkv.bench.session.SessionMemoryProbe [N]
 * </pre>
 */
public final class SessionMemoryProbe {
    private SessionMemoryProbe() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        for (int answers : new int[]{0, 1, 4}) {
            System.out.printf(Locale.ROOT, "%d answers kept per session: %.0f bytes per session (%d sessions)%n",
                    answers, bytesPerSession(n, answers), n);
        }
    }

    private static double bytesPerSession(int n, int answersEach) {
        SessionOptions options = SessionOptions.defaults().withMaxSessions(n).withSessionTimeout(Duration.ofHours(1));
        // The same puts without sessions, to subtract what the KV store itself keeps per key.
        KvStateMachine plain = new KvStateMachine();
        long index = 0;
        byte[][] commands = new byte[answersEach][];
        for (int a = 0; a < answersEach; a++) {
            commands[a] = KvCodec.encodeCommand(new KvCommand.Put(("k" + a).getBytes(StandardCharsets.UTF_8),
                    new byte[]{'v'}));
        }
        long before = usedAfterGc();
        SessionStateMachine sm = new SessionStateMachine(new KvStateMachine(), options);
        for (int s = 0; s < n; s++) {
            long id = ++index;
            sm.apply(id, new SessionFrame.Register(0, options.sessionTimeout().toMillis()).encode());
            for (int a = 0; a < answersEach; a++) {
                // ackedBelow 0: nothing acknowledged, so every answer stays (the worst case of a client that never
                // sends Raftkv-Acked, up to maxAnswersPerSession).
                sm.apply(++index, new SessionFrame.Invoke(0, id, a + 1, 0, commands[a]).encode());
            }
        }
        long withSessions = usedAfterGc() - before;
        long index2 = 0;
        long before2 = usedAfterGc();
        for (int a = 0; a < answersEach; a++) {
            plain.apply(++index2, commands[a]);
        }
        long kvOnly = usedAfterGc() - before2;
        if (sm.stats().sessions() != n) {
            throw new IllegalStateException("expected " + n + " sessions, table has " + sm.stats().sessions());
        }
        return (withSessions - kvOnly) / (double) n;
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
