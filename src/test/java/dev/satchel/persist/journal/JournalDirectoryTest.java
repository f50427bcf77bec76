package dev.satchel.persist.journal;

import static dev.satchel.persist.journal.JournalTesting.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import dev.satchel.persist.journal.JournalTesting.Replayed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which base and segments a start chooses, and compaction's crash safety: each test leaves the files as a
 * crash at one step would leave them and checks the choice.
 */
class JournalDirectoryTest {
    private static final TokenFormat FORMAT = TokenFormat.STRING;

    @TempDir
    Path tmp;

    private Path dir() {
        return tmp.resolve("persist").resolve("journal");
    }

    /** Segments {@code from..to}, each with one record naming its number, written by a real writer. */
    private void segments(long from, long to) throws Exception {
        JournalDirectory d = new JournalDirectory(dir());
        Files.createDirectories(dir());
        JournalWriter w = JournalWriter.open(d, FORMAT, from, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC),
                Runnable::run);
        for (long s = from; s <= to; s++) {
            if (s > from) {
                w.rotate();
            }
            w.sessionEnded(0, s);
        }
        w.flush();
        assertThat(w.close(30_000)).isTrue();
    }

    private void base(long seq, boolean complete) throws IOException {
        Path b = dir().resolve(JournalFormat.baseName(seq) + (complete ? "" : ".part"));
        Files.createDirectories(b);
        Files.writeString(b.resolve(JournalDirectory.BASE_SESSIONS), "sessions of base " + seq);
        Files.writeString(b.resolve(JournalDirectory.BASE_KEYS), "keys of base " + seq);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir())) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<Long> seqs(JournalDirectory.Plan plan) {
        return plan.segments().stream().map(JournalDirectory.Segment::seq).toList();
    }

    @Test
    void aNewDirectoryIsCreatedAndStartsAtSegmentOne() throws Exception {
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(Files.isDirectory(dir())).isTrue();
        assertThat(plan.base()).isNull();
        assertThat(plan.baseSeq()).isZero();
        assertThat(plan.segments()).isEmpty();
        assertThat(plan.nextSeq()).isEqualTo(1);
    }

    @Test
    void withoutABaseEverySegmentIsReplayed() throws Exception {
        segments(1, 3);
        Replayed r = JournalTesting.replay(dir(), FORMAT, JournalReader.Mode.RECOVER);
        assertThat(seqs(r.plan())).containsExactly(1L, 2L, 3L);
        assertThat(r.calls()).containsExactly("ended 0:1", "ended 0:2", "ended 0:3");
        assertThat(r.plan().segmentBytes()).isEqualTo(3 * (JournalFormat.HEADER_BYTES + 9 + 16));
        assertThat(r.result().nextSegmentSeq()).isEqualTo(4);
    }

    @Test
    void crashWhileWritingABase() throws Exception {
        // compaction rotated to 5 and was writing base 5 when the process died
        base(3, true);
        segments(3, 6);
        base(5, false);
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(plan.baseSeq()).isEqualTo(3);
        assertThat(plan.base()).isEqualTo(dir().resolve("base-0000000000000000003"));
        assertThat(seqs(plan)).containsExactly(3L, 4L, 5L, 6L);
        assertThat(files()).doesNotContain("base-0000000000000000005.part");
    }

    @Test
    void crashAfterTheBaseWasPublishedBeforeTheCleanUp() throws Exception {
        base(3, true);
        segments(3, 6);
        base(5, true);
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(plan.baseSeq()).isEqualTo(5);
        assertThat(seqs(plan)).containsExactly(5L, 6L);
        assertThat(files()).containsExactly("base-0000000000000000005", "journal-0000000000000000005.log",
                "journal-0000000000000000006.log");
        assertThat(Files.readString(plan.base().resolve(JournalDirectory.BASE_KEYS))).isEqualTo("keys of base 5");
    }

    @Test
    void crashInTheMiddleOfTheCleanUp() throws Exception {
        base(5, true);
        segments(4, 6); // segment 4 was not deleted yet; base 3 already was
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(plan.baseSeq()).isEqualTo(5);
        assertThat(seqs(plan)).containsExactly(5L, 6L);
        assertThat(files()).doesNotContain("journal-0000000000000000004.log");
    }

    @Test
    void aBaseWithoutSegmentsStartsTheWriterAtItsNumber() throws Exception {
        base(8, true);
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(plan.segments()).isEmpty();
        assertThat(plan.nextSeq()).isEqualTo(8);
    }

    @Test
    void aMissingSegmentStopsTheStart() throws Exception {
        base(3, true);
        segments(3, 6);
        Files.delete(dir().resolve("journal-0000000000000000005.log"));
        assertThatThrownBy(() -> new JournalDirectory(dir()).recover())
                .isInstanceOf(JournalException.class)
                .hasMessage("journal segment " + dir().resolve("journal-0000000000000000005.log") + " is missing"
                        + " (segments after base 3 must be numbered consecutively from 3, found"
                        + " journal-0000000000000000006.log)");
        Files.delete(dir().resolve("base-0000000000000000003/keys.sat"));
        Files.delete(dir().resolve("base-0000000000000000003/sessions.sat"));
        Files.delete(dir().resolve("base-0000000000000000003"));
        assertThatThrownBy(() -> new JournalDirectory(dir()).recover())
                .isInstanceOf(JournalException.class)
                .hasMessageContaining("journal-0000000000000000001.log is missing (there is no base snapshot,"
                        + " so segments start at 1");
    }

    @Test
    void compactionPublishesABaseAndDropsWhatItReplaces() throws Exception {
        JournalDirectory d = new JournalDirectory(dir());
        assertThat(d.recover().nextSeq()).isEqualTo(1);
        JournalWriter w = JournalWriter.open(d, FORMAT, 1, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC)
                .withSegmentBytes(200), Runnable::run);
        for (int i = 0; i < 40; i++) {
            w.kvPut(entry("before" + i, "1"));
        }
        long k = w.rotate(); // the instant of the snapshot
        w.kvPut(entry("after", "2"));
        w.flush();
        long end = w.position();
        JournalTesting.await(() -> w.writtenPosition() == end, "the journal thread moved to segment " + k);
        assertThat(k).isGreaterThan(3);

        // a persistence thread writes the base from the snapshot, then publishes it
        Path part = d.beginBase(k);
        assertThat(part.getFileName().toString()).isEqualTo(JournalFormat.baseName(k) + ".part");
        Files.writeString(part.resolve(JournalDirectory.BASE_SESSIONS), "s");
        Files.writeString(part.resolve(JournalDirectory.BASE_KEYS), "k");
        d.publishBase(k);
        assertThat(files()).containsExactly(JournalFormat.baseName(k), JournalFormat.segmentName(k));
        w.close();

        Replayed r = JournalTesting.replay(dir(), FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.plan().baseSeq()).isEqualTo(k);
        assertThat(r.calls()).containsExactly("kvput " + java.util.Base64.getEncoder()
                .encodeToString(entry("after", "2")));
        assertThat(r.result().nextSegmentSeq()).isEqualTo(k + 1);
    }

    @Test
    void publishingKeepsASegmentTheJournalThreadStillWrites() throws Exception {
        segments(1, 3);
        JournalDirectory d = new JournalDirectory(dir());
        d.recover();
        d.segmentOpened(2); // the journal thread has not reached the rotation to 4 yet
        d.beginBase(4);
        d.publishBase(4);
        assertThat(files()).containsExactly("base-0000000000000000004", "journal-0000000000000000002.log",
                "journal-0000000000000000003.log");
        // the next start drops them: base 4 contains them
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(plan.baseSeq()).isEqualTo(4);
        assertThat(plan.segments()).isEmpty();
        assertThat(files()).containsExactly("base-0000000000000000004");
    }

    @Test
    void aBaseLeftUnfinishedByACrashIsReplacedWhenTheSameNumberIsWrittenAgain() throws Exception {
        base(2, false);
        JournalDirectory d = new JournalDirectory(dir());
        Path part = d.beginBase(2);
        assertThat(part).isEmptyDirectory();
        Files.writeString(part.resolve(JournalDirectory.BASE_KEYS), "fresh");
        d.publishBase(2);
        assertThat(Files.readString(dir().resolve("base-0000000000000000002").resolve(JournalDirectory.BASE_KEYS)))
                .isEqualTo("fresh");
    }

    @Test
    void filesThatAreNotTheJournalsAreLeftAlone() throws Exception {
        segments(1, 1);
        Files.writeString(dir().resolve("notes.txt"), "operator notes");
        Files.writeString(dir().resolve("journal-0000000000000000001.log.corrupt-20250101T000000Z"), "old copy");
        JournalDirectory.Plan plan = new JournalDirectory(dir()).recover();
        assertThat(seqs(plan)).containsExactly(1L);
        assertThat(files()).contains("notes.txt", "journal-0000000000000000001.log.corrupt-20250101T000000Z");
    }
}
