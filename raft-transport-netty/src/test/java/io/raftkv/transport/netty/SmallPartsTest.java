package io.raftkv.transport.netty;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SmallPartsTest {

    @Test
    void backoffDoublesWithJitterUpToTheCapAndResets() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000));
        long[] ceilings = {100, 200, 400, 800, 1000, 1000, 1000};
        for (long ceiling : ceilings) {
            long d = b.nextDelayMillis();
            assertTrue(d >= ceiling / 2 && d <= ceiling, d + " not in [" + ceiling / 2 + ", " + ceiling + "]");
        }
        for (int i = 0; i < 100; i++) {
            assertTrue(b.nextDelayMillis() <= 1000, "capped even after many attempts");
        }
        b.reset();
        assertTrue(b.nextDelayMillis() <= 100);
    }

    @Test
    void hostPortParsesV4NamesAndBracketedV6() {
        assertEquals(new HostPort("127.0.0.2", 7000), HostPort.parse("127.0.0.2:7000"));
        assertEquals(new HostPort("localhost", 1), HostPort.parse("localhost:1"));
        assertEquals(new HostPort("::1", 9000), HostPort.parse("[::1]:9000"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("no-port"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:99999"));
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:abc"));
    }

    @Test
    void configDefaultsTheLocalBindHostToTheListenHostAndValidates() {
        NettyTransportConfig c = NettyTransportConfig.builder("n1", "c", "127.0.0.7:7000").build();
        assertEquals("127.0.0.7", c.localBindHost());
        assertEquals(16 << 20, c.maxFrameBytes());
        assertThrows(IllegalArgumentException.class,
                () -> NettyTransportConfig.builder("n1", "c", "127.0.0.7:7000").writeBufferWaterMarks(10, 5).build());
        assertThrows(IllegalArgumentException.class,
                () -> NettyTransportConfig.builder("n1", "c", "127.0.0.7:7000")
                        .backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build());
        assertThrows(IllegalArgumentException.class,
                () -> NettyTransportConfig.builder(" ", "c", "127.0.0.7:7000").build());
    }

    @Test
    void remoteStringsAreEscapedForLogLines() {
        assertEquals("a\\u000aforged", ConnectionContext.printable("a\nforged"));
        assertEquals(67, ConnectionContext.printable("x".repeat(500)).length());
    }
}
