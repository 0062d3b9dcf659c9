package io.raftkv.server;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateMachinePlugin;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A test plugin without routes of its own (so it is served by the generic API): a counter whose command
 * {@code add N} adds and answers the new total, whose query {@code total} answers the total, both as text.
 * Registered in this module's test resources, the way a user's jar registers its plugin.
 */
public final class CounterPlugin implements StateMachinePlugin {
    @Override
    public String name() {
        return "counter";
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
        };
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
