package io.raftkv.core.session;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The session table's section of a {@link SessionStateMachine} snapshot. The wrapper's snapshot is this section
 * followed by the inner state machine's own snapshot stream, unchanged:
 * <pre>
 * magic "RKSN" (4) | version (1) | body length (4, big-endian) | body | CRC32C (4, big-endian) of all before it
 * body: clusterTime | session count | per session (in expiry order):
 *         id | timeoutMillis | lastActive | ackedBelow | floor | answer count | per answer: seq | length | bytes
 * then: the inner state machine's snapshot
 * </pre>
 * Integers in the body are unsigned varints in shortest form. The section is read whole and verified before the
 * inner snapshot is read, and its length is known, so the inner stream starts exactly where the section ends.
 *
 * <p>A stream that does not begin with the magic is a snapshot written before sessions existed (just the inner
 * machine's): it restores with an empty table, so upgrading a cluster does not strand its snapshots.
 */
final class SessionSnapshotFormat {
    static final byte[] MAGIC = {'R', 'K', 'S', 'N'};
    static final int VERSION = 1;
    /** A section claiming more than this is corrupt (the default caps keep it far below: 64 MiB of answers). */
    static final int MAX_BODY_BYTES = Integer.MAX_VALUE - 64;

    private SessionSnapshotFormat() {
    }

    static void write(SessionTable.Image image, OutputStream out) throws IOException {
        SessionBytes.Writer body = new SessionBytes.Writer(64 + image.sessions().size() * 16);
        body.varLong(image.clusterTime()).varLong(image.sessions().size());
        for (SessionTable.SessionImage s : image.sessions()) {
            body.varLong(s.id()).varLong(s.timeoutMillis()).varLong(s.lastActive()).varLong(s.ackedBelow())
                    .varLong(s.floor()).varLong(s.seqs().length);
            for (int i = 0; i < s.seqs().length; i++) {
                body.varLong(s.seqs()[i]).lengthPrefixed(s.answers()[i]);
            }
        }
        byte[] bytes = body.toByteArray();
        byte[] header = new byte[9];
        System.arraycopy(MAGIC, 0, header, 0, 4);
        header[4] = (byte) VERSION;
        putInt(header, 5, bytes.length);
        CRC32C crc = new CRC32C();
        crc.update(header);
        crc.update(bytes);
        out.write(header);
        // In 16 KiB steps: the snapshot writer yields its CPU between writes (StateMachine.Snapshot#writeTo).
        for (int off = 0; off < bytes.length; off += 16 * 1024) {
            out.write(bytes, off, Math.min(16 * 1024, bytes.length - off));
        }
        byte[] trailer = new byte[4];
        putInt(trailer, 0, (int) crc.getValue());
        out.write(trailer);
    }

    /** What {@link #read} found: the image (null for a snapshot without a session section) and the inner stream. */
    record Read(SessionTable.Image image, InputStream inner) {
    }

    /**
     * Reads and verifies the section; the returned stream continues with the inner snapshot.
     *
     * @throws IOException if the section is truncated, fails its checksum or does not decode
     */
    static Read read(InputStream in) throws IOException {
        PushbackInputStream pin = new PushbackInputStream(in, MAGIC.length);
        byte[] magic = pin.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) {
            pin.unread(magic);
            return new Read(null, pin);
        }
        int version = pin.read();
        if (version != VERSION) {
            throw new IOException(version < 0 ? "session snapshot truncated after its magic"
                    : "unsupported session snapshot version " + version + " (this build reads " + VERSION + ")");
        }
        byte[] len = readFully(pin, 4, "section length");
        int length = getInt(len, 0);
        if (length < 0 || length > MAX_BODY_BYTES) {
            throw new IOException("corrupt session snapshot: section length " + Integer.toUnsignedString(length));
        }
        byte[] body = readFully(pin, length, "session table (" + length + " bytes)");
        byte[] trailer = readFully(pin, 4, "checksum");
        CRC32C crc = new CRC32C();
        crc.update(MAGIC);
        crc.update(version);
        crc.update(len);
        crc.update(body);
        int expected = (int) crc.getValue();
        int stored = getInt(trailer, 0);
        if (stored != expected) {
            throw new IOException(String.format("session snapshot is corrupt: CRC32C is %08x, trailer says %08x",
                    expected, stored));
        }
        try {
            return new Read(decode(body), pin);
        } catch (SessionFormatException e) {
            // The checksum matched, so this is a writer bug or a deliberate forgery, not a bit flip: say so.
            throw new IOException("session snapshot does not decode: " + e.getMessage(), e);
        }
    }

    private static SessionTable.Image decode(byte[] body) {
        SessionBytes.Reader r = new SessionBytes.Reader(body);
        long clusterTime = r.nonNegative("clusterTime");
        int count = r.count("session count", 6); // a session takes at least 6 bytes (six varints)
        List<SessionTable.SessionImage> sessions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long id = r.nonNegative("session id");
            long timeout = r.nonNegative("timeoutMillis");
            long lastActive = r.nonNegative("lastActive");
            long ackedBelow = r.nonNegative("ackedBelow");
            long floor = r.nonNegative("floor");
            int answers = r.count("answer count", 2); // seq + length at least
            long[] seqs = new long[answers];
            byte[][] values = new byte[answers][];
            for (int k = 0; k < answers; k++) {
                seqs[k] = r.nonNegative("seq");
                values[k] = r.lengthPrefixed("answer");
            }
            sessions.add(new SessionTable.SessionImage(id, timeout, lastActive, ackedBelow, floor, seqs, values));
        }
        r.expectEnd("session table");
        return new SessionTable.Image(clusterTime, sessions);
    }

    private static byte[] readFully(InputStream in, int n, String what) throws IOException {
        // readNBytes grows its buffer as bytes arrive: a corrupt length cannot allocate gigabytes up front.
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("session snapshot truncated while reading the " + what + " (" + b.length
                    + " of " + n + " bytes)");
        }
        return b;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }
}
