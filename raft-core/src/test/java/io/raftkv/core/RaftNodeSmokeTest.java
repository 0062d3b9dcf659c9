package io.raftkv.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class RaftNodeSmokeTest {

    @Test
    void threeNodesElectALeaderByTicksAndReplicate() {
        TestCluster c = new TestCluster("n1", "n2", "n3");
        c.tickAll(40);
        long leaders = c.nodes.values().stream().filter(n -> n.role() == Role.LEADER).count();
        assertEquals(1, leaders);
        RaftNode leader = c.nodes.values().stream().filter(n -> n.role() == Role.LEADER).findFirst().orElseThrow();
        leader.propose(new byte[] {42});
        c.stabilize();
        c.tickAll(2);
        for (String id : c.nodes.keySet()) {
            assertEquals(1, c.appliedCommands(id).size(), id);
            assertArrayEquals(new byte[] {42}, c.appliedCommands(id).get(0));
        }
    }

    @Test
    void singleNodeCommitsAlone() {
        TestCluster c = new TestCluster("n1");
        c.tickAll(25);
        assertEquals(Role.LEADER, c.node("n1").role());
        c.node("n1").propose(new byte[] {1});
        c.stabilize();
        assertEquals(1, c.appliedCommands("n1").size());
    }
}
