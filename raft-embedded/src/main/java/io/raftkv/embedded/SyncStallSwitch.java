package io.raftkv.embedded;

import io.raftkv.core.storage.ForwardingLogStore;
import io.raftkv.core.storage.LogStore;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TEST-ONLY fault injection, never a feature: with {@code -Draftkv.fault.syncStallFile=PATH} every sync of the
 * log waits for as long as {@code PATH} exists: an fsync that does not return while the rest of the machine works.
 * raft-fault's disk nemesis and {@code DiskFaultIT} use it to measure a hung fsync precisely; their other stall,
 * {@code fsfreeze}, also blocks Chronicle's memory-mapped writes, whose page faults stop the whole JVM at its next
 * safepoint. Off unless the property is set, and loudly logged when it is.
 */
final class SyncStallSwitch extends ForwardingLogStore {
    static final String PROPERTY = "raftkv.fault.syncStallFile";

    private final Path flag;

    private SyncStallSwitch(LogStore delegate, Path flag) {
        super(delegate);
        this.flag = flag;
    }

    /** {@code log} itself, or wrapped if the property is set. */
    static LogStore wrapIfAsked(LogStore log, String nodeId) {
        String path = System.getProperty(PROPERTY);
        if (path == null || path.isBlank()) {
            return log;
        }
        LoggerFactory.getLogger(SyncStallSwitch.class).warn("{}: TEST-ONLY -D{}={} is set: log syncs wait while that"
                + " file exists (fault injection)", nodeId, PROPERTY, path);
        return new SyncStallSwitch(log, Path.of(path));
    }

    @Override
    public void sync() throws IOException {
        while (Files.exists(flag)) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted in a stalled sync");
            }
        }
        super.sync();
    }
}
