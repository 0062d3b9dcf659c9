package io.raftkv.log;

import io.raftkv.core.storage.NoSpaceException;
import net.openhft.posix.PosixAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Allocates disk blocks for a file region before Chronicle writes into it through its memory mapping.
 *
 * <p><b>Why.</b> Chronicle creates its files sparse and writes them through {@code mmap}. A store into a page
 * whose block is not allocated makes the kernel allocate it in the page fault; when the file system is full that
 * fault is a {@code SIGBUS}, which the JVM reports as {@code InternalError: a fault occurred in a recent unsafe
 * memory access operation}, with nothing saying "disk full", in the middle of an append. Allocating first turns
 * the full disk into an ordinary {@link NoSpaceException} before a byte of the record is written.
 *
 * <p><b>How.</b> {@code fallocate(2)} through Chronicle's own POSIX binding (JNR): it reserves blocks without
 * writing or changing any content (ext4 and XFS mark them unwritten; tmpfs allocates the pages), so it is safe
 * on any region, even one that holds data. Where it is missing (not Linux, no native binding) or refused
 * ({@code EOPNOTSUPP}), the region is filled with zeros by {@code pwrite} instead, which allocates the same blocks
 * but overwrites content: callers allow that only for regions nothing was written to yet
 * ({@code zeroFillAllowed}). Copy-on-write file systems (btrfs, ZFS) still allocate on every overwrite; there a
 * full disk can still surface in the mapping, and only the free-space reserve protects the log.
 *
 * <p>Package-private interface so that tests can inject a full disk ({@link NoSpaceException}) without one.
 */
interface SpaceAllocator {

    /**
     * Allocates {@code [offset, offset + length)} of {@code file} (creating the file if needed; its size becomes at
     * least {@code offset + length} only if {@code extendSize}).
     *
     * @param zeroFillAllowed whether the region may be overwritten with zeros if fallocate is not available
     * @return false if nothing could be done (fallocate unavailable and zero fill not allowed)
     * @throws NoSpaceException if the file system has no space (or the quota is exhausted); nothing was written
     *                          that matters (at most zeros over a region nothing was written to)
     * @throws IOException      for any other failure
     */
    boolean allocate(Path file, long offset, long length, boolean extendSize, boolean zeroFillAllowed)
            throws IOException;

    /** fallocate(2) where possible, zero fill where allowed otherwise. */
    SpaceAllocator DEFAULT = new Fallocate();

    final class Fallocate implements SpaceAllocator {
        private static final Logger LOG = LoggerFactory.getLogger(SpaceAllocator.class);
        private static final int O_RDWR = 2;
        private static final int FALLOC_FL_KEEP_SIZE = 1;
        private static final int ENOSPC = 28;
        private static final int EDQUOT = 122;
        private static final int EOPNOTSUPP = 95;
        private static final int ZERO_CHUNK = 64 << 10;

        /** The POSIX binding, or null where fallocate cannot be called (then: zero fill). */
        private volatile PosixAPI posix;

        Fallocate() {
            PosixAPI p = null;
            if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                try {
                    p = PosixAPI.posix();
                    if (p.getClass().getName().contains("NoOp")) {
                        p = null; // no native binding: its fallocate would "succeed" without doing anything
                    }
                } catch (RuntimeException | LinkageError e) {
                    p = null;
                }
            }
            posix = p;
            if (p == null) {
                LOG.info("fallocate(2) unavailable: log segments are allocated by writing zeros ahead of the data");
            }
        }

        @Override
        public boolean allocate(Path file, long offset, long length, boolean extendSize, boolean zeroFillAllowed)
                throws IOException {
            if (length <= 0) {
                return true;
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                PosixAPI p = posix;
                if (p != null) {
                    int fd = p.open(file.toString(), O_RDWR, 0);
                    if (fd < 0) {
                        throw new IOException("cannot open " + file + " to allocate space: " + p.strerror(p.lastError()));
                    }
                    int rc;
                    int errno = 0;
                    try {
                        rc = p.fallocate(fd, extendSize ? 0 : FALLOC_FL_KEEP_SIZE, offset, length);
                        if (rc != 0) {
                            errno = p.lastError();
                        }
                    } finally {
                        p.close(fd);
                    }
                    if (rc == 0) {
                        return true;
                    }
                    if (errno == ENOSPC || errno == EDQUOT) {
                        throw noSpace(file, offset, length, p.strerror(errno), null);
                    }
                    if (errno == EOPNOTSUPP) {
                        LOG.info("the file system of {} does not support fallocate(2): allocating by writing zeros",
                                file);
                        posix = null;
                    } else if (!zeroFillAllowed) {
                        // The binding's errno is not always the call's (a first failure can report a stale one), so
                        // judge by the free space itself.
                        if (Files.getFileStore(file).getUsableSpace() < length) {
                            throw noSpace(file, offset, length, "No space left on device", null);
                        }
                        throw new IOException("fallocate of " + length + " bytes at offset " + offset + " of " + file
                                + " failed: " + p.strerror(errno) + " (errno " + errno + ")");
                    }
                    // Otherwise let the zero fill below find out: Java reports its error reliably.
                }
                if (!zeroFillAllowed) {
                    return false;
                }
                zeroFill(ch, file, offset, length);
                return true;
            }
        }

        private static void zeroFill(FileChannel ch, Path file, long offset, long length) throws IOException {
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ZERO_CHUNK, length));
            long pos = offset;
            long end = offset + length;
            try {
                while (pos < end) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), end - pos));
                    pos += ch.write(zeros, pos);
                }
            } catch (IOException e) {
                if (NoSpaceException.isNoSpace(e)) {
                    throw noSpace(file, offset, length, e.getMessage(), e);
                }
                throw e;
            }
        }

        private static NoSpaceException noSpace(Path file, long offset, long length, String why, Throwable cause) {
            return new NoSpaceException("cannot allocate " + length + " bytes at offset " + offset + " of " + file + ": "
                    + why, file.getParent(), cause);
        }
    }
}
