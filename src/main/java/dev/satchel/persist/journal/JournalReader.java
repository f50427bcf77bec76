package dev.satchel.persist.journal;

import dev.satchel.json.TokenFormat;
import dev.satchel.persist.DatasetStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays the segments of a {@link JournalDirectory.Plan} into a {@link JournalVisitor}, verifying every
 * record (length, CRC32C, then the payload's shape) before handing it over. Runs at start, on the thread
 * that restores the data, before the port opens.
 *
 * <h2>Damage</h2>
 * A record that fails its checks at offset {@code o} of segment {@code F} is
 * <ul>
 * <li><b>torn</b> when {@code F} is the last segment and no valid record starts anywhere after {@code o}
 * (the file ends inside the record, the last record's checksum fails at the end of the file, or the rest of
 * the file is zeros or garbage): a crash interrupted the write. It is dropped with a WARN naming file and
 * offset; in {@link Mode#RECOVER} and {@link Mode#REPAIR} the file is truncated at {@code o} so that the next
 * segment can follow it. A last segment whose header is incomplete or all zeros (a crash while it was being
 * created) holds no records and is deleted.</li>
 * <li><b>corrupt</b> otherwise: a valid record follows it, it is in a segment that is not the last (segments
 * are fsynced before the next one is created), or its checksum is right but its payload is malformed.
 * {@link Mode#REPAIR} copies the file to {@code <file>.corrupt-<UTC time>}, truncates it at {@code o}, renames
 * every later segment to {@code <name>.corrupt-<UTC time>} (they would apply after a gap), logs it, and
 * stops the replay there; the other modes throw {@link JournalCorruptException}, whose message is one line
 * naming file and offset.</li>
 * </ul>
 */
public final class JournalReader {
    private static final Logger LOG = LoggerFactory.getLogger(JournalReader.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** What the replay may change on disk. */
    public enum Mode {
        /** Change nothing (inspection, tests): a torn tail is reported, not truncated. */
        READ_ONLY,
        /** Start-up: truncate a torn tail; a corrupt record is an error. */
        RECOVER,
        /** Start-up with {@code --journal-repair}: also truncate at a corrupt record, keeping a copy. */
        REPAIR
    }

    /**
     * What a replay did.
     *
     * @param records        records replayed (a group counts once)
     * @param changes        visitor calls made (a put of 3 entries counts 3)
     * @param bytes          bytes of the records replayed
     * @param nextSegmentSeq where the writer starts: after the last segment kept
     * @param tornFile       the segment whose torn tail was dropped, or null; {@code tornOffset} where
     * @param repairedFile   the segment truncated by {@link Mode#REPAIR}, or null; {@code repairedOffset} where
     * @param setAside       copies and renamed segments left by a repair
     */
    public record Result(long records, long changes, long bytes, long nextSegmentSeq, Path tornFile,
            long tornOffset, Path repairedFile, long repairedOffset, List<Path> setAside) {
    }

    private static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    private final JournalDirectory dir;
    private final TokenFormat format;
    private final boolean wide;
    private final JournalVisitor visitor;
    private final Mode mode;
    private final LongSupplier wallClock;
    private final CRC32C crc = new CRC32C();
    private byte[] buf = new byte[1 << 20];
    private ByteBuffer wrapped = ByteBuffer.wrap(buf);
    private int pos;
    private int lim;
    private long bufStart;
    private FileChannel ch;
    private long records;
    private long changes;
    private long bytes;
    private Path tornFile;
    private long tornOffset = -1;
    private Path repairedFile;
    private long repairedOffset = -1;
    private final List<Path> setAside = new ArrayList<>();

    private JournalReader(JournalDirectory dir, TokenFormat format, JournalVisitor visitor, Mode mode,
            LongSupplier wallClock) {
        this.dir = dir;
        this.format = format;
        this.wide = format == TokenFormat.STRING;
        this.visitor = visitor;
        this.mode = mode;
        this.wallClock = wallClock;
    }

    /** Replays {@code plan}'s segments in order. */
    public static Result replay(JournalDirectory dir, JournalDirectory.Plan plan, TokenFormat format,
            JournalVisitor visitor, Mode mode) throws IOException {
        return replay(dir, plan, format, visitor, mode, System::currentTimeMillis);
    }

    static Result replay(JournalDirectory dir, JournalDirectory.Plan plan, TokenFormat format, JournalVisitor visitor,
            Mode mode, LongSupplier wallClock) throws IOException {
        return new JournalReader(dir, format, visitor, mode, wallClock).run(plan);
    }

    private Result run(JournalDirectory.Plan plan) throws IOException {
        List<JournalDirectory.Segment> segments = plan.segments();
        long next = plan.nextSeq();
        for (int i = 0; i < segments.size(); i++) {
            JournalDirectory.Segment s = segments.get(i);
            boolean last = i == segments.size() - 1;
            int outcome = segment(s, last, segments.subList(i + 1, segments.size()));
            if (outcome == DELETED) {
                next = s.seq(); // it held nothing: the writer creates it afresh
                break;
            }
            if (outcome == STOPPED) {
                next = s.seq() + 1;
                break;
            }
        }
        return new Result(records, changes, bytes, next, tornFile, tornOffset, repairedFile, repairedOffset,
                List.copyOf(setAside));
    }

    private static final int DONE = 0;
    private static final int STOPPED = 1;
    private static final int DELETED = 2;

    private int segment(JournalDirectory.Segment s, boolean last, List<JournalDirectory.Segment> later)
            throws IOException {
        Path file = s.file();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ch = channel;
            long size = channel.size();
            bufStart = 0;
            pos = 0;
            lim = 0;
            // ---- header ----
            if (!fill(JournalFormat.HEADER_BYTES) || allZero(buf, 0, JournalFormat.HEADER_BYTES)) {
                if (last) {
                    LOG.warn("journal file {} has an incomplete header ({} bytes), left by a crash while it was"
                            + " being created; it holds no records{}", file, size,
                            mode == Mode.READ_ONLY ? "" : " and is deleted");
                    tornFile = file;
                    tornOffset = 0;
                    if (mode != Mode.READ_ONLY) {
                        ch = null;
                        channel.close();
                        Files.deleteIfExists(file);
                        DatasetStore.syncDirectory(dir.path());
                        return DELETED;
                    }
                    return STOPPED;
                }
                return damaged(file, 0, "the file is shorter than its header or its header is zeros", false, later);
            }
            if (!java.util.Arrays.equals(buf, 0, 8, JournalFormat.MAGIC, 0, 8)) {
                return damaged(file, 0, "not a Satchel journal file (wrong magic bytes)", false, later);
            }
            int version = ((buf[8] & 0xFF) << 8) | (buf[9] & 0xFF);
            if (version != JournalFormat.VERSION) {
                throw new JournalException("journal file " + file + " has format version " + version
                        + ", which is not supported (this server reads version " + JournalFormat.VERSION + ")");
            }
            crc.reset();
            crc.update(buf, 0, JournalFormat.HEADER_BYTES - 4);
            if ((int) crc.getValue() != JournalFormat.getInt(buf, JournalFormat.HEADER_BYTES - 4)) {
                return damaged(file, 0, "header checksum mismatch", false, later);
            }
            int tokens = buf[10] & 0xFF;
            if (tokens != JournalFormat.tokenCode(format)) {
                throw new JournalException("journal file " + file + " holds sessions with "
                        + JournalFormat.tokenName(tokens) + " tokens but this server uses " + format.configName()
                        + " tokens (sessions.tokenFormat)");
            }
            if ((buf[11] & 0xFF) != 0) {
                throw new JournalException("journal file " + file + " has unknown header flags "
                        + Integer.toHexString(buf[11] & 0xFF) + " (written by a newer server?)");
            }
            long seq = JournalFormat.getLong(buf, 12);
            if (seq != s.seq()) {
                return damaged(file, 0, "its header says it is segment " + seq, false, later);
            }
            pos = JournalFormat.HEADER_BYTES;
            // ---- records ----
            while (true) {
                long off = bufStart + pos;
                if (off == size) {
                    return DONE;
                }
                if (!fill(8)) {
                    return damaged(file, off, "the file ends inside a record header", last, later);
                }
                int length = JournalFormat.getInt(buf, pos);
                int stored = JournalFormat.getInt(buf, pos + 4);
                if (length < 1 || length > JournalFormat.MAX_RECORD_BYTES) {
                    return damaged(file, off, "invalid record length " + Integer.toUnsignedString(length), last, later);
                }
                if (off + 8 + length > size) {
                    return damaged(file, off, "the file ends inside a record of " + length + " bytes", last, later);
                }
                if (!fill(8 + length)) {
                    throw new IOException("journal file " + file + " shrank while it was read");
                }
                crc.reset();
                crc.update(buf, pos, 4);
                crc.update(buf, pos + 8, length);
                if ((int) crc.getValue() != stored) {
                    return damaged(file, off, "record checksum mismatch", last, later);
                }
                int from = pos + 8;
                int end = from + length;
                try {
                    record(buf, from, end, false, null); // verify all of it first: all or nothing
                } catch (Malformed | RuntimeException e) {
                    return damaged(file, off, "malformed " + typeName(buf[from]) + " record: " + e.getMessage(),
                            false, later);
                }
                try {
                    record(buf, from, end, false, visitor);
                } catch (Malformed e) {
                    throw new IllegalStateException(e);
                }
                records++;
                bytes += 8 + length;
                pos = end;
            }
        } finally {
            ch = null;
        }
    }

    private static String typeName(byte type) {
        int t = type & 0xFF;
        return t >= 1 && t <= JournalFormat.MAX_TYPE ? JournalFormat.TYPE_NAMES[t] : "type " + t;
    }

    /**
     * A bad record at {@code off}: torn (dropped) or corrupt (error, or repaired). {@code mayBeTorn}: the
     * failure is of a kind a torn write produces and the segment is the last.
     */
    private int damaged(Path file, long off, String reason, boolean mayBeTorn, List<JournalDirectory.Segment> later)
            throws IOException {
        long size = ch.size();
        if (mayBeTorn && !validRecordAfter(off, size)) {
            tornFile = file;
            tornOffset = off;
            LOG.warn("journal file {}: dropping a torn record at offset {} ({}; {} bytes to the end of the file),"
                    + " left by a crash mid-write", file, off, reason, size - off);
            if (mode != Mode.READ_ONLY) {
                truncate(file, off);
            }
            return STOPPED;
        }
        JournalCorruptException corrupt = new JournalCorruptException(file, off, reason);
        if (mode != Mode.REPAIR) {
            throw corrupt;
        }
        String stamp = STAMP.format(Instant.ofEpochMilli(wallClock.getAsLong()));
        Path copy = aside(file, stamp);
        Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
        try (FileChannel c = FileChannel.open(copy, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        setAside.add(copy);
        repairedFile = file;
        repairedOffset = off;
        LOG.warn("repairing the journal: {}; copied it to {}", corrupt.getMessage(), copy);
        for (JournalDirectory.Segment s : later) {
            Path moved = aside(s.file(), stamp);
            Files.move(s.file(), moved, StandardCopyOption.ATOMIC_MOVE);
            setAside.add(moved);
            LOG.warn("repairing the journal: {} follows the damaged record and is not replayed; renamed to {}",
                    s.file(), moved);
        }
        if (off == 0) {
            ch = null;
            Files.delete(file);
            DatasetStore.syncDirectory(dir.path());
            LOG.warn("repairing the journal: deleted {} (its header is damaged)", file);
            return DELETED;
        }
        truncate(file, off);
        LOG.warn("repairing the journal: truncated {} at offset {}; records from there on are lost", file, off);
        return STOPPED;
    }

    private static Path aside(Path file, String stamp) {
        Path p = file.resolveSibling(file.getFileName() + ".corrupt-" + stamp);
        for (int i = 1; Files.exists(p); i++) {
            p = file.resolveSibling(file.getFileName() + ".corrupt-" + stamp + "-" + i);
        }
        return p;
    }

    private void truncate(Path file, long off) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.truncate(off);
            c.force(true);
        }
        DatasetStore.syncDirectory(dir.path());
    }

    /** Whether a record with a valid length, type and checksum starts anywhere in (off, size). */
    private boolean validRecordAfter(long off, long size) throws IOException {
        long n = size - off - 1;
        if (n < JournalFormat.RECORD_OVERHEAD) {
            return false;
        }
        if (n > Integer.MAX_VALUE - 64) {
            return true; // cannot be a torn write: call it corrupt
        }
        byte[] rest = new byte[(int) n];
        ByteBuffer bb = ByteBuffer.wrap(rest);
        while (bb.hasRemaining()) {
            if (ch.read(bb, off + 1 + bb.position()) < 0) {
                break;
            }
        }
        CRC32C c = new CRC32C();
        for (int p = 0; p + JournalFormat.RECORD_OVERHEAD <= rest.length; p++) {
            int length = JournalFormat.getInt(rest, p);
            if (length < 1 || length > rest.length - p - 8) {
                continue;
            }
            int type = rest[p + 8] & 0xFF;
            if (type < 1 || type > JournalFormat.MAX_TYPE) {
                continue;
            }
            c.reset();
            c.update(rest, p, 4);
            c.update(rest, p + 8, length);
            if ((int) c.getValue() == JournalFormat.getInt(rest, p + 4)) {
                return true;
            }
        }
        return false;
    }

    // ---- records: verify (v == null) or dispatch ----

    private int rp;

    private void record(byte[] b, int from, int end, boolean inGroup, JournalVisitor v) throws Malformed {
        int type = b[from] & 0xFF;
        rp = from + 1;
        switch (type) {
            case JournalFormat.SESSION_CREATED -> {
                long hi = wide ? i64(b, end) : 0;
                long lo = i64(b, end);
                checkToken(hi, lo);
                int flags = u8(b, end);
                if ((flags & ~JournalFormat.KNOWN_SESSION_FLAGS) != 0) {
                    throw new Malformed("unknown session flags " + Integer.toHexString(flags));
                }
                String name = null;
                if ((flags & JournalFormat.HAS_NAME) != 0) {
                    long n = varint(b, end);
                    if (n > JournalFormat.MAX_NAME_BYTES || n > end - rp) {
                        throw new Malformed("a name of " + n + " bytes");
                    }
                    if (v != null) {
                        name = new String(b, rp, (int) n, StandardCharsets.UTF_8);
                    }
                    rp += (int) n;
                }
                long duration = 0;
                long deadline = 0;
                if ((flags & JournalFormat.EXPIRES) != 0) {
                    duration = varint(b, end);
                    deadline = i64(b, end);
                    if (duration < 1 || deadline <= 0) {
                        throw new Malformed("invalid expiry (" + duration + " ms period, deadline " + deadline + ")");
                    }
                } else if ((flags & JournalFormat.EXPIRY_ONLY_FLAGS) != 0) {
                    throw new Malformed("expiry flags but no expiry");
                }
                atEnd(end);
                if (v != null) {
                    v.sessionCreated(hi, lo, name, flags, duration, deadline);
                    changes++;
                }
            }
            case JournalFormat.SESSION_ENDED -> {
                long hi = wide ? i64(b, end) : 0;
                long lo = i64(b, end);
                checkToken(hi, lo);
                atEnd(end);
                if (v != null) {
                    v.sessionEnded(hi, lo);
                    changes++;
                }
            }
            case JournalFormat.SESSION_CLEARED, JournalFormat.DEADLINE_MOVED -> {
                long hi = wide ? i64(b, end) : 0;
                long lo = i64(b, end);
                checkToken(hi, lo);
                long deadline = i64(b, end);
                if (deadline < 0 || (deadline == 0 && type == JournalFormat.DEADLINE_MOVED)) {
                    throw new Malformed("invalid deadline " + deadline);
                }
                atEnd(end);
                if (v != null) {
                    if (type == JournalFormat.SESSION_CLEARED) {
                        v.sessionCleared(hi, lo, deadline);
                    } else {
                        v.deadlineMoved(hi, lo, deadline);
                    }
                    changes++;
                }
            }
            case JournalFormat.SESSION_PUT, JournalFormat.SESSION_REMOVE, JournalFormat.KV_PUT,
                    JournalFormat.KV_REMOVE -> {
                boolean session = type == JournalFormat.SESSION_PUT || type == JournalFormat.SESSION_REMOVE;
                boolean put = type == JournalFormat.SESSION_PUT || type == JournalFormat.KV_PUT;
                long hi = 0;
                long lo = 0;
                if (session) {
                    hi = wide ? i64(b, end) : 0;
                    lo = i64(b, end);
                    checkToken(hi, lo);
                }
                if (rp >= end) {
                    throw new Malformed("no " + (put ? "entries" : "keys"));
                }
                while (rp < end) {
                    long n = varint(b, end);
                    if (n > end - rp) {
                        throw new Malformed("an item of " + n + " bytes past the end of the record");
                    }
                    int at = rp;
                    int len = (int) n;
                    if (put) {
                        checkEntry(b, at, len);
                    }
                    rp += len;
                    if (v != null) {
                        byte[] item = java.util.Arrays.copyOfRange(b, at, at + len);
                        switch (type) {
                            case JournalFormat.SESSION_PUT -> v.sessionPut(hi, lo, item);
                            case JournalFormat.SESSION_REMOVE -> v.sessionRemove(hi, lo, item);
                            case JournalFormat.KV_PUT -> v.kvPut(item);
                            default -> v.kvRemove(item);
                        }
                        changes++;
                    }
                }
            }
            case JournalFormat.KV_CLEARED -> {
                atEnd(end);
                if (v != null) {
                    v.kvCleared();
                    changes++;
                }
            }
            case JournalFormat.ALL_SESSIONS_ENDED -> {
                atEnd(end);
                if (v != null) {
                    v.allSessionsEnded();
                    changes++;
                }
            }
            case JournalFormat.GROUP -> {
                if (inGroup) {
                    throw new Malformed("a group inside a group");
                }
                int p = rp;
                if (p >= end) {
                    throw new Malformed("an empty group");
                }
                while (p < end) {
                    if (end - p < JournalFormat.INNER_OVERHEAD) {
                        throw new Malformed("an inner record header past the end of the group");
                    }
                    int length = JournalFormat.getInt(b, p);
                    if (length < 1 || length > end - p - 4) {
                        throw new Malformed("an inner record of " + Integer.toUnsignedString(length) + " bytes");
                    }
                    record(b, p + 4, p + 4 + length, true, v);
                    p += 4 + length;
                }
                rp = end;
            }
            default -> throw new Malformed("unknown record type " + type);
        }
    }

    private static void checkToken(long hi, long lo) throws Malformed {
        if (hi == 0 && lo == 0) {
            throw new Malformed("the token 0");
        }
    }

    /** A packed entry: keyLength varint, the key, at least one byte of value. */
    private static void checkEntry(byte[] b, int at, int len) throws Malformed {
        int keyLength = 0;
        int shift = 0;
        int i = at;
        int end = at + len;
        while (true) {
            if (i >= end || shift > 28) {
                throw new Malformed("an entry with a bad key length");
            }
            int x = b[i++];
            keyLength |= (x & 0x7F) << shift;
            shift += 7;
            if (x >= 0) {
                break;
            }
        }
        if (keyLength < 0 || (long) i + keyLength >= end) {
            throw new Malformed("an entry whose key does not fit or that has no value");
        }
    }

    private void atEnd(int end) throws Malformed {
        if (rp != end) {
            throw new Malformed((end - rp) + " unexpected bytes at the end");
        }
    }

    private int u8(byte[] b, int end) throws Malformed {
        if (rp >= end) {
            throw new Malformed("it ends early");
        }
        return b[rp++] & 0xFF;
    }

    private long i64(byte[] b, int end) throws Malformed {
        if (end - rp < 8) {
            throw new Malformed("it ends early");
        }
        long x = JournalFormat.getLong(b, rp);
        rp += 8;
        return x;
    }

    private long varint(byte[] b, int end) throws Malformed {
        long x = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int c = u8(b, end);
            x |= (long) (c & 0x7F) << shift;
            if (c < 0x80) {
                if (x < 0) {
                    throw new Malformed("a number out of range");
                }
                return x;
            }
        }
        throw new Malformed("an overlong number");
    }

    // ---- sequential input ----

    /** Makes {@code need} bytes available at {@code pos}; false at the end of the file. */
    private boolean fill(int need) throws IOException {
        if (lim - pos >= need) {
            return true;
        }
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            bufStart += pos;
            lim -= pos;
            pos = 0;
        }
        if (need > buf.length) {
            byte[] bigger = new byte[(int) Math.min(Integer.MAX_VALUE - 64, Math.max(need, 2L * buf.length))];
            System.arraycopy(buf, 0, bigger, 0, lim);
            buf = bigger;
            wrapped = ByteBuffer.wrap(buf);
        }
        while (lim < need) {
            wrapped.limit(buf.length).position(lim);
            int n = ch.read(wrapped, bufStart + lim);
            if (n < 0) {
                return false;
            }
            lim += n;
        }
        return true;
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
