package io.raftkv.server.resp;

import io.raftkv.core.server.RaftStatus;
import io.raftkv.core.server.ReadLevel;
import io.raftkv.plugin.resp.RespAction;
import io.raftkv.plugin.resp.RespArgs;
import io.raftkv.plugin.resp.RespCommandSpec;
import io.raftkv.plugin.resp.RespCommandTable;
import io.raftkv.plugin.resp.RespGlob;
import io.raftkv.plugin.resp.RespReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One connection's state and its connection commands (PING, ECHO, QUIT, SELECT, CLIENT, HELLO, AUTH, INFO, COMMAND,
 * CONFIG, RESET, {@code RAFTKV.READLEVEL}) and the MULTI/EXEC/DISCARD queue; data commands go to the plugin's
 * {@link RespCommandTable}. Free of Netty: {@link RespConnection} feeds it decoded commands in order on one thread
 * and runs the actions it returns.
 */
final class RespSession {
    /** What a command was dispatched as: its name for the metrics ("unknown" if it is none), and its action. */
    record Dispatch(String command, RespAction action) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RespSession.class);
    /** The Redis version raftkv answers as: the command set and replies are those of Redis 7.0. */
    static final String REDIS_COMPAT_VERSION = "7.0.0";
    private static final String UNKNOWN = "unknown";
    private static final Map<String, String> CONFIG = configValues();

    private final RespServer.Context context;
    private final long id;
    private final String remote;
    private final String local;
    private final long openedAtMillis = System.currentTimeMillis();
    private String name;
    private ReadLevel readLevel = ReadLevel.LINEARIZABLE;
    /**
     * A command queued by MULTI: a data command ({@code immediate} null), or PING/ECHO, whose reply is known at once
     * and takes its place in EXEC's array, as in Redis.
     */
    private record Queued(List<byte[]> args, RespReply immediate) {
    }

    /** Non-null between MULTI and EXEC/DISCARD: the queued commands. */
    private List<Queued> queued;
    /** A command in the MULTI block was refused: EXEC must discard it (Redis's EXECABORT). */
    private boolean dirty;

    RespSession(RespServer.Context context, long id, String remote, String local) {
        this.context = context;
        this.id = id;
        this.remote = remote;
        this.local = local;
    }

    ReadLevel readLevel() {
        return readLevel;
    }

    /** Handles one command ({@code args.get(0)} is its name). */
    Dispatch handle(List<byte[]> args) {
        String lower = RespArgs.text(args.get(0)).toLowerCase(Locale.ROOT);
        RespCommandSpec spec = context.specs().get(lower);
        if (spec == null) {
            markDirty();
            return new Dispatch(UNKNOWN, now(RespArgs.unknownCommand(args)));
        }
        if (!spec.arityAllows(args.size())) {
            markDirty();
            return new Dispatch(spec.name(), now(RespArgs.wrongArity(spec.name())));
        }
        boolean data = context.dataCommands().contains(spec.name());
        if (queued != null && data) {
            return new Dispatch(spec.name(), queue(spec, args));
        }
        if (data) {
            return new Dispatch(spec.name(), fromTable(spec.name(), () -> context.table().plan(spec, args)));
        }
        return new Dispatch(spec.name(), connectionCommand(spec.name(), args));
    }

    private RespAction queue(RespCommandSpec spec, List<byte[]> args) {
        RespAction planned = fromTable(spec.name(), () -> context.table().plan(spec, args));
        if (planned instanceof RespAction.Now n && n.reply().isError()) {
            dirty = true; // a syntax error at queue time: EXEC will refuse the whole transaction, like Redis
            return planned;
        }
        if (queued.size() >= context.options().maxQueuedCommands()) {
            dirty = true;
            return now(RespReply.err("MULTI holds at most " + context.options().maxQueuedCommands()
                    + " commands (--resp-max-multi)"));
        }
        queued.add(new Queued(args, null));
        return now(new RespReply.Simple("QUEUED"));
    }

    private void markDirty() {
        if (queued != null) {
            dirty = true;
        }
    }

    private RespAction connectionCommand(String command, List<byte[]> args) {
        if (queued != null && (command.equals("ping") || command.equals("echo"))) {
            RespReply reply = ((RespAction.Now) connectionCommand(command, args, false)).reply();
            if (reply.isError()) {
                dirty = true;
                return now(reply);
            }
            queued.add(new Queued(args, reply));
            return now(new RespReply.Simple("QUEUED"));
        }
        return connectionCommand(command, args, true);
    }

    private RespAction connectionCommand(String command, List<byte[]> args, boolean checkMulti) {
        if (checkMulti && queued != null
                && !List.of("exec", "discard", "multi", "watch", "quit", "reset").contains(command)) {
            dirty = true;
            return now(RespReply.err(command.toUpperCase(Locale.ROOT) + " inside MULTI is not supported by raftkv:"
                    + " a transaction holds data commands only"));
        }
        return switch (command) {
            case "ping" -> now(args.size() > 2 ? RespArgs.wrongArity("ping")
                    : args.size() == 1 ? new RespReply.Simple("PONG") : RespReply.bulk(args.get(1)));
            case "echo" -> now(RespReply.bulk(args.get(1)));
            case "quit" -> new RespAction.Now(RespReply.OK, true); // Redis ignores QUIT's arguments too
            case "select" -> select(args.get(1));
            case "client" -> client(args);
            case "hello" -> hello(args);
            case "auth" -> now(RespReply.err("AUTH <password> called without any password configured for the"
                    + " default user. Are you sure your configuration is correct?"));
            case "info" -> info(args);
            case "command" -> command(args);
            case "config" -> config(args);
            case "reset" -> reset();
            case "raftkv.readlevel" -> readLevel(args);
            case "multi" -> multi();
            case "exec" -> exec();
            case "discard" -> discard();
            // Inside MULTI Redis answers this error without aborting the transaction; so do we.
            case "watch" -> now(queued != null ? RespReply.err("WATCH inside MULTI is not allowed")
                    : RespReply.err("WATCH is not supported by raftkv: a MULTI/EXEC transaction is applied as one"
                    + " log entry, all or nothing, so there is nothing to watch"));
            case "unwatch" -> now(RespReply.OK);
            default -> throw new IllegalStateException("connection command without a handler: " + command);
        };
    }

    private RespAction select(byte[] index) {
        Long db = RespArgs.parseLong(index);
        if (db == null) {
            return now(RespReply.err(RespArgs.NOT_AN_INTEGER));
        }
        return now(db == 0 ? RespReply.OK : RespReply.err("DB index is out of range"));
    }

    private RespAction client(List<byte[]> args) {
        String sub = RespArgs.keyword(args.get(1));
        switch (sub) {
            case "SETNAME" -> {
                if (args.size() != 3) {
                    return now(RespArgs.wrongArity("client|setname"));
                }
                String n = RespArgs.text(args.get(2));
                for (int i = 0; i < n.length(); i++) {
                    char c = n.charAt(i);
                    if (c < '!' || c > '~') {
                        return now(RespReply.err("Client names cannot contain spaces, newlines or special characters."));
                    }
                }
                name = n.isEmpty() ? null : n;
                return now(RespReply.OK);
            }
            case "GETNAME" -> {
                return now(name == null ? RespReply.NIL : RespReply.bulk(name));
            }
            case "ID" -> {
                return now(new RespReply.Int(id));
            }
            case "SETINFO", "NO-EVICT", "NO-TOUCH" -> {
                return now(RespReply.OK); // client library name and version (Jedis, Lettuce send them): noted, unused
            }
            case "INFO" -> {
                return now(RespReply.bulk(describe() + "\n"));
            }
            case "LIST" -> {
                return now(RespReply.bulk(describe() + "\n"));
            }
            case "HELP" -> {
                return now(help("CLIENT", "SETNAME <name>", "GETNAME", "ID", "INFO", "LIST (this connection only)",
                        "SETINFO <LIB-NAME|LIB-VER> <value>"));
            }
            default -> {
                return now(RespArgs.unknownSubcommand("client", args.get(1)));
            }
        }
    }

    private String describe() {
        long age = (System.currentTimeMillis() - openedAtMillis) / 1000;
        return "id=" + id + " addr=" + remote + " laddr=" + local + " name=" + (name == null ? "" : name) + " age="
                + age + " db=0 multi=" + (queued == null ? -1 : queued.size()) + " readlevel="
                + readLevel.name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code HELLO}: RESP3 ({@code HELLO 3}) is refused with {@code NOPROTO}, the answer Lettuce and other
     * clients take to fall back to RESP2; {@code HELLO} or {@code HELLO 2} answers like Redis 7 in RESP2.
     */
    private RespAction hello(List<byte[]> args) {
        int i = 1;
        if (args.size() > 1) {
            Long version = RespArgs.parseLong(args.get(1));
            if (version == null) {
                return now(RespReply.err("Protocol version is not an integer or out of range"));
            }
            if (version != 2) {
                return now(RespReply.error("NOPROTO", "sorry, this protocol version is not supported"));
            }
            i = 2;
        }
        for (; i < args.size(); i++) {
            if (RespArgs.is(args.get(i), "AUTH")) {
                return now(RespReply.err("raftkv has no authentication: HELLO without AUTH"));
            } else if (RespArgs.is(args.get(i), "SETNAME") && i + 1 < args.size()) {
                name = RespArgs.text(args.get(++i));
            } else {
                return now(RespReply.err("Syntax error in HELLO option '" + RespArgs.text(args.get(i)) + "'"));
            }
        }
        List<RespReply> out = new ArrayList<>();
        out.add(RespReply.bulk("server"));
        out.add(RespReply.bulk("raftkv"));
        out.add(RespReply.bulk("version"));
        out.add(RespReply.bulk(REDIS_COMPAT_VERSION));
        out.add(RespReply.bulk("proto"));
        out.add(new RespReply.Int(2));
        out.add(RespReply.bulk("id"));
        out.add(new RespReply.Int(id));
        out.add(RespReply.bulk("mode"));
        out.add(RespReply.bulk("standalone"));
        out.add(RespReply.bulk("role"));
        out.add(RespReply.bulk(context.raft().status().isLeader() ? "master" : "replica"));
        out.add(RespReply.bulk("modules"));
        out.add(RespReply.EMPTY_ARRAY);
        return now(RespReply.array(out));
    }

    private RespAction info(List<byte[]> args) {
        List<String> wanted = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            wanted.add(RespArgs.text(args.get(i)).toLowerCase(Locale.ROOT));
        }
        boolean all = wanted.isEmpty() || wanted.contains("all") || wanted.contains("default")
                || wanted.contains("everything");
        StringBuilder sb = new StringBuilder();
        RaftStatus s = context.raft().status();
        if (all || wanted.contains("server")) {
            section(sb, "Server", List.of("redis_version:" + REDIS_COMPAT_VERSION, "redis_mode:standalone",
                    "raftkv_version:" + context.version(), "process_id:" + ProcessHandle.current().pid(),
                    "tcp_port:" + context.port().getAsInt(),
                    "uptime_in_seconds:" + ManagementFactory.getRuntimeMXBean().getUptime() / 1000));
        }
        if (all || wanted.contains("clients")) {
            section(sb, "Clients", List.of("connected_clients:" + context.connections().getAsInt()));
        }
        if (all || wanted.contains("replication")) {
            StringBuilder members = new StringBuilder();
            for (RaftStatus.MemberStatus m : s.members()) {
                members.append(members.length() == 0 ? "" : ",").append(m.id()).append('=')
                        .append(m.voter() ? "voter" : "learner");
            }
            section(sb, "Replication", List.of("role:" + (s.isLeader() ? "master" : "slave"),
                    "raftkv_role:" + (s.role() == null ? "stopped" : s.role().name().toLowerCase(Locale.ROOT)),
                    "raftkv_node:" + s.id(), "raftkv_term:" + s.term(),
                    "raftkv_leader:" + (s.leaderId() == null ? "" : s.leaderId()),
                    "raftkv_commit_index:" + s.commitIndex(), "raftkv_applied_index:" + s.appliedIndex(),
                    "raftkv_last_log_index:" + s.lastLogIndex(), "raftkv_members:" + members,
                    "raftkv_read_level:" + readLevel.name().toLowerCase(Locale.ROOT)));
        }
        if (all || wanted.contains("keyspace")) {
            section(sb, "Keyspace", context.table().keyspaceInfo());
        }
        return now(RespReply.bulk(sb.toString()));
    }

    private static void section(StringBuilder sb, String title, List<String> lines) {
        if (sb.length() > 0) {
            sb.append("\r\n");
        }
        sb.append("# ").append(title).append("\r\n");
        for (String line : lines) {
            sb.append(line).append("\r\n");
        }
    }

    private RespAction command(List<byte[]> args) {
        if (args.size() == 1) {
            List<RespReply> all = new ArrayList<>();
            context.specs().values().forEach(spec -> all.add(commandInfo(spec)));
            return now(RespReply.array(all));
        }
        String sub = RespArgs.keyword(args.get(1));
        switch (sub) {
            case "COUNT" -> {
                return now(new RespReply.Int(context.specs().size()));
            }
            case "LIST" -> {
                List<RespReply> names = new ArrayList<>();
                context.specs().keySet().forEach(n -> names.add(RespReply.bulk(n)));
                return now(RespReply.array(names));
            }
            case "INFO", "DOCS" -> {
                boolean docs = sub.equals("DOCS");
                List<RespReply> out = new ArrayList<>();
                if (args.size() == 2) {
                    context.specs().values().forEach(spec -> addInfo(out, spec, docs));
                } else {
                    for (int i = 2; i < args.size(); i++) {
                        RespCommandSpec spec = context.specs().get(RespArgs.text(args.get(i)).toLowerCase(Locale.ROOT));
                        if (spec != null) {
                            addInfo(out, spec, docs);
                        } else if (!docs) {
                            out.add(RespReply.NIL);
                        }
                    }
                }
                return now(RespReply.array(out));
            }
            case "HELP" -> {
                return now(help("COMMAND", "(no subcommand)", "COUNT", "LIST", "INFO [<command> ...]",
                        "DOCS [<command> ...]"));
            }
            default -> {
                return now(RespArgs.unknownSubcommand("command", args.get(1)));
            }
        }
    }

    private static void addInfo(List<RespReply> out, RespCommandSpec spec, boolean docs) {
        if (!docs) {
            out.add(commandInfo(spec));
            return;
        }
        // COMMAND DOCS is a map in RESP3 and a flat array of name, docs pairs in RESP2.
        out.add(RespReply.bulk(spec.name()));
        out.add(RespReply.array(List.of(RespReply.bulk("summary"), RespReply.bulk(spec.summary()),
                RespReply.bulk("since"), RespReply.bulk("1.0.0"), RespReply.bulk("group"), RespReply.bulk(spec.group()))));
    }

    /** Redis 7's COMMAND INFO entry: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands. */
    private static RespReply commandInfo(RespCommandSpec spec) {
        List<RespReply> flags = new ArrayList<>();
        spec.flags().forEach(f -> flags.add(new RespReply.Simple(f)));
        return RespReply.array(List.of(RespReply.bulk(spec.name()), new RespReply.Int(spec.arity()),
                RespReply.array(flags), new RespReply.Int(spec.firstKey()), new RespReply.Int(spec.lastKey()),
                new RespReply.Int(spec.keyStep()), RespReply.EMPTY_ARRAY, RespReply.EMPTY_ARRAY,
                RespReply.EMPTY_ARRAY, RespReply.EMPTY_ARRAY));
    }

    private RespAction config(List<byte[]> args) {
        String sub = RespArgs.keyword(args.get(1));
        if (sub.equals("GET")) {
            if (args.size() < 3) {
                return now(RespArgs.wrongArity("config|get"));
            }
            List<RespReply> out = new ArrayList<>();
            for (Map.Entry<String, String> e : configWithLimits().entrySet()) {
                for (int i = 2; i < args.size(); i++) {
                    if (RespGlob.matches(args.get(i), e.getKey().getBytes(StandardCharsets.UTF_8))) {
                        out.add(RespReply.bulk(e.getKey()));
                        out.add(RespReply.bulk(e.getValue()));
                        break;
                    }
                }
            }
            return now(RespReply.array(out));
        }
        if (sub.equals("SET") || sub.equals("RESETSTAT") || sub.equals("REWRITE")) {
            return now(RespReply.err("CONFIG " + sub + " is not supported by raftkv: settings are flags of"
                    + " 'raftkv serve' (see --help)"));
        }
        return now(RespArgs.unknownSubcommand("config", args.get(1)));
    }

    private Map<String, String> configWithLimits() {
        Map<String, String> all = new LinkedHashMap<>(CONFIG);
        all.put("proto-max-bulk-len", Long.toString(context.options().maxBulkBytes()));
        all.put("timeout", "0");
        return all;
    }

    /**
     * What redis-benchmark and other tools ask CONFIG GET for, answered truthfully for raftkv: every write is in a
     * replicated log fsynced before it is acknowledged, nothing is saved by snapshots on a timer, one database.
     */
    private static Map<String, String> configValues() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("save", "");
        m.put("appendonly", "yes");
        m.put("appendfsync", "always");
        m.put("databases", "1");
        m.put("maxmemory", "0");
        m.put("maxmemory-policy", "noeviction");
        return m;
    }

    private RespAction reset() {
        queued = null;
        dirty = false;
        name = null;
        readLevel = ReadLevel.LINEARIZABLE;
        return now(new RespReply.Simple("RESET"));
    }

    private RespAction readLevel(List<byte[]> args) {
        if (args.size() == 1) {
            return now(RespReply.bulk(readLevel.name().toLowerCase(Locale.ROOT)));
        }
        if (args.size() > 2) {
            return now(RespArgs.wrongArity("raftkv.readlevel"));
        }
        switch (RespArgs.keyword(args.get(1))) {
            case "LINEARIZABLE" -> readLevel = ReadLevel.LINEARIZABLE;
            case "LEASE" -> readLevel = ReadLevel.LEASE;
            case "STALE" -> readLevel = ReadLevel.STALE;
            default -> {
                return now(RespReply.err("invalid read level '" + RespArgs.text(args.get(1))
                        + "': use linearizable, lease or stale"));
            }
        }
        return now(RespReply.OK);
    }

    private RespAction multi() {
        if (queued != null) {
            return now(RespReply.err("MULTI calls can not be nested"));
        }
        queued = new ArrayList<>();
        dirty = false;
        return now(RespReply.OK);
    }

    private RespAction exec() {
        if (queued == null) {
            return now(RespReply.err("EXEC without MULTI"));
        }
        List<Queued> commands = queued;
        boolean refused = dirty;
        queued = null;
        dirty = false;
        if (refused) {
            return now(RespReply.error("EXECABORT", "Transaction discarded because of previous errors."));
        }
        List<List<byte[]>> data = new ArrayList<>();
        List<RespReply> immediates = new ArrayList<>();
        for (Queued q : commands) {
            if (q.immediate() == null) {
                data.add(q.args());
            } else {
                immediates.add(q.immediate());
            }
        }
        if (data.isEmpty()) {
            return now(RespReply.array(immediates));
        }
        RespAction tx = fromTable("exec", () -> context.table().transaction(data));
        if (immediates.isEmpty() || !(tx instanceof RespAction.Propose p)) {
            return tx;
        }
        return new RespAction.Propose(p.command(), bytes -> interleave(commands, p.onResult().apply(bytes)));
    }

    /** EXEC's array: the data commands' replies with PING's and ECHO's in their places. */
    private static RespReply interleave(List<Queued> commands, RespReply dataReplies) {
        if (!(dataReplies instanceof RespReply.Array a) || a.elements() == null) {
            return dataReplies; // the transaction was aborted: its error stands for all
        }
        List<RespReply> out = new ArrayList<>();
        int next = 0;
        for (Queued q : commands) {
            out.add(q.immediate() != null ? q.immediate() : a.elements().get(next++));
        }
        return RespReply.array(out);
    }

    private RespAction discard() {
        if (queued == null) {
            return now(RespReply.err("DISCARD without MULTI"));
        }
        queued = null;
        dirty = false;
        return now(RespReply.OK);
    }

    private static RespReply help(String command, String... lines) {
        List<RespReply> out = new ArrayList<>();
        out.add(new RespReply.Simple(command + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
        for (String l : lines) {
            out.add(new RespReply.Simple(l));
        }
        return RespReply.array(out);
    }

    /**
     * The plugin's table's action, or an internal error if the table threw or planned nothing: a plugin's bug fails
     * that command alone, never the connection or its pipeline.
     */
    private static RespAction fromTable(String command, Supplier<RespAction> call) {
        try {
            RespAction action = call.get();
            if (action == null) {
                throw new IllegalStateException("the RESP command table planned nothing for " + command);
            }
            return action;
        } catch (RuntimeException e) {
            LOG.warn("RESP command table failed on {}", command, e);
            return now(RespReply.err("internal error: " + e));
        }
    }

    private static RespAction now(RespReply reply) {
        return new RespAction.Now(reply);
    }

    /** The connection commands, for dispatch and {@code COMMAND}. */
    static List<RespCommandSpec> connectionCommands() {
        String c = "connection";
        return List.of(
                RespCommandSpec.noKeys("ping", -1, c, "Returns the server's liveliness response.", "fast"),
                RespCommandSpec.noKeys("echo", 2, c, "Returns the given string.", "fast"),
                RespCommandSpec.noKeys("quit", -1, c, "Closes the connection.", "fast"),
                RespCommandSpec.noKeys("select", 2, c, "Changes the selected database (raftkv has database 0 only).",
                        "fast"),
                RespCommandSpec.noKeys("client", -2, c, "CLIENT SETNAME, GETNAME, ID, INFO, LIST, SETINFO."),
                RespCommandSpec.noKeys("hello", -1, c, "Handshakes with the server (RESP2 only: HELLO 3 gets NOPROTO).",
                        "fast"),
                RespCommandSpec.noKeys("auth", -2, c, "Authenticates (raftkv has no passwords).", "fast"),
                RespCommandSpec.noKeys("reset", 1, c, "Resets the connection (transaction, name, read level).", "fast"),
                RespCommandSpec.noKeys("info", -1, "server", "Server, clients, replication (Raft) and keyspace facts."),
                RespCommandSpec.noKeys("command", -1, "server", "Describes the commands."),
                RespCommandSpec.noKeys("config", -2, "server", "CONFIG GET of what tools ask (read-only)."),
                RespCommandSpec.noKeys("raftkv.readlevel", -1, c,
                        "Gets or sets this connection's read level: linearizable (default), lease or stale.", "fast"),
                RespCommandSpec.noKeys("multi", 1, "transactions", "Starts a transaction (applied as one log entry).",
                        "fast"),
                RespCommandSpec.noKeys("exec", 1, "transactions", "Applies the queued commands, all or nothing."),
                RespCommandSpec.noKeys("discard", 1, "transactions", "Discards the queued commands.", "fast"),
                new RespCommandSpec("watch", -2, List.of("fast"), 1, -1, 1, "transactions",
                        "Refused: transactions are all or nothing, nothing to watch."),
                RespCommandSpec.noKeys("unwatch", 1, "transactions", "Does nothing (nothing is ever watched).", "fast"));
    }
}
