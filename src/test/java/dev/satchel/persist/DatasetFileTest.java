package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import dev.satchel.spec.DatasetNames;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file format and the dataset directory, without a server: every way a file can be wrong is refused. */
class DatasetFileTest {
    @TempDir
    Path dir;

    private static byte[] entry(String key, String value) {
        return Entry.of(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    private DatasetStore store() {
        return new DatasetStore(dir);
    }

    private Path saveSessions(String name, TokenFormat format) throws PersistException {
        SessionSnapshot s = new SessionSnapshot();
        byte[][] e = {entry("a", "1"), null, entry("b\\\"q", "{\"x\":[1,2]}")};
        s.add(format == TokenFormat.STRING ? 0x0123456789ABCDEFL : 0, 0xFEDCBA9876543210L, "n\u0000me", Format.SHARED
                | Format.EXPIRES | Format.EXTEND_ON_GET, 60_000, 12_345, e, 3, 2);
        s.add(format == TokenFormat.STRING ? 1 : 0, 2, null, 0, 0, 0, null, 0, 0);
        return store().save(name, ch -> DatasetWriter.writeSessions(ch, s, format, 1_700_000_000_000L)).file();
    }

    private PersistException loadFails(String name, int kind, TokenFormat format) {
        try {
            store().load(name, kind, format);
        } catch (PersistException e) {
            assertThat(e.status()).isEqualTo(Status.LOAD_ERROR);
            return e;
        }
        throw new AssertionError("the load of " + name + " did not fail");
    }

    @Test
    void sessionsRoundTripWithEveryField() throws Exception {
        Path f = saveSessions("s", TokenFormat.STRING);
        assertThat(f.getFileName().toString()).isEqualTo("save-0000000000000000001.sat");
        Dataset d = store().load("s", Format.KIND_SESSIONS, TokenFormat.STRING);
        assertThat(d.holdsSessions()).isTrue();
        assertThat(d.savedAtMillis()).isEqualTo(1_700_000_000_000L);
        assertThat(d.count()).isEqualTo(2);
        assertThat(d.keys()).isEqualTo(2);
        assertThat(d.tokenHi(0)).isEqualTo(0x0123456789ABCDEFL);
        assertThat(d.tokenLo(0)).isEqualTo(0xFEDCBA9876543210L);
        assertThat(d.name(0)).isEqualTo("n\u0000me");
        assertThat(d.flags(0)).isEqualTo(Format.SHARED | Format.EXPIRES | Format.EXTEND_ON_GET | Format.HAS_NAME);
        assertThat(d.durationMillis(0)).isEqualTo(60_000);
        assertThat(d.remainingMillis(0)).isEqualTo(12_345);
        assertThat(d.store(0).size()).isEqualTo(2);
        assertThat(d.store(0).entryAt(0)).isEqualTo(entry("a", "1"));
        assertThat(d.store(0).entryAt(1)).isEqualTo(entry("b\\\"q", "{\"x\":[1,2]}"));
        assertThat(d.name(1)).isNull();
        assertThat(d.store(1)).isNull();
        assertThat(d.flags(1)).isZero();
    }

    @Test
    void uint64SessionsAndKeysRoundTrip() throws Exception {
        saveSessions("u", TokenFormat.UINT64);
        Dataset d = store().load("u", 0, TokenFormat.UINT64);
        assertThat(d.tokenHi(0)).isZero();
        assertThat(d.tokenLo(0)).isEqualTo(0xFEDCBA9876543210L);

        byte[] big = new byte[3 << 20]; // an entry larger than the writer's buffer
        Arrays.fill(big, (byte) 'x');
        big[0] = '"';
        big[big.length - 1] = '"';
        byte[][] e = {entry("k", "1"), entry("big", new String(big, StandardCharsets.US_ASCII)), null};
        store().save("k", ch -> DatasetWriter.writeKeys(ch, new KeySnapshot(e, 3, 2), 5));
        Dataset k = store().load("k", Format.KIND_KEYS, TokenFormat.STRING);
        assertThat(k.holdsSessions()).isFalse();
        assertThat(k.count()).isEqualTo(2);
        assertThat(k.entry(1)).isEqualTo(e[1]);
    }

    @Test
    void emptyDatasetsRoundTrip() throws Exception {
        store().save("e", ch -> DatasetWriter.writeSessions(ch, new SessionSnapshot(), TokenFormat.STRING, 0));
        assertThat(store().load("e", Format.KIND_SESSIONS, TokenFormat.STRING).count()).isZero();
        store().save("k", ch -> DatasetWriter.writeKeys(ch, new KeySnapshot(null, 0, 0), 0));
        assertThat(store().load("k", Format.KIND_KEYS, TokenFormat.STRING).count()).isZero();
        assertThat(Files.size(dir.resolve("k").resolve(DatasetStore.fileName(1))))
                .isEqualTo(Format.HEADER_BYTES + Format.TRAILER_BYTES);
    }

    @Test
    void everyTruncationIsRefused() throws Exception {
        Path f = saveSessions("t", TokenFormat.STRING);
        byte[] good = Files.readAllBytes(f);
        for (int n = 0; n < good.length; n++) {
            Files.write(f, Arrays.copyOf(good, n));
            PersistException e = loadFails("t", 0, TokenFormat.STRING);
            assertThat(e.getMessage()).as("truncated to %d bytes", n).containsAnyOf("truncated", "end marker");
        }
    }

    @Test
    void everySingleBitFlipIsRefused() throws Exception {
        Path f = saveSessions("b", TokenFormat.STRING);
        byte[] good = Files.readAllBytes(f);
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                Files.write(f, bad);
                PersistException e = loadFails("b", 0, TokenFormat.STRING);
                assertThat(e.getMessage()).as("byte %d bit %d", i, bit)
                        .containsAnyOf("checksum", "magic", "version", "truncated", "end marker", "unexpected bytes");
            }
        }
    }

    @Test
    void extraBytesAfterTheEndAreRefused() throws Exception {
        Path f = saveSessions("x", TokenFormat.STRING);
        byte[] good = Files.readAllBytes(f);
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        Files.write(f, longer);
        assertThat(loadFails("x", 0, TokenFormat.STRING).getMessage()).contains("end marker");
    }

    /** Rewrites header fields and fixes the header checksum, as a newer or foreign writer would. */
    private static void patchHeader(Path f, int at, byte... bytes) throws IOException {
        byte[] b = Files.readAllBytes(f);
        System.arraycopy(bytes, 0, b, at, bytes.length);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, Format.HEADER_BYTES - 4);
        ByteBuffer.wrap(b).putInt(Format.HEADER_BYTES - 4, (int) crc.getValue());
        Files.write(f, b);
    }

    @Test
    void unknownVersionWrongMagicAndHeaderDamageSaySo() throws Exception {
        Path f = saveSessions("v", TokenFormat.STRING);
        byte[] good = Files.readAllBytes(f);
        patchHeader(f, 8, (byte) 0, (byte) 2);
        assertThat(loadFails("v", 0, TokenFormat.STRING).getMessage()).contains("format version 2 is not supported");

        Files.write(f, good);
        patchHeader(f, 12, (byte) 0, (byte) 0, (byte) 0, (byte) 1);
        assertThat(loadFails("v", 0, TokenFormat.STRING).getMessage()).contains("unknown header flags");

        byte[] bad = good.clone();
        bad[30] ^= 1; // the record count, without fixing the header checksum
        Files.write(f, bad);
        assertThat(loadFails("v", 0, TokenFormat.STRING).getMessage()).contains("header checksum mismatch");

        bad = good.clone();
        bad[0] = 'X';
        Files.write(f, bad);
        assertThat(loadFails("v", 0, TokenFormat.STRING).getMessage()).contains("not a Satchel dataset file");

        Files.write(f, "{\"json\": true}".getBytes(StandardCharsets.US_ASCII));
        assertThat(loadFails("v", 0, TokenFormat.STRING).getMessage()).contains("not a Satchel dataset file");
    }

    @Test
    void kindAndTokenFormatMustMatch() throws Exception {
        saveSessions("s", TokenFormat.STRING);
        store().save("k", ch -> DatasetWriter.writeKeys(ch, new KeySnapshot(new byte[][] {entry("a", "1")}, 1, 1), 0));
        assertThat(loadFails("s", Format.KIND_KEYS, TokenFormat.STRING).getMessage())
                .isEqualTo("dataset 's' holds sessions: use SH_LOAD");
        assertThat(loadFails("k", Format.KIND_SESSIONS, TokenFormat.STRING).getMessage())
                .isEqualTo("dataset 'k' holds keys: use KV_LOAD");
        assertThat(loadFails("s", 0, TokenFormat.UINT64).getMessage())
                .contains("string tokens").contains("uses uint64 tokens");
        // a key dataset does not depend on the token format
        assertThat(store().load("k", 0, TokenFormat.UINT64).count()).isEqualTo(1);
    }

    @Test
    void aWriteFailureLeavesNoFileAndKeepsTheEarlierSave() throws Exception {
        saveSessions("w", TokenFormat.STRING);
        assertThatThrownBy(() -> store().save("w", ch -> {
            ch.write(ByteBuffer.wrap(new byte[100]));
            throw new IOException("No space left on device");
        })).isInstanceOfSatisfying(PersistException.class, e -> {
            assertThat(e.status()).isEqualTo(Status.SAVE_ERROR);
            assertThat(e.getMessage()).contains("No space left on device");
        });
        try (var files = Files.list(dir.resolve("w"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactly("save-0000000000000000001.sat");
        }
        assertThat(store().load("w", 0, TokenFormat.STRING).count()).isEqualTo(2);
    }

    @Test
    void aDirectoryThatCannotBeWrittenIs122() throws Exception {
        Path file = dir.resolve("file");
        Files.write(file, new byte[] {1});
        DatasetStore blocked = new DatasetStore(file.resolve("sub"));
        assertThatThrownBy(blocked::checkWritable).isInstanceOfSatisfying(PersistException.class,
                e -> assertThat(e.status()).isEqualTo(Status.SAVE_DIR_WRITE_FAIL));
        assertThatThrownBy(() -> blocked.save("x", ch -> 0)).isInstanceOfSatisfying(PersistException.class,
                e -> assertThat(e.status()).isEqualTo(Status.SAVE_DIR_WRITE_FAIL));
        new DatasetStore(dir.resolve("a/b/c")).checkWritable(); // created when missing
        assertThat(dir.resolve("a/b/c")).isDirectory();
        try (var files = Files.list(dir.resolve("a/b/c"))) {
            assertThat(files.toList()).isEmpty(); // the probe file is gone
        }
    }

    @Test
    void datasetNames() {
        for (String ok : new String[] {"a", "sessions-2024-06-01", "v1.2", ".hidden", "a..b", "with space", "\u00e9t\u00e9",
                "\ud83d\ude00", "n".repeat(128), "\u00e9".repeat(64)}) {
            assertThat(DatasetNames.problem(ok)).as(ok).isNull();
        }
        for (String bad : new String[] {"", ".", "..", "a/b", "/", "a\\b", "..\\x", "a\u0000", "a\nb", "\u007f", "\u0085",
                "\ud800", "x\udc00y", "n".repeat(129), "\u00e9".repeat(65)}) {
            assertThat(DatasetNames.problem(bad)).as(bad).isNotNull();
        }
        assertThat(DatasetNames.problem(null)).isNotNull();
    }
}
