package dev.satchel.persist;

import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.json.TokenFormat;
import dev.satchel.persist.journal.JournalDirectory;
import dev.satchel.persist.journal.JournalWriter;
import dev.satchel.store.KeyValues;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction of the journal (docs/persistence.md, "Compaction"): when the segments after the base pass
 * {@code persist.journalMaxBytes} and the size of the base itself, a new base is written from a snapshot and
 * the segments it contains are deleted, so that the journal (and the replay at start) stays bounded. (The
 * second condition is Redis's {@code auto-aof-rewrite-percentage 100}: a large dataset is rewritten once its
 * changes have grown as large as it, not after every 64 MiB of them, so a base of 600 MB is not rewritten ten
 * times per 600 MB of writes.)
 *
 * <ol>
 * <li>On the loop, at one instant between two tasks: {@link JournalWriter#rotate()} (records from now on go
 * to segment {@code K}), a copy-on-write freeze of the global key space, and the beginning of the sliced
 * snapshot of every session ({@link DatasetJobs#snapshotAll}: the same machinery as SH_SAVE, slices of at most
 * 5 ms). Base {@code K} therefore holds exactly the state after every record of the segments below {@code K}.</li>
 * <li>On the {@code satchel-compact} thread: {@code base-K.part/sessions.sat} and {@code keys.sat} (dataset
 * files, the existing writer), then {@link JournalDirectory#publishBase}: fsyncs, one atomic rename, and the
 * deletion of the older base and the segments below {@code K}.</li>
 * <li>Back on the loop: the journal's size now counts from {@code K}.</li>
 * </ol>
 * A crash at any step leaves a loadable directory (the old base and all its segments, or the new base and
 * the segments from {@code K}); {@link JournalDirectory#recover} removes what is left over. A compaction that
 * fails (disk full) is logged and retried a minute later; the journal itself goes on meanwhile.
 *
 * <p>Loop thread for everything but the base writing; one compaction at a time.
 */
public final class JournalCompaction implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JournalCompaction.class);
    /** After a failed compaction, the next automatic one waits this long. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Longest wait for the journal thread to open the base's segment before publishing anyway. */
    static final long SEGMENT_WAIT_MILLIS = 10_000;

    /**
     * A published base: its number, what it holds, its size, the time from the snapshot to the published base,
     * and the loop time its snapshot took (in all, and its longest slice: the longest pause it caused).
     */
    public record Compacted(long base, long sessions, long keys, long bytes, long millis, double loopMillis,
            double longestSliceMillis) {
    }

    private final Engine engine;
    private final CommandLoop loop;
    private final JournalWriter writer;
    private final JournalDirectory dir;
    private final TokenFormat format;
    private final long maxBytes;
    private final LongSupplier wallClock;
    private final ExecutorService executor;

    // ---- loop side ----
    /** The journal's size (segments after the base) is {@code writer.position() + sizeOffset}. */
    private long sizeOffset;
    /** Compaction is due when the journal's size reaches this: max(journalMaxBytes, size of the base). */
    private long limit;
    private CompletableFuture<Compacted> running;
    private long retryAt;
    private boolean retryPending;
    private long compactions;

    /**
     * @param startBytes bytes in the segments after the base at start (they count towards the limit)
     * @param baseBytes  size of the base restored at start (0 without one)
     */
    JournalCompaction(Engine engine, CommandLoop loop, JournalWriter writer, JournalDirectory dir,
            TokenFormat format, long maxBytes, long startBytes, long baseBytes, LongSupplier wallClock) {
        this.engine = engine;
        this.loop = loop;
        this.writer = writer;
        this.dir = dir;
        this.format = format;
        this.maxBytes = maxBytes;
        this.wallClock = wallClock;
        this.sizeOffset = startBytes - writer.position();
        this.limit = Math.max(maxBytes, baseBytes);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "satchel-compact");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.executor = pool;
    }

    /** Loop: the journal's size now, bytes in the segments after the base (headers not counted). */
    public long journalBytes() {
        return writer.position() + sizeOffset;
    }

    /** Loop: the journal size at which the next compaction begins: max(journalMaxBytes, the base's size). */
    public long limit() {
        return limit;
    }

    /** Loop: compactions published since start. */
    public long compactions() {
        return compactions;
    }

    /** Loop: true while a compaction runs. */
    public boolean running() {
        return running != null;
    }

    /**
     * Loop, after each turn (the journal's flush): begins a compaction when the journal has reached
     * {@link #limit()}, none runs, the journal can be written, and no failed one is waiting for its retry
     * time. One addition and one comparison when nothing is due.
     */
    void afterTurn() {
        if (running != null || writer.position() + sizeOffset < limit || writer.failed()) {
            return;
        }
        if (retryPending && System.nanoTime() - retryAt < 0) {
            return;
        }
        begin();
    }

    /**
     * Loop: begins a compaction now, whatever the journal's size, unless one runs (then returns that one).
     * Completes once the new base is published (exceptionally if it could not be written).
     */
    public CompletableFuture<Compacted> compact() {
        return running != null ? running : begin();
    }

    private CompletableFuture<Compacted> begin() {
        long t0 = System.nanoTime();
        CompletableFuture<Compacted> done = new CompletableFuture<>();
        running = done;
        long base;
        long mark;
        long savedAt;
        KeySnapshot keys;
        DatasetJobs.SliceTimes times = new DatasetJobs.SliceTimes();
        CompletableFuture<SessionSnapshot> sessions;
        try {
            base = writer.rotate(); // the instant of the snapshot: records from here on go to segment `base`
            mark = writer.position();
            savedAt = wallClock.getAsLong();
            KeyValues global = engine.global();
            keys = global.size() == 0 ? new KeySnapshot(null, 0, 0)
                    : new KeySnapshot(global.freeze(), global.end(), global.size());
            sessions = DatasetJobs.snapshotAll(engine, loop, t0, times);
        } catch (RuntimeException | Error e) {
            failed(done, e);
            throw e;
        }
        sessions.thenApplyAsync(snap -> {
            try {
                return writeBase(base, snap, keys, savedAt, t0, times);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, executor).whenComplete((c, e) -> loop.submit((en, out) -> {
            if (e != null) {
                failed(done, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
            } else {
                sizeOffset = -mark;
                limit = Math.max(maxBytes, c.bytes());
                running = null;
                retryPending = false;
                compactions++;
                LOG.info("journal compacted into base {}: {} sessions, {} keys, {} bytes in {} ms (snapshot: {} ms on"
                        + " the loop in {} slices, longest {} ms); the journal holds {} bytes after it, the next"
                        + " compaction at {}", c.base(), c.sessions(), c.keys(), c.bytes(), c.millis(),
                        String.format("%.1f", times.total / 1e6), times.slices,
                        String.format("%.1f", times.longest / 1e6), journalBytes(), limit);
                done.complete(c);
            }
        }));
        return done;
    }

    /** Loop: a compaction that failed; the next automatic one waits {@link #RETRY_NANOS}. */
    private void failed(CompletableFuture<Compacted> done, Throwable e) {
        running = null;
        retryPending = true;
        retryAt = System.nanoTime() + RETRY_NANOS;
        LOG.warn("journal compaction failed (the journal goes on; retried in {} s): {}",
                TimeUnit.NANOSECONDS.toSeconds(RETRY_NANOS), DatasetStore.describe(e));
        done.completeExceptionally(e);
    }

    /** Compaction thread: writes base {@code seq} from the snapshots and publishes it. */
    private Compacted writeBase(long seq, SessionSnapshot sessions, KeySnapshot keys, long savedAt, long t0,
            DatasetJobs.SliceTimes times) throws IOException {
        Path part = dir.beginBase(seq);
        long bytes;
        try {
            try (FileChannel ch = FileChannel.open(part.resolve(JournalDirectory.BASE_SESSIONS),
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                bytes = DatasetWriter.writeSessions(ch, sessions, format, savedAt);
            }
            try (FileChannel ch = FileChannel.open(part.resolve(JournalDirectory.BASE_KEYS),
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                bytes += DatasetWriter.writeKeys(ch, keys, savedAt);
            }
            // the journal thread moves to segment `seq` once it has written what precedes the rotation; waiting
            // for it lets this compaction delete every segment the base contains (a failing disk may keep it
            // from getting there: then the segment it is stuck on stays for the next compaction or start)
            try {
                dir.awaitSegmentOpened(seq, SEGMENT_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the journal to reach segment " + seq, e);
            }
            dir.publishBase(seq);
        } catch (IOException | RuntimeException e) {
            try {
                dir.abandonBase(seq); // the .part directory, if the rename did not happen
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new Compacted(seq, sessions.count(), sessions.keys() + keys.keyCount(), bytes,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), times.total / 1e6, times.longest / 1e6);
    }

    /** Lets a running base write finish (up to {@code waitSeconds}); after the loop has stopped. */
    public void close(long waitSeconds) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(waitSeconds, TimeUnit.SECONDS)) {
                LOG.warn("a journal compaction was still running after {} s at shutdown; it is abandoned (the next"
                        + " start removes its unfinished base)", waitSeconds);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(120);
    }
}
