package io.raftkv.server.storage;

import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.StableStore;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * {@code currentTerm} and {@code votedFor} in one small file, replaced atomically: write a temp file, fsync it,
 * rename it over the old one, fsync the directory (the {@link StableStore} contract). A crash at any point leaves
 * the old or the new state, never a mix; a file that fails its checksum is an error, never silently "term 0"
 * (restarting at term 0 could let this server vote twice in a term, breaking Election Safety, §5.2).
 *
 * <p>Stopgap until {@code raft-log} ships its own StableStore: {@link NodeStorage} is the only place that names it.
 *
 * <p>Format: {@code magic "RKHS" | version (1 byte) | term (8) | votedFor length (2, 0xFFFF = none) | votedFor
 * UTF-8 | crc32c of everything before (4)}.
 */
public final class FileStableStore implements StableStore {
    private static final int MAGIC = 0x524B4853; // "RKHS"
    private static final byte VERSION = 1;
    private static final int NO_VOTE = 0xFFFF;

    private final Path file;
    private final Path tmp;

    public FileStableStore(Path directory) throws IOException {
        Files.createDirectories(directory);
        this.file = directory.resolve("hardstate");
        this.tmp = directory.resolve("hardstate.tmp");
        Files.deleteIfExists(tmp); // a save that crashed before its rename: the old file is still the truth
    }

    @Override
    public HardState load() throws IOException {
        if (!Files.exists(file)) {
            return HardState.INITIAL;
        }
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
        try {
            if (buf.getInt() != MAGIC || buf.get() != VERSION) {
                throw new IOException("not a raftkv hard-state file (bad magic or version): " + file);
            }
            long term = buf.getLong();
            int len = Short.toUnsignedInt(buf.getShort());
            String vote = null;
            if (len != NO_VOTE) {
                byte[] b = new byte[len];
                buf.get(b);
                vote = new String(b, StandardCharsets.UTF_8);
            }
            int end = buf.position();
            int stored = buf.getInt();
            CRC32C crc = new CRC32C();
            crc.update(buf.array(), 0, end);
            if ((int) crc.getValue() != stored || buf.hasRemaining()) {
                throw new IOException("hard-state file " + file + " is corrupt (checksum mismatch)");
            }
            return new HardState(term, vote);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new IOException("hard-state file " + file + " is truncated or corrupt", e);
        }
    }

    @Override
    public void save(HardState state) throws IOException {
        byte[] bytes = encode(state);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("file system of " + file + " cannot rename atomically", e);
        }
        // Without this the rename itself may not survive a power loss.
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private static byte[] encode(HardState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeLong(state.currentTerm());
        if (state.votedFor() == null) {
            out.writeShort(NO_VOTE);
        } else {
            byte[] vote = state.votedFor().getBytes(StandardCharsets.UTF_8);
            if (vote.length >= NO_VOTE) {
                throw new IOException("votedFor id too long: " + vote.length + " bytes");
            }
            out.writeShort(vote.length);
            out.write(vote);
        }
        out.flush();
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        out.flush();
        return bytes.toByteArray();
    }
}
