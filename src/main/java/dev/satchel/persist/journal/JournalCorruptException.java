package dev.satchel.persist.journal;

import java.nio.file.Path;

/**
 * A damaged record that is not a torn tail: valid records follow it, or it is in a segment that was closed
 * (fsynced) before a later one was created. The message is one line naming the file and the byte offset
 * where the damaged record starts; {@link JournalReader.Mode#REPAIR} truncates the file there (after
 * copying it aside).
 */
public final class JournalCorruptException extends JournalException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long offset;

    JournalCorruptException(Path file, long offset, String reason) {
        super("journal file " + file + " is corrupt at offset " + offset + ": " + reason);
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    /** Offset of the first byte of the damaged record (or of the header, 0). */
    public long offset() {
        return offset;
    }
}
