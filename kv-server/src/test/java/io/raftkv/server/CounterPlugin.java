package io.raftkv.server;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateMachinePlugin;
import io.raftkv.plugin.resp.RespAction;
import io.raftkv.plugin.resp.RespArgs;
import io.raftkv.plugin.resp.RespCommandSpec;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespReply;
import io.raftkv.plugin.resp.RespSettings;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A test plugin without routes of its own (so it is served by the generic API): a counter whose command
 * {@code add N} adds and answers the new total, whose query {@code total} answers the total, both as text.
 * Registered in this module's test resources, the way a user's jar registers its plugin. Its RESP table
 * ({@link CounterRespCommands}: {@code ADD n}, {@code TOTAL}) proves that the RESP front door serves any plugin.
 */
public final class CounterPlugin implements StateMachinePlugin {
    @Override
    public String name() {
        return "counter";
    }

    @Override
    public List<String> exampleRespRequests(List<String> respAddresses) {
        return List.of("redis-cli -p " + respAddresses.get(0).substring(respAddresses.get(0).lastIndexOf(':') + 1)
                + " add 5");
    }

    @Override
    public PluginInstance open(PluginContext context) {
        Counter counter = new Counter();
        return new PluginInstance() {
            @Override
            public StateMachine stateMachine() {
                return counter;
            }

            @Override
            public String mediaType() {
                return "text/plain; charset=utf-8";
            }

            @Override
            public RespCommandTable respCommands(RespSettings settings) {
                return new CounterRespCommands();
            }
        };
    }

    /**
     * {@code ADD n} (a write: the new total), {@code TOTAL} (a read at the connection's level) and {@code BOOM}, whose
     * planning throws, as a plugin's bug would. No transactions: EXEC is refused.
     */
    static final class CounterRespCommands implements RespCommandTable {
        private static final List<RespCommandSpec> COMMANDS = List.of(
                RespCommandSpec.noKeys("add", 2, "counter", "Adds n to the total; returns the new total.", "write"),
                RespCommandSpec.noKeys("total", 1, "counter", "Returns the total.", "readonly", "fast"),
                RespCommandSpec.noKeys("boom", 1, "counter", "Fails in planning (a plugin's bug).", "fast"));

        @Override
        public List<RespCommandSpec> commands() {
            return COMMANDS;
        }

        @Override
        public RespAction plan(RespCommandSpec spec, List<byte[]> args) {
            return switch (spec.name()) {
                case "add" -> {
                    Long n = RespArgs.parseLong(args.get(1));
                    yield n == null ? new RespAction.Now(RespReply.err(RespArgs.NOT_AN_INTEGER))
                            : new RespAction.Propose(("add " + n).getBytes(StandardCharsets.UTF_8),
                            CounterRespCommands::total);
                }
                case "total" -> new RespAction.Query("total".getBytes(StandardCharsets.UTF_8),
                        CounterRespCommands::total);
                case "boom" -> throw new IllegalStateException("boom");
                default -> throw new IllegalArgumentException("not a counter command: " + spec.name());
            };
        }

        @Override
        public RespAction transaction(List<List<byte[]>> queued) {
            return new RespAction.Now(RespReply.error("EXECABORT", "the counter has no transactions"));
        }

        private static RespReply total(byte[] result) {
            String text = new String(result, StandardCharsets.UTF_8);
            return text.startsWith("error:") ? RespReply.err(text) : new RespReply.Int(Long.parseLong(text));
        }
    }

    /** Apply thread only writes; a query reads the volatile total. */
    static final class Counter implements StateMachine {
        private volatile long total;
        private volatile long applied;

        @Override
        public byte[] apply(long index, byte[] command) {
            String text = new String(command, StandardCharsets.UTF_8);
            applied = index;
            try {
                if (!text.startsWith("add ")) {
                    return ("error: unknown command " + text).getBytes(StandardCharsets.UTF_8);
                }
                total += Long.parseLong(text.substring(4).trim());
                return Long.toString(total).getBytes(StandardCharsets.UTF_8);
            } catch (NumberFormatException e) {
                return ("error: not a number: " + text).getBytes(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void skip(long index) {
            applied = index;
        }

        @Override
        public byte[] query(byte[] request) {
            String text = new String(request, StandardCharsets.UTF_8);
            return (text.equals("total") ? Long.toString(total) : "error: unknown query " + text)
                    .getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public long lastAppliedIndex() {
            return applied;
        }

        @Override
        public Snapshot snapshot() {
            long t = total;
            long i = applied;
            return out -> {
                DataOutputStream data = new DataOutputStream(out);
                data.writeLong(i);
                data.writeLong(t);
                data.flush();
            };
        }

        @Override
        public void restore(long lastIncludedIndex, InputStream in) throws IOException {
            DataInputStream data = new DataInputStream(in);
            data.readLong();
            total = data.readLong();
            applied = lastIncludedIndex;
        }
    }
}
