package dev.satchel.persist.journal;

import static dev.satchel.persist.journal.JournalTesting.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import dev.satchel.persist.journal.JournalTesting.Recorder;
import dev.satchel.persist.journal.JournalTesting.Replayed;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Torn tails, corruption in the middle, and repair, on real segment files. */
class JournalDamageTest {
    private static final TokenFormat FORMAT = TokenFormat.STRING;

    @TempDir
    Path tmp;

    /** A journal of {@code segments} segments of {@code perSegment} records; file offsets of every record. */
    private record Journal(Path dir, List<String> calls, List<long[]> offsets) {
        Path segment(int i) {
            return dir.resolve(JournalFormat.segmentName(i + 1));
        }
    }

    private Journal write(String name, int segments, int perSegment) throws Exception {
        Path dir = tmp.resolve(name);
        JournalDirectory d = new JournalDirectory(dir);
        d.recover();
        JournalWriter w = JournalWriter.open(d, FORMAT, 1, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC),
                Runnable::run);
        Recorder expect = new Recorder();
        List<long[]> offsets = new ArrayList<>();
        for (int s = 0; s < segments; s++) {
            if (s > 0) {
                w.rotate();
            }
            long segmentStart = w.position();
            long[] starts = new long[perSegment + 1];
            for (int i = 0; i < perSegment; i++) {
                starts[i] = JournalFormat.HEADER_BYTES + w.position() - segmentStart;
                byte[] e = entry("key-" + s + "-" + i, "{\"n\":" + i + ",\"pad\":\"" + "p".repeat(i % 13) + "\"}");
                if (i % 5 == 4) {
                    w.beginGroup();
                    w.sessionPut(s + 1, i + 1, e);
                    w.deadlineMoved(s + 1, i + 1, 1_800_000_000_000L + i);
                    w.endGroup();
                    expect.sessionPut(s + 1, i + 1, e);
                    expect.deadlineMoved(s + 1, i + 1, 1_800_000_000_000L + i);
                } else {
                    w.sessionPut(s + 1, i + 1, e);
                    expect.sessionPut(s + 1, i + 1, e);
                }
            }
            starts[perSegment] = JournalFormat.HEADER_BYTES + w.position() - segmentStart;
            offsets.add(starts);
        }
        w.flush();
        assertThat(w.close(30_000)).isTrue();
        return new Journal(dir, expect.calls, offsets);
    }

    /** The calls of the records before record {@code upTo} of the last segment. */
    private static List<String> callsBefore(Journal j, int segment, int record) {
        int n = 0;
        for (int s = 0; s < segment; s++) {
            n += callsOf(j.offsets.get(s).length - 1);
        }
        n += callsOf(record);
        return j.calls.subList(0, n);
    }

    private static int callsOf(int records) {
        return records + records / 5; // every fifth record is a group of two changes
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void truncate(Path f, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static void flip(Path f, long offset) throws IOException {
        byte[] b = Files.readAllBytes(f);
        b[(int) offset] ^= 0x5A;
        Files.write(f, b);
    }

    @Test
    void aTornLastRecordIsDroppedAtEveryCutOffset() throws Exception {
        Journal j = write("source", 2, 10);
        long[] last = j.offsets.get(1);
        long start = last[9];
        long end = last[10];
        assertThat(Files.size(j.segment(1))).isEqualTo(end);
        List<String> before = callsBefore(j, 1, 9);
        for (long cut = start; cut < end; cut++) {
            Path copy = tmp.resolve("cut-" + cut);
            copyDir(j.dir, copy);
            Path seg = copy.resolve(j.segment(1).getFileName());
            truncate(seg, cut);

            Replayed readOnly = JournalTesting.replay(copy, FORMAT, JournalReader.Mode.READ_ONLY);
            assertThat(readOnly.calls()).as("cut at %d", cut).containsExactlyElementsOf(before);
            boolean torn = cut > start;
            assertThat(readOnly.result().tornFile()).isEqualTo(torn ? seg : null);
            assertThat(readOnly.result().tornOffset()).isEqualTo(torn ? start : -1);
            assertThat(Files.size(seg)).isEqualTo(cut);

            Replayed recovered = JournalTesting.replay(copy, FORMAT, JournalReader.Mode.RECOVER);
            assertThat(recovered.calls()).containsExactlyElementsOf(before);
            assertThat(Files.size(seg)).as("truncated at the torn record").isEqualTo(start);
            assertThat(recovered.result().nextSegmentSeq()).isEqualTo(3);

            Replayed again = JournalTesting.replay(copy, FORMAT, JournalReader.Mode.RECOVER);
            assertThat(again.calls()).containsExactlyElementsOf(before);
            assertThat(again.result().tornFile()).isNull();
        }
    }

    @Test
    void aLastRecordWhoseChecksumFailsAtTheEndOfTheFileIsTorn() throws Exception {
        Journal j = write("j", 1, 10);
        long[] o = j.offsets.get(0);
        flip(j.segment(0), o[10] - 1); // the last byte of the last record
        Replayed r = JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.calls()).containsExactlyElementsOf(callsBefore(j, 0, 9));
        assertThat(r.result().tornOffset()).isEqualTo(o[9]);
        assertThat(Files.size(j.segment(0))).isEqualTo(o[9]);
    }

    @Test
    void aZeroFilledTailIsTorn() throws Exception {
        Journal j = write("j", 1, 10);
        Files.write(j.segment(0), new byte[4096], StandardOpenOption.APPEND);
        Replayed r = JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.calls()).containsExactlyElementsOf(j.calls);
        assertThat(r.result().tornOffset()).isEqualTo(j.offsets.get(0)[10]);
        assertThat(Files.size(j.segment(0))).isEqualTo(j.offsets.get(0)[10]);
    }

    @Test
    void aRecordDamagedInTheMiddleStopsTheStartNamingFileAndOffset() throws Exception {
        Journal j = write("j", 2, 10);
        long[] o = j.offsets.get(1);
        flip(j.segment(1), o[4] + 12); // inside record 4's payload; records 5..9 follow intact
        for (JournalReader.Mode mode : new JournalReader.Mode[] {JournalReader.Mode.READ_ONLY,
            JournalReader.Mode.RECOVER}) {
            assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, mode))
                    .isInstanceOfSatisfying(JournalCorruptException.class, e -> {
                        assertThat(e.file()).isEqualTo(j.segment(1));
                        assertThat(e.offset()).isEqualTo(o[4]);
                    })
                    .hasMessage("journal file " + j.segment(1) + " is corrupt at offset " + o[4]
                            + ": record checksum mismatch");
        }
        assertThat(Files.size(j.segment(1))).isEqualTo(o[10]); // nothing was changed
    }

    @Test
    void aDamagedLengthInTheMiddleIsCorruptNotTorn() throws Exception {
        Journal j = write("j", 1, 10);
        long[] o = j.offsets.get(0);
        byte[] b = Files.readAllBytes(j.segment(0));
        JournalFormat.putInt(b, (int) o[3], 0x7FFFFFF0); // claims more than the file holds
        Files.write(j.segment(0), b);
        assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER))
                .isInstanceOfSatisfying(JournalCorruptException.class,
                        e -> assertThat(e.offset()).isEqualTo(o[3]))
                .hasMessageContaining("invalid record length");
        JournalFormat.putInt(b, (int) o[3], 0);
        Files.write(j.segment(0), b);
        assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER))
                .isInstanceOfSatisfying(JournalCorruptException.class,
                        e -> assertThat(e.offset()).isEqualTo(o[3]));
    }

    @Test
    void aSegmentThatIsNotTheLastCannotBeTorn() throws Exception {
        Journal j = write("j", 3, 6);
        long[] o = j.offsets.get(1);
        truncate(j.segment(1), o[6] - 3); // segment 2 of 3 lost its last bytes
        assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER))
                .isInstanceOfSatisfying(JournalCorruptException.class, e -> {
                    assertThat(e.file()).isEqualTo(j.segment(1));
                    assertThat(e.offset()).isEqualTo(o[5]);
                })
                .hasMessageContaining("the file ends inside a record");
    }

    @Test
    void aRecordWithAGoodChecksumButABadPayloadIsCorruptEvenAtTheEnd() throws Exception {
        Journal j = write("j", 1, 3);
        long[] o = j.offsets.get(0);
        byte[] b = Files.readAllBytes(j.segment(0));
        int r = (int) o[2];
        b[r + 8] = 99; // unknown type
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        int length = JournalFormat.getInt(b, r);
        crc.update(b, r, 4);
        crc.update(b, r + 8, length);
        JournalFormat.putInt(b, r + 4, (int) crc.getValue());
        Files.write(j.segment(0), b);
        assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER))
                .isInstanceOfSatisfying(JournalCorruptException.class, e -> assertThat(e.offset()).isEqualTo(r))
                .hasMessageEndingWith("malformed type 99 record: unknown record type 99");
    }

    @Test
    void aGroupIsAppliedAllOrNothing() throws Exception {
        Journal j = write("j", 1, 5); // record 4 is a group of a put and a deadline move
        long[] o = j.offsets.get(0);
        truncate(j.segment(0), o[5] - 1);
        Replayed r = JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.calls()).containsExactlyElementsOf(j.calls.subList(0, 4));
        assertThat(r.calls()).noneMatch(c -> c.startsWith("deadline"));
    }

    @Test
    void repairKeepsACopyTruncatesAndSetsLaterSegmentsAside() throws Exception {
        Journal j = write("j", 3, 8);
        long[] o = j.offsets.get(1);
        flip(j.segment(1), o[3] + 20);
        byte[] original = Files.readAllBytes(j.segment(1));
        byte[] third = Files.readAllBytes(j.segment(2));

        JournalDirectory d = new JournalDirectory(j.dir);
        Recorder r = new Recorder();
        JournalReader.Result result = JournalReader.replay(d, d.recover(), FORMAT, r, JournalReader.Mode.REPAIR,
                () -> 1_765_000_000_000L);
        assertThat(r.calls).containsExactlyElementsOf(callsBefore(j, 1, 3));
        assertThat(result.repairedFile()).isEqualTo(j.segment(1));
        assertThat(result.repairedOffset()).isEqualTo(o[3]);
        assertThat(result.nextSegmentSeq()).isEqualTo(3);
        Path copy = j.dir.resolve(j.segment(1).getFileName() + ".corrupt-20251206T054640Z");
        Path thirdAside = j.dir.resolve(j.segment(2).getFileName() + ".corrupt-20251206T054640Z");
        assertThat(result.setAside()).containsExactly(copy, thirdAside);
        assertThat(Files.readAllBytes(copy)).isEqualTo(original);
        assertThat(Files.readAllBytes(thirdAside)).isEqualTo(third);
        assertThat(Files.exists(j.segment(2))).isFalse();
        assertThat(Files.readAllBytes(j.segment(1))).isEqualTo(Arrays.copyOf(original, (int) o[3]));

        // the next start finds a clean journal, and a writer continues it with segment 3
        Replayed again = JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(again.calls()).containsExactlyElementsOf(callsBefore(j, 1, 3));
        assertThat(again.result().nextSegmentSeq()).isEqualTo(3);
        JournalWriter w = JournalWriter.open(d, FORMAT, again.result().nextSegmentSeq(),
                JournalWriter.Options.defaults(JournalPolicy.EVERYSEC), Runnable::run);
        w.kvCleared();
        w.flush();
        w.close();
        Replayed continued = JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(continued.calls()).endsWith("kvcleared").hasSize(callsBefore(j, 1, 3).size() + 1);
    }

    @Test
    void repairOfADamagedHeaderDeletesTheSegment() throws Exception {
        Journal j = write("j", 2, 4);
        flip(j.segment(1), 14); // inside the header's segment number
        assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER))
                .isInstanceOfSatisfying(JournalCorruptException.class, e -> assertThat(e.offset()).isZero())
                .hasMessageContaining("header checksum mismatch");
        Replayed r = JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.REPAIR);
        assertThat(r.calls()).containsExactlyElementsOf(callsBefore(j, 1, 0));
        assertThat(r.result().nextSegmentSeq()).isEqualTo(2);
        assertThat(Files.exists(j.segment(1))).isFalse();
        assertThat(r.result().setAside()).hasSize(1);
    }

    @Test
    void aLastSegmentWithAnIncompleteHeaderIsDeleted() throws Exception {
        Journal j = write("j", 2, 4);
        for (int size : new int[] {0, 5, 31}) {
            Path copy = tmp.resolve("header-" + size);
            copyDir(j.dir, copy);
            Path seg = copy.resolve(j.segment(1).getFileName());
            truncate(seg, size);
            Replayed r = JournalTesting.replay(copy, FORMAT, JournalReader.Mode.RECOVER);
            assertThat(r.calls()).containsExactlyElementsOf(callsBefore(j, 1, 0));
            assertThat(r.result().nextSegmentSeq()).isEqualTo(2);
            assertThat(Files.exists(seg)).isFalse();
        }
        Path zeros = tmp.resolve("zeros");
        copyDir(j.dir, zeros);
        Files.write(zeros.resolve(j.segment(1).getFileName()), new byte[4096]);
        Replayed r = JournalTesting.replay(zeros, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.calls()).containsExactlyElementsOf(callsBefore(j, 1, 0));
        assertThat(r.result().nextSegmentSeq()).isEqualTo(2);
    }

    @Test
    void notAJournalFile() throws Exception {
        Journal j = write("j", 1, 2);
        Files.write(j.segment(0), "hello, this is not a journal at all".getBytes());
        assertThatThrownBy(() -> JournalTesting.replay(j.dir, FORMAT, JournalReader.Mode.RECOVER))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessage("journal file " + j.segment(0) + " is corrupt at offset 0: not a Satchel journal file"
                        + " (wrong magic bytes)");
    }
}
