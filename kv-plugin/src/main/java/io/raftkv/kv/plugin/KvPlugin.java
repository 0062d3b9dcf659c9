package io.raftkv.kv.plugin;

import io.raftkv.core.statemachine.StateMachine;
import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvQuery;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.plugin.PluginContext;
import io.raftkv.plugin.PluginHost;
import io.raftkv.plugin.PluginInstance;
import io.raftkv.plugin.StateDigest;
import io.raftkv.plugin.StateMachinePlugin;
import io.raftkv.plugin.http.HttpRoutes;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespSettings;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --state-machine kv} (the default): the replicated KV store of kv-statemachine behind hraftd's HTTP API
 * ({@link KvRoutes}) and, with {@code --resp}, Redis's string commands ({@link KvRespCommands}). The store lives in memory: it starts empty and Raft rebuilds it from the newest snapshot and
 * the log, so the plugin keeps no files of its own.
 */
public final class KvPlugin implements StateMachinePlugin {
    public static final String NAME = "kv";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "the replicated key-value store: /key, /cas (hraftd's API and compare-and-set)";
    }

    @Override
    public List<String> exampleRequests(List<String> http) {
        return List.of("curl -X PUT --data-binary world http://" + http.get(0) + "/key/hello",
                "curl http://" + http.get(Math.min(1, http.size() - 1)) + "/key/hello");
    }

    @Override
    public List<String> exampleRespRequests(List<String> resp) {
        return List.of(redisCli(resp.get(0)) + " set hello world",
                redisCli(resp.get(Math.min(1, resp.size() - 1))) + " get hello");
    }

    private static String redisCli(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return "redis-cli -h " + hostPort.substring(0, colon) + " -p " + hostPort.substring(colon + 1);
    }

    @Override
    public PluginInstance open(PluginContext context) {
        return new Instance(new KvStateMachine());
    }

    private record Instance(KvStateMachine kv) implements PluginInstance {
        @Override
        public StateMachine stateMachine() {
            return kv;
        }

        @Override
        public HttpRoutes httpRoutes(PluginHost host) {
            return new KvRoutes(host, kv);
        }

        @Override
        public RespCommandTable respCommands(RespSettings settings) {
            return new KvRespCommands(kv.limits(), kv::size, settings.allowDestructiveCommands());
        }

        @Override
        public StateDigest digest() {
            return DIGEST;
        }

        @Override
        public Map<String, Object> status() {
            return Map.of("keys", kv.size());
        }
    }

    /** {@code GET /digest}: {"digest", "keys", "appliedIndex"} from one version of the store. */
    private static final StateDigest DIGEST = new StateDigest() {
        @Override
        public byte[] query() {
            return KvCodec.encodeQuery(new KvQuery.Digest());
        }

        @Override
        public Map<String, Object> describe(byte[] answer) {
            KvResult result = KvCodec.decodeResult(answer);
            if (!(result instanceof KvResult.StateDigest d)) {
                throw new IllegalArgumentException("not a digest: " + result);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("digest", HexFormat.of().formatHex(d.digest()));
            body.put("keys", d.size());
            body.put("appliedIndex", d.lastAppliedIndex());
            return body;
        }
    };
}
