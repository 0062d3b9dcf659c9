package io.raftkv.server.http;

import io.raftkv.core.ProposalRejectedException;
import io.raftkv.core.server.NotCommittedException;
import io.raftkv.core.server.OutcomeUnknownException;
import io.raftkv.core.server.OverloadedException;
import io.raftkv.core.server.ShutdownException;
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
    void anythingElseIs500WithAJsonError() {
        Reply r = ErrorReplies.of(new IllegalStateException("bug"), true);
        assertEquals(500, r.status());
        assertEquals(Reply.JSON, r.contentType());
    }
}
