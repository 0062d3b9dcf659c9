package io.raftkv.plugin.resp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Reading command arguments the way Redis does: case-insensitive keywords, strict integers, and Redis's error words,
 * for {@link RespCommandTable}s and the server's connection commands alike. Stateless.
 */
public final class RespArgs {
    /** Redis's reply to an argument that should be an integer. */
    public static final String NOT_AN_INTEGER = "value is not an integer or out of range";
    /** Longest decimal form of a signed 64-bit integer. */
    private static final int MAX_INTEGER_DIGITS = 20;
    private static final java.util.regex.Pattern STRICT_INTEGER = java.util.regex.Pattern.compile("0|-?[1-9][0-9]*");

    private RespArgs() {
    }

    /** The argument as UTF-8 text. */
    public static String text(byte[] arg) {
        return new String(arg, StandardCharsets.UTF_8);
    }

    /** Upper-case text of a keyword argument, for case-insensitive comparison. */
    public static String keyword(byte[] arg) {
        return text(arg).toUpperCase(Locale.ROOT);
    }

    /** True if the argument is {@code keyword} (upper case), ignoring case. */
    public static boolean is(byte[] arg, String keyword) {
        return arg.length == keyword.length() && keyword(arg).equals(keyword);
    }

    /**
     * A signed 64-bit decimal integer in Redis's strict form: optional '-', "0" alone or a non-zero digit followed by
     * digits; no '+', spaces or leading zeros. Null if not one (or out of range).
     */
    public static Long parseLong(byte[] b) {
        if (b.length == 0 || b.length > MAX_INTEGER_DIGITS || !STRICT_INTEGER.matcher(text(b)).matches()) {
            return null;
        }
        try {
            return Long.parseLong(text(b));
        } catch (NumberFormatException e) {
            return null; // out of range
        }
    }

    /** An unsigned 64-bit decimal (a SCAN cursor), as a long's bit pattern; null if not one. */
    public static Long parseUnsigned(byte[] b) {
        if (b.length == 0 || b.length > MAX_INTEGER_DIGITS) {
            return null;
        }
        for (byte c : b) {
            if (c < '0' || c > '9') {
                return null;
            }
        }
        try {
            return Long.parseUnsignedLong(text(b));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Redis's {@code wrong number of arguments for 'name' command}. */
    public static RespReply.Error wrongArity(String name) {
        return RespReply.err("wrong number of arguments for '" + name + "' command");
    }

    /** Redis's {@code unknown command 'x', with args beginning with: 'a' 'b' }. */
    public static RespReply.Error unknownCommand(List<byte[]> args) {
        StringBuilder rest = new StringBuilder();
        for (int i = 1; i < args.size() && rest.length() < 128; i++) {
            String a = text(args.get(i));
            rest.append('\'').append(a, 0, Math.min(a.length(), 128 - rest.length())).append("' ");
        }
        String name = text(args.get(0));
        return RespReply.err("unknown command '" + name.substring(0, Math.min(name.length(), 128))
                + "', with args beginning with: " + rest);
    }

    /** Redis's {@code unknown subcommand 'x'. Try PARENT HELP.} */
    public static RespReply.Error unknownSubcommand(String parent, byte[] sub) {
        String s = text(sub);
        return RespReply.err("unknown subcommand '" + s.substring(0, Math.min(s.length(), 128)) + "'. Try "
                + parent.toUpperCase(Locale.ROOT) + " HELP.");
    }

    /** Redis's {@code syntax error}: an unknown option, a missing option value. */
    public static RespReply.Error syntaxError() {
        return RespReply.err("syntax error");
    }
}
