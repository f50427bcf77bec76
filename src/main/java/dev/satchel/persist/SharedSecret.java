package dev.satchel.persist;

import dev.satchel.protocol.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The key of the shared-session HMAC ({@code sessions.sharedSecret}) and where it came from. Without a
 * configured secret, a server that persists data keeps one in its data directory, so that shared sessions
 * keep their tokens across restarts: the file {@value #FILE_NAME} in {@code persist.path} is generated once
 * (32 random bytes as 64 hex digits, owner-only permissions, written to a temporary file, fsynced and renamed
 * atomically) and read at every later start. Its content is used exactly as a configured secret would be
 * (its UTF-8 bytes, surrounding white space removed), so copying it into {@code SATCHEL_SHARED_SECRET} gives
 * another server the same shared tokens. Without persistence the secret is random for the run.
 */
public final class SharedSecret {
    /** The secret's file in {@code persist.path}. */
    public static final String FILE_NAME = ".satchel-shared-secret";
    private static final int MAX_FILE_BYTES = 4096;

    /** Where the secret came from. */
    public enum Source {
        /** {@code sessions.sharedSecret} (config file, environment or flag). */
        CONFIGURED("configured"),
        /** Read from the file in {@code persist.path}, written by an earlier start. */
        FILE("file"),
        /** Generated at this start and written to the file in {@code persist.path}. */
        GENERATED("generated"),
        /** Random for this run only (no configured secret, persistence off). */
        RANDOM("random per start");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        /** A short word for the start-up banner. */
        public String label() {
            return label;
        }
    }

    private final byte[] key;
    private final Source source;
    private final Path file;

    private SharedSecret(byte[] key, Source source, Path file) {
        this.key = key;
        this.source = source;
        this.file = file;
    }

    /** The HMAC key. */
    public byte[] key() {
        return key.clone();
    }

    public Source source() {
        return source;
    }

    /** The secret's file, or null when it does not come from one. */
    public Path file() {
        return file;
    }

    /** One line for the log: where the secret came from and what that means for shared tokens. */
    public String describe() {
        return switch (source) {
            case CONFIGURED -> "shared-session secret: sessions.sharedSecret (configured)";
            case FILE -> "shared-session secret: read from " + file + " (kept in persist.path since its first start)";
            case GENERATED -> "shared-session secret: generated and stored in " + file
                    + " (owner-only); later starts with this persist.path reuse it";
            case RANDOM -> "shared-session secret: random for this run (no sessions.sharedSecret, persistence off):"
                    + " shared sessions created now get other tokens after a restart";
        };
    }

    /** A random secret for this run. */
    public static SharedSecret random() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return new SharedSecret(b, Source.RANDOM, null);
    }

    /**
     * The secret a server uses: the configured one if set; else, with persistence enabled, the one kept in
     * {@code dir} (generated there on the first start); else a random one. Throws a {@link PersistException}
     * (status 122) with a one-line message when the file cannot be read or written, or is not a secret.
     */
    public static SharedSecret resolve(String configured, boolean persistEnabled, Path dir) throws PersistException {
        if (!configured.isEmpty()) {
            return new SharedSecret(configured.getBytes(StandardCharsets.UTF_8), Source.CONFIGURED, null);
        }
        if (!persistEnabled) {
            return random();
        }
        Path file = dir.resolve(FILE_NAME);
        try {
            byte[] key = read(file);
            if (key != null) {
                return new SharedSecret(key, Source.FILE, file);
            }
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String text = HexFormat.of().formatHex(raw);
            write(dir, file, (text + "\n").getBytes(StandardCharsets.US_ASCII));
            return new SharedSecret(text.getBytes(StandardCharsets.US_ASCII), Source.GENERATED, file);
        } catch (IOException | SecurityException e) {
            throw new PersistException(Status.SAVE_DIR_WRITE_FAIL, "cannot keep the shared-session secret in " + file
                    + ": " + DatasetStore.describe(e) + " (or set sessions.sharedSecret)", e);
        }
    }

    /** The key in an existing file, or null if there is none. */
    private static byte[] read(Path file) throws IOException, PersistException {
        byte[] bytes;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > MAX_FILE_BYTES) {
                throw bad(file, "it is larger than " + MAX_FILE_BYTES + " bytes");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) ch.size());
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read it all
            }
            bytes = buf.array();
        } catch (NoSuchFileException e) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString().strip();
        } catch (CharacterCodingException e) {
            throw bad(file, "it is not UTF-8 text");
        }
        if (text.isEmpty()) {
            throw bad(file, "it is empty");
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view != null) {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            perms.removeAll(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
            if (!perms.isEmpty()) {
                org.slf4j.LoggerFactory.getLogger(SharedSecret.class).warn("{} is readable or writable by others ({});"
                        + " it holds the shared-session secret: chmod 600 it", file,
                        PosixFilePermissions.toString(view.readAttributes().permissions()));
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static PersistException bad(Path file, String why) {
        return new PersistException(Status.SAVE_DIR_WRITE_FAIL, "the shared-session secret file " + file + " is not"
                + " usable: " + why + " (restore it from a backup, set sessions.sharedSecret, or delete it to"
                + " generate a new secret: shared sessions then get new tokens)");
    }

    /** Temporary file (owner-only from its creation), fsync, atomic rename, directory fsync. */
    private static void write(Path dir, Path file, byte[] content) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        Files.deleteIfExists(tmp); // left by a start that died while writing it
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
        try {
            try (FileChannel ch = posix
                    ? FileChannel.open(tmp, options, PosixFilePermissions.asFileAttribute(
                            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)))
                    : FileChannel.open(tmp, options)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        DatasetStore.syncDirectory(dir);
    }
}
