package io.raftkv.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import io.raftkv.core.server.RaftStatus;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ServerConfigTest {
    private static final Map<String, String> PEERS = ServerConfig.parsePeers(
            "n1=127.0.0.1:7001, n2=127.0.0.1:7002,n3=10.0.0.3:7003", "--peers");

    @Test
    void parsesPeersInOrder() {
        assertEquals(3, PEERS.size());
        assertEquals("10.0.0.3:7003", PEERS.get("n3"));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.parsePeers("n1=a:1,n1=b:2", "--peers"));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.parsePeers("n1=a", "--peers"));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.parsePeers("=a:1", "--peers"));
        assertThrows(IllegalArgumentException.class, () -> ServerConfig.parsePeers("n1=a:99999", "--peers"));
    }

    @Test
    void derivesHttpAddressesFromTheOwnPortOffset() {
        ServerConfig c = ServerConfig.of("n1", Path.of("d"), "127.0.0.1:7001", "127.0.0.1:8001", PEERS, Map.of());
        assertEquals(Optional.of("127.0.0.1:8001"), c.httpAddressOf("n1"));
        assertEquals(Optional.of("127.0.0.1:8002"), c.httpAddressOf("n2"));
        assertEquals(Optional.of("10.0.0.3:8003"), c.httpAddressOf("n3"));
        assertEquals(Optional.empty(), c.httpAddressOf("n4"));
    }

    @Test
    void explicitHttpPeersWin() {
        ServerConfig c = ServerConfig.of("n1", Path.of("d"), "127.0.0.1:7001", "127.0.0.1:8001", PEERS,
                Map.of("n2", "127.0.0.1:9999"));
        assertEquals(Optional.of("127.0.0.1:9999"), c.httpAddressOf("n2"));
        assertEquals(Optional.of("10.0.0.3:8003"), c.httpAddressOf("n3"));
    }

    @Test
    void rejectsAnIdOutsideThePeers() {
        assertThrows(IllegalArgumentException.class,
                () -> ServerConfig.of("n9", Path.of("d"), "127.0.0.1:7001", "127.0.0.1:8001", PEERS, Map.of()));
    }

    @Test
    void snapshotWriteRateDefaultsToTheServerDefaultAndRefusesNegative() {
        ServerConfig c = ServerConfig.of("n1", Path.of("d"), "127.0.0.1:7001", "127.0.0.1:8001", PEERS, Map.of());
        assertEquals(30_000_000, c.snapshotWriteRate());
        assertEquals(0, c.withSnapshotWriteRate(0).snapshotWriteRate());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.withSnapshotWriteRate(-1));
        assertEquals("--snapshot-write-rate must be >= 0 (0 = unlimited), got -1", e.getMessage());
    }

    @Test
    void aJoiningServerHasNoPeers() {
        ServerConfig c = ServerConfig.of("n4", Path.of("d"), "127.0.0.1:7004", "127.0.0.1:8004", Map.of(), Map.of());
        assertEquals(Optional.of("127.0.0.1:8004"), c.httpAddressOf("n4"));
        assertEquals(Optional.empty(), c.httpAddressOf("n1"));
        assertEquals(Optional.of("127.0.0.1:8001"), c.httpAddressForRaft("127.0.0.1:7001"));
        assertEquals(Optional.empty(), c.httpAddressForRaft("garbage"));
    }

    @Test
    void httpDirectoryOrder_selfThenOverridesThenJoinThenPeersThenConfiguration() {
        ServerConfig c = ServerConfig.of("n1", Path.of("d"), "127.0.0.1:7001", "127.0.0.1:8001", PEERS,
                Map.of("n2", "127.0.0.1:9002"));
        HttpDirectory d = new HttpDirectory(c);
        d.membersFrom(() -> List.of(new RaftStatus.MemberStatus("n5", "10.0.0.5:7005", false, null)));
        d.learn("n1", "127.0.0.1:1");
        d.learn("n2", "127.0.0.1:2");
        d.learn("n3", "127.0.0.1:3");
        d.learn("n4", "127.0.0.1:4");
        assertEquals(Optional.of("127.0.0.1:8001"), d.httpAddressOf("n1")); // own --http
        assertEquals(Optional.of("127.0.0.1:9002"), d.httpAddressOf("n2")); // --http-peers
        assertEquals(Optional.of("127.0.0.1:3"), d.httpAddressOf("n3"));    // announced in /join
        assertEquals(Optional.of("127.0.0.1:4"), d.httpAddressOf("n4"));
        assertEquals(Optional.of("10.0.0.5:8005"), d.httpAddressOf("n5")); // configuration + offset
        assertEquals(Optional.empty(), d.httpAddressOf("n6"));
        assertThrows(IllegalArgumentException.class, () -> d.learn("n7", "no-port"));
    }
}
