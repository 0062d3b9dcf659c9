package io.raftkv.server.http;

import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.DiskAlarm;
import io.raftkv.core.server.DiskFullException;
import io.raftkv.core.server.DiskStalledException;
import io.raftkv.core.server.NotCommittedException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.ShutdownException;
import io.raftkv.plugin.http.Json;
import io.raftkv.plugin.http.Reply;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** 503 = certainly not applied (safe to retry), 504 = may or may not have been applied. */
class ErrorRepliesTest {
    @Test
    void notAppliedIs503() {
        assertEquals(503, ErrorReplies.of(new OverloadedException("full"), true).status());
        assertEquals(503, ErrorReplies.of(new NotCommittedException(5, 2, 3), true).status());
        assertEquals(503, ErrorReplies.of(new ShutdownException("stopping", null), true).status());
        assertEquals(503, ErrorReplies.of(new ProposalRejectedException("transfer in progress"), true).status());
    }

    @Test
    void outcomeUnknownIs504() {
        assertEquals(504, ErrorReplies.of(new OutcomeUnknownException(5, 2, "leadership lost", null), true).status());
        assertEquals(504, ErrorReplies.of(new TimeoutException(), true).status(), "a write timed out after proposing");
    }

    @Test
    void aReadTimeoutIs503BecauseReadsAreAlwaysSafeToRetry() {
        assertEquals(503, ErrorReplies.of(new TimeoutException(), false).status());
    }

    @Test
    void aFullDiskIs507NamingTheDirectory_aStalledOneIs503() throws Exception {
        DiskAlarm.NoSpace full = new DiskAlarm.NoSpace("log", java.nio.file.Path.of("/data/log"), 5 << 20, 64 << 20, false);
        Reply r = ErrorReplies.of(new DiskFullException("n1", full), true);
        assertEquals(507, r.status());
        var body = Json.MAPPER.readTree(r.body());
        assertEquals("n1 refuses writes: " + full.message(), body.get("error").asText());
        assertEquals("/data/log", body.get("alarm").get("directory").asText());
        assertEquals(5 << 20, body.get("alarm").get("freeBytes").asLong());
        DiskAlarm.Stalled stalled = new DiskAlarm.Stalled("log", null, "append and sync", java.time.Duration.ofSeconds(2));
        Reply s = ErrorReplies.of(new DiskStalledException("n1", stalled), true);
        assertEquals(503, s.status(), "nothing was proposed: safe to retry elsewhere");
        assertEquals(2000, Json.MAPPER.readTree(s.body()).get("alarm").get("stalledMillis").asLong());
    }

    @Test
    void anythingElseIs500WithAJsonError() {
        Reply r = ErrorReplies.of(new IllegalStateException("bug"), true);
        assertEquals(500, r.status());
        assertEquals(Reply.JSON, r.contentType());
    }
}
