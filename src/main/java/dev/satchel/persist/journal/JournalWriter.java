package dev.satchel.persist.journal;

import dev.satchel.json.TokenFormat;
import dev.satchel.persist.DatasetStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends journal records (format in {@link JournalFormat}) on the command loop and writes them to segment
 * files on the {@code satchel-journal} thread.
 *
 * <h2>Threads</h2>
 * <ul>
 * <li><b>Loop side</b> (the one thread that owns the data, and only it): the record methods
 * ({@link #sessionCreated}, {@link #sessionPut}, ..., {@link #beginGroup}/{@link #endGroup}), {@link #flush},
 * {@link #rotate}, {@link #position}, {@link #whenDurable}. They encode into byte arrays of
 * {@code chunkBytes} (<i>chunks</i>) linked into a chain; {@link #flush} publishes the position up to which
 * records are complete (one volatile write) and the journal thread follows the chain up to it. No system
 * call, lock or allocation per record or per flush: a new chunk is needed every {@code chunkBytes} and comes
 * from a pool the journal thread refills once the chunk is written and fsynced (a record larger than a chunk
 * gets an array of its own). Waking the journal thread ({@code unpark}) happens at most once per flush and
 * only when it sleeps and is needed: with {@code always}, when it idles, or every 4 MiB (else it writes on a
 * timer, {@link Options#DEFAULT_WRITE_DELAY_MILLIS}).</li>
 * <li><b>Any thread</b>: {@link #failed}, {@link #failure}, {@link #durablePosition}, {@link #writtenPosition},
 * {@link #fsyncs}, {@link #close}.</li>
 * <li><b>Journal thread</b>: writes published records in order with positional writes, fsyncs (per policy),
 * rotates segments, retries after errors, and releases {@link #whenDurable} callbacks by running a drain task
 * on the loop's {@link Executor}.</li>
 * </ul>
 *
 * <h2>Positions</h2>
 * A position is a count of record bytes appended since this writer opened (segment headers not counted).
 * After a request's records are appended, {@link #position()} is its mark; {@link #whenDurable} runs an
 * action on the loop once everything up to the mark is fsynced. Actions run in the order of their marks.
 *
 * <h2>Errors</h2>
 * An {@link IOException} from a write, an fsync or creating a segment puts the writer into the failed state
 * ({@link #failed()}, a volatile read: cheap enough to check before every mutating command). Contract with the
 * engine: while failed, mutating commands are refused, so normally nothing is appended. Records that still
 * arrive (expiry outcomes, which cannot be refused, and anything racing with the failure) are kept in memory
 * in order and written when writing succeeds again; {@link #deadlineMoved} is the exception: while failed it
 * records nothing and returns false (the engine keeps its last journalled deadline, see
 * {@link JournalDeadlines}). Every {@code retryIntervalMillis} the journal thread rewrites, at their original
 * offsets, all bytes written since the last successful fsync (an fsync error may have dropped them from the
 * page cache) and fsyncs; once that succeeds the writer resumes where it stopped. No record is lost or written
 * twice: writes are positional, and the queue is advanced only after a write succeeds. {@code always}
 * callbacks wait through the failure and fire once their records are durable.
 */
public final class JournalWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JournalWriter.class);
    /**
     * The loop wakes a sleeping journal thread in {@code everysec} when this much was published since the last
     * wake-up; otherwise the journal thread writes every {@code writeDelayMillis}.
     */
    private static final int WAKE_BYTES = 4 << 20;
    /** Longest park of an idle journal thread. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Chunks kept in the pool. */
    private static final int MAX_POOLED = 64;

    /** Settings; {@link #defaults} gives production values. */
    public record Options(JournalPolicy policy, long fsyncIntervalMillis, long writeDelayMillis,
            long retryIntervalMillis, long segmentBytes, int chunkBytes, LongSupplier nanoClock,
            LongSupplier wallClock, JournalIo io, long maxBacklogBytes) {
        public Options {
            if (policy == JournalPolicy.OFF || policy == null) {
                throw new IllegalArgumentException("a journal writer needs policy everysec or always");
            }
            if (fsyncIntervalMillis < 1 || writeDelayMillis < 1 || retryIntervalMillis < 1 || segmentBytes < 1
                    || chunkBytes < 64 || maxBacklogBytes < 1) {
                throw new IllegalArgumentException("journal options out of range");
            }
        }

        /**
         * fsync at least once a second, write published records within 100 ms or once 4 MiB wait
         * ({@code everysec}), retry after an error every second, rotate segments at 32 MiB, 256 KiB chunks, real
         * clocks and files, and changes refused while more than {@link #DEFAULT_MAX_BACKLOG_BYTES} wait for the
         * disk.
         */
        public static Options defaults(JournalPolicy policy) {
            return new Options(policy, 1000, DEFAULT_WRITE_DELAY_MILLIS, 1000, 32L << 20, 256 << 10, System::nanoTime,
                    System::currentTimeMillis, JournalIo.SYSTEM, DEFAULT_MAX_BACKLOG_BYTES);
        }

        /**
         * {@code everysec}: the journal thread writes what was published at most this long ago (or sooner, once
         * {@code WAKE_BYTES} wait). Each wake-up costs a context switch, a write call and, on the core the loop
         * runs on, cache; writing 10 times a second instead of 100 halved the journal thread's CPU per record
         * (docs/performance.md, "Journal"), while a process crash still loses at most this long of acknowledged
         * writes, well inside everysec's second.
         */
        public static final long DEFAULT_WRITE_DELAY_MILLIS = 100;

        /** Backlog (bytes flushed by the loop, not yet written) above which changes are refused: 64 MiB. */
        public static final long DEFAULT_MAX_BACKLOG_BYTES = 64L << 20;

        public Options withMaxBacklogBytes(long v) {
            return new Options(policy, fsyncIntervalMillis, writeDelayMillis, retryIntervalMillis, segmentBytes,
                    chunkBytes, nanoClock, wallClock, io, v);
        }

        public Options withFsyncIntervalMillis(long v) {
            return new Options(policy, v, writeDelayMillis, retryIntervalMillis, segmentBytes, chunkBytes,
                    nanoClock, wallClock, io, maxBacklogBytes);
        }

        public Options withRetryIntervalMillis(long v) {
            return new Options(policy, fsyncIntervalMillis, writeDelayMillis, v, segmentBytes, chunkBytes,
                    nanoClock, wallClock, io, maxBacklogBytes);
        }

        public Options withSegmentBytes(long v) {
            return new Options(policy, fsyncIntervalMillis, writeDelayMillis, retryIntervalMillis, v, chunkBytes,
                    nanoClock, wallClock, io, maxBacklogBytes);
        }

        public Options withChunkBytes(int v) {
            return new Options(policy, fsyncIntervalMillis, writeDelayMillis, retryIntervalMillis, segmentBytes, v,
                    nanoClock, wallClock, io, maxBacklogBytes);
        }

        public Options withNanoClock(LongSupplier v) {
            return new Options(policy, fsyncIntervalMillis, writeDelayMillis, retryIntervalMillis, segmentBytes,
                    chunkBytes, v, wallClock, io, maxBacklogBytes);
        }

        public Options withIo(JournalIo v) {
            return new Options(policy, fsyncIntervalMillis, writeDelayMillis, retryIntervalMillis, segmentBytes,
                    chunkBytes, nanoClock, wallClock, v, maxBacklogBytes);
        }
    }

    /**
     * One array of encoded records in the chain the loop fills and the journal thread follows. While it is the
     * loop's current chunk, {@code next} is null and its records are readable up to the published position;
     * once the loop links {@code next}, {@code length} (written before the link) is final.
     */
    private static final class Chunk {
        final byte[] buf;
        final ByteBuffer wrapped;
        /** Position of buf[0]. */
        long start;
        /** Bytes of complete records in it; final once {@link #next} is set. */
        int length;
        volatile Chunk next;

        Chunk(int size) {
            buf = new byte[size];
            wrapped = ByteBuffer.wrap(buf);
        }
    }

    /** A rotation the loop asked for: segment {@code seq} starts at {@code position}. */
    private record Rotation(long position, long seq) {
    }

    private final JournalDirectory dir;
    private final TokenFormat tokenFormat;
    private final boolean wideTokens;
    private final Options options;
    private final JournalPolicy policy;
    private final Executor loop;
    private final ConcurrentLinkedQueue<Rotation> rotations = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Chunk> pool = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pooled = new AtomicInteger();
    private final Thread thread;

    // ---- loop side ----
    private Chunk cur;
    private byte[] buf;
    private int pos;
    /** Start of the open record (outer or inside a group), -1 if none. */
    private int recStart = -1;
    /** Start of the open group record, -1 if none. */
    private int groupStart = -1;
    /** The open record is a list (put/remove) of this many items so far; -1 when it is not a list. */
    private int recItems = -1;
    /** The open list record holds entries (put) rather than keys (remove). */
    private boolean recEntries;
    private int groupRecords;
    private long loopSeq;
    private long segmentAppended;
    private long publishedSinceWake;
    private boolean overBacklog;
    private final CRC32C crc = new CRC32C();
    private long[] waitMarks = new long[64];
    private Runnable[] waitActions = new Runnable[64];
    private int waitHead;
    private int waitCount;
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;

    // ---- shared ----
    private volatile long highestMark;
    /** Records before this position are complete and may be written (set by {@link #flush}). */
    private volatile long published;
    private volatile long durable;
    private volatile long written;
    private volatile String failure;
    private volatile boolean sleeping;
    private volatile boolean idle;
    private volatile boolean closing;
    private volatile long fsyncCount;
    /** Iterations of the journal thread's loop (tests wait for a few to prove that nothing happened). */
    volatile long turns;

    // ---- journal thread ----
    private JournalIo.Channel channel;
    private long channelSeq;
    /** Position of the first record byte of the open segment (file offset {@link JournalFormat#HEADER_BYTES}). */
    private long segmentStart;
    /** The chunk holding position {@code written}. */
    private Chunk readChunk;
    /** The chunk holding position {@code durable}: where a rewrite after an error starts. */
    private Chunk syncChunk;
    private long unsyncedSince;
    private long failedAt;
    private boolean cleanClose;

    private JournalWriter(JournalDirectory dir, TokenFormat tokenFormat, long firstSeq, Options options,
            Executor loop) {
        this.dir = dir;
        this.tokenFormat = tokenFormat;
        this.wideTokens = tokenFormat == TokenFormat.STRING;
        this.options = options;
        this.policy = options.policy();
        this.loop = loop;
        this.loopSeq = firstSeq;
        this.channelSeq = firstSeq;
        this.cur = new Chunk(options.chunkBytes());
        this.buf = cur.buf;
        this.readChunk = cur;
        this.syncChunk = cur;
        this.thread = new Thread(this::run, "satchel-journal");
        this.thread.setDaemon(true);
    }

    /**
     * Creates segment {@code firstSeq} (header written and fsynced, directory synced) on the calling thread,
     * so that an unusable journal directory fails the start, then starts the journal thread.
     *
     * @param firstSeq {@link JournalReader.Result#nextSegmentSeq()} of the replay
     * @param loop     runs {@link #whenDurable} actions: the command loop's task queue
     */
    public static JournalWriter open(JournalDirectory dir, TokenFormat tokenFormat, long firstSeq, Options options,
            Executor loop) throws IOException {
        if (firstSeq < 1) {
            throw new IllegalArgumentException("segment numbers start at 1");
        }
        java.nio.file.Path first = dir.segmentPath(firstSeq);
        if (java.nio.file.Files.exists(first) && java.nio.file.Files.size(first) > JournalFormat.HEADER_BYTES) {
            throw new JournalException("journal segment " + first + " already holds records: the writer starts"
                    + " after the last segment (JournalReader.Result.nextSegmentSeq)");
        }
        JournalWriter w = new JournalWriter(dir, tokenFormat, firstSeq, options, loop);
        w.openSegment(firstSeq);
        w.thread.start();
        return w;
    }

    public JournalPolicy policy() {
        return policy;
    }

    public TokenFormat tokenFormat() {
        return tokenFormat;
    }

    // =====================================================================================================
    // Loop side: records
    // =====================================================================================================

    /**
     * A session was created.
     *
     * @param flags    {@link JournalFormat#SHARED}, {@link JournalFormat#EXPIRES} and the expiry flags
     *                 ({@link JournalFormat#HAS_NAME} is set from {@code name})
     * @param deadline wall-clock end of its first period (epoch ms, > 0) when it expires
     */
    public void sessionCreated(long hi, long lo, String name, int flags, long durationMillis, long deadline) {
        flags &= ~JournalFormat.HAS_NAME;
        if (name != null) {
            flags |= JournalFormat.HAS_NAME;
        }
        if ((flags & ~JournalFormat.KNOWN_SESSION_FLAGS) != 0) {
            throw new IllegalArgumentException("unknown session flags " + Integer.toHexString(flags));
        }
        boolean expires = (flags & JournalFormat.EXPIRES) != 0;
        if (expires ? durationMillis < 1 || deadline <= 0 : (flags & JournalFormat.EXPIRY_ONLY_FLAGS) != 0) {
            throw new IllegalArgumentException("inconsistent expiry: flags " + flags + ", duration "
                    + durationMillis + ", deadline " + deadline);
        }
        int nameBytes = name == null ? 0 : utf8Length(name);
        begin(JournalFormat.SESSION_CREATED, hi, lo);
        ensure(1);
        buf[pos++] = (byte) flags;
        if (name != null) {
            utf8(name, nameBytes);
        }
        if (expires) {
            ensure(18);
            varint(durationMillis);
            putLong(deadline);
        }
        end();
    }

    public void sessionEnded(long hi, long lo) {
        begin(JournalFormat.SESSION_ENDED, hi, lo);
        end();
    }

    /** A session's data was cleared (by expiry or a command); {@code deadline}: its new one, or 0. */
    public void sessionCleared(long hi, long lo, long deadline) {
        begin(JournalFormat.SESSION_CLEARED, hi, lo);
        ensure(8);
        putLong(Math.max(0, deadline));
        end();
    }

    /**
     * A session's deadline moved (sliding expiry). Not recorded while {@link #failed()}: then this returns
     * false and the caller keeps its last journalled deadline. See {@link JournalDeadlines} for when to call.
     */
    public boolean deadlineMoved(long hi, long lo, long deadline) {
        if (deadline <= 0) {
            throw new IllegalArgumentException("a deadline must be a positive wall-clock instant: " + deadline);
        }
        if (failure != null) {
            return false;
        }
        begin(JournalFormat.DEADLINE_MOVED, hi, lo);
        ensure(8);
        putLong(deadline);
        end();
        return true;
    }

    /** One packed entry (keyLength varint, key, value) put into a session. */
    public void sessionPut(long hi, long lo, byte[] entry) {
        checkEntry(entry);
        beginSessionPut(hi, lo);
        addItem(entry, 0, entry.length);
        endRecord();
    }

    /** Starts one record of entries put into a session: {@link #addItem} each, then {@link #endRecord}. */
    public void beginSessionPut(long hi, long lo) {
        begin(JournalFormat.SESSION_PUT, hi, lo);
        recItems = 0;
        recEntries = true;
    }

    /** One key (canonical form, {@code key[off, off + len)}) removed from a session. */
    public void sessionRemove(long hi, long lo, byte[] key, int off, int len) {
        beginSessionRemove(hi, lo);
        addItem(key, off, len);
        endRecord();
    }

    /** Starts one record of keys removed from a session: {@link #addItem} each, then {@link #endRecord}. */
    public void beginSessionRemove(long hi, long lo) {
        begin(JournalFormat.SESSION_REMOVE, hi, lo);
        recItems = 0;
        recEntries = false;
    }

    /** One packed entry put into the global key space. */
    public void kvPut(byte[] entry) {
        checkEntry(entry);
        beginKvPut();
        addItem(entry, 0, entry.length);
        endRecord();
    }

    public void beginKvPut() {
        begin(JournalFormat.KV_PUT);
        recItems = 0;
        recEntries = true;
    }

    public void kvRemove(byte[] key, int off, int len) {
        beginKvRemove();
        addItem(key, off, len);
        endRecord();
    }

    public void beginKvRemove() {
        begin(JournalFormat.KV_REMOVE);
        recItems = 0;
        recEntries = false;
    }

    public void kvCleared() {
        begin(JournalFormat.KV_CLEARED);
        end();
    }

    /** Every session ended at once (SH_END_ALL): one record, however many sessions there were. */
    public void allSessionsEnded() {
        begin(JournalFormat.ALL_SESSIONS_ENDED);
        end();
    }

    /** Adds an entry (put records) or a key (remove records) to the open list record. */
    public void addItem(byte[] b, int off, int len) {
        if (recItems < 0) {
            throw new IllegalStateException("no put or remove record is open");
        }
        if (len < 0 || off < 0 || off + len > b.length) {
            throw new IndexOutOfBoundsException("item [" + off + ", " + off + len + ") of " + b.length + " bytes");
        }
        if (recEntries && !isEntry(b, off, len)) {
            throw new IllegalArgumentException("not a packed entry (key length, key, at least one value byte)");
        }
        ensure(len + 5);
        varint(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
        recItems++;
    }

    private static void checkEntry(byte[] entry) {
        if (!isEntry(entry, 0, entry.length)) {
            throw new IllegalArgumentException("not a packed entry (key length, key, at least one value byte)");
        }
    }

    /** A packed entry: varint key length, the key, and at least one byte of value (what replay checks). */
    private static boolean isEntry(byte[] b, int off, int len) {
        int keyLength = 0;
        int i = off;
        int end = off + len;
        for (int shift = 0; ; shift += 7) {
            if (i >= end || shift > 28) {
                return false;
            }
            int x = b[i++];
            keyLength |= (x & 0x7F) << shift;
            if (x >= 0) {
                break;
            }
        }
        return keyLength >= 0 && (long) i + keyLength < end;
    }

    /** Ends the open put or remove record; a record without items is dropped. */
    public void endRecord() {
        if (recItems < 0) {
            throw new IllegalStateException("no put or remove record is open");
        }
        int items = recItems;
        recItems = -1;
        if (items == 0) {
            pos = recStart;
            recStart = -1;
            return;
        }
        end();
    }

    /**
     * Starts a group: the records appended until {@link #endGroup} form one record on disk, replayed all or
     * nothing (a request's changes). Groups do not nest. Costs nothing until a record is appended: a group
     * that stays empty (a read) writes nothing, and a group of one record is written as that record (the same
     * replay, 5 bytes less); the group record is formed when its second record begins.
     */
    public void beginGroup() {
        if (groupStart >= 0) {
            throw new IllegalStateException("groups do not nest");
        }
        if (recStart >= 0) {
            throw new IllegalStateException("a journal record is open");
        }
        groupStart = pos;
        groupRecords = 0;
    }

    /** Ends the group; an empty group writes nothing, a group of one record is that record. */
    public void endGroup() {
        if (groupStart < 0 || recStart >= 0) {
            throw new IllegalStateException(groupStart < 0 ? "no group is open" : "a record in the group is open");
        }
        int g = groupStart;
        groupStart = -1;
        int n = groupRecords;
        groupRecords = 0;
        if (n == 0) {
            pos = g;
            return;
        }
        seal(g);
    }

    // =====================================================================================================
    // Loop side: hand-over, rotation, durability
    // =====================================================================================================

    /**
     * The position after the last complete record: a request's mark for {@link #whenDurable}.
     * Outside records and groups only.
     */
    public long position() {
        checkClosedRecord();
        return cur.start + pos;
    }

    /**
     * Publishes what was appended to the journal thread. Call once per loop turn (after each batch): records
     * are written only once published, and {@link #whenDurable} actions wait for it.
     */
    public void flush() {
        checkClosedRecord();
        long p = cur.start + pos;
        long before = published;
        if (p == before) {
            return;
        }
        published = p;
        publishedSinceWake += p - before;
        if (sleeping && (idle || policy == JournalPolicy.ALWAYS || publishedSinceWake >= WAKE_BYTES)) {
            publishedSinceWake = 0;
            LockSupport.unpark(thread);
        }
    }

    /**
     * Ends the current segment: records appended from now on go to a new segment, whose number is returned.
     * Flushes. Compaction calls this at the instant its snapshot is taken: the base written from that
     * snapshot gets the returned number. Also called by the writer itself when a segment passes
     * {@code segmentBytes}.
     */
    public long rotate() {
        flush();
        loopSeq++;
        rotations.offer(new Rotation(published, loopSeq));
        segmentAppended = 0;
        if (sleeping) {
            LockSupport.unpark(thread);
        }
        return loopSeq;
    }

    /** Number of the segment records are appended to now. */
    public long segment() {
        return loopSeq;
    }

    /**
     * Runs {@code action} on the loop once everything up to {@code mark} is durable, in mark order. Runs it at
     * once when that is already so and nothing is waiting ahead of it. The records must have been or be
     * {@link #flush() flushed}.
     */
    public void whenDurable(long mark, Runnable action) {
        if (waitCount == 0 && mark <= durable) {
            action.run();
            return;
        }
        if (waitCount == waitMarks.length) {
            growWaiters();
        }
        int i = (waitHead + waitCount) & (waitMarks.length - 1);
        waitMarks[i] = mark;
        waitActions[i] = action;
        waitCount++;
        if (mark > highestMark) {
            highestMark = mark;
        }
        if (mark <= durable) {
            scheduleDrain();
        }
    }

    /** Actions registered with {@link #whenDurable} and not yet run (loop side). */
    public int waiting() {
        return waitCount;
    }

    private void growWaiters() {
        int n = waitMarks.length;
        long[] m = new long[n * 2];
        Runnable[] a = new Runnable[n * 2];
        for (int k = 0; k < n; k++) {
            int i = (waitHead + k) & (n - 1);
            m[k] = waitMarks[i];
            a[k] = waitActions[i];
        }
        waitMarks = m;
        waitActions = a;
        waitHead = 0;
    }

    private void drain() {
        drainScheduled.set(false);
        long d = durable;
        int mask = waitMarks.length - 1;
        while (waitCount > 0 && waitMarks[waitHead] <= d) {
            Runnable a = waitActions[waitHead];
            waitActions[waitHead] = null;
            waitHead = (waitHead + 1) & mask;
            waitCount--;
            try {
                a.run();
            } catch (RuntimeException e) {
                LOG.error("a journal durability action failed", e);
            }
        }
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            try {
                loop.execute(drainTask);
            } catch (RejectedExecutionException e) {
                drainScheduled.set(false); // the loop is shutting down
            }
        }
    }

    // =====================================================================================================
    // Any thread
    // =====================================================================================================

    /** True while writes fail (see the class comment): mutating commands must be refused. */
    public boolean failed() {
        return failure != null;
    }

    /** Why writes fail, one line, or null. */
    public String failure() {
        return failure;
    }

    /** Everything before this position is on disk (fsynced). */
    public long durablePosition() {
        return durable;
    }

    /** Everything before this position was written (to the page cache at least). */
    public long writtenPosition() {
        return written;
    }

    /**
     * Bytes flushed by the loop but not yet written: grows when the disk is slower than the loop or failing.
     * The engine may refuse mutations above a limit of its choice, as it does while {@link #failed()}.
     */
    public long backlogBytes() {
        return published - written;
    }

    /**
     * Loop side: true while the {@link #backlogBytes() backlog} is above {@code options.maxBacklogBytes()}: the
     * disk does not keep up with the writes, and the engine refuses changes (as while {@link #failed()}) so
     * that memory stays bounded. It becomes true above the limit and false again once the backlog is down to
     * half of it, so that writes do not flap at the edge. Two volatile reads.
     */
    public boolean overBacklog() {
        long b = published - written;
        if (overBacklog) {
            if (b <= options.maxBacklogBytes() / 2) {
                overBacklog = false;
                LOG.info("the journal caught up ({} bytes wait for the disk): changes are accepted again", b);
            }
        } else if (b > options.maxBacklogBytes()) {
            overBacklog = true;
            LOG.warn("{} bytes of journal wait for the disk, more than {}: changes are refused until it catches up",
                    b, options.maxBacklogBytes());
        }
        return overBacklog;
    }

    /** The backlog limit ({@code options.maxBacklogBytes()}). */
    public long maxBacklogBytes() {
        return options.maxBacklogBytes();
    }

    /** fsyncs of segment data so far (not counting segment headers). */
    public long fsyncs() {
        return fsyncCount;
    }

    /**
     * Writes and fsyncs everything published, closes the segment and stops the journal thread. The loop
     * must have made its last {@link #flush()} and append. Waits up to {@code waitMillis} (a failing disk is
     * retried meanwhile). Returns true when everything appended is durable.
     */
    public boolean close(long waitMillis) {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(Math.max(1, waitMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.error("the journal could not be written before shutdown: {}", failure);
            thread.interrupt();
            return false;
        }
        return cleanClose;
    }

    @Override
    public void close() {
        close(30_000);
    }

    // =====================================================================================================
    // Loop side: encoding
    // =====================================================================================================

    private void checkClosedRecord() {
        if (recStart >= 0 || groupStart >= 0) {
            throw new IllegalStateException("a journal record or group is open");
        }
    }

    private void begin(int type) {
        if (recStart >= 0) {
            throw new IllegalStateException("a journal record is open");
        }
        if (groupRecords > 0 && groupStart >= 0) {
            if (groupRecords == 1) {
                wrapGroup();
            }
            ensure(JournalFormat.INNER_OVERHEAD);
            recStart = pos;
            pos += 4;
        } else {
            ensure(JournalFormat.RECORD_OVERHEAD);
            recStart = pos;
            pos += 8;
        }
        buf[pos++] = (byte) type;
    }

    private void end() {
        int r = recStart;
        recStart = -1;
        if (groupStart >= 0) {
            if (groupRecords > 0) {
                JournalFormat.putInt(buf, r, pos - r - 4); // an inner record of the wrapped group
            } // else: the group's first record, in outer layout at groupStart, sealed by endGroup or wrapped
            groupRecords++;
            return;
        }
        seal(r);
    }

    /**
     * The open group's second record begins: the first one, written at {@code groupStart} in the layout of an
     * outer record ({@code length crc type payload}), becomes the group's first inner record: its type and
     * payload move 5 bytes on, making room for the group's type byte and the inner length field
     * ({@code length crc GROUP innerLength type payload}). Length and CRC are filled in by {@link #seal}.
     */
    private void wrapGroup() {
        ensure(JournalFormat.INNER_OVERHEAD);
        int g = groupStart;
        int body = pos - g - 8; // type and payload of the first record
        System.arraycopy(buf, g + 8, buf, g + 8 + JournalFormat.INNER_OVERHEAD, body);
        buf[g + 8] = (byte) JournalFormat.GROUP;
        JournalFormat.putInt(buf, g + 9, body);
        pos += JournalFormat.INNER_OVERHEAD;
    }

    /** Fills in length and CRC of the outer record starting at {@code r} and ending at {@code pos}. */
    private void seal(int r) {
        int length = pos - r - 8;
        if (length > JournalFormat.MAX_RECORD_BYTES) {
            pos = r;
            throw new IllegalArgumentException("a journal record of " + length + " bytes is too large");
        }
        JournalFormat.putInt(buf, r, length);
        crc.reset();
        crc.update(buf, r, 4);
        crc.update(buf, r + 8, length);
        JournalFormat.putInt(buf, r + 4, (int) crc.getValue());
        segmentAppended += pos - r;
        if (segmentAppended >= options.segmentBytes()) {
            rotate();
        }
    }

    /** Makes room for {@code n} more bytes, moving the open record (if any) to a fresh chunk. */
    private void ensure(int n) {
        if (buf.length - pos >= n) {
            return;
        }
        int from = groupStart >= 0 ? groupStart : recStart >= 0 ? recStart : pos;
        int carry = pos - from;
        if ((long) carry + n > JournalFormat.MAX_RECORD_BYTES + 16L) {
            throw new IllegalArgumentException("a journal record is too large");
        }
        Chunk next = takeChunk(carry + n);
        next.start = cur.start + from;
        System.arraycopy(buf, from, next.buf, 0, carry);
        cur.length = from;
        cur.next = next; // publishes the final length; the journal thread recycles the chunk when done
        if (groupStart >= 0) {
            groupStart -= from;
        }
        if (recStart >= 0) {
            recStart -= from;
        }
        cur = next;
        buf = next.buf;
        pos = carry;
    }

    private Chunk takeChunk(int min) {
        int size = options.chunkBytes();
        if (min <= size) {
            Chunk c = pool.poll();
            if (c != null) {
                pooled.decrementAndGet();
                return c;
            }
            return new Chunk(size);
        }
        return new Chunk(Math.max(min, Math.min(JournalFormat.MAX_RECORD_BYTES + 64, 2 * min)));
    }

    /** Journal thread: a chunk it has written, synced and left behind goes back to the loop. */
    private void recycle(Chunk c) {
        c.next = null;
        c.length = 0;
        if (c.buf.length == options.chunkBytes() && pooled.get() < MAX_POOLED) {
            pooled.incrementAndGet();
            pool.offer(c);
        }
    }

    /** Starts a record of a session: the token is checked before anything is written. */
    private void begin(int type, long hi, long lo) {
        if (!wideTokens && hi != 0) {
            throw new IllegalArgumentException("a uint64 token has no high part");
        }
        begin(type);
        ensure(16);
        if (wideTokens) {
            putLong(hi);
        }
        putLong(lo);
    }

    private void putLong(long v) {
        JournalFormat.putLong(buf, pos, v);
        pos += 8;
    }

    /** Unsigned LEB128; the caller has ensured 10 bytes. */
    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    /** UTF-8 length of a valid Unicode string of at most {@link JournalFormat#MAX_NAME_BYTES}. */
    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("a session name with an unpaired surrogate");
            } else {
                n += 3;
            }
        }
        if (n > JournalFormat.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("a session name of " + n + " bytes");
        }
        return n;
    }

    /** varint length and UTF-8 of a string checked by {@link #utf8Length}, without allocating. */
    private void utf8(String s, int n) {
        ensure(n + 5);
        varint(n);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[pos++] = (byte) c;
            } else if (c < 0x800) {
                buf[pos++] = (byte) (0xC0 | (c >> 6));
                buf[pos++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c)) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buf[pos++] = (byte) (0xF0 | (cp >> 18));
                buf[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                buf[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                buf[pos++] = (byte) (0x80 | (cp & 0x3F));
            } else {
                buf[pos++] = (byte) (0xE0 | (c >> 12));
                buf[pos++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[pos++] = (byte) (0x80 | (c & 0x3F));
            }
        }
    }

    // =====================================================================================================
    // Journal thread
    // =====================================================================================================

    private void run() {
        try {
            while (true) {
                long now = options.nanoClock().getAsLong();
                if (failure != null
                        && now - failedAt >= TimeUnit.MILLISECONDS.toNanos(options.retryIntervalMillis())) {
                    recover(now);
                }
                if (failure == null) {
                    writePublished(now);
                }
                if (failure == null) {
                    maybeSync(now);
                }
                if (closing && failure == null && written == published && rotations.isEmpty()
                        && durable == written) {
                    closeChannel();
                    cleanClose = true;
                    return;
                }
                if (Thread.currentThread().isInterrupted()) {
                    return; // close() gave up
                }
                turns++;
                park(now);
            }
        } catch (RuntimeException | Error e) {
            failure = "journal thread died: " + e;
            LOG.error("the journal thread died; the journal is no longer written", e);
        }
    }

    private boolean workWaiting() {
        return published != written || !rotations.isEmpty();
    }

    private void park(long now) {
        long nanos;
        boolean nothing = !workWaiting() && durable == written;
        if (failure != null) {
            nanos = Math.min(TimeUnit.MILLISECONDS.toNanos(options.writeDelayMillis()) * 10,
                    TimeUnit.MILLISECONDS.toNanos(options.retryIntervalMillis()));
        } else if (nothing || policy == JournalPolicy.ALWAYS) {
            nanos = IDLE_PARK_NANOS; // woken by the next flush
        } else {
            long syncIn = durable == written ? Long.MAX_VALUE
                    : TimeUnit.MILLISECONDS.toNanos(options.fsyncIntervalMillis()) - (now - unsyncedSince);
            nanos = Math.max(100_000, Math.min(TimeUnit.MILLISECONDS.toNanos(options.writeDelayMillis()), syncIn));
        }
        idle = failure == null && (nothing || policy == JournalPolicy.ALWAYS);
        sleeping = true;
        if (!closing && (failure != null || !workWaiting())) {
            LockSupport.parkNanos(this, nanos);
        }
        sleeping = false;
        idle = false;
    }

    /** Writes everything published, in order, performing rotations on the way. Stops at the first error. */
    private void writePublished(long now) {
        long target = published;
        try {
            while (true) {
                Rotation r = rotations.peek();
                if (r != null && r.position() == written) {
                    rotateTo(r.seq());
                    rotations.poll();
                    continue;
                }
                long limit = r != null ? Math.min(target, r.position()) : target;
                if (written >= limit) {
                    return;
                }
                writeUpTo(limit, now);
            }
        } catch (IOException e) {
            fail(e, now);
        }
    }

    /** Writes [written, limit) of the chain into the open segment. */
    private void writeUpTo(long limit, long now) throws IOException {
        while (written < limit) {
            Chunk c = readChunk;
            Chunk next = c.next; // read before length: once linked, length is final
            int off = (int) (written - c.start);
            int end = next != null ? c.length : (int) (limit - c.start);
            end = (int) Math.min(end, limit - c.start);
            if (off >= end) {
                if (next == null) {
                    throw new IllegalStateException("published data missing from the chunk chain");
                }
                readChunk = next;
                continue;
            }
            c.wrapped.limit(end).position(off);
            channel.writeFully(c.wrapped, JournalFormat.HEADER_BYTES + written - segmentStart);
            if (durable == written) {
                unsyncedSince = now;
            }
            written = c.start + end;
            if (next != null && end == c.length) {
                readChunk = next;
            }
        }
    }

    private void maybeSync(long now) {
        if (durable == written) {
            return;
        }
        if (policy == JournalPolicy.ALWAYS || closing
                || now - unsyncedSince >= TimeUnit.MILLISECONDS.toNanos(options.fsyncIntervalMillis())) {
            try {
                sync();
            } catch (IOException e) {
                fail(e, now);
            }
        }
    }

    /** fsyncs the open segment: everything written is durable; chunks left behind go back to the pool. */
    private void sync() throws IOException {
        channel.force();
        fsyncCount++;
        if (failure != null) {
            resumed(); // before the durable position moves: a released response never sees the failed state
        }
        long before = durable;
        long w = written;
        durable = w;
        Chunk c = syncChunk;
        while (c != readChunk && c.next != null && c.start + c.length <= w) {
            Chunk n = c.next;
            recycle(c);
            c = n;
        }
        syncChunk = c;
        if (highestMark > before) {
            scheduleDrain();
        }
    }

    private void rotateTo(long seq) throws IOException {
        if (channel != null && channelSeq != seq) {
            if (durable != written) {
                sync(); // a segment is complete on disk before the next one exists
            }
            closeChannel();
            channelSeq = seq;
        }
        if (channel == null) {
            openSegment(seq);
        }
    }

    private void openSegment(long seq) throws IOException {
        channelSeq = seq;
        JournalIo.Channel ch = options.io().create(dir.segmentPath(seq));
        try {
            ch.writeFully(ByteBuffer.wrap(JournalFormat.header(tokenFormat, seq, options.wallClock().getAsLong())), 0);
            ch.force();
            options.io().syncDirectory(dir.path());
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        channel = ch;
        segmentStart = written;
        dir.segmentOpened(seq);
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.warn("closing journal segment {} failed: {}", channelSeq, DatasetStore.describe(e));
            }
            channel = null;
        }
    }

    private void fail(IOException e, long now) {
        failedAt = now;
        String why = DatasetStore.describe(e);
        if (failure == null) {
            failure = "journal write failed: " + why;
            LOG.error("journal write failed, mutating commands are refused until it succeeds again: {}", why);
        } else {
            LOG.debug("journal write still failing: {}", why);
        }
    }

    /**
     * Rewrites, at their offsets, every byte written since the last successful fsync (a failed fsync may have
     * dropped them from the page cache) and fsyncs; on success the writer resumes where it stopped.
     */
    private void recover(long now) {
        try {
            if (channel == null) {
                openSegment(channelSeq); // creating a segment failed: start it afresh
            } else if (durable != written) {
                long at = durable;
                Chunk c = syncChunk;
                while (at < written) {
                    Chunk next = c.next;
                    int off = (int) (at - c.start);
                    int end = (int) Math.min(next != null ? c.length : written - c.start, written - c.start);
                    if (off < end) {
                        ByteBuffer b = c.wrapped.duplicate();
                        b.limit(end).position(off);
                        channel.writeFully(b, JournalFormat.HEADER_BYTES + at - segmentStart);
                        at = c.start + end;
                    }
                    if (at < written) {
                        c = next;
                    }
                }
                sync();
            }
        } catch (IOException e) {
            fail(e, now);
            return;
        }
        if (failure != null) {
            resumed();
        }
    }

    private void resumed() {
        LOG.info("journal writes resumed after: {}", failure);
        failure = null;
    }
}
