package io.raftkv.bench;

import java.util.List;

/**
 * Shared settings for the JMH suites. Every JVM that may open a Chronicle Queue needs the flags below (see
 * raft-log/README.md); benchmarks pass them with {@code @Fork(jvmArgsAppend = ...)}.
 */
public final class BenchmarkSupport {
    private BenchmarkSupport() {
    }

    /** The JVM flags Chronicle Queue needs on JDK 17. Keep in sync with the root pom's chronicle.jvm.flags. */
    public static final List<String> CHRONICLE_FLAGS = List.of(
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "-Dchronicle.analytics.disable=true",
            "-Dchronicle.announcer.disable=true");
}
