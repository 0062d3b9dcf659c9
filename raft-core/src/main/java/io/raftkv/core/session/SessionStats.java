package io.raftkv.core.session;

/**
 * What a {@link SessionStateMachine}'s table holds and what it did since this process started (for metrics). The
 * first four are replicated state (equal on servers at the same index); the counts are this process's.
 *
 * @param sessions         sessions alive
 * @param answers          answers kept for retries
 * @param answerBytes      what those answers count against {@link SessionOptions#maxAnswerBytes()}: their bytes plus
 *                         80 bytes of bookkeeping each
 * @param clusterTimeMillis the table's cluster time: the largest stamp applied (thesis §6.3)
 * @param repeatsAnswered  commands answered from the table instead of applied again (retries that hit)
 * @param unknownSession   frames for a session that does not exist (never registered, expired, evicted, closed)
 * @param sequenceTooOld   commands refused because their seq was acknowledged or its answer evicted
 * @param expired          sessions expired by log time
 * @param evictedSessions  sessions evicted by the session cap
 * @param evictedAnswers   answers evicted by the answer caps
 */
public record SessionStats(int sessions, long answers, long answerBytes, long clusterTimeMillis, long repeatsAnswered,
                           long unknownSession, long sequenceTooOld, long expired, long evictedSessions,
                           long evictedAnswers) {
}
