package io.raftkv.plugin;

import io.raftkv.core.statemachine.SnapshotInput;
import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.statemachine.TextStateMachine;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a {@link SimplePlugin} subclass gets without writing it: instance, media type, digest. */
class SimplePluginTest {

    /** Remembers the last command; "digest" answers {@code stateDigest()}. */
    static final class Echo extends TextStateMachine {
        private String last = "";

        Echo() {
            super("ECHO", 1);
        }

        @Override
        protected String applyText(long index, String command) {
            last = command;
            return "ok";
        }

        @Override
        protected synchronized String queryText(String query) {
            return query.equals("digest") ? stateDigest() : last;
        }

        @Override
        protected StateWriter captureState() {
            String captured = last;
            return out -> out.writeString(captured);
        }

        @Override
        protected Runnable readState(SnapshotInput in) throws java.io.IOException {
            String read = in.readString("last");
            return () -> last = read;
        }
    }

    public static final class EchoPlugin extends SimplePlugin {
        public EchoPlugin() {
            super("echo", "remembers the last command", Echo::new);
        }

        @Override
        protected byte[] digestQuery() {
            return "digest".getBytes(StandardCharsets.UTF_8);
        }
    }

    private static final PluginContext CONTEXT = new PluginContext("n1", Path.of("unused"),
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry());

    @Test
    void aTextMachineIsServedAsTextWithItsStateDigest() throws Exception {
        EchoPlugin plugin = new EchoPlugin();
        assertEquals("echo", plugin.name());
        PluginInstance a = plugin.open(CONTEXT);
        PluginInstance b = plugin.open(CONTEXT);
        assertNotSame(a.stateMachine(), b.stateMachine(), "one state machine per server");
        assertEquals("text/plain; charset=utf-8", a.mediaType());
        assertNull(a.httpRoutes(null), "the generic API");

        StateMachine sm = a.stateMachine();
        sm.apply(1, "hello".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> fields = a.digest().describe(sm.query(a.digest().query()));
        assertEquals(1L, fields.get("appliedIndex"));
        assertEquals(64, ((String) fields.get("digest")).length(), "SHA-256 in hex: " + fields);
        IllegalArgumentException notADigest = assertThrows(IllegalArgumentException.class,
                () -> a.digest().describe("error: unknown query".getBytes(StandardCharsets.UTF_8)));
        assertTrue(notADigest.getMessage().contains("error: unknown query"), notADigest.getMessage());
    }

    @Test
    void withoutADigestQueryThereIsNoDigest() {
        SimplePlugin bytes = new SimplePlugin("bytes", "", Echo::new) {
        };
        assertNull(bytes.open(CONTEXT).digest());
    }
}
