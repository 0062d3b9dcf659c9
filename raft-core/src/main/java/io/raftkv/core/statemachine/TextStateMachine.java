package io.raftkv.core.statemachine;

import java.nio.charset.StandardCharsets;

/**
 * An {@link AbstractStateMachine} whose commands, results, queries and answers are text (UTF-8), like a line
 * protocol ({@code transfer alice bob 30} → {@code ok}): the subclass sees strings, never bytes. Everything else —
 * the applied index, framed and checksummed snapshots, the monitor that a {@code synchronized} query shares with
 * apply — is {@link AbstractStateMachine}'s. A command that is not valid UTF-8 reaches {@link #applyText} with the
 * replacement character in it (the same on every server), to be refused like any other bad command. (Behind raft-core's
 * {@code SessionStateMachine}, a command whose first byte is {@code 0xFE} is a session frame, never yours; UTF-8 text
 * never starts with it, and the server refuses such a command from a client.)
 */
public abstract class TextStateMachine extends AbstractStateMachine {

    /** See {@link AbstractStateMachine#AbstractStateMachine(String, int)}. */
    protected TextStateMachine(String snapshotMagic, int snapshotVersion) {
        super(snapshotMagic, snapshotVersion);
    }

    /**
     * Applies one committed command (apply thread, holding this object's monitor): deterministic, as
     * {@link AbstractStateMachine#applyCommand} says; a refused command is a result (e.g. {@code error: …}).
     */
    protected abstract String applyText(long index, String command);

    /** Answers a query from the current state (any thread: see the threading note of {@link AbstractStateMachine}). */
    protected abstract String queryText(String query);

    @Override
    protected final byte[] applyCommand(long index, byte[] command) {
        return applyText(index, new String(command, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public final byte[] query(byte[] request) {
        return queryText(new String(request, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
    }
}
