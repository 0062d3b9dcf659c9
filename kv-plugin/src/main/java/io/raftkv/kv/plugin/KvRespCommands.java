package io.raftkv.kv.plugin;

import io.raftkv.kv.KvCodec;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvLimits;
import io.raftkv.kv.KvOperation;
import io.raftkv.kv.KvQuery;
import io.raftkv.kv.KvResult;
import io.raftkv.kv.RedisInteger;
import io.raftkv.plugin.resp.RespAction;
import io.raftkv.plugin.resp.RespArgs;
import io.raftkv.plugin.resp.RespCommandSpec;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespGlob;
import io.raftkv.plugin.resp.RespReply;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The KV plugin's RESP command table ({@link KvPlugin}'s {@code respCommands}): the Redis string and keyspace commands
 * on the KV state machine. Each command becomes one {@link KvCommand} for the log or one {@link KvQuery}, and its
 * {@link KvResult} the reply Redis would give, with Redis's error words where Redis has them; MULTI/EXEC is one
 * {@link KvCommand.Transaction}, all or nothing. Free of Netty; immutable, so any event loop may use it.
 *
 * <p>Not supported, each with an error that says so: key expiry (EX/PX/EXAT/PXAT/KEEPTTL, EXPIRE, SETEX, ...;
 * keys live until deleted), KEYS (it would walk every key in one reply: use SCAN), FLUSHDB/FLUSHALL unless the server
 * allows destructive commands ({@code --resp-allow-flushdb}).
 */
public final class KvRespCommands implements RespCommandTable {
    /** SCAN's COUNT is a hint; above this it is cut, so that one reply stays bounded (10,000 keys of at most 4 KiB). */
    static final int MAX_SCAN_COUNT = 10_000;
    private static final int DEFAULT_SCAN_COUNT = 10;
    private static final String NO_EXPIRY = "raftkv does not support key expiry (EX, PX, EXAT, PXAT, KEEPTTL, EXPIRE,"
            + " SETEX, ...): keys live until they are deleted";

    /** A command planned against the KV store: an immediate reply, a write or a read, with its result mapping. */
    private sealed interface Plan {
        record Immediate(RespReply reply) implements Plan {
        }

        record Write(KvCommand command, Function<KvResult, RespReply> reply) implements Plan {
        }

        record Read(KvQuery query, Function<KvResult, RespReply> reply) implements Plan {
        }
    }

    private final KvLimits limits;
    private final LongSupplier keyCount;
    private final boolean allowFlush;
    private final List<RespCommandSpec> specs = specs();

    /**
     * @param limits     the state machine's limits: a command over them is refused before it is proposed
     * @param keyCount   the local key count, for INFO's keyspace line
     * @param allowFlush whether FLUSHDB/FLUSHALL may clear the store
     */
    public KvRespCommands(KvLimits limits, LongSupplier keyCount, boolean allowFlush) {
        this.limits = limits;
        this.keyCount = keyCount;
        this.allowFlush = allowFlush;
    }

    @Override
    public List<RespCommandSpec> commands() {
        return specs;
    }

    @Override
    public List<String> keyspaceInfo() {
        return List.of("db0:keys=" + keyCount.getAsLong() + ",expires=0,avg_ttl=0");
    }

    @Override
    public RespAction plan(RespCommandSpec spec, List<byte[]> args) {
        Plan p = planOf(spec.name(), args);
        if (p instanceof Plan.Immediate i) {
            return new RespAction.Now(i.reply());
        }
        if (p instanceof Plan.Write w) {
            Optional<KvResult.TooLarge> tooLarge = limits.validate(w.command());
            if (tooLarge.isPresent()) {
                return new RespAction.Now(failure(tooLarge.get()));
            }
            return new RespAction.Propose(KvCodec.encodeCommand(w.command()), bytes -> reply(bytes, w.reply()));
        }
        Plan.Read r = (Plan.Read) p;
        return new RespAction.Query(KvCodec.encodeQuery(r.query()), bytes -> reply(bytes, r.reply()));
    }

    @Override
    public RespAction transaction(List<List<byte[]>> queued) {
        List<Plan> plans = new ArrayList<>();
        List<KvOperation> ops = new ArrayList<>();
        for (List<byte[]> args : queued) {
            Plan p = planOf(RespArgs.text(args.get(0)).toLowerCase(java.util.Locale.ROOT), args);
            plans.add(p);
            if (p instanceof Plan.Write w) {
                ops.add(w.command());
            } else if (p instanceof Plan.Read r) {
                if (r.query() instanceof KvQuery.Scan) {
                    return new RespAction.Now(RespReply.error("EXECABORT", "Transaction discarded: SCAN inside"
                            + " MULTI is not supported by raftkv"));
                }
                ops.add(r.query());
            }
        }
        KvCommand.Transaction tx = new KvCommand.Transaction(ops);
        Optional<KvResult.TooLarge> tooLarge = limits.validate(tx);
        if (tooLarge.isPresent()) {
            return new RespAction.Now(RespReply.error("EXECABORT", "Transaction discarded: "
                    + failure(tooLarge.get()).text()));
        }
        return new RespAction.Propose(KvCodec.encodeCommand(tx), bytes -> {
            KvResult result = KvCodec.decodeResult(bytes);
            if (result instanceof KvResult.TxAborted a) {
                return RespReply.error("EXECABORT", "Transaction discarded, nothing applied: command "
                        + (a.index() + 1) + " failed: " + failure(a.cause()).text());
            }
            if (!(result instanceof KvResult.TxResults results)) {
                return failure(result);
            }
            List<RespReply> replies = new ArrayList<>();
            int next = 0;
            for (Plan p : plans) {
                if (p instanceof Plan.Immediate i) {
                    replies.add(i.reply());
                } else {
                    KvResult r = results.results().get(next++);
                    replies.add(p instanceof Plan.Write w ? w.reply().apply(r) : ((Plan.Read) p).reply().apply(r));
                }
            }
            return RespReply.array(replies);
        });
    }

    private static RespReply reply(byte[] bytes, Function<KvResult, RespReply> mapping) {
        return mapping.apply(KvCodec.decodeResult(bytes));
    }

    // ------------------------------------------------------------------------------------------- planning

    private Plan planOf(String command, List<byte[]> a) {
        return switch (command) {
            case "get" -> read(new KvQuery.Get(a.get(1)), KvRespCommands::bulkOrNil);
            case "set" -> set(a);
            case "setnx" -> write(new KvCommand.Set(a.get(1), a.get(2), KvCommand.Condition.IF_ABSENT),
                    r -> r instanceof KvResult.SetOutcome s ? new RespReply.Int(s.applied() ? 1 : 0) : failure(r));
            case "getset" -> write(new KvCommand.Set(a.get(1), a.get(2), KvCommand.Condition.ALWAYS),
                    KvRespCommands::previous);
            case "del", "unlink" -> write(new KvCommand.DeleteKeys(a.subList(1, a.size())), KvRespCommands::integer);
            case "exists" -> read(new KvQuery.Exists(a.subList(1, a.size())), KvRespCommands::integer);
            case "mget" -> read(new KvQuery.MultiGet(a.subList(1, a.size())), KvRespCommands::values);
            case "mset" -> mset(a);
            case "incr" -> incrBy(a.get(1), 1);
            case "decr" -> incrBy(a.get(1), -1);
            case "incrby" -> incrBy(a.get(1), a.get(2), false);
            case "decrby" -> incrBy(a.get(1), a.get(2), true);
            case "append" -> write(new KvCommand.Append(a.get(1), a.get(2)), KvRespCommands::integer);
            case "strlen" -> read(new KvQuery.Strlen(a.get(1)), KvRespCommands::integer);
            case "dbsize" -> read(new KvQuery.Size(),
                    r -> r instanceof KvResult.Stats s ? new RespReply.Int(s.size()) : failure(r));
            case "scan" -> scan(a);
            case "type" -> read(new KvQuery.Exists(List.of(a.get(1))),
                    r -> r instanceof KvResult.Int i ? new RespReply.Simple(i.value() > 0 ? "string" : "none") : failure(r));
            case "ttl", "pttl" -> read(new KvQuery.Exists(List.of(a.get(1))),
                    r -> r instanceof KvResult.Int i ? new RespReply.Int(i.value() > 0 ? -1 : -2) : failure(r));
            case "persist" -> new Plan.Immediate(new RespReply.Int(0)); // no key has an expiry to remove
            case "expire", "pexpire", "expireat", "pexpireat", "setex", "psetex", "getex" ->
                    new Plan.Immediate(RespReply.err(NO_EXPIRY));
            case "keys" -> new Plan.Immediate(RespReply.err("KEYS is not supported by raftkv: it would walk every key"
                    + " in one reply; use SCAN with MATCH and COUNT"));
            case "flushdb", "flushall" -> flush(command, a);
            default -> throw new IllegalArgumentException("no plan for command " + command);
        };
    }

    private Plan set(List<byte[]> a) {
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        boolean expiry = false;
        for (int i = 3; i < a.size(); i++) {
            String opt = RespArgs.keyword(a.get(i));
            switch (opt) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GET" -> get = true;
                case "KEEPTTL" -> expiry = true;
                case "EX", "PX", "EXAT", "PXAT" -> {
                    if (i + 1 >= a.size()) {
                        return new Plan.Immediate(RespArgs.syntaxError());
                    }
                    i++;
                    expiry = true;
                }
                default -> {
                    return new Plan.Immediate(RespArgs.syntaxError());
                }
            }
        }
        if (nx && xx) {
            return new Plan.Immediate(RespArgs.syntaxError());
        }
        if (expiry) {
            return new Plan.Immediate(RespReply.err(NO_EXPIRY));
        }
        if (!nx && !xx && !get) {
            return write(new KvCommand.Put(a.get(1), a.get(2)), r -> r instanceof KvResult.Ok ? RespReply.OK : failure(r));
        }
        KvCommand.Condition condition = nx ? KvCommand.Condition.IF_ABSENT
                : xx ? KvCommand.Condition.IF_PRESENT : KvCommand.Condition.ALWAYS;
        boolean returnPrevious = get;
        return write(new KvCommand.Set(a.get(1), a.get(2), condition), r -> {
            if (!(r instanceof KvResult.SetOutcome s)) {
                return failure(r);
            }
            if (returnPrevious) {
                return RespReply.bulk(s.previous());
            }
            return s.applied() ? RespReply.OK : RespReply.NIL;
        });
    }

    private Plan mset(List<byte[]> a) {
        if (a.size() % 2 == 0) {
            return new Plan.Immediate(RespArgs.wrongArity("mset"));
        }
        List<KvCommand.Entry> entries = new ArrayList<>();
        for (int i = 1; i < a.size(); i += 2) {
            entries.add(new KvCommand.Entry(a.get(i), a.get(i + 1)));
        }
        return write(new KvCommand.PutBatch(entries), r -> r instanceof KvResult.Ok ? RespReply.OK : failure(r));
    }

    private Plan incrBy(byte[] key, byte[] amount, boolean decrement) {
        Long n = RedisInteger.parse(amount);
        if (n == null) {
            return new Plan.Immediate(RespReply.err(RespArgs.NOT_AN_INTEGER));
        }
        if (decrement && n == Long.MIN_VALUE) {
            return new Plan.Immediate(RespReply.err("decrement would overflow"));
        }
        return incrBy(key, decrement ? -n : n);
    }

    private Plan incrBy(byte[] key, long delta) {
        return write(new KvCommand.IncrBy(key, delta), KvRespCommands::integer);
    }

    private Plan scan(List<byte[]> a) {
        Long cursor = RespArgs.parseUnsigned(a.get(1));
        if (cursor == null) {
            return new Plan.Immediate(RespReply.err("invalid cursor"));
        }
        byte[] pattern = null;
        long count = DEFAULT_SCAN_COUNT;
        boolean stringsOnly = true;
        for (int i = 2; i < a.size(); i++) {
            String opt = RespArgs.keyword(a.get(i));
            if (i + 1 >= a.size()) {
                return new Plan.Immediate(RespArgs.syntaxError());
            }
            byte[] value = a.get(++i);
            switch (opt) {
                case "MATCH" -> pattern = value;
                case "COUNT" -> {
                    Long c = RespArgs.parseLong(value);
                    if (c == null) {
                        return new Plan.Immediate(RespReply.err(RespArgs.NOT_AN_INTEGER));
                    }
                    if (c < 1) {
                        return new Plan.Immediate(RespArgs.syntaxError());
                    }
                    count = c;
                }
                case "TYPE" -> stringsOnly = RespArgs.is(value, "STRING");
                default -> {
                    return new Plan.Immediate(RespArgs.syntaxError());
                }
            }
        }
        byte[] match = pattern;
        boolean any = stringsOnly; // every raftkv value is a string: another TYPE matches nothing
        return read(new KvQuery.Scan(cursor, (int) Math.min(count, MAX_SCAN_COUNT)), r -> {
            if (!(r instanceof KvResult.ScanPage page)) {
                return failure(r);
            }
            List<RespReply> keys = new ArrayList<>();
            for (byte[] k : page.keys()) {
                if (any && (match == null || RespGlob.matches(match, k))) {
                    keys.add(RespReply.bulk(k));
                }
            }
            return RespReply.array(List.of(RespReply.bulk(Long.toUnsignedString(page.nextCursor())),
                    RespReply.array(keys)));
        });
    }

    private Plan flush(String command, List<byte[]> a) {
        if (a.size() > 2 || (a.size() == 2 && !RespArgs.is(a.get(1), "ASYNC") && !RespArgs.is(a.get(1), "SYNC"))) {
            return new Plan.Immediate(RespArgs.syntaxError());
        }
        if (!allowFlush) {
            return new Plan.Immediate(RespReply.err(command.toUpperCase(java.util.Locale.ROOT) + " is disabled on this"
                    + " server: start it with --resp-allow-flushdb to let clients clear the whole store"));
        }
        return write(new KvCommand.Clear(), r -> r instanceof KvResult.Ok ? RespReply.OK : failure(r));
    }

    private static Plan write(KvCommand c, Function<KvResult, RespReply> reply) {
        return new Plan.Write(c, reply);
    }

    private static Plan read(KvQuery q, Function<KvResult, RespReply> reply) {
        return new Plan.Read(q, reply);
    }

    // ------------------------------------------------------------------------------------------- replies

    private static RespReply bulkOrNil(KvResult r) {
        if (r instanceof KvResult.Found f) {
            return RespReply.bulk(f.value());
        }
        return r instanceof KvResult.NotFound ? RespReply.NIL : failure(r);
    }

    private static RespReply previous(KvResult r) {
        return r instanceof KvResult.SetOutcome s ? RespReply.bulk(s.previous()) : failure(r);
    }

    private static RespReply integer(KvResult r) {
        return r instanceof KvResult.Int i ? new RespReply.Int(i.value()) : failure(r);
    }

    private static RespReply values(KvResult r) {
        if (!(r instanceof KvResult.Values v)) {
            return failure(r);
        }
        List<RespReply> out = new ArrayList<>(v.values().size());
        v.values().forEach(b -> out.add(RespReply.bulk(b)));
        return RespReply.array(out);
    }

    /** The error reply of a result that is not the command's success. */
    static RespReply.Error failure(KvResult r) {
        if (r instanceof KvResult.IntegerError e) {
            return RespReply.err(e.problem() == KvResult.IntegerProblem.OVERFLOW
                    ? "increment or decrement would overflow" : RespArgs.NOT_AN_INTEGER);
        }
        if (r instanceof KvResult.TooLarge t) {
            return switch (t.limit()) {
                case KEY_BYTES -> RespReply.err("key too large: " + t.actual() + " bytes > limit " + t.max() + " bytes");
                case VALUE_BYTES -> RespReply.err("string exceeds maximum allowed size: " + t.actual()
                        + " bytes > value limit " + t.max() + " bytes");
                case BATCH_ENTRIES -> RespReply.err("too many keys or commands at once: " + t.actual() + " > limit "
                        + t.max());
            };
        }
        if (r instanceof KvResult.Invalid i) {
            return RespReply.err("invalid command: " + i.reason());
        }
        return RespReply.err("unexpected result " + r);
    }

    // ------------------------------------------------------------------------------------------- specs

    private static List<RespCommandSpec> specs() {
        String s = "string";
        String k = "keyspace";
        List<RespCommandSpec> out = new ArrayList<>();
        out.add(keyed("get", 2, 1, 1, 1, s, "Returns the value of a key (nil if absent).", "readonly", "fast"));
        out.add(keyed("set", -3, 1, 1, 1, s, "Sets a key's value; NX, XX, GET (EX/PX/KEEPTTL refused).", "write"));
        out.add(keyed("setnx", 3, 1, 1, 1, s, "Sets a key's value only if it is absent.", "write", "fast"));
        out.add(keyed("getset", 3, 1, 1, 1, s, "Sets a key's value and returns the previous one.", "write", "fast"));
        out.add(keyed("del", -2, 1, -1, 1, k, "Deletes keys; returns how many existed.", "write"));
        out.add(keyed("unlink", -2, 1, -1, 1, k, "Same as DEL.", "write", "fast"));
        out.add(keyed("exists", -2, 1, -1, 1, k, "Counts the given keys that exist.", "readonly", "fast"));
        out.add(keyed("mget", -2, 1, -1, 1, s, "Returns the values of keys, from one state.", "readonly", "fast"));
        out.add(keyed("mset", -3, 1, -1, 2, s, "Sets several keys in one log entry (atomic).", "write"));
        out.add(keyed("incr", 2, 1, 1, 1, s, "Adds 1 to a key's integer value.", "write", "fast"));
        out.add(keyed("decr", 2, 1, 1, 1, s, "Subtracts 1 from a key's integer value.", "write", "fast"));
        out.add(keyed("incrby", 3, 1, 1, 1, s, "Adds a number to a key's integer value.", "write", "fast"));
        out.add(keyed("decrby", 3, 1, 1, 1, s, "Subtracts a number from a key's integer value.", "write", "fast"));
        out.add(keyed("append", 3, 1, 1, 1, s, "Appends to a key's value; returns the new length.", "write", "fast"));
        out.add(keyed("strlen", 2, 1, 1, 1, s, "Returns the length of a key's value.", "readonly", "fast"));
        out.add(RespCommandSpec.noKeys("dbsize", 1, "server", "Returns the number of keys.", "readonly", "fast"));
        out.add(RespCommandSpec.noKeys("scan", -2, k, "Walks the keys with a cursor; MATCH, COUNT, TYPE.", "readonly"));
        out.add(keyed("type", 2, 1, 1, 1, k, "Returns 'string' for an existing key, 'none' otherwise.", "readonly", "fast"));
        out.add(keyed("ttl", 2, 1, 1, 1, k, "Returns -1 (no expiry) or -2 (no such key).", "readonly", "fast"));
        out.add(keyed("pttl", 2, 1, 1, 1, k, "Returns -1 (no expiry) or -2 (no such key).", "readonly", "fast"));
        out.add(keyed("persist", 2, 1, 1, 1, k, "Returns 0: no key has an expiry.", "write", "fast"));
        for (String expiry : List.of("expire", "pexpire", "expireat", "pexpireat")) {
            out.add(keyed(expiry, -3, 1, 1, 1, k, "Refused: raftkv has no key expiry.", "write", "fast"));
        }
        out.add(keyed("setex", 4, 1, 1, 1, s, "Refused: raftkv has no key expiry.", "write"));
        out.add(keyed("psetex", 4, 1, 1, 1, s, "Refused: raftkv has no key expiry.", "write"));
        out.add(keyed("getex", -2, 1, 1, 1, s, "Refused: raftkv has no key expiry.", "write", "fast"));
        out.add(RespCommandSpec.noKeys("keys", 2, k, "Refused: use SCAN (KEYS walks every key in one reply).",
                "readonly"));
        out.add(RespCommandSpec.noKeys("flushdb", -1, "server", "Removes every key (only with --resp-allow-flushdb).",
                "write"));
        out.add(RespCommandSpec.noKeys("flushall", -1, "server", "Same as FLUSHDB.", "write"));
        return List.copyOf(out);
    }

    private static RespCommandSpec keyed(String name, int arity, int first, int last, int step, String group,
                                         String summary, String... flags) {
        return new RespCommandSpec(name, arity, List.of(flags), first, last, step, group, summary);
    }
}
