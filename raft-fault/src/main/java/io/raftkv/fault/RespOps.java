package io.raftkv.fault;

import io.raftkv.verify.HistoryRecorder;
import io.raftkv.verify.Outcome;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The RESP (Redis protocol) half of the {@link Workload}'s clients: the same operations, recorded the same way,
 * through Jedis to each node's {@code --resp} port. One connection per (client, node, read level): a connection's
 * read level is set once with {@code RAFTKV.READLEVEL}. Each command is sent once; the answer is recorded as:
 * <ul>
 *   <li>a reply (OK, a value, nil): {@code OK};</li>
 *   <li>{@code -CLUSTERDOWN}, {@code -TRYAGAIN} (not applied), any error to a read, or a connection that could not be
 *       opened: {@code FAIL};</li>
 *   <li>{@code -OUTCOMEUNKNOWN}, another error to a write, or a connection that broke after the command was sent
 *       (timeout, reset): {@code UNKNOWN}; the connection is dropped and opened again for the next command.</li>
 * </ul>
 * A compare-and-set that expects absence is {@code SET key value NX}; Redis has no command for other
 * expectations, so the workload writes instead ({@link Workload#cas}).
 */
final class RespOps {
    private final ServerProcesses servers;
    private final Duration timeout;
    private final Map<String, Jedis> connections = new ConcurrentHashMap<>();

    RespOps(ServerProcesses servers, Duration timeout) {
        this.servers = servers;
        this.timeout = timeout;
    }

    Outcome read(HistoryRecorder.Call call, int process, String node, String key, String level) {
        return exchange(call, process, node, level, false, j -> {
            call.okRead(j.get(key));
            return Outcome.OK;
        });
    }

    /** {@code value == null}: DEL. */
    Outcome write(HistoryRecorder.Call call, int process, String node, String key, String value) {
        return exchange(call, process, node, "linearizable", true, j -> {
            if (value == null) {
                j.del(key);
            } else {
                j.set(key, value);
            }
            call.ok();
            return Outcome.OK;
        });
    }

    /** SET NX: a compare-and-set that expects the key to be absent. */
    Outcome setIfAbsent(HistoryRecorder.Call call, int process, String node, String key, String value) {
        return exchange(call, process, node, "linearizable", true, j -> {
            call.okCas("OK".equals(j.set(key, value, SetParams.setParams().nx())));
            return Outcome.OK;
        });
    }

    private interface Command {
        Outcome run(Jedis jedis);
    }

    private Outcome exchange(HistoryRecorder.Call call, int process, String node, String level, boolean isWrite,
                             Command command) {
        String id = process + "/" + node + "/" + level;
        Jedis jedis = connections.get(id);
        if (jedis == null || !jedis.isConnected() || jedis.isBroken()) {
            try {
                jedis = open(node, level);
            } catch (JedisConnectionException | JedisDataException e) {
                call.fail(); // nothing was sent: the command cannot take effect
                return Outcome.FAIL;
            }
            connections.put(id, jedis);
        }
        try {
            return command.run(jedis);
        } catch (JedisDataException e) {
            String code = e.getMessage() == null ? "" : e.getMessage().split(" ", 2)[0];
            if (code.equals("CLUSTERDOWN") || code.equals("TRYAGAIN") || !isWrite) {
                call.fail();
                return Outcome.FAIL;
            }
            call.unknown();
            return Outcome.UNKNOWN;
        } catch (RuntimeException e) {
            // Timeout, reset, EOF after the command left: it may have been applied. Start afresh next time.
            connections.remove(id);
            jedis.close();
            call.unknown();
            return Outcome.UNKNOWN;
        }
    }

    private Jedis open(String node, String level) {
        String address = servers.node(node).resp();
        int colon = address.lastIndexOf(':');
        Jedis j = new Jedis(new HostAndPort(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1))),
                DefaultJedisClientConfig.builder().connectionTimeoutMillis(1000)
                        .socketTimeoutMillis((int) timeout.toMillis()).build());
        try {
            j.connect();
            if (!level.equals("linearizable")) {
                j.sendCommand(() -> "RAFTKV.READLEVEL".getBytes(java.nio.charset.StandardCharsets.US_ASCII), level);
            }
            return j;
        } catch (RuntimeException e) {
            j.close();
            throw e instanceof JedisDataException d ? d : new JedisConnectionException(e);
        }
    }

    void close() {
        connections.values().forEach(Jedis::close);
        connections.clear();
    }
}
