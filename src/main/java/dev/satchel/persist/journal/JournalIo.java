package dev.satchel.persist.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The file operations the journal writes through: the seam where tests inject faults (a full disk, a failing
 * or slow fsync), count fsyncs, or copy the directory at every step of a compaction to restart from each
 * crash state. {@link #SYSTEM} is the real file system. Used by the journal thread ({@link JournalWriter})
 * and by {@link JournalDirectory} when it publishes a base (the rename and the deletions); reads, and the
 * dataset files inside a base, go straight to {@link FileChannel}.
 */
public interface JournalIo {
    /** Opens {@code file} for writing, creating it or truncating an existing one to 0 bytes. */
    Channel create(Path file) throws IOException;

    /** Makes the entries of directory {@code dir} (new, renamed, deleted files) durable. */
    void syncDirectory(Path dir) throws IOException;

    /** Renames {@code from} to {@code to} atomically (a base's {@code .part} directory when it is published). */
    default void move(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes a file or an empty directory if it exists (what a compaction replaces). */
    default void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    /** A file open for writing. */
    interface Channel extends Closeable {
        /** Writes all of {@code src} at {@code position} (positional: a retry rewrites the same bytes). */
        void writeFully(ByteBuffer src, long position) throws IOException;

        /** fsync (data and metadata). */
        void force() throws IOException;
    }

    /** The real file system. */
    JournalIo SYSTEM = new JournalIo() {
        @Override
        public Channel create(Path file) throws IOException {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            return new Channel() {
                @Override
                public void writeFully(ByteBuffer src, long position) throws IOException {
                    long at = position;
                    while (src.hasRemaining()) {
                        at += ch.write(src, at);
                    }
                }

                @Override
                public void force() throws IOException {
                    ch.force(true);
                }

                @Override
                public void close() throws IOException {
                    ch.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            dev.satchel.persist.DatasetStore.syncDirectory(dir);
        }
    };
}
