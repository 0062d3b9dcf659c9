package io.raftkv.log;

import java.util.ArrayList;
import java.util.List;

/**
 * Chronicle Queue needs JVM flags; without {@code --add-opens java.base/java.lang.reflect} it silently opens the
 * queue read-only and only the first append fails. We check at open and name the missing flag.
 */
final class ChronicleJvmCheck {
    /** The flags every JVM that opens a log needs (keep in sync with the root pom's chronicle.jvm.flags). */
    static final List<String> REQUIRED_FLAGS = List.of(
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED");

    private ChronicleJvmCheck() {
    }

    /** Fails with a message naming every missing flag; defaults the analytics/announcer switches to off. */
    static void check() {
        Module base = Object.class.getModule();
        Module us = ChronicleJvmCheck.class.getModule();
        List<String> missing = new ArrayList<>();
        if (!base.isOpen("java.lang.reflect", us)) {
            missing.add(REQUIRED_FLAGS.get(0));
        }
        if (!base.isExported("sun.nio.ch", us)) {
            missing.add(REQUIRED_FLAGS.get(1));
        }
        if (!base.isExported("jdk.internal.ref", us)) {
            missing.add(REQUIRED_FLAGS.get(2));
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Chronicle Queue needs JVM flag(s) " + String.join(" ", missing)
                    + " (without them the log would open read-only). Add them to the java command line"
                    + " (see raft-log/README.md).");
        }
        // Chronicle otherwise writes ~/.chronicle.analytics.* and tries to phone home; the command line wins.
        defaultProperty("chronicle.analytics.disable", "true");
        defaultProperty("chronicle.announcer.disable", "true");
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
