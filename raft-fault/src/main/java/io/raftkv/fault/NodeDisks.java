package io.raftkv.fault;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Each node's data directory on a small file system of its own, so that the nemesis can fill one node's disk
 * and stall it: an ext4 image of {@code sizeMiB} on a loop device, mounted at {@code dataDir/<id>} before the node
 * starts.
 *
 * <ul>
 *   <li>{@link #fill}: a ballast file takes the space ({@code fallocate}, then zeros up to the last page), leaving
 *       a chosen number of bytes free (0: completely full);</li>
 *   <li>{@link #free}: the ballast is deleted;</li>
 *   <li>{@link #freeze}/{@link #thaw}: {@code fsfreeze -f/-u}: every write to the file system (a page fault on a
 *       mapped page included) blocks until the thaw, as on a hung device; reads of cached data go on. A thread
 *       blocked in a page fault of a Chronicle mapping cannot reach a safepoint, so the node's whole JVM stops at
 *       its next one: the node is silent, not even {@code /status} answers;</li>
 *   <li>{@link #stallSyncs}/{@link #releaseSyncs}: only the node's log syncs hang (kv-server's test-only switch),
 *       the precise "fsync does not return" case.</li>
 * </ul>
 * Root only (mount, losetup, fsfreeze): {@link #create} returns empty, with one line saying why, anywhere else,
 * and the run goes on without the disk nemesis. Images are formatted with {@code -m 0} (no blocks reserved for
 * root, which the servers run as: "full" means full for them too). A frozen file system is always thawed, by
 * {@link #close} or, if the harness dies, by a JVM shutdown hook: a process writing to it could not even be
 * killed otherwise.
 */
public final class NodeDisks implements AutoCloseable {
    private static final String BALLAST = "ballast.nemesis";

    private final Path dataDir;
    private final Map<String, Path> mounts = new LinkedHashMap<>();
    private final Map<String, String> loops = new LinkedHashMap<>();
    private final Map<String, Path> images = new LinkedHashMap<>();
    private final Set<String> frozen = ConcurrentHashMap.newKeySet();
    private final Thread thawOnExit = new Thread(this::thawAll, "raft-fault-thaw");
    private final Consumer<String> log;

    private NodeDisks(Path dataDir, Consumer<String> log) {
        this.dataDir = dataDir;
        this.log = log;
    }

    /**
     * The JVM flag that lets {@link #stallSyncs} hang a node's log syncs (kv-server's test-only
     * {@code raftkv.fault.syncStallFile}); {@code {id}} is replaced per node by {@link ServerProcesses}.
     */
    public static String syncStallJvmArg(Path dataDir) {
        return "-Draftkv.fault.syncStallFile=" + dataDir.resolve("{id}.sync-stall");
    }

    /**
     * Makes and mounts one file system per node at {@code dataDir/<id>}.
     *
     * @return empty (after logging why) if this machine cannot (not root, no loop devices, no ext4)
     */
    public static Optional<NodeDisks> create(Path dataDir, Path imageDir, List<String> ids, int sizeMiB,
                                             Consumer<String> log) throws InterruptedException {
        NodeDisks disks = new NodeDisks(dataDir, log);
        try {
            if (!"root".equals(System.getProperty("user.name"))) {
                throw new IOException("not running as root");
            }
            Files.createDirectories(imageDir);
            for (String id : ids) {
                Path image = imageDir.resolve(id + ".ext4");
                Files.deleteIfExists(image);
                disks.images.put(id, image);
                run("truncate", "-s", sizeMiB + "M", image.toString());
                run("mkfs.ext4", "-q", "-F", "-m", "0", image.toString());
                String loop = run("losetup", "-f", "--show", image.toString()).trim();
                disks.loops.put(id, loop);
                Path mount = dataDir.resolve(id);
                Files.createDirectories(mount);
                run("mount", loop, mount.toString());
                disks.mounts.put(id, mount);
            }
            Runtime.getRuntime().addShutdownHook(disks.thawOnExit);
            log.accept("disks: each node's data on its own " + sizeMiB + " MiB ext4 (loop device)");
            return Optional.of(disks);
        } catch (IOException e) {
            disks.unmountAll();
            log.accept("disk nemesis unavailable (" + e.getMessage() + "): running WITHOUT it");
            return Optional.empty();
        }
    }

    public Path mount(String id) {
        return mounts.get(id);
    }

    /** Bytes the node's file system has free for an ordinary process. */
    public long usable(String id) throws IOException {
        return Files.getFileStore(mounts.get(id)).getUsableSpace();
    }

    /** A ballast file takes all but {@code leaveBytes} of the node's free space (0: every last page). */
    public void fill(String id, long leaveBytes) throws IOException, InterruptedException {
        Path ballast = mounts.get(id).resolve(BALLAST);
        long bulk = usable(id) - leaveBytes - (1 << 20);
        if (bulk > 0) {
            try {
                run("fallocate", "-l", Long.toString(bulk), ballast.toString()); // instant: no data written
            } catch (IOException e) {
                log.accept("fallocate failed (" + e.getMessage() + "): filling with zeros");
            }
        }
        ByteBuffer zeros = ByteBuffer.allocate(64 << 10);
        try (FileChannel ch = FileChannel.open(ballast, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            while (usable(id) > leaveBytes) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), Math.max(4096, usable(id) - leaveBytes)));
                ch.write(zeros);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }

    /**
     * Deletes the ballast and waits (up to 10 s) until the file system reports the space free again: ext4 may
     * release an unlinked file's blocks only at its next journal commit, and a node restarted in that window would
     * find its disk still full and refuse to open its log — a fault the run never meant to inject.
     */
    public void free(String id) throws IOException {
        Path ballast = mounts.get(id).resolve(BALLAST);
        long held = Files.exists(ballast) ? Files.size(ballast) : 0;
        long before = usable(id);
        Files.deleteIfExists(ballast);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (held > 0 && usable(id) < before + held * 9 / 10 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
    }

    /** {@code fsfreeze -f}: writes to the node's disk block until {@link #thaw}. */
    public void freeze(String id) throws IOException, InterruptedException {
        if (frozen.add(id)) {
            run("fsfreeze", "-f", mounts.get(id).toString());
        }
    }

    public void thaw(String id) throws IOException, InterruptedException {
        if (frozen.remove(id)) {
            run("fsfreeze", "-u", mounts.get(id).toString());
        }
    }

    /**
     * The node's log syncs hang (and nothing else: its memory-mapped writes and the rest of the JVM go on) until
     * {@link #releaseSyncs}; needs {@link #syncStallJvmArg} on the node's command line.
     */
    public void stallSyncs(String id) throws IOException {
        Files.writeString(dataDir.resolve(id + ".sync-stall"), "stalled by the nemesis\n");
    }

    public void releaseSyncs(String id) throws IOException {
        Files.deleteIfExists(dataDir.resolve(id + ".sync-stall"));
    }

    /** Thaws every frozen disk and deletes every ballast (the end of a run, before its checks). */
    public void healAll() throws IOException, InterruptedException {
        for (String id : new ArrayList<>(frozen)) {
            thaw(id);
        }
        for (String id : mounts.keySet()) {
            releaseSyncs(id);
            free(id);
        }
    }

    private void thawAll() {
        for (String id : new ArrayList<>(frozen)) {
            try {
                thaw(id);
            } catch (IOException | InterruptedException e) {
                System.err.println("could not thaw " + mounts.get(id) + ": " + e);
            }
        }
    }

    /** Thaws, then unmounts and detaches every disk (the servers must be stopped first) and deletes the images. */
    @Override
    public void close() {
        thawAll();
        unmountAll();
        try {
            Runtime.getRuntime().removeShutdownHook(thawOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private void unmountAll() {
        for (Path mount : mounts.values()) {
            quietly("umount", "-l", mount.toString());
        }
        for (String loop : loops.values()) {
            quietly("losetup", "-d", loop);
        }
        for (Path image : images.values()) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException e) {
                log.accept("could not delete " + image + ": " + e);
            }
        }
        mounts.clear();
        loops.clear();
        images.clear();
    }

    private void quietly(String... cmd) {
        try {
            run(cmd);
        } catch (IOException | InterruptedException e) {
            log.accept("cleanup: " + String.join(" ", cmd) + ": " + e.getMessage());
        }
    }

    /** Runs a command, returns its output; fails with its output if it fails or takes over 60 s. */
    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out.trim());
        }
        return out;
    }
}
