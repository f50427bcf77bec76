package dev.satchel.persist.journal;

import dev.satchel.persist.DatasetStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal directory ({@code <persist.path>/journal}): base snapshots and journal segments.
 *
 * <pre>
 * base-0000000000000000007/          a complete base: the state at the start of segment 7
 *     sessions.sat  keys.sat         (dataset files, written by the existing dataset writer)
 * base-0000000000000000009.part/     a base being written (or left by a crash): never read
 * journal-0000000000000000007.log    segments: records in order, numbered consecutively
 * journal-0000000000000000008.log
 * </pre>
 *
 * <p>Rules that make every step crash-safe: a base numbered K holds the state after every record in segments
 * below K, so a start restores the newest complete base K and replays segments K, K+1, ... (all of them if
 * there is no base: then segments start at 1). A base is published by one atomic rename of its fully
 * fsynced {@code .part} directory, followed by a sync of this directory; only then are segments below K and
 * older bases deleted, so a crash at any point leaves either the old base with all the segments it needs, or
 * the new one (garbage left by an interrupted clean-up is removed by the next start or compaction).
 * Segments are created by the journal thread only after the previous one is complete and fsynced, so only
 * the last segment can end in a torn record.
 *
 * <p>Threads: {@link #recover} runs once at start, before the writer opens. The writer's journal thread
 * calls {@link #segmentPath} and {@link #segmentOpened}; a persistence thread calls {@link #beginBase} and
 * {@link #publishBase}. One server per directory.
 */
public final class JournalDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(JournalDirectory.class);
    static final Pattern SEGMENT = Pattern.compile("journal-(\\d{19})\\.log");
    static final Pattern BASE = Pattern.compile("base-(\\d{19})");
    static final Pattern BASE_PART = Pattern.compile("base-(\\d{19})\\.part");
    /** The session dataset file inside a base directory. */
    public static final String BASE_SESSIONS = "sessions.sat";
    /** The key-space dataset file inside a base directory. */
    public static final String BASE_KEYS = "keys.sat";

    private final Path path;
    private final JournalIo io;
    /** The segment the journal thread writes, 0 before it opened one. */
    private volatile long openSegment;

    public JournalDirectory(Path path, JournalIo io) {
        this.path = path;
        this.io = io;
    }

    public JournalDirectory(Path path) {
        this(path, JournalIo.SYSTEM);
    }

    public Path path() {
        return path;
    }

    public Path segmentPath(long seq) {
        return path.resolve(JournalFormat.segmentName(seq));
    }

    public Path basePath(long seq) {
        return path.resolve(JournalFormat.baseName(seq));
    }

    void segmentOpened(long seq) {
        openSegment = seq;
    }

    /**
     * Waits (polling every millisecond, up to {@code timeoutMillis}) until the journal thread has opened segment
     * {@code seq} or a later one; returns whether it has. A base published after this deletes every segment
     * below it; one published before may have to leave the segment still being written for the next
     * compaction or start. Persistence thread.
     */
    public boolean awaitSegmentOpened(long seq, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (openSegment < seq) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** One segment file to replay. */
    public record Segment(long seq, Path file, long size) {
    }

    /**
     * What a start restores: the newest complete base (null if none) and the segments after it, in order.
     *
     * @param baseSeq 0 without a base
     */
    public record Plan(long baseSeq, Path base, List<Segment> segments) {
        /** Bytes in the segments: the journal's size for the compaction threshold. */
        public long segmentBytes() {
            long n = 0;
            for (Segment s : segments) {
                n += s.size();
            }
            return n;
        }

        /** Where the writer starts when the replay changes nothing: after the last segment. */
        public long nextSeq() {
            return segments.isEmpty() ? Math.max(1, baseSeq) : segments.get(segments.size() - 1).seq() + 1;
        }
    }

    /**
     * Creates the directory if needed, chooses the newest complete base and the segments after it, and
     * deletes what no start will read again: unfinished bases ({@code .part}), older bases, and segments
     * below the chosen base. Fails with a one-line {@link JournalException} when segments after the base are
     * not consecutive.
     */
    public Plan recover() throws IOException {
        createDirectory(path);
        TreeMap<Long, Path> bases = new TreeMap<>();
        TreeMap<Long, Path> segments = new TreeMap<>();
        List<Path> parts = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                Matcher m;
                if ((m = SEGMENT.matcher(name)).matches() && Files.isRegularFile(f)) {
                    segments.put(Long.parseLong(m.group(1)), f);
                } else if ((m = BASE.matcher(name)).matches() && Files.isDirectory(f)) {
                    bases.put(Long.parseLong(m.group(1)), f);
                } else if (BASE_PART.matcher(name).matches()) {
                    parts.add(f);
                }
            }
        }
        for (Path p : parts) {
            LOG.info("deleting {}, a base snapshot left unfinished by a crash", p);
            deleteTree(p);
        }
        long baseSeq = bases.isEmpty() ? 0 : bases.lastKey();
        for (var e : bases.headMap(baseSeq, false).entrySet()) {
            LOG.info("deleting {}, replaced by base {}", e.getValue(), baseSeq);
            deleteTree(e.getValue());
        }
        for (var e : segments.headMap(baseSeq, false).entrySet()) {
            LOG.info("deleting {}, contained in base {}", e.getValue(), baseSeq);
            Files.deleteIfExists(e.getValue());
        }
        List<Segment> plan = new ArrayList<>();
        long expected = Math.max(1, baseSeq);
        for (var e : segments.tailMap(baseSeq, true).entrySet()) {
            if (e.getKey() != expected) {
                throw new JournalException("journal segment " + path.resolve(JournalFormat.segmentName(expected))
                        + " is missing (" + (baseSeq == 0 ? "there is no base snapshot, so segments start at 1"
                        : "segments after base " + baseSeq + " must be numbered consecutively from "
                        + baseSeq) + ", found " + e.getValue().getFileName() + ")");
            }
            plan.add(new Segment(e.getKey(), e.getValue(), Files.size(e.getValue())));
            expected++;
        }
        if (!parts.isEmpty() || bases.size() > 1 || !segments.headMap(baseSeq, false).isEmpty()) {
            io.syncDirectory(path);
        }
        return new Plan(baseSeq, baseSeq == 0 ? null : bases.get(baseSeq), Collections.unmodifiableList(plan));
    }

    /**
     * Creates the empty {@code .part} directory of base {@code seq} (removing one left by a crash) and returns
     * it. The caller writes {@link #BASE_SESSIONS} and {@link #BASE_KEYS} into it, then calls
     * {@link #publishBase}. Persistence thread.
     *
     * @param seq the number {@link JournalWriter#rotate()} returned at the instant of the snapshot
     */
    public Path beginBase(long seq) throws IOException {
        Path part = path.resolve(JournalFormat.baseName(seq) + ".part");
        if (Files.exists(part)) {
            deleteTree(part);
        }
        Files.createDirectory(part);
        return part;
    }

    /** Deletes the {@code .part} directory of base {@code seq} (its writing failed). Persistence thread. */
    public void abandonBase(long seq) throws IOException {
        deleteTree(path.resolve(JournalFormat.baseName(seq) + ".part"));
    }

    /**
     * Publishes base {@code seq}: fsyncs every file in its {@code .part} directory and the directory itself,
     * renames it to {@code base-<seq>} atomically, syncs the journal directory, then deletes older bases and
     * the segments below {@code seq} that the journal thread no longer writes (a segment still open is left
     * for the next compaction or start). Persistence thread.
     */
    public void publishBase(long seq) throws IOException {
        Path part = path.resolve(JournalFormat.baseName(seq) + ".part");
        Path target = basePath(seq);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(part)) {
            for (Path f : files) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    ch.force(true);
                }
            }
        }
        io.syncDirectory(part);
        io.move(part, target);
        io.syncDirectory(path);
        // the new base is durable: what it replaces may go
        long open = openSegment;
        long limit = open == 0 ? seq : Math.min(seq, open);
        List<Path> garbage = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                Matcher m;
                if ((m = BASE.matcher(name)).matches() && Long.parseLong(m.group(1)) < seq) {
                    garbage.add(f);
                } else if ((m = SEGMENT.matcher(name)).matches() && Long.parseLong(m.group(1)) < limit) {
                    garbage.add(f);
                }
            }
        }
        Collections.sort(garbage); // bases before segments, oldest first
        for (Path f : garbage) {
            try {
                if (Files.isDirectory(f)) {
                    try (DirectoryStream<Path> inside = Files.newDirectoryStream(f)) {
                        for (Path x : inside) {
                            io.delete(x);
                        }
                    }
                }
                io.delete(f);
            } catch (IOException e) {
                LOG.warn("could not delete {}: {}", f, DatasetStore.describe(e));
            }
        }
        io.syncDirectory(path);
    }

    private void createDirectory(Path dir) throws IOException {
        DatasetStore.createDirectory(dir, io::syncDirectory);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        if (!Files.isDirectory(p)) {
            Files.deleteIfExists(p);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
