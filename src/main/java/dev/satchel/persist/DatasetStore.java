package dev.satchel.persist;

import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datasets under {@code persist.path}: dataset {@code N} is the directory {@code <path>/N} holding
 * complete saves {@code save-<seq>.sat} (seq: 19 zero-padded digits, one more than the highest present) and,
 * while a save runs, its temporary file {@code save-<seq>.sat.part}. A save writes and fsyncs the temporary
 * file, renames it atomically to its final name, fsyncs the directory, and only then deletes saves older
 * than the previous one. A load reads the highest-numbered complete save; temporary files are never read
 * and are deleted by the next save of that dataset. Stateless: concurrency is the caller's business (one
 * save at a time per dataset, see {@link Persistence}).
 */
public final class DatasetStore {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetStore.class);
    private static final Pattern SAVE = Pattern.compile("save-(\\d{19})\\.sat");
    private static final Pattern PART = Pattern.compile("save-(\\d{19})\\.sat\\.part");
    /** Complete saves kept per dataset: the newest and the one before it (for manual recovery). */
    static final int KEEP = 2;

    /** Writes the dataset's content into a channel; returns the number of bytes written. */
    interface Encoder {
        long write(FileChannel channel) throws IOException;
    }

    /** A published save. */
    record Saved(Path file, long bytes) {
    }

    private final Path root;

    DatasetStore(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path dir(String name) {
        return root.resolve(name);
    }

    static String fileName(long seq) {
        return String.format("save-%019d.sat", seq);
    }

    /** Creates {@code persist.path} if needed and proves it writable by creating and deleting a file. */
    void checkWritable() throws PersistException {
        try {
            createDirectory(root);
            Path probe = root.resolve(".satchel-write-check-" + ProcessHandle.current().pid());
            Files.deleteIfExists(probe);
            try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
                ch.force(true);
            }
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new PersistException(Status.SAVE_DIR_WRITE_FAIL,
                    "persist.path " + root.toAbsolutePath() + " is not a writable directory: " + describe(e), e);
        }
    }

    /** Syncs a directory (the journal passes its fault-injecting I/O; datasets {@link #syncDirectory}). */
    @FunctionalInterface
    public interface DirectorySync {
        void sync(Path dir) throws IOException;
    }

    /** Creates a directory (and its parents), making a new entry durable by syncing its parent. */
    private static void createDirectory(Path dir) throws IOException {
        createDirectory(dir, DatasetStore::syncDirectory);
    }

    /**
     * Creates a directory (and its parents), making each new entry durable by syncing its parent with
     * {@code sync} (also used by the journal).
     */
    public static void createDirectory(Path dir, DirectorySync sync) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            createDirectory(parent, sync);
        }
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
            return;
        }
        if (parent != null) {
            sync.sync(parent);
        }
    }

    /** Writes a new save of dataset {@code name} all-or-nothing; see the class comment. */
    Saved save(String name, Encoder encoder) throws PersistException {
        Path dir = dir(name);
        List<Long> saves;
        long next = 1;
        try {
            createDirectory(dir);
            saves = new ArrayList<>();
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    String fn = f.getFileName().toString();
                    Matcher m = SAVE.matcher(fn);
                    Matcher p = PART.matcher(fn);
                    if (m.matches()) {
                        long seq = Long.parseLong(m.group(1));
                        saves.add(seq);
                        next = Math.max(next, seq + 1);
                    } else if (p.matches()) {
                        // an interrupted save of this dataset (crash or kill): never loaded, now dropped
                        next = Math.max(next, Long.parseLong(p.group(1)) + 1);
                        LOG.info("deleting {}, left by an interrupted save", f);
                        Files.deleteIfExists(f);
                    }
                }
            }
        } catch (IOException | SecurityException | NumberFormatException e) {
            throw new PersistException(Status.SAVE_DIR_WRITE_FAIL,
                    "cannot write to directory " + dir + ": " + describe(e), e);
        }
        Path part = dir.resolve(fileName(next) + ".part");
        Path target = dir.resolve(fileName(next));
        FileChannel channel;
        try {
            channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException | SecurityException e) {
            throw new PersistException(Status.SAVE_DIR_WRITE_FAIL,
                    "cannot create a file in directory " + dir + ": " + describe(e), e);
        }
        long bytes;
        try {
            try (channel) {
                bytes = encoder.write(channel);
                channel.force(true);
            }
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(part);
            throw new PersistException(Status.SAVE_ERROR, "saving dataset '" + name + "' failed: " + describe(e), e);
        }
        try {
            syncDirectory(dir);
        } catch (IOException e) {
            throw new PersistException(Status.SAVE_ERROR, "dataset '" + name + "' was written to " + target
                    + " but its directory could not be synced: " + describe(e), e);
        }
        // the new save is durable: now older ones may go (the previous one stays for manual recovery)
        saves.sort(java.util.Comparator.reverseOrder());
        for (int i = KEEP - 1; i < saves.size(); i++) {
            deleteQuietly(dir.resolve(fileName(saves.get(i))));
        }
        return new Saved(target, bytes);
    }

    /** The newest complete save of a dataset, or null when there is none. */
    Path newest(String name) throws PersistException {
        Path dir = dir(name);
        long best = -1;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Matcher m = SAVE.matcher(f.getFileName().toString());
                if (m.matches()) {
                    best = Math.max(best, Long.parseLong(m.group(1)));
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
        } catch (IOException | SecurityException | NumberFormatException e) {
            throw new PersistException(Status.LOAD_ERROR, "cannot read directory " + dir + ": " + describe(e), e);
        }
        return best < 0 ? null : dir.resolve(fileName(best));
    }

    /**
     * Reads and verifies the newest complete save of a dataset.
     *
     * @param kind {@link Format#KIND_SESSIONS}, {@link Format#KIND_KEYS} or 0 for either
     */
    Dataset load(String name, int kind, TokenFormat format) throws PersistException {
        for (int attempt = 0; ; attempt++) {
            Path file = newest(name);
            if (file == null) {
                throw new PersistException(Status.LOAD_ERROR, Files.isDirectory(dir(name))
                        ? "dataset '" + name + "' has no complete save in " + dir(name)
                        : "dataset '" + name + "' does not exist in " + root);
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                return DatasetReader.read(ch, file, name, kind, format);
            } catch (NoSuchFileException e) {
                if (attempt < 3) {
                    continue; // removed by a save that finished meanwhile: the newer one is there now
                }
                throw new PersistException(Status.LOAD_ERROR, "cannot read " + file + ": " + describe(e), e);
            } catch (IOException | SecurityException e) {
                throw new PersistException(Status.LOAD_ERROR, "cannot read " + file + ": " + describe(e), e);
            } catch (OutOfMemoryError e) {
                throw new PersistException(Status.LOAD_ERROR, "not enough memory to load " + file, e);
            }
        }
    }

    /** fsyncs a directory so that new, renamed and deleted entries are durable (also used by the journal). */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException | SecurityException e) {
            LOG.warn("could not delete {}: {}", f, describe(e));
        }
    }

    /**
     * An exception as a short reason: the JDK's file exceptions carry only the path as their message (also
     * used by the journal).
     */
    public static String describe(Throwable e) {
        String type = switch (e.getClass().getSimpleName()) {
            case "AccessDeniedException" -> "permission denied";
            case "NoSuchFileException" -> "no such file or directory";
            case "FileAlreadyExistsException" -> "a file of that name exists";
            case "NotDirectoryException" -> "not a directory";
            case "FileSystemException" -> "file system error";
            default -> e.getClass().getSimpleName();
        };
        String m = e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fse) {
            return fse.getReason() != null ? type + " (" + fse.getFile() + ": " + fse.getReason() + ")"
                    : type + " (" + fse.getFile() + ")";
        }
        return m == null ? type : type + ": " + m;
    }
}
