package io.raftkv.fault;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** What the ITs share: the jar, the output directory, seeds and the -Dsoak duration. */
final class Harness {
    private Harness() {
    }

    static Path jar() {
        String jar = System.getProperty("raftkv.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("system property raftkv.jar must name kv-server's shaded jar "
                    + "(run via mvn verify, which builds it), got " + jar);
        }
        return Path.of(jar);
    }

    static Path out() {
        return Path.of(System.getProperty("fault.out", "target/fault-runs"));
    }

    /** -Dfault.seed=N repeats a run's choices (the processes' timing is not repeatable); default: the clock. */
    static long seed() {
        return Long.getLong("fault.seed", System.currentTimeMillis() % 1_000_000);
    }

    /** -Dsoak=10m / 90s / 1h / true (= 10m); false, empty or absent = no soak. */
    static Duration soak() {
        String s = System.getProperty("soak", "false").trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("false")) {
            return Duration.ZERO;
        }
        if (s.equals("true")) {
            return Duration.ofMinutes(10);
        }
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        return switch (s.charAt(s.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("-Dsoak=" + s + ": use e.g. 30s, 10m, 1h or true");
        };
    }
}
