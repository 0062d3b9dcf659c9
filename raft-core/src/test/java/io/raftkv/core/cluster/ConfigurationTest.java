package io.raftkv.core.cluster;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
