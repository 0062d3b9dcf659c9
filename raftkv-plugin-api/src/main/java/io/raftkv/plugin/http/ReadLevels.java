package io.raftkv.plugin.http;

import io.raftkv.core.server.ReadLevel;

import java.util.Locale;

/** The {@code ?level=} parameter every read route takes: {@code linearizable}, {@code lease} or {@code stale}. */
public final class ReadLevels {
    private ReadLevels() {
    }

    /**
     * The level {@code value} names, or {@code ifAbsent} if it is null or empty.
     *
     * @throws IllegalArgumentException for anything else (answer 400 with its message)
     */
    public static ReadLevel parse(String value, ReadLevel ifAbsent) {
        if (value == null || value.isEmpty()) {
            return ifAbsent;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "linearizable" -> ReadLevel.LINEARIZABLE;
            case "lease" -> ReadLevel.LEASE;
            case "stale" -> ReadLevel.STALE;
            default -> throw new IllegalArgumentException("invalid level '" + Json.abbreviate(value)
                    + "': use linearizable, lease or stale");
        };
    }
}
