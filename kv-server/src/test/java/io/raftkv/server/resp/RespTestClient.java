package io.raftkv.server.resp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs commands through a {@link RespSession} and the {@link KvCommandTable} against a {@link LocalBackend}, and
 * prints replies the way the tests compare them: {@code +OK}, {@code -ERR ...}, {@code :1}, {@code "value"},
 * {@code (nil)}, {@code [a, b]}.
 */
final class RespTestClient {
    final LocalBackend backend;
    final RespSession session;

    RespTestClient(LocalBackend backend, boolean allowFlush) {
        this.backend = backend;
        KvCommandTable table = new KvCommandTable(backend.kv.limits(), backend.kv::size, allowFlush);
        RespServer.Context context = RespServer.context(backend, table, RespOptions.at("127.0.0.1:0"),
                Duration.ofSeconds(5), () -> 1, () -> 6381);
        this.session = new RespSession(context, 1, "127.0.0.1:50000", "127.0.0.1:6381");
    }

    RespTestClient() {
        this(new LocalBackend(), false);
    }

    /** Runs one command, written as words separated by spaces ("set k v"; ␣ is a space inside a word). */
    String run(String line) {
        return run(Arrays.stream(line.split(" ")).map(w -> w.replace('\u2423', ' ').getBytes(StandardCharsets.UTF_8))
                .toList());
    }

    String run(List<byte[]> args) {
        return show(reply(args));
    }

    RespReply reply(List<byte[]> args) {
        RespAction action = session.handle(args).action();
        if (action instanceof RespAction.Now n) {
            return n.reply();
        }
        if (action instanceof RespAction.Propose p) {
            return backend.proposeAll(List.of(p.command())).get(0)
                    .handle((b, e) -> e != null ? RespErrors.of(e, true, backend.status()) : p.onResult().apply(b))
                    .join();
        }
        RespAction.Query q = (RespAction.Query) action;
        return backend.readAll(List.of(q.query()), session.readLevel()).get(0)
                .handle((b, e) -> e != null ? RespErrors.of(e, false, backend.status()) : q.onResult().apply(b))
                .join();
    }

    static String show(RespReply r) {
        if (r instanceof RespReply.Simple s) {
            return "+" + s.text();
        }
        if (r instanceof RespReply.Error e) {
            return "-" + e.text();
        }
        if (r instanceof RespReply.Int i) {
            return ":" + i.value();
        }
        if (r instanceof RespReply.Bulk b) {
            return b.bytes() == null ? "(nil)" : "\"" + new String(b.bytes(), StandardCharsets.UTF_8) + "\"";
        }
        RespReply.Array a = (RespReply.Array) r;
        if (a.elements() == null) {
            return "(nil array)";
        }
        List<String> parts = new ArrayList<>();
        a.elements().forEach(e -> parts.add(show(e)));
        return "[" + String.join(", ", parts) + "]";
    }
}
