package io.raftkv.core;

import io.raftkv.core.cluster.Configuration;
import io.raftkv.core.message.RaftMessage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RaftNode#step} handles every message type of the sealed {@link RaftMessage} family. Java 17 does not check
 * an {@code instanceof} chain for exhaustiveness, so step throws for a type it has no branch for; this test steps one
 * message of every permitted type, to a follower and to a leader, so that a record added to the family fails here
 * until step handles it (rather than being dropped silently at run time).
 */
class MessageDispatchTest {

    static Stream<Class<?>> messageTypes() {
        Class<?>[] permitted = RaftMessage.class.getPermittedSubclasses();
        assertTrue(permitted.length >= 11, "RaftMessage permits " + Arrays.toString(permitted));
        return Arrays.stream(permitted);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messageTypes")
    void aFollowerHandlesEveryMessageType(Class<?> type) {
        TestCluster c = new TestCluster(RaftOptions.defaults(), "n1", "n2", "n3");
        RaftNode follower = c.node("n1");
        RaftMessage m = someMessage(type, "n2", "n1", follower.currentTerm());
        assertDoesNotThrow(() -> follower.step(m), type.getSimpleName());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messageTypes")
    void aLeaderHandlesEveryMessageType(Class<?> type) {
        TestCluster c = new TestCluster(RaftOptions.defaults(), "n1", "n2", "n3");
        RaftNode leader = c.elect("n1");
        // From a server of an older term, so that no rule of the current term (Election Safety) is in play.
        RaftMessage stale = someMessage(type, "n2", "n1", leader.currentTerm() - 1);
        assertDoesNotThrow(() -> leader.step(stale), type.getSimpleName() + " of an older term");
        if (!type.getSimpleName().equals("AppendEntriesRequest") && !type.getSimpleName().equals("InstallSnapshotRequest")) {
            RaftMessage m = someMessage(type, "n2", "n1", leader.currentTerm());
            assertDoesNotThrow(() -> leader.step(m), type.getSimpleName());
        }
    }

    /** A message of {@code type} built from its canonical constructor: zeros, empty lists, an empty configuration. */
    static RaftMessage someMessage(Class<?> type, String from, String to, long term) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent rc = components[i];
            types[i] = rc.getType();
            args[i] = switch (rc.getName()) {
                case "from" -> from;
                case "to" -> to;
                case "term" -> term;
                default -> valueOf(type, rc);
            };
        }
        try {
            Constructor<?> canonical = type.getDeclaredConstructor(types);
            return (RaftMessage) canonical.newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot build a " + type.getSimpleName(), e);
        }
    }

    private static Object valueOf(Class<?> type, RecordComponent rc) {
        Class<?> t = rc.getType();
        if (t == long.class) {
            return 0L;
        } else if (t == int.class) {
            return 0;
        } else if (t == boolean.class) {
            return false;
        } else if (t == String.class) {
            return null;
        } else if (t == List.class) {
            return List.of();
        } else if (t == byte[].class) {
            return new byte[0];
        } else if (t == Configuration.class) {
            return Configuration.EMPTY;
        }
        throw new AssertionError(type.getSimpleName() + "." + rc.getName() + " has a type this test has no value for ("
                + t.getName() + "): add one to MessageDispatchTest.valueOf");
    }
}
