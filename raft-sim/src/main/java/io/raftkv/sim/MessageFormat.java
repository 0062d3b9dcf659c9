package io.raftkv.sim;

import io.raftkv.core.message.AppendEntriesRequest;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.EntryType;
import io.raftkv.core.message.ForwardRequest;
import io.raftkv.core.message.ForwardResponse;
import io.raftkv.core.message.InstallSnapshotRequest;
import io.raftkv.core.message.InstallSnapshotResponse;
import io.raftkv.core.message.LogEntry;
import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.ReadIndexRequest;
import io.raftkv.core.message.ReadIndexResponse;
import io.raftkv.core.message.TimeoutNow;
import io.raftkv.core.message.VoteRequest;
import io.raftkv.core.message.VoteResponse;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Short, stable renderings of messages and entries for traces (no hash codes, no identity: byte-identical). */
public final class MessageFormat {
    private static final int MAX_ENTRIES_SHOWN = 4;

    private MessageFormat() {
    }

    public static String route(RaftMessage m) {
        return m.from() + "->" + m.to();
    }

    public static String message(RaftMessage m) {
        if (m instanceof AppendEntriesRequest a) {
            return "App(t" + a.term() + " prev " + a.prevLogIndex() + "@" + a.prevLogTerm() + " " + entries(a.entries())
                    + " commit " + a.leaderCommit() + " seq " + a.seq() + ")";
        }
        if (m instanceof AppendEntriesResponse r) {
            return r.success()
                    ? "AppResp(t" + r.term() + " ok match " + r.matchIndex() + " seq " + r.seq() + ")"
                    : "AppResp(t" + r.term() + " reject conflict " + r.conflictIndex() + "@" + r.conflictTerm()
                    + " last " + r.lastLogIndex() + " seq " + r.seq() + ")";
        }
        if (m instanceof VoteRequest v) {
            return (v.preVote() ? "PreVote" : "Vote") + "(t" + v.term() + " last " + v.lastLogIndex() + "@"
                    + v.lastLogTerm() + (v.transfer() ? " transfer" : "") + ")";
        }
        if (m instanceof VoteResponse v) {
            return (v.preVote() ? "PreVoteResp" : "VoteResp") + "(t" + v.term() + (v.granted() ? " granted" : " rejected") + ")";
        }
        if (m instanceof InstallSnapshotRequest s) {
            return "Snap(t" + s.term() + " last " + s.lastIncludedIndex() + "@" + s.lastIncludedTerm() + " off "
                    + s.offset() + " " + s.data().length + "B" + (s.done() ? " done" : "") + ")";
        }
        if (m instanceof InstallSnapshotResponse s) {
            return "SnapResp(t" + s.term() + " last " + s.lastIncludedIndex() + " next " + s.nextOffset()
                    + " for " + s.answeredOffset() + (s.done() ? " done" : "") + ")";
        }
        if (m instanceof TimeoutNow t) {
            return "TimeoutNow(t" + t.term() + ")";
        }
        if (m instanceof ReadIndexRequest r) {
            return "ReadIndex(t" + r.term() + " req " + r.requestId() + ")";
        }
        if (m instanceof ReadIndexResponse r) {
            return "ReadIndexResp(t" + r.term() + " req " + r.requestId() + " index " + r.readIndex()
                    + (r.success() ? " ok" : " failed") + ")";
        }
        if (m instanceof ForwardRequest f) {
            StringBuilder sb = new StringBuilder();
            int n = Math.min(f.commands().size(), MAX_ENTRIES_SHOWN);
            for (int i = 0; i < n; i++) {
                sb.append(i == 0 ? "" : ", ").append(data(f.commands().get(i)));
            }
            if (f.commands().size() > n) {
                sb.append(", ... (").append(f.commands().size()).append(" commands)");
            }
            return "Forward(t" + f.term() + " batch " + f.batchId() + " [" + sb + "])";
        }
        if (m instanceof ForwardResponse f) {
            return "ForwardResp(t" + f.term() + " batch " + f.batchId() + (f.isAccepted()
                    ? " at " + f.firstIndex() + " (" + f.count() + ")" : " refused: " + f.rejection()) + ")";
        }
        throw new IllegalArgumentException("unknown message " + m.getClass());
    }

    public static String entries(List<LogEntry> entries) {
        StringBuilder sb = new StringBuilder("[");
        int n = Math.min(entries.size(), MAX_ENTRIES_SHOWN);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ").append(entry(entries.get(i)));
        }
        if (entries.size() > n) {
            sb.append(", ... ").append(entries.get(entries.size() - 1).index()).append('@')
                    .append(entries.get(entries.size() - 1).term()).append(" (").append(entries.size()).append(" entries)");
        }
        return sb.append(']').toString();
    }

    /** {@code 5@3 'c12'} for a printable command, {@code 5@3 noop}, {@code 5@3 config{n1,n2,n4(learner)}}, {@code 5@3 17B}. */
    public static String entry(LogEntry e) {
        String head = e.index() + "@" + e.term();
        if (e.type() == EntryType.NOOP) {
            return head + " noop";
        }
        if (e.type() == EntryType.CONFIGURATION) {
            return head + " config" + io.raftkv.core.cluster.Configuration.decode(e.data());
        }
        return head + " " + data(e.data());
    }

    static String data(byte[] data) {
        if (data.length > 0 && data.length <= 24) {
            boolean printable = true;
            for (byte b : data) {
                if (b < 0x20 || b > 0x7e) {
                    printable = false;
                    break;
                }
            }
            if (printable) {
                return "'" + new String(data, StandardCharsets.US_ASCII) + "'";
            }
        }
        return data.length + "B";
    }
}
