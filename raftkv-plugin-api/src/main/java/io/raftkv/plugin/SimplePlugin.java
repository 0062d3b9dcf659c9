package io.raftkv.plugin;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.core.statemachine.TextStateMachine;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The smallest plugin: a name, one line saying what it is, and a state machine that lives in memory (each server
 * starts it empty; Raft rebuilds it from the newest snapshot and the log, so the plugin keeps no files). The server
 * serves it through its generic API — {@code POST /command} and {@code POST /query?level=…} with the command or
 * query as the body — with forwarding, read levels and client sessions. A subclass is a public no-argument
 * constructor, registered in {@code META-INF/services/io.raftkv.plugin.StateMachinePlugin}:
 * <pre>{@code
 * public final class LedgerPlugin extends SimplePlugin {
 *     public LedgerPlugin() {
 *         super("ledger", "a bank ledger: open, deposit, transfer; balance, total", Ledger::new);
 *     }
 * }
 * }</pre>
 * The generic API's media type is {@code text/plain; charset=utf-8} for a raft-core {@code TextStateMachine},
 * {@code application/octet-stream} otherwise. Override {@link #digestQuery()} to serve {@code GET /digest}, and
 * {@link #exampleRequests} for {@code bin/raftkv demo}; a plugin with its own routes, files or status implements
 * {@link StateMachinePlugin} itself (the KV and SQL plugins do).
 */
public abstract class SimplePlugin implements StateMachinePlugin {
    /** {@code AbstractStateMachine.stateDigest()}'s answer: the applied index, a space, the hex digest. */
    private static final Pattern INDEX_AND_DIGEST = Pattern.compile("(\\d+) ([0-9a-fA-F]+)");

    private final String name;
    private final String description;
    private final Supplier<? extends StateMachine> stateMachines;

    /**
     * @param name          what {@code --state-machine} selects (see {@link StateMachinePlugin#name()})
     * @param description   one line for {@code serve --help} and error messages
     * @param stateMachines makes the state machine of one server (called once per {@link #open})
     */
    protected SimplePlugin(String name, String description, Supplier<? extends StateMachine> stateMachines) {
        this.name = Objects.requireNonNull(name, "name");
        this.description = Objects.requireNonNull(description, "description");
        this.stateMachines = Objects.requireNonNull(stateMachines, "stateMachines");
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public List<String> exampleRequests(List<String> httpAddresses) {
        return List.of();
    }

    /**
     * A query whose answer digests the whole state, for {@code GET /digest}, or null (the default) for none. The
     * answer must be {@code "INDEX HEX"} — what {@code AbstractStateMachine.stateDigest()} returns —, reported as
     * {@code appliedIndex} and {@code digest}; any other answer (an error text) is not a digest, and the server
     * answers 500 rather than let it pass for one.
     */
    protected byte[] digestQuery() {
        return null;
    }

    @Override
    public final PluginInstance open(PluginContext context) {
        StateMachine stateMachine = Objects.requireNonNull(stateMachines.get(), "the state machine supplier gave null");
        byte[] digestQuery = digestQuery();
        String mediaType = stateMachine instanceof TextStateMachine ? "text/plain; charset=utf-8"
                : "application/octet-stream";
        return new PluginInstance() {
            @Override
            public StateMachine stateMachine() {
                return stateMachine;
            }

            @Override
            public String mediaType() {
                return mediaType;
            }

            @Override
            public StateDigest digest() {
                return digestQuery == null ? null : new StateDigest() {
                    @Override
                    public byte[] query() {
                        return digestQuery.clone();
                    }

                    @Override
                    public Map<String, Object> describe(byte[] answer) {
                        return describeDigest(new String(answer, StandardCharsets.UTF_8));
                    }
                };
            }
        };
    }

    /**
     * The {@code /digest} fields of a digest query's answer (see {@link #digestQuery()}).
     *
     * @throws IllegalArgumentException if the answer is not {@code "INDEX HEX"}
     */
    static Map<String, Object> describeDigest(String answer) {
        Matcher m = INDEX_AND_DIGEST.matcher(answer.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("the digest query's answer is not \"INDEX HEX\": " + answer);
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("appliedIndex", Long.parseLong(m.group(1)));
        fields.put("digest", m.group(2));
        return fields;
    }
}
