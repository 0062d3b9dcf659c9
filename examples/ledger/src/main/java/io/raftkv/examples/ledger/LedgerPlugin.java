package io.raftkv.examples.ledger;

import io.raftkv.plugin.SimplePlugin;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code bin/raftkv serve --state-machine ledger} with this jar on the class path (registered in
 * {@code META-INF/services/io.raftkv.plugin.StateMachinePlugin}). No routes of its own: the server's generic API
 * takes a command as the body of {@code POST /command} and a query as that of {@code POST /query?level=…}, as text.
 */
public final class LedgerPlugin extends SimplePlugin {
    public LedgerPlugin() {
        super("ledger", "a bank ledger (examples/ledger): open, deposit, transfer; balance, total", Ledger::new);
    }

    @Override
    protected byte[] digestQuery() {
        return "digest".getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public List<String> exampleRequests(List<String> http) {
        return List.of("curl -s http://" + http.get(0) + "/command -d 'open alice'",
                "curl -s http://" + http.get(0) + "/command -d 'deposit alice 100'",
                "curl -s 'http://" + http.get(http.size() - 1) + "/query?level=linearizable' -d 'balance alice'");
    }
}
