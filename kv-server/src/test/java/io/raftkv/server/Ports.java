package io.raftkv.server;

import io.raftkv.embedded.TestPorts;

/** Free loopback ports for the servers a test starts: see raft-embedded's {@link TestPorts}. */
public final class Ports {
    private Ports() {
    }

    public static int free() {
        return TestPorts.free();
    }
}
