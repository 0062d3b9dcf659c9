package io.raftkv.log;

import io.raftkv.core.storage.HardState;
import io.raftkv.core.storage.NoSpaceException;
import io.raftkv.core.storage.StableStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * {@code currentTerm} and {@code votedFor} in a small file (Figure 2: persisted before answering any RPC, or a
 * server could vote twice in one term and break Election Safety, §5.2). Term and vote do not belong in the
 * queue: they are overwritten, not appended.
 *
 * <p>Each save writes a temp file, fsyncs it, renames it over the old one and fsyncs the directory, so a crash
 * leaves the old or the new state. The layout (little-endian) is
 * {@code magic:i32 | version:u8 | term:i64 | voteLength:i32 (-1 = none) | vote:UTF-8 | crc32c:i32}; a file that
 * fails the checksum is reported, never read as term 0.
 */
public final class FileStableStore implements StableStore {
    static final String FILE = "hardstate";
    private static final int MAGIC = 0x524B4853; // "RKHS"
    private static final byte VERSION = 1;

    private final Path dir;
    private final Path file;
    private final Path tmp;
    private HardState cached;

    public FileStableStore(Path dir) throws IOException {
        this.dir = Durable.createDirectories(dir);
        this.file = dir.resolve(FILE);
        this.tmp = dir.resolve(FILE + ".tmp");
        // A temp file left by a crash mid-save was never renamed: the old state is the truth.
        Files.deleteIfExists(tmp);
    }

    @Override
    public synchronized HardState load() throws IOException {
        if (cached == null) {
            cached = read();
        }
        return cached;
    }

    private HardState read() throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return HardState.INITIAL;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (bytes.length < 4 + 1 + 8 + 4 + 4) {
                throw new LogCorruptedException(file, "hard state file is " + bytes.length + " bytes, too short");
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
                throw new LogCorruptedException(file, "hard state checksum mismatch");
            }
            if (b.getInt() != MAGIC || b.get() != VERSION) {
                throw new LogCorruptedException(file, "not a hard state file (bad magic or version)");
            }
            long term = b.getLong();
            int voteLength = b.getInt();
            String vote = null;
            if (voteLength >= 0) {
                byte[] v = new byte[voteLength];
                b.get(v);
                vote = new String(v, StandardCharsets.UTF_8);
            }
            return new HardState(term, vote);
        } catch (RuntimeException e) {
            throw new LogCorruptedException(file, "malformed hard state: " + e);
        }
    }

    @Override
    public synchronized void save(HardState state) throws IOException {
        byte[] vote = state.votedFor() == null ? null : state.votedFor().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 4 + (vote == null ? 0 : vote.length) + 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(VERSION).putLong(state.currentTerm()).putInt(vote == null ? -1 : vote.length);
        if (vote != null) {
            b.put(vote);
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        b.flip();
        try (FileChannel ch = open(tmp)) {
            try {
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException e) {
                throw noSpaceOr(e);
            }
            try {
                ch.force(true);
            } catch (IOException e) {
                // Whatever its errno: after a failed fsync nobody knows what reached the disk (never retried).
                throw new IOException("fsync of " + tmp + " failed: " + e.getMessage() + "; the hard state (term "
                        + state.currentTerm() + ", vote " + state.votedFor() + ") was not saved", e);
            }
        }
        Durable.atomicRename(tmp, file);
        cached = state;
    }

    private FileChannel open(Path path) throws IOException {
        try {
            return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw noSpaceOr(e);
        }
    }

    /**
     * A write of the temp file that found no space changed nothing the store relies on (the old file is intact):
     * that is a {@link NoSpaceException}, and the caller may retry once space is freed. Anything else is as is.
     */
    private IOException noSpaceOr(IOException e) {
        if (!NoSpaceException.isNoSpace(e)) {
            return e;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the next save truncates it anyway
        }
        return new NoSpaceException("cannot save the hard state in " + dir + ": " + e.getMessage(), dir, e);
    }

    @Override
    public String toString() {
        return "FileStableStore[" + dir + "]";
    }
}
