package io.raftkv.plugin.resp;

import java.util.List;

/** A RESP reply, free of any codec's types. */
public sealed interface RespValue {
    /** {@code +OK}. */
    record Simple(String text) implements RespValue {
    }

    /** {@code -ERR message}: the text includes the error prefix ({@code ERR}, {@code WRONGTYPE}, …). */
    record Error(String text) implements RespValue {
    }

    /** {@code :42}. */
    record Integer(long value) implements RespValue {
    }

    /** {@code $n bytes}; null is the null bulk string ({@code $-1}). */
    record Bulk(byte[] bytes) implements RespValue {
    }

    /** {@code *n} elements. */
    record Array(List<RespValue> elements) implements RespValue {
        public Array {
            elements = List.copyOf(elements);
        }
    }
}
