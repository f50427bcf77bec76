package dev.satchel.persist;

import dev.satchel.json.JsonStrings;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import dev.satchel.store.KeyValues;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads and verifies one dataset file, off the command loop. Nothing is returned unless the whole file
 * verifies: magic, version, header checksum, kind, token format, end marker and body length, then the
 * CRC32C of the whole file, computed while the records are decoded. Any problem is a
 * {@link PersistException} with status 142 and a message that says what is wrong.
 */
final class DatasetReader {
    private static final int BUFFER_BYTES = 1 << 20;
    /** Largest expiry period accepted (the protocol's largest duration, in milliseconds). */
    static final long MAX_DURATION_MILLIS = (Long.MAX_VALUE / 4000) * 1000;

    private final FileChannel channel;
    private final Path file;
    private final String label;
    private final long size;
    /** CRC32C covers [0, crcEnd): everything but the stored checksum. */
    private final long crcEnd;
    private final CRC32C crc = new CRC32C();
    private final byte[] buf = new byte[BUFFER_BYTES];
    private final ByteBuffer wrapped = ByteBuffer.wrap(buf);
    private int pos;
    private int limit;
    /** File offset of buf[0]. */
    private long bufStart;

    private DatasetReader(FileChannel channel, Path file, String label) throws IOException {
        this.channel = channel;
        this.file = file;
        this.label = label;
        this.size = channel.size();
        this.crcEnd = size - 4;
    }

    /**
     * Reads {@code file} of dataset {@code name}.
     *
     * @param expectedKind {@link Format#KIND_SESSIONS}, {@link Format#KIND_KEYS}, or 0 for either
     * @param format       the server's token format (session datasets must match it)
     */
    static Dataset read(FileChannel channel, Path file, String name, int expectedKind, TokenFormat format)
            throws IOException, PersistException {
        return new DatasetReader(channel, file, "dataset '" + name + "' (" + file.getFileName() + ")")
                .read(name, expectedKind, format);
    }

    private PersistException fail(String what) {
        return new PersistException(Status.LOAD_ERROR, label + ": " + what);
    }

    private Dataset read(String name, int expectedKind, TokenFormat format) throws IOException, PersistException {
        // ---- header: checked before anything else is trusted ----
        byte[] h = new byte[Format.HEADER_BYTES];
        int got = readAt(0, h);
        if (got < Format.MAGIC.length || !Arrays.equals(h, 0, Format.MAGIC.length, Format.MAGIC, 0, Format.MAGIC.length)) {
            boolean prefix = got > 0 && got < Format.MAGIC.length && Arrays.equals(h, 0, got, Format.MAGIC, 0, got);
            throw fail(prefix || got == 0 ? "the file is truncated (" + size + " bytes)"
                    : "not a Satchel dataset file (wrong magic bytes)");
        }
        if (got < 10) {
            throw fail("the file is truncated (" + size + " bytes)");
        }
        int version = ((h[8] & 0xFF) << 8) | (h[9] & 0xFF);
        if (version != Format.VERSION) {
            throw fail("format version " + version + " is not supported (this server reads version "
                    + Format.VERSION + ")");
        }
        if (got < Format.HEADER_BYTES) {
            throw fail("the file is truncated (" + size + " bytes, the header alone is " + Format.HEADER_BYTES + ")");
        }
        CRC32C headerCrc = new CRC32C();
        headerCrc.update(h, 0, Format.HEADER_BYTES - 4);
        if ((int) headerCrc.getValue() != getInt(h, Format.HEADER_BYTES - 4)) {
            throw fail("header checksum mismatch: the file is damaged or was altered");
        }
        int kind = h[10] & 0xFF;
        int tokens = h[11] & 0xFF;
        int headerFlags = getInt(h, 12);
        long savedAt = getLong(h, 16);
        long records = getLong(h, 24);
        long keys = getLong(h, 32);
        if (kind != Format.KIND_SESSIONS && kind != Format.KIND_KEYS) {
            throw fail("unknown dataset kind " + kind);
        }
        if (headerFlags != 0) {
            throw fail("unknown header flags " + Integer.toHexString(headerFlags) + " (written by a newer server?)");
        }
        if (expectedKind != 0 && kind != expectedKind) {
            throw new PersistException(Status.LOAD_ERROR, "dataset '" + name + "' holds " + Format.kindName(kind)
                    + ": use " + Format.loadCommand(kind));
        }
        int serverTokens = format == TokenFormat.STRING ? Format.TOKENS_STRING : Format.TOKENS_UINT64;
        if (kind == Format.KIND_SESSIONS && tokens != serverTokens) {
            String saved = tokens == Format.TOKENS_STRING ? "string" : tokens == Format.TOKENS_UINT64 ? "uint64"
                    : "unknown (" + tokens + ")";
            throw new PersistException(Status.LOAD_ERROR, "dataset '" + name + "' holds sessions with " + saved
                    + " tokens but this server uses " + format.configName() + " tokens (sessions.tokenFormat)");
        }
        if (kind == Format.KIND_KEYS && tokens != Format.TOKENS_NONE) {
            throw fail("a key dataset must not name a token format");
        }

        // ---- trailer: a save that did not finish has none ----
        if (size < Format.HEADER_BYTES + Format.TRAILER_BYTES) {
            throw fail("the file is truncated (" + size + " bytes, no end marker)");
        }
        byte[] t = new byte[Format.TRAILER_BYTES];
        readAt(size - Format.TRAILER_BYTES, t);
        if (!Arrays.equals(t, 0, 8, Format.END_MAGIC, 0, 8)) {
            throw fail("the file is truncated or damaged (no end marker)");
        }
        long bodyLength = getLong(t, 8);
        long expectedBody = size - Format.HEADER_BYTES - Format.TRAILER_BYTES;
        if (bodyLength != expectedBody) {
            throw fail(bodyLength > expectedBody ? "the file is truncated (body of " + expectedBody
                    + " bytes, the file says " + bodyLength + ")"
                    : "the file has " + (expectedBody - bodyLength) + " unexpected bytes");
        }
        int storedCrc = getInt(t, 16);
        long minRecord = kind == Format.KIND_SESSIONS ? (tokens == Format.TOKENS_STRING ? 18 : 10) : 3;
        if (records < 0 || keys < 0 || records > Integer.MAX_VALUE - 16 || records > bodyLength / minRecord + 1
                || (kind == Format.KIND_KEYS && keys != records)) {
            checkCrc(storedCrc);
            throw fail("the header's counts do not fit the file (" + records + " records, " + keys + " keys)");
        }

        // ---- body, with the checksum computed on the way ----
        Dataset d = new Dataset(kind, file, savedAt);
        try {
            bufStart = 0;
            pos = 0;
            limit = 0;
            skip(Format.HEADER_BYTES);
            if (kind == Format.KIND_SESSIONS) {
                readSessions(d, (int) records, tokens == Format.TOKENS_STRING);
            } else {
                readKeys(d, (int) records);
            }
            long end = offset();
            if (end != Format.HEADER_BYTES + bodyLength) {
                throw new Corrupt("the records end at byte " + end + " but the body ends at byte "
                        + (Format.HEADER_BYTES + bodyLength));
            }
            if (d.keys != keys) {
                throw new Corrupt("the records hold " + d.keys + " keys, the header says " + keys);
            }
        } catch (Corrupt | EOFException | RuntimeException e) {
            checkCrc(storedCrc); // a damaged file is reported as such, not as a strange record
            throw fail("corrupt record: " + e.getMessage());
        }
        checkCrc(storedCrc);
        return d;
    }

    /** Reads the rest of the checksummed region and compares. */
    private void checkCrc(int stored) throws IOException, PersistException {
        long at = offset();
        if (at < crcEnd) {
            skip(crcEnd - at); // chunks are added to the checksum as they are loaded
        }
        if ((int) crc.getValue() != stored) {
            throw fail("checksum mismatch: the file is damaged or was altered");
        }
    }

    private static final class Corrupt extends Exception {
        private static final long serialVersionUID = 1L;

        Corrupt(String message) {
            super(message, null, false, false);
        }
    }

    private void readSessions(Dataset d, int records, boolean wide) throws IOException, Corrupt {
        d.count = records;
        d.hi = new long[records];
        d.lo = new long[records];
        d.names = new String[records];
        d.flags = new byte[records];
        d.durationMillis = new long[records];
        d.remainingMillis = new long[records];
        d.stores = new KeyValues[records];
        long keys = 0;
        for (int i = 0; i < records; i++) {
            long hi = wide ? i64() : 0;
            long lo = i64();
            if (hi == 0 && lo == 0) {
                throw new Corrupt("session " + i + " has the token 0");
            }
            int flags = u8();
            if ((flags & ~Format.KNOWN_FLAGS) != 0) {
                throw new Corrupt("session " + i + " has unknown flags " + Integer.toHexString(flags));
            }
            String name = null;
            if ((flags & Format.HAS_NAME) != 0) {
                long n = varint();
                if (n > Format.MAX_NAME_BYTES) {
                    throw new Corrupt("session " + i + " has a name of " + n + " bytes");
                }
                byte[] b = new byte[(int) n];
                bytes(b);
                name = JsonStrings.decodeCanonical(b);
            }
            long duration = 0;
            long remaining = 0;
            if ((flags & Format.EXPIRES) != 0) {
                duration = varint();
                remaining = varint();
                if (duration <= 0 || duration > MAX_DURATION_MILLIS || remaining <= 0 || remaining > duration) {
                    throw new Corrupt("session " + i + " has an invalid expiry (" + duration + " ms period, "
                            + remaining + " ms left)");
                }
            } else if ((flags & (Format.DELETE_SESSION | Format.EXTEND_ON_SET_ADD | Format.EXTEND_ON_GET)) != 0) {
                throw new Corrupt("session " + i + " has expiry flags but does not expire");
            }
            long keyCount = varint();
            if (keyCount > remainingBody() / 3) {
                throw new Corrupt("session " + i + " claims " + keyCount + " keys");
            }
            KeyValues store = null;
            if (keyCount > 0) {
                store = new KeyValues();
                for (long k = 0; k < keyCount; k++) {
                    store.put(entry());
                }
                keys += store.size();
            }
            d.hi[i] = hi;
            d.lo[i] = lo;
            d.names[i] = name;
            d.flags[i] = (byte) flags;
            d.durationMillis[i] = duration;
            d.remainingMillis[i] = remaining;
            d.stores[i] = store;
        }
        d.keys = keys;
    }

    private void readKeys(Dataset d, int records) throws IOException, Corrupt {
        d.count = records;
        d.entries = new byte[records][];
        for (int i = 0; i < records; i++) {
            d.entries[i] = entry();
        }
        d.keys = records;
    }

    /** One entry, checked for shape: a key length that fits and a value of at least one byte. */
    private byte[] entry() throws IOException, Corrupt {
        long n = varint();
        if (n < 2 || n > remainingBody()) {
            throw new Corrupt("an entry of " + n + " bytes at byte " + offset());
        }
        byte[] e = new byte[(int) n];
        bytes(e);
        int keyLength = 0;
        int shift = 0;
        int i = 0;
        while (true) {
            if (i >= e.length || shift > 28) {
                throw new Corrupt("an entry with a bad key length at byte " + offset());
            }
            int b = e[i++];
            keyLength |= (b & 0x7F) << shift;
            shift += 7;
            if (b >= 0) {
                break;
            }
        }
        if (keyLength < 0 || (long) i + keyLength >= e.length || Entry.keyOffset(e) != i) {
            throw new Corrupt("an entry whose key does not fit at byte " + offset());
        }
        return e;
    }

    // ---- sequential input over [0, size) with the checksum of [0, crcEnd) ----

    private long offset() {
        return bufStart + pos;
    }

    private long remainingBody() {
        return size - Format.TRAILER_BYTES - offset();
    }

    /** Loads the next chunk of the file; false at the end. */
    private boolean fill() throws IOException {
        if (pos < limit) {
            return true;
        }
        bufStart += limit;
        pos = 0;
        limit = 0;
        if (bufStart >= size) {
            return false;
        }
        wrapped.clear();
        int want = (int) Math.min(buf.length, size - bufStart);
        wrapped.limit(want);
        while (wrapped.hasRemaining()) {
            if (channel.read(wrapped, bufStart + wrapped.position()) < 0) {
                break;
            }
        }
        limit = wrapped.position();
        long crcBytes = Math.min(limit, crcEnd - bufStart);
        if (crcBytes > 0) {
            crc.update(buf, 0, (int) crcBytes);
        }
        return limit > 0;
    }

    private int u8() throws IOException {
        if (pos == limit && !fill()) {
            throw new EOFException("unexpected end of file at byte " + offset());
        }
        return buf[pos++] & 0xFF;
    }

    private long i64() throws IOException {
        if (limit - pos >= 8) {
            long v = getLong(buf, pos);
            pos += 8;
            return v;
        }
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | u8();
        }
        return v;
    }

    private long varint() throws IOException, Corrupt {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8();
            v |= (long) (b & 0x7F) << shift;
            if (b < 0x80) {
                if (v < 0) {
                    throw new Corrupt("a number out of range at byte " + offset());
                }
                return v;
            }
        }
        throw new Corrupt("an overlong number at byte " + offset());
    }

    private void bytes(byte[] dst) throws IOException {
        int at = 0;
        while (at < dst.length) {
            if (pos == limit && !fill()) {
                throw new EOFException("unexpected end of file at byte " + offset());
            }
            int k = Math.min(dst.length - at, limit - pos);
            System.arraycopy(buf, pos, dst, at, k);
            pos += k;
            at += k;
        }
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            if (pos == limit && !fill()) {
                return;
            }
            int k = (int) Math.min(n, limit - pos);
            pos += k;
            n -= k;
        }
    }

    private int readAt(long at, byte[] dst) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(dst);
        while (bb.hasRemaining()) {
            if (channel.read(bb, at + bb.position()) < 0) {
                break;
            }
        }
        return bb.position();
    }

    private static int getInt(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    private static long getLong(byte[] b, int at) {
        return ((long) getInt(b, at) << 32) | (getInt(b, at + 4) & 0xFFFFFFFFL);
    }
}
