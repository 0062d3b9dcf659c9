package io.raftkv.transport.netty;

/**
 * Constants of the wire format; the byte-by-byte layout is documented in the module README.
 *
 * <pre>
 * frame = length:u32 | version:u8 | type:u8 | payload
 * </pre>
 * {@code length} counts every byte after itself (version + type + payload), so it is at least 2. Type codes are
 * part of the protocol: never renumber them, only add.
 */
public final class WireFormat {
    private WireFormat() {
    }

    /**
     * The only protocol version this code speaks; a frame or handshake with another one is rejected, so nodes of
     * different versions refuse each other with a clear log line instead of misreading frames. Version 2 added
     * {@code answeredOffset} to InstallSnapshotResponse (several snapshot chunks in flight); version 3 added
     * ForwardRequest and ForwardResponse (followers hand client commands to the leader over this transport).
     */
    public static final int PROTOCOL_VERSION = 3;

    /** Bytes of the length prefix. */
    public static final int LENGTH_FIELD_BYTES = 4;

    /** Bytes after the length prefix that every frame carries: version and type. */
    public static final int HEADER_BYTES = 2;

    /** Default upper bound of {@code length}: 16 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;

    /** Upper bound of a node id, cluster id or member address in UTF-8 bytes. */
    public static final int MAX_STRING_BYTES = 1024;

    public static final byte HANDSHAKE = 0x01;
    public static final byte VOTE_REQUEST = 0x10;
    public static final byte VOTE_RESPONSE = 0x11;
    public static final byte APPEND_ENTRIES_REQUEST = 0x12;
    public static final byte APPEND_ENTRIES_RESPONSE = 0x13;
    public static final byte INSTALL_SNAPSHOT_REQUEST = 0x14;
    public static final byte INSTALL_SNAPSHOT_RESPONSE = 0x15;
    public static final byte TIMEOUT_NOW = 0x16;
    public static final byte READ_INDEX_REQUEST = 0x17;
    public static final byte READ_INDEX_RESPONSE = 0x18;
    public static final byte FORWARD_REQUEST = 0x19;
    public static final byte FORWARD_RESPONSE = 0x1A;
}
