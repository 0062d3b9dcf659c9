package io.raftkv.examples.ledger;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateDigest;
import io.raftkv.plugin.StateMachinePlugin;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/raftkv serve --state-machine ledger} with this jar on the class path (registered in
 * {@code META-INF/services/io.raftkv.plugin.StateMachinePlugin}). No routes of its own: the server's generic API
 * takes a command as the body of {@code POST /command} and a query as that of {@code POST /query?level=…}.
 */
public final class LedgerPlugin implements StateMachinePlugin {
    @Override
    public String name() {
        return "ledger";
    }

    @Override
    public String description() {
        return "a bank ledger (examples/ledger): open, deposit, transfer; balance, total";
    }

    @Override
    public List<String> exampleRequests(List<String> http) {
        return List.of("curl -s http://" + http.get(0) + "/command -d 'open alice'",
                "curl -s http://" + http.get(0) + "/command -d 'deposit alice 100'",
                "curl -s 'http://" + http.get(http.size() - 1) + "/query?level=linearizable' -d 'balance alice'");
    }

    @Override
    public PluginInstance open(PluginContext context) {
        Ledger ledger = new Ledger(); // in memory: Raft rebuilds it from the newest snapshot and the log
        return new PluginInstance() {
            @Override
            public StateMachine stateMachine() {
                return ledger;
            }

            @Override
            public String mediaType() {
                return "text/plain; charset=utf-8";
            }

            @Override
            public StateDigest digest() {
                return new StateDigest() {
                    @Override
                    public byte[] query() {
                        return Ledger.bytes("digest");
                    }

                    @Override
                    public Map<String, Object> describe(byte[] answer) {
                        String[] indexAndHash = new String(answer, StandardCharsets.UTF_8).split(" ");
                        return Map.of("appliedIndex", Long.parseLong(indexAndHash[0]), "digest", indexAndHash[1]);
                    }
                };
            }
        };
    }
}
