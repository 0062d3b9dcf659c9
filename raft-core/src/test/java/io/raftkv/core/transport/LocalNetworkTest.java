package io.raftkv.core.transport;

import io.raftkv.core.message.RaftMessage;
import io.raftkv.core.message.TimeoutNow;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalNetworkTest {

    private final LocalNetwork network = new LocalNetwork();
    private final List<RaftMessage> atA = new CopyOnWriteArrayList<>();
    private final List<RaftMessage> atB = new CopyOnWriteArrayList<>();
    private final LocalTransport a = network.transport("a");
    private final LocalTransport b = network.transport("b");

    LocalNetworkTest() {
        a.start(atA::add);
        b.start(atB::add);
    }

    @Test
    void deliversInOrderByNodeId() {
        for (int i = 1; i <= 3; i++) {
            a.send(new TimeoutNow("a", "b", i));
        }
        assertEquals(List.of(1L, 2L, 3L), atB.stream().map(RaftMessage::term).toList());
        assertEquals(3, network.delivered());
    }

    @Test
    void disconnectDropsBothDirections_reconnectRestores() {
        network.disconnect("b");
        a.send(new TimeoutNow("a", "b", 1));
        b.send(new TimeoutNow("b", "a", 1));
        assertTrue(atA.isEmpty() && atB.isEmpty());
        assertEquals(2, network.dropped());
        network.reconnect("b");
        a.send(new TimeoutNow("a", "b", 2));
        assertEquals(1, atB.size());
    }

    @Test
    void cutDropsOneDirectionOnly() {
        network.cut("a", "b");
        a.send(new TimeoutNow("a", "b", 1));
        b.send(new TimeoutNow("b", "a", 1));
        assertTrue(atB.isEmpty());
        assertEquals(1, atA.size());
        network.heal();
        a.send(new TimeoutNow("a", "b", 2));
        assertEquals(1, atB.size());
    }

    @Test
    void unknownOrClosedReceiverDrops_andAClosedSenderSendsNothing() {
        a.send(new TimeoutNow("a", "nobody", 1));
        b.close();
        a.send(new TimeoutNow("a", "b", 1));
        assertTrue(atB.isEmpty());
        a.close();
        a.send(new TimeoutNow("a", "b", 1));
        assertEquals(2, network.dropped());
        // A restarted node joins again under the same id.
        LocalTransport b2 = network.transport("b");
        List<RaftMessage> atB2 = new CopyOnWriteArrayList<>();
        b2.start(atB2::add);
        LocalTransport a2 = network.transport("a");
        a2.start(m -> { });
        a2.send(new TimeoutNow("a", "b", 9));
        assertEquals(1, atB2.size());
    }

    @Test
    void refusesToSendOnBehalfOfAnotherNode_andDuplicateIds() {
        assertThrows(IllegalArgumentException.class, () -> a.send(new TimeoutNow("b", "a", 1)));
        assertThrows(IllegalStateException.class, () -> network.transport("a").start(m -> { }));
    }
}
