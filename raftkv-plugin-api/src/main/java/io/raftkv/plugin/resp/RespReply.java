package io.raftkv.plugin.resp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A RESP2 reply, free of Netty so that command tables ({@link RespCommandTable}) build replies without a network
 * library (the server turns them into its codec's messages). Closed family: simple string, error, integer, bulk string
 * (null: RESP2's nil), array (null: the null array). Immutable values; {@code toString} is the reply much as
 * {@code redis-cli} shows it ({@code +OK}, {@code -ERR ...}, {@code :1}, {@code "value"}, {@code (nil)},
 * {@code [a, b]}), for tests and logs.
 */
public sealed interface RespReply {

    /** {@code +OK}. */
    RespReply OK = new Simple("OK");
    /** {@code $-1}: RESP2's nil, e.g. GET of an absent key. */
    RespReply NIL = new Bulk(null);
    /** {@code *0}. */
    RespReply EMPTY_ARRAY = new Array(List.of());

    /** {@code +text}: a status line; must not contain CR or LF. */
    record Simple(String text) implements RespReply {
        public Simple {
            Objects.requireNonNull(text, "text");
            if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("a simple string cannot hold CR or LF: " + text);
            }
        }

        @Override
        public String toString() {
            return "+" + text;
        }
    }

    /**
     * {@code -CODE message}. The first word is the error code clients switch on ({@code ERR}, {@code CLUSTERDOWN},
     * ...); CR and LF are replaced by spaces, as Redis does, so the reply stays one line.
     */
    record Error(String text) implements RespReply {
        public Error {
            Objects.requireNonNull(text, "text");
            text = text.replace('\r', ' ').replace('\n', ' ');
        }

        /** The first word, e.g. {@code ERR}. */
        public String code() {
            int space = text.indexOf(' ');
            return space < 0 ? text : text.substring(0, space);
        }

        @Override
        public String toString() {
            return "-" + text;
        }
    }

    /** {@code :n}. */
    record Int(long value) implements RespReply {
        @Override
        public String toString() {
            return ":" + value;
        }
    }

    /** {@code $len\r\nbytes}; {@code null} bytes is nil ({@code $-1}). */
    record Bulk(byte[] bytes) implements RespReply {
        @Override
        public boolean equals(Object o) {
            return o instanceof Bulk b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return bytes == null ? "(nil)" : "\"" + new String(bytes, StandardCharsets.UTF_8) + "\"";
        }
    }

    /** {@code *n} followed by the elements; {@code null} elements is the null array ({@code *-1}). */
    record Array(List<RespReply> elements) implements RespReply {
        public Array {
            elements = elements == null ? null : List.copyOf(elements);
        }

        @Override
        public String toString() {
            return elements == null ? "(nil array)" : elements.toString();
        }
    }

    /** {@code -ERR message}. */
    static Error err(String message) {
        return new Error("ERR " + message);
    }

    /** An error with its own code, e.g. {@code error("CLUSTERDOWN", "no leader")}. */
    static Error error(String code, String message) {
        return new Error(code + " " + message);
    }

    /** {@code $n bytes}; null bytes is nil. */
    static Bulk bulk(byte[] bytes) {
        return new Bulk(bytes);
    }

    /** A bulk string of {@code text}'s UTF-8 bytes. */
    static Bulk bulk(String text) {
        return new Bulk(text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code *n} of {@code elements}. */
    static Array array(List<RespReply> elements) {
        return new Array(elements);
    }

    /** True for error replies. */
    default boolean isError() {
        return this instanceof Error;
    }
}
