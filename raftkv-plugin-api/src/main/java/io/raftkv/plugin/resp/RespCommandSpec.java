package io.raftkv.plugin.resp;

import java.util.List;

/**
 * One command of a {@link RespCommandTable}: what {@code COMMAND} and {@code COMMAND DOCS} tell a client about it, in
 * Redis's terms, and what the server checks (the arity) before the table plans it.
 *
 * @param name     lower-case command name
 * @param arity    argument count including the name; negative means "at least -arity" (Redis's convention)
 * @param flags    e.g. {@code write}, {@code readonly}, {@code fast}
 * @param firstKey position of the first key argument (0: none)
 * @param lastKey  position of the last key argument (-1: the last argument)
 * @param keyStep  distance between key arguments
 * @param group    Redis's documentation group ({@code string}, {@code keyspace}, {@code connection}, ...)
 * @param summary  one line for {@code COMMAND DOCS} (redis-cli shows it as help)
 */
public record RespCommandSpec(String name, int arity, List<String> flags, int firstKey, int lastKey, int keyStep,
                              String group, String summary) {

    public RespCommandSpec {
        flags = List.copyOf(flags);
    }

    /** True if {@code argc} arguments (the name included) fit the arity. */
    public boolean arityAllows(int argc) {
        return arity >= 0 ? argc == arity : argc >= -arity;
    }

    /** A command without key arguments. */
    public static RespCommandSpec noKeys(String name, int arity, String group, String summary, String... flags) {
        return new RespCommandSpec(name, arity, List.of(flags), 0, 0, 0, group, summary);
    }
}
