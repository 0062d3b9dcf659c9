package io.raftkv.core.cluster;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigurationTest {

    @Test
    void duplicateMemberIdsAreRejectedNotSilentlyMerged() {
        assertThrows(IllegalArgumentException.class,
                () -> new Configuration(List.of(Member.voter("n1", "a:1"), Member.learner("n1", "b:2"))));
    }

    @Test
    void encodeDecodeRoundTripKeepsMembersSortedById() {
        Configuration c = new Configuration(List.of(Member.voter("n3", "h:3"), Member.learner("n1", "h:1"),
                Member.voter("n2", "h:2")));
        assertEquals(List.of("n1", "n2", "n3"), c.members().stream().map(Member::id).toList());
        assertEquals(c, Configuration.decode(c.encode()));
        assertEquals(2, c.quorumSize(), "two voters: a majority is both");
    }

    @Test
    void malformedBytesAreAClearError() {
        assertThrows(IllegalArgumentException.class, () -> Configuration.decode(new byte[] {0, 0, 0, 5, 1}));
        assertThrows(IllegalArgumentException.class, () -> Configuration.decode(new byte[] {(byte) 0xff, 0, 0, 0}));
        byte[] ok = Configuration.ofVoterIds("a").encode();
        byte[] trailing = java.util.Arrays.copyOf(ok, ok.length + 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Configuration.decode(trailing))
                .getMessage().contains("trailing"));
    }

    private static final Configuration OLD = new Configuration(List.of(Member.voter("n1", "h:1"),
            Member.voter("n2", "h:2"), Member.voter("n3", "h:3"), Member.learner("n4", "h:4")));
    private static final Configuration NEW = new Configuration(List.of(Member.voter("n3", "h:3"),
            Member.voter("n4", "h:4"), Member.voter("n5", "h:5")));

    @Test
    void aSimpleConfigurationStillEncodesInTheOriginalFormat() {
        // count, then id, address, voter per member: what every release before joint consensus wrote and reads.
        byte[] v1 = HexFormat.of().parseHex("00000002" + "00026e31" + "0003683a31" + "01" + "00026e32" + "0000" + "00");
        Configuration c = new Configuration(List.of(Member.voter("n1", "h:1"), Member.learner("n2", "")));
        assertArrayEquals(v1, c.encode());
        assertEquals(c, Configuration.decode(v1));
    }

    @Test
    void aJointConfigurationRoundTripsInTheVersionedFormat() {
        Configuration joint = Configuration.joint(OLD, NEW);
        byte[] bytes = joint.encode();
        assertEquals(-2, java.nio.ByteBuffer.wrap(bytes).getInt(), "a negative lead: older servers reject it");
        Configuration back = Configuration.decode(bytes);
        assertEquals(joint, back);
        assertTrue(back.isJoint());
        assertEquals(OLD, back.oldConfiguration());
        assertEquals(NEW, back.newConfiguration());
        assertEquals("{n1,n2,n3,n4(learner)} -> {n3,n4,n5}", back.toString());
    }

    @Test
    void malformedJointEncodingsAreAClearError() {
        byte[] noOldHalf = HexFormat.of().parseHex("fffffffe" + "00000001" + "00026e31" + "0000" + "01" + "00000000");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Configuration.decode(noOldHalf)).getMessage()
                .contains("without an old half"));
        byte[] unknownVersion = HexFormat.of().parseHex("fffffffd" + "00000000");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Configuration.decode(unknownVersion))
                .getMessage().contains("unknown configuration format -3"));
        byte[] noVoter = HexFormat.of().parseHex("fffffffe" + "00000000" + "00000001" + "00026e31" + "0000" + "01");
        assertThrows(IllegalArgumentException.class, () -> Configuration.decode(noVoter));
    }

    @Test
    void aJointConfigurationsMembersAreTheUnionOfBothHalves() {
        Configuration joint = Configuration.joint(OLD, NEW);
        assertEquals(Set.of("n1", "n2", "n3", "n4", "n5"), joint.voterIds(), "n4 votes in C_new, so it votes");
        assertEquals(Set.of("n1", "n2", "n3", "n4", "n5"), joint.allIds());
        assertEquals("h:4", joint.member("n4").orElseThrow().address());
        assertTrue(joint.isVoter("n1"), "a voter of C_old only still votes until C_new takes over");
        assertFalse(Configuration.joint(OLD, NEW).newConfiguration().contains("n1"));
        assertThrows(IllegalStateException.class, joint::quorumSize);
        assertThrows(IllegalStateException.class, () -> joint.with(Member.voter("n9", "")));
    }

    @Test
    void quorumValueIsTheQuorumThHighestAmongVoters() {
        Map<String, Long> match = Map.of("n1", 9L, "n2", 7L, "n3", 3L, "n4", 8L, "n5", 1L);
        // {n1,n2,n3}: 9, 7, 3 -> a majority (2) holds 7. The learner n4 does not count.
        assertEquals(7, OLD.quorumValue(match::get));
        // {n3,n4,n5}: 8, 3, 1 -> 3.
        assertEquals(3, NEW.quorumValue(match::get));
        // §6: joint agreement needs both majorities: the smaller.
        assertEquals(3, Configuration.joint(OLD, NEW).quorumValue(match::get));
        assertEquals(3, Configuration.joint(NEW, OLD).quorumValue(match::get));
        assertEquals(0, Configuration.EMPTY.quorumValue(match::get));
        assertEquals(4, Configuration.ofVoterIds("a", "b", "c", "d").quorumValue(
                Map.of("a", 9L, "b", 5L, "c", 4L, "d", 1L)::get), "four voters: three must hold it");
    }

    @Test
    void aJointQuorumIsAMajorityOfEachHalf() {
        Configuration joint = Configuration.joint(OLD, NEW);
        assertTrue(OLD.hasQuorum(Set.of("n1", "n2")));
        assertFalse(joint.hasQuorum(Set.of("n1", "n2")), "no one of C_new");
        assertFalse(joint.hasQuorum(Set.of("n1", "n4", "n5")), "a majority of C_new, but only n1 of C_old");
        assertTrue(joint.hasQuorum(Set.of("n1", "n3", "n4")), "n1, n3 of C_old; n3, n4 of C_new");
        assertFalse(Configuration.EMPTY.hasQuorum(Set.of("n1")));
    }
}
