package dev.satchel.persist;

import dev.satchel.json.JsonStrings;
import dev.satchel.json.TokenFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Encodes one dataset file (format in {@link Format}) into an open channel through a 1 MiB buffer, keeping
 * the CRC32C of everything written. Runs on a persistence thread, never on the command loop.
 */
final class DatasetWriter {
    private static final int BUFFER_BYTES = 1 << 20;

    private final FileChannel channel;
    private final byte[] buf = new byte[BUFFER_BYTES];
    private final ByteBuffer wrapped = ByteBuffer.wrap(buf);
    private final CRC32C crc = new CRC32C();
    private int n;
    private long flushed;

    DatasetWriter(FileChannel channel) {
        this.channel = channel;
    }

    /** Bytes written so far (flushed or buffered). */
    long position() {
        return flushed + n;
    }

    // ---- whole datasets ----

    /** Writes a session dataset; returns the file size. */
    static long writeSessions(FileChannel channel, SessionSnapshot s, TokenFormat format, long savedAt)
            throws IOException {
        DatasetWriter w = new DatasetWriter(channel);
        w.header(Format.KIND_SESSIONS, format == TokenFormat.STRING ? Format.TOKENS_STRING : Format.TOKENS_UINT64,
                savedAt, s.count, s.keys);
        boolean wide = format == TokenFormat.STRING;
        for (SessionSnapshot.Block b : s.blocks) {
            for (int i = 0; i < b.count; i++) {
                if (wide) {
                    w.i64(b.hi[i]);
                }
                w.i64(b.lo[i]);
                int flags = b.flags[i];
                w.u8(flags);
                if ((flags & Format.HAS_NAME) != 0) {
                    byte[] name = JsonStrings.canonical(b.names[i]);
                    w.varint(name.length);
                    w.bytes(name);
                }
                if ((flags & Format.EXPIRES) != 0) {
                    w.varint(b.durationMillis[i]);
                    w.varint(b.remainingMillis[i]);
                }
                int keyCount = b.keyCounts[i];
                w.varint(keyCount);
                if (keyCount > 0) {
                    int written = w.entries(b.entries[i], b.ends[i]);
                    if (written != keyCount) {
                        throw new IllegalStateException("snapshot of a store changed while saving: " + written
                                + " entries found, " + keyCount + " expected");
                    }
                }
            }
        }
        return w.finish();
    }

    /** Writes a key dataset; returns the file size. */
    static long writeKeys(FileChannel channel, KeySnapshot k, long savedAt) throws IOException {
        DatasetWriter w = new DatasetWriter(channel);
        w.header(Format.KIND_KEYS, Format.TOKENS_NONE, savedAt, k.keyCount(), k.keyCount());
        int written = k.keyCount() == 0 ? 0 : w.entries(k.entries(), k.end());
        if (written != k.keyCount()) {
            throw new IllegalStateException("snapshot of the key space changed while saving: " + written
                    + " entries found, " + k.keyCount() + " expected");
        }
        return w.finish();
    }

    // ---- parts ----

    void header(int kind, int tokenFormat, long savedAt, long records, long keys) throws IOException {
        bytes(Format.MAGIC);
        u16(Format.VERSION);
        u8(kind);
        u8(tokenFormat);
        i32(0);
        i64(savedAt);
        i64(records);
        i64(keys);
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(buf, 0, n); // the header is the first thing written: it is all in the buffer
        i32((int) headerCrc.getValue());
    }

    /** Writes the non-null entries of {@code entries[0, end)}; returns how many. */
    int entries(byte[][] entries, int end) throws IOException {
        int count = 0;
        for (int p = 0; p < end; p++) {
            byte[] e = entries[p];
            if (e != null) {
                varint(e.length);
                bytes(e);
                count++;
            }
        }
        return count;
    }

    /** Writes the trailer, flushes and returns the file size. The caller forces the channel. */
    long finish() throws IOException {
        long bodyLength = position() - Format.HEADER_BYTES;
        bytes(Format.END_MAGIC);
        i64(bodyLength);
        flush();
        long size = flushed + 4;
        int fileCrc = (int) crc.getValue();
        i32(fileCrc);
        writeOut(0, n); // the checksum itself is not part of what it covers
        flushed += n;
        n = 0;
        return size;
    }

    private void flush() throws IOException {
        if (n > 0) {
            crc.update(buf, 0, n);
            writeOut(0, n);
            flushed += n;
            n = 0;
        }
    }

    private void writeOut(int from, int length) throws IOException {
        wrapped.limit(from + length).position(from);
        while (wrapped.hasRemaining()) {
            channel.write(wrapped);
        }
    }

    void u8(int v) throws IOException {
        if (n == buf.length) {
            flush();
        }
        buf[n++] = (byte) v;
    }

    void u16(int v) throws IOException {
        u8(v >>> 8);
        u8(v);
    }

    void i32(int v) throws IOException {
        if (buf.length - n < 4) {
            flush();
        }
        buf[n++] = (byte) (v >>> 24);
        buf[n++] = (byte) (v >>> 16);
        buf[n++] = (byte) (v >>> 8);
        buf[n++] = (byte) v;
    }

    void i64(long v) throws IOException {
        i32((int) (v >>> 32));
        i32((int) v);
    }

    /** Unsigned LEB128. */
    void varint(long v) throws IOException {
        if (buf.length - n < 10) {
            flush();
        }
        while ((v & ~0x7FL) != 0) {
            buf[n++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[n++] = (byte) v;
    }

    void bytes(byte[] b) throws IOException {
        if (b.length <= buf.length - n) {
            System.arraycopy(b, 0, buf, n, b.length);
            n += b.length;
            return;
        }
        flush();
        if (b.length <= buf.length) {
            System.arraycopy(b, 0, buf, 0, b.length);
            n = b.length;
            return;
        }
        crc.update(b, 0, b.length); // a huge value goes straight out
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
            channel.write(bb);
        }
        flushed += b.length;
    }
}
