package io.raftkv.plugin.resp;

/**
 * Redis's glob-style matching ({@code stringmatchlen} in Redis's util.c), byte for byte, for {@code SCAN ... MATCH}
 * and {@code CONFIG GET}: {@code *} any run of bytes, {@code ?} one byte, {@code [abc]}, {@code [^abc]},
 * {@code [a-z]} a set or range, {@code \x} the byte x literally. A {@code [} without its {@code ]} runs to the end of
 * the pattern, as in Redis. Case-sensitive.
 */
public final class RespGlob {
    private RespGlob() {
    }

    /** True if {@code string} matches {@code pattern} as a whole. */
    public static boolean matches(byte[] pattern, byte[] string) {
        return match(pattern, 0, string, 0, new boolean[1]);
    }

    /**
     * @param skipLonger set once a {@code *} has failed against every suffix: no longer suffix can match either
     *                   (Redis's guard against exponential backtracking on patterns like {@code a*a*a*a*b})
     */
    private static boolean match(byte[] pat, int p, byte[] str, int s, boolean[] skipLonger) {
        while (p < pat.length && s < str.length) {
            switch (pat[p]) {
                case '*' -> {
                    while (p + 1 < pat.length && pat[p + 1] == '*') {
                        p++;
                    }
                    if (p + 1 == pat.length) {
                        return true;
                    }
                    while (s < str.length) {
                        if (match(pat, p + 1, str, s, skipLonger)) {
                            return true;
                        }
                        if (skipLonger[0]) {
                            return false;
                        }
                        s++;
                    }
                    skipLonger[0] = true;
                    return false;
                }
                case '?' -> s++;
                case '[' -> {
                    p++;
                    boolean not = p < pat.length && pat[p] == '^';
                    if (not) {
                        p++;
                    }
                    boolean found = false;
                    int c = str[s] & 0xff;
                    while (true) {
                        if (p >= pat.length) {
                            p--; // an unterminated set ends with the pattern; the step below brings p to its end
                            break;
                        }
                        if (pat[p] == '\\' && pat.length - p >= 2) {
                            p++;
                            found |= (pat[p] & 0xff) == c;
                        } else if (pat[p] == ']') {
                            break;
                        } else if (pat.length - p >= 3 && pat[p + 1] == '-') {
                            int start = pat[p] & 0xff;
                            int end = pat[p + 2] & 0xff;
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            p += 2;
                            found |= c >= start && c <= end;
                        } else {
                            found |= (pat[p] & 0xff) == c;
                        }
                        p++;
                    }
                    if (not == found) {
                        return false;
                    }
                    s++;
                }
                case '\\' -> {
                    if (pat.length - p >= 2) {
                        p++;
                    }
                    if (pat[p] != str[s]) {
                        return false;
                    }
                    s++;
                }
                default -> {
                    if (pat[p] != str[s]) {
                        return false;
                    }
                    s++;
                }
            }
            p++;
            if (s == str.length) {
                while (p < pat.length && pat[p] == '*') {
                    p++;
                }
                break;
            }
        }
        return p == pat.length && s == str.length;
    }
}
