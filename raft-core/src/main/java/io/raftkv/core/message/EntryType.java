package io.raftkv.core.message;

/** What a log entry carries. The byte codes are part of the wire and disk formats: never renumber. */
public enum EntryType {
    /** A state-machine command proposed by a client. */
    COMMAND((byte) 1),
    /** The empty entry a new leader appends so that it can commit entries of its term (§5.4.2, thesis §6.4). */
    NOOP((byte) 2),
    /** A cluster configuration ({@link io.raftkv.core.cluster.Configuration}); in effect once appended (thesis §4.1). */
    CONFIGURATION((byte) 3);

    private final byte code;

    EntryType(byte code) {
        this.code = code;
    }

    public byte code() {
        return code;
    }

    public static EntryType fromCode(byte code) {
        return switch (code) {
            case 1 -> COMMAND;
            case 2 -> NOOP;
            case 3 -> CONFIGURATION;
            default -> throw new IllegalArgumentException("unknown entry type code " + code);
        };
    }
}
