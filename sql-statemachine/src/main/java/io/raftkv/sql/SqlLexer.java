package io.raftkv.sql;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits SQL text into tokens the way SQLite's tokenizer does (https://sqlite.org/lang_expr.html, tokenize.c):
 * enough to find where a statement ends, what its leading keywords are, which names it mentions and which
 * parameters it has — without parsing it. Comments and whitespace are dropped. Never fails: text SQLite would
 * reject still tokenizes (an unterminated string runs to the end), and SQLite then reports the syntax error.
 */
final class SqlLexer {

    enum Type {
        /** A bare word: keyword or identifier. */
        WORD,
        /** {@code "x"}, {@code [x]} or {@code `x`}: always an identifier. */
        QUOTED_NAME,
        /** {@code 'x'}. */
        STRING,
        /** {@code x'0A'}. */
        BLOB,
        NUMBER,
        /** {@code ?}, {@code ?NNN}, {@code :name}, {@code @name}, {@code $name}. */
        PARAMETER,
        SEMICOLON,
        /** Any other operator or punctuation. */
        SYMBOL
    }

    /**
     * @param type  kind
     * @param text  the token as written
     * @param start offset in the statement text
     */
    record Token(Type type, String text, int start) {
        /** The identifier or keyword without quotes (doubled quote characters undone), else the text. */
        String name() {
            if (type != Type.QUOTED_NAME) {
                return text;
            }
            char open = text.charAt(0);
            char close = open == '[' ? ']' : open;
            String inner = text.substring(1, text.endsWith(String.valueOf(close)) && text.length() > 1
                    ? text.length() - 1 : text.length());
            return open == '[' ? inner : inner.replace("" + close + close, "" + close);
        }

        /** True for a bare word equal, ignoring case, to {@code keyword}. */
        boolean is(String keyword) {
            return type == Type.WORD && text.equalsIgnoreCase(keyword);
        }

        /** String literal contents (doubled quotes undone). */
        String stringValue() {
            String inner = text.length() >= 2 && text.endsWith("'") ? text.substring(1, text.length() - 1) : text.substring(1);
            return inner.replace("''", "'");
        }
    }

    private SqlLexer() {
    }

    static List<Token> tokenize(String sql) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            int start = i;
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
            } else if (c == '\'') {
                i = quoted(sql, i, '\'');
                out.add(new Token(Type.STRING, sql.substring(start, i), start));
            } else if (c == '"' || c == '`') {
                i = quoted(sql, i, c);
                out.add(new Token(Type.QUOTED_NAME, sql.substring(start, i), start));
            } else if (c == '[') {
                int end = sql.indexOf(']', i + 1);
                i = end < 0 ? n : end + 1;
                out.add(new Token(Type.QUOTED_NAME, sql.substring(start, i), start));
            } else if ((c == 'x' || c == 'X') && i + 1 < n && sql.charAt(i + 1) == '\'') {
                i = quoted(sql, i + 1, '\'');
                out.add(new Token(Type.BLOB, sql.substring(start, i), start));
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(sql.charAt(i + 1)))) {
                i = number(sql, i);
                out.add(new Token(Type.NUMBER, sql.substring(start, i), start));
            } else if (c == '?') {
                i++;
                while (i < n && Character.isDigit(sql.charAt(i))) {
                    i++;
                }
                out.add(new Token(Type.PARAMETER, sql.substring(start, i), start));
            } else if ((c == ':' || c == '@' || c == '$') && i + 1 < n && isWordPart(sql.charAt(i + 1))) {
                i++;
                while (i < n && (isWordPart(sql.charAt(i))
                        || (c == '$' && sql.startsWith("::", i) && i + 2 < n && isWordPart(sql.charAt(i + 2))))) {
                    i += sql.startsWith("::", i) ? 2 : 1;
                }
                out.add(new Token(Type.PARAMETER, sql.substring(start, i), start));
            } else if (isWordStart(c)) {
                while (i < n && isWordPart(sql.charAt(i))) {
                    i++;
                }
                out.add(new Token(Type.WORD, sql.substring(start, i), start));
            } else if (c == ';') {
                i++;
                out.add(new Token(Type.SEMICOLON, ";", start));
            } else {
                i++;
                out.add(new Token(Type.SYMBOL, String.valueOf(c), start));
            }
        }
        return out;
    }

    /** The end of a quoted token starting at {@code i}; a doubled quote character stays inside. */
    private static int quoted(String sql, int i, char quote) {
        int j = i + 1;
        while (j < sql.length()) {
            if (sql.charAt(j) == quote) {
                if (j + 1 < sql.length() && sql.charAt(j + 1) == quote) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return sql.length();
    }

    private static int number(String sql, int i) {
        int n = sql.length();
        if (sql.startsWith("0x", i) || sql.startsWith("0X", i)) {
            i += 2;
            while (i < n && (Character.digit(sql.charAt(i), 16) >= 0 || sql.charAt(i) == '_')) {
                i++;
            }
            return i;
        }
        while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '.' || sql.charAt(i) == '_')) {
            i++;
        }
        if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
                j++;
            }
            if (j < n && Character.isDigit(sql.charAt(j))) {
                i = j;
                while (i < n && Character.isDigit(sql.charAt(i))) {
                    i++;
                }
            }
        }
        return i;
    }

    private static boolean isWordStart(char c) {
        return Character.isLetter(c) || c == '_' || c > 0x7f;
    }

    private static boolean isWordPart(char c) {
        return isWordStart(c) || Character.isDigit(c) || c == '$';
    }
}
