package io.raftkv.core.session;

import io.raftkv.core.session.SessionReply.Answered;
import io.raftkv.core.session.SessionReply.Reason;
import io.raftkv.core.session.SessionReply.SequenceTooOld;
import io.raftkv.core.session.SessionReply.UnknownSession;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static io.raftkv.core.session.CounterMachine.cmd;
import static io.raftkv.core.session.CounterMachine.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session table's rules (thesis §6.3), one test each, through the wrapper as the driver calls it. */
class SessionStateMachineTest {

    /** A wrapper over a {@link CounterMachine}, fed at consecutive log indexes. */
    static final class Log {
        final CounterMachine inner = new CounterMachine();
        final SessionStateMachine sm;
        long index;

        Log(SessionOptions options) {
            sm = new SessionStateMachine(inner, options);
        }

        byte[] apply(byte[] command) {
            return sm.apply(++index, command);
        }

        SessionReply frame(SessionFrame f) {
            return SessionReply.decode(apply(f.encode()));
        }

        long register(long now) {
            return ((SessionReply.Registered) frame(new SessionFrame.Register(now, 60_000))).sessionId();
        }

        SessionReply invoke(long now, long session, long seq, long acked, String counter) {
            return frame(new SessionFrame.Invoke(now, session, seq, acked, cmd(counter)));
        }
    }

    private static SessionOptions options() {
        return SessionOptions.defaults().withSessionTimeout(Duration.ofMinutes(1));
    }

    private static String answer(SessionReply r) {
        return text(assertInstanceOf(Answered.class, r).result());
    }

    @Test
    void plainCommandsPassThroughUnchanged() {
        Log log = new Log(options());
        assertEquals("a=1", text(log.apply(cmd("a"))));
        assertEquals("a=2", text(log.apply(cmd("a"))));
        assertEquals(2, log.sm.lastAppliedIndex());
        assertEquals(2, log.inner.lastAppliedIndex());
        assertEquals("2", text(log.sm.query(cmd("a"))));
    }

    @Test
    void theSessionIdIsTheRegisterEntrysIndex() {
        Log log = new Log(options());
        log.apply(cmd("x"));
        SessionReply r = log.frame(new SessionFrame.Register(1000, 5000));
        assertEquals(new SessionReply.Registered(2, 5000), r);
        assertEquals(1, log.inner.skips, "a register applies nothing to the inner machine but moves its index");
        assertEquals(2, log.inner.lastAppliedIndex());
    }

    @Test
    void aRepeatedSessionAndSeqIsAnsweredFromTheTableAndAppliedOnce() {
        Log log = new Log(options());
        long s = log.register(0);
        SessionReply first = log.invoke(10, s, 1, 1, "c");
        assertEquals(new Answered(cmd("c=1"), false), first);
        log.apply(cmd("c")); // someone else increments meanwhile: the stored answer must not change
        SessionReply again = log.invoke(20, s, 1, 1, "c");
        assertEquals(new Answered(cmd("c=1"), true), again);
        assertEquals(2, log.inner.value("c"));
        assertEquals(2, log.inner.applies);
        assertEquals(1, log.sm.stats().repeatsAnswered());
    }

    @Test
    void acknowledgedAnswersAreDroppedAndTheirSeqRefused() {
        Log log = new Log(options());
        long s = log.register(0);
        log.invoke(1, s, 1, 1, "c");
        log.invoke(2, s, 2, 1, "c");
        assertEquals(2, log.sm.table().session(s).answers.size());
        log.invoke(3, s, 3, 3, "c"); // the client has the answers of 1 and 2
        assertEquals(1, log.sm.table().session(s).answers.size());
        assertEquals(new SequenceTooOld(2, 3, Reason.ACKNOWLEDGED), log.invoke(4, s, 2, 3, "c"));
        // An acknowledgement never goes back: a late request carrying an older one changes nothing.
        assertEquals("c=3", answer(log.invoke(5, s, 3, 1, "c")));
        assertEquals(3, log.inner.value("c"));
    }

    @Test
    void aSeqBelowItsOwnAcknowledgementIsRefusedNotApplied() {
        Log log = new Log(options());
        long s = log.register(0);
        assertEquals(new SequenceTooOld(1, 2, Reason.ACKNOWLEDGED), log.invoke(1, s, 1, 2, "c"));
        assertEquals(0, log.inner.value("c"));
    }

    @Test
    void anUnknownSessionIsAnExplicitErrorNeverANewSession() {
        Log log = new Log(options());
        assertEquals(new UnknownSession(77), log.invoke(0, 77, 1, 1, "c"));
        assertEquals(new UnknownSession(77), log.frame(new SessionFrame.KeepAlive(0, 77, 1)));
        assertEquals(new UnknownSession(77), log.frame(new SessionFrame.Close(0, 77)));
        assertEquals(0, log.sm.stats().sessions());
        assertEquals(0, log.inner.applies);
        assertEquals(3, log.inner.skips);
    }

    @Test
    void sessionsExpireByTheTimeInTheLogNotByAnyClock() {
        Log log = new Log(options()); // register frames below ask for 60 s
        long idle = log.register(1_000);
        long busy = log.register(1_000);
        log.invoke(40_000, busy, 1, 1, "c");
        // 61 s after idle's last activity, by the stamp of the next frame: expired at that entry, on every server.
        log.invoke(61_001, busy, 2, 2, "c");
        assertEquals(new UnknownSession(idle), log.invoke(61_002, idle, 1, 1, "c"));
        assertEquals("c=2", text(((Answered) log.invoke(61_003, busy, 2, 2, "c")).result()));
        assertEquals(1, log.sm.stats().expired());
    }

    @Test
    void exactlyTheTimeoutIsStillAlive() {
        Log log = new Log(options());
        long s = log.register(0);
        assertEquals("c=1", answer(log.invoke(60_000, s, 1, 1, "c")));
        assertInstanceOf(UnknownSession.class, log.invoke(120_001, s, 2, 2, "c"));
    }

    @Test
    void clusterTimeNeverGoesBackWhenAProposersClockIsBehind() {
        Log log = new Log(options());
        long s = log.register(100_000);
        log.invoke(100_000, s, 1, 1, "c");
        // A new leader whose clock is 10 minutes behind: its stamps do not turn time back...
        log.invoke(40_000, s, 2, 2, "c");
        assertEquals(100_000, log.sm.stats().clusterTimeMillis());
        // ...and time only moves on once a stamp passes the cluster time.
        assertEquals("c=3", answer(log.invoke(159_000, s, 3, 3, "c")));
        assertInstanceOf(UnknownSession.class, log.invoke(220_000, s, 4, 4, "c"));
    }

    @Test
    void activityPostponesExpiry() {
        Log log = new Log(options());
        long s = log.register(0);
        assertEquals(SessionReply.DONE, log.frame(new SessionFrame.KeepAlive(50_000, s, 0)));
        assertEquals("c=1", answer(log.invoke(100_000, s, 1, 1, "c")));
        assertEquals("c=2", answer(log.invoke(150_000, s, 2, 2, "c")));
        assertInstanceOf(UnknownSession.class, log.frame(new SessionFrame.KeepAlive(210_001, s, 3)));
    }

    @Test
    void closeEndsTheSessionAndFreesItsAnswers() {
        Log log = new Log(options());
        long s = log.register(0);
        log.invoke(1, s, 1, 1, "c");
        assertEquals(1, log.sm.stats().answers());
        assertEquals(SessionReply.DONE, log.frame(new SessionFrame.Close(2, s)));
        assertEquals(0, log.sm.stats().answers());
        assertEquals(new UnknownSession(s), log.invoke(3, s, 1, 1, "c"));
    }

    @Test
    void atTheSessionCapTheLeastRecentlyActiveSessionIsEvicted() {
        Log log = new Log(options().withMaxSessions(2));
        long a = log.register(0);
        long b = log.register(0);
        log.invoke(5, a, 1, 1, "c"); // a is active again: b is now the least recently active
        long c = log.register(6);
        assertInstanceOf(UnknownSession.class, log.invoke(7, b, 1, 1, "c"));
        assertEquals("c=2", answer(log.invoke(8, c, 1, 1, "c")));
        assertEquals(new Answered(cmd("c=1"), true), log.invoke(9, a, 1, 1, "c"));
        assertEquals(1, log.sm.stats().evictedSessions());
    }

    @Test
    void equalDeadlinesEvictTheLowestIdFirst() {
        Log log = new Log(options().withMaxSessions(2));
        long a = log.register(0);
        long b = log.register(0);
        log.register(0);
        assertInstanceOf(UnknownSession.class, log.invoke(0, a, 1, 1, "c"));
        assertInstanceOf(Answered.class, log.invoke(0, b, 1, 1, "c"));
    }

    @Test
    void atTheAnswerCapTheLowestSeqIsForgottenAndNeverAppliedAgain() {
        Log log = new Log(options().withMaxAnswersPerSession(2));
        long s = log.register(0);
        log.invoke(1, s, 1, 0, "c");
        log.invoke(1, s, 2, 0, "c");
        log.invoke(1, s, 3, 0, "c"); // three outstanding (nothing acknowledged): seq 1's answer must go
        assertEquals(new SequenceTooOld(1, 2, Reason.EVICTED), log.invoke(2, s, 1, 0, "c"));
        assertEquals(new Answered(cmd("c=2"), true), log.invoke(2, s, 2, 0, "c"));
        assertEquals(3, log.inner.value("c"));
        assertEquals(1, log.sm.stats().evictedAnswers());
    }

    @Test
    void theByteCapTakesAnswersOfTheLeastRecentlyActiveSessionFirst() {
        // Answers "c=1".."c=9" are 3 bytes each, 83 with their bookkeeping: a cap of 3 x 83 keeps three of them.
        Log log = new Log(options().withMaxAnswerBytes(3 * (3 + SessionTable.ANSWER_OVERHEAD_BYTES)));
        long old = log.register(0);
        long young = log.register(0);
        log.invoke(1, old, 1, 0, "c");
        log.invoke(1, old, 2, 0, "c");
        log.invoke(2, young, 1, 0, "c");
        log.invoke(3, young, 2, 0, "c"); // four answers: old's seq 1 goes
        assertEquals(3 * (3 + SessionTable.ANSWER_OVERHEAD_BYTES), log.sm.stats().answerBytes());
        assertEquals(new SequenceTooOld(1, 2, Reason.EVICTED), log.invoke(4, old, 1, 0, "c"));
        assertInstanceOf(Answered.class, log.invoke(5, young, 1, 0, "c"));
    }

    @Test
    void aMalformedFrameIsAResultThatConsumesItsIndex() {
        Log log = new Log(options());
        byte[] garbage = {SessionFrame.TAG, 1, 0x7f, 0};
        SessionReply r = SessionReply.decode(log.apply(garbage));
        assertTrue(assertInstanceOf(SessionReply.Malformed.class, r).reason().contains("unknown session frame op"), r.toString());
        assertEquals(1, log.sm.lastAppliedIndex());
        assertEquals(1, log.inner.lastAppliedIndex());
    }

    @Test
    void skipMovesBothIndexesAndIndexesMustIncrease() {
        Log log = new Log(options());
        log.sm.skip(1);
        log.index = 1;
        assertEquals(1, log.inner.lastAppliedIndex());
        log.register(0);
        assertThrows(IllegalStateException.class, () -> log.sm.apply(2, cmd("c")));
        assertThrows(IllegalStateException.class, () -> log.sm.skip(1));
    }

    @Test
    void theInnerMachineMustStartEmpty() {
        CounterMachine used = new CounterMachine();
        used.apply(5, cmd("c"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SessionStateMachine(used, options()));
        assertTrue(e.getMessage().contains("must start empty"), e.getMessage());
    }

    @Test
    void withTheSkipDedupMutationARepeatIsAppliedAgain() {
        Log log = new Log(options().withUnsafeMutation(SessionOptions.UnsafeMutation.SKIP_DEDUP));
        long s = log.register(0);
        log.invoke(1, s, 1, 1, "c");
        assertEquals(new Answered(cmd("c=2"), false), log.invoke(2, s, 1, 1, "c"));
        assertEquals(1, log.sm.stats().answers(), "the repeat replaced the stored answer");
    }

    @Test
    void statsFollowTheTable() {
        Log log = new Log(options());
        long s = log.register(7);
        log.invoke(9, s, 1, 1, "abc");
        SessionStats st = log.sm.stats();
        assertEquals(1, st.sessions());
        assertEquals(1, st.answers());
        assertEquals("abc=1".length() + SessionTable.ANSWER_OVERHEAD_BYTES, st.answerBytes());
        assertEquals(9, st.clusterTimeMillis());
        assertNull(log.sm.table().check(s, 2, 1), "seq 2 was never applied: it is to be applied now");
    }

    @Test
    void aRepeatAnswersTheSameBytesWhateverTheResult() {
        Log log = new Log(options());
        long s = log.register(0);
        byte[] first = log.apply(new SessionFrame.Invoke(0, s, 1, 1, cmd("x")).encode());
        byte[] again = log.apply(new SessionFrame.Invoke(0, s, 1, 1, cmd("x")).encode());
        assertArrayEquals(((Answered) SessionReply.decode(first)).result(), ((Answered) SessionReply.decode(again)).result());
    }
}
