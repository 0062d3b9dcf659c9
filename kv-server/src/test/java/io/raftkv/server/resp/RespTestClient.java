package io.raftkv.server.resp;

import io.raftkv.plugin.resp.RespAction;
import io.raftkv.plugin.resp.RespReply;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Runs commands through a {@link RespSession} and a plugin's command table against a {@link LocalBackend}, and
 * prints replies the way the tests compare them ({@link RespReply#toString()}: {@code +OK}, {@code -ERR ...},
 * {@code :1}, {@code "value"}, {@code (nil)}, {@code [a, b]}).
 */
final class RespTestClient {
    final LocalBackend backend;
    final RespSession session;

    RespTestClient(LocalBackend backend, boolean allowDestructiveCommands) {
        this.backend = backend;
        RespServer.Context context = RespServer.context(backend, backend.table(allowDestructiveCommands), RespOptions.at("127.0.0.1:0"),
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
        return reply(args).toString();
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
}
