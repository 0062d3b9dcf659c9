package io.raftkv.bench.load;

import java.time.Duration;

/**
 * {@code --driver raftkv}: the KV plugin's HTTP API ({@code PUT /key/{k}}, {@code GET /key/{k}?level=…}) over
 * Netty's HTTP/1.1 client codec, one keep-alive connection per client (see {@link HttpDriverFactory}).
 */
public final class RaftkvHttpDriverFactory extends HttpDriverFactory {
    private boolean sessions;

    /** {@code --sessions}: drivers made from now on put in a client session each. */
    public synchronized void useSessions() {
        sessions = true;
    }

    @Override
    public String name() {
        return "raftkv";
    }

    @Override
    public synchronized KvDriver connect(String endpoint, String readLevel, Duration timeout) {
        if (!readLevel.equals("linearizable") && !readLevel.equals("lease") && !readLevel.equals("stale")) {
            throw new IllegalArgumentException("raftkv has no read level '" + readLevel + "'");
        }
        return new RaftkvHttpDriver(bootstrap(timeout), endpoint, readLevel, timeout, sessions);
    }
}
