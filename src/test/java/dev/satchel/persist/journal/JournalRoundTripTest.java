package dev.satchel.persist.journal;

import static dev.satchel.persist.journal.JournalTesting.entry;
import static dev.satchel.persist.journal.JournalTesting.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import dev.satchel.persist.journal.JournalTesting.Recorder;
import dev.satchel.persist.journal.JournalTesting.Replayed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every record type written by the writer and read back by the reader, on real files. */
class JournalRoundTripTest {
    @TempDir
    Path dir;

    private JournalWriter open(TokenFormat format, JournalWriter.Options options) throws Exception {
        JournalDirectory d = new JournalDirectory(dir);
        JournalDirectory.Plan plan = d.recover();
        return JournalWriter.open(d, format, plan.nextSeq(), options, Runnable::run);
    }

    @ParameterizedTest
    @EnumSource(TokenFormat.class)
    void everyRecordTypeRoundTrips(TokenFormat format) throws Exception {
        long hi = format == TokenFormat.STRING ? 0x0123456789ABCDEFL : 0;
        long lo = 0xFEDCBA9876543210L; // above Long.MAX_VALUE as unsigned: a large uint64 token
        long hi2 = format == TokenFormat.STRING ? -1L : 0;
        long lo2 = 7;
        long deadline = 1_780_000_000_123L;
        int flags = JournalFormat.SHARED | JournalFormat.EXPIRES | JournalFormat.DELETE_SESSION
                | JournalFormat.EXTEND_ON_GET;
        byte[] e1 = entry("a", "1");
        byte[] e2 = entry("ké\"y", "{\"x\":[1,2.50,\"\\u00e9\"]}");
        byte[] e3 = entry("k".repeat(200), "\"" + "v".repeat(300) + "\""); // two-byte key length
        String name = "café \"shared\" 😀 \\ name";

        JournalWriter w = open(format, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        w.sessionCreated(hi, lo, name, flags, 30_000, deadline);
        w.sessionCreated(hi2, lo2, null, 0, 0, 0);
        w.sessionPut(hi, lo, e1);
        w.beginSessionPut(hi, lo);
        w.addItem(e2, 0, e2.length);
        w.addItem(e3, 0, e3.length);
        w.endRecord();
        byte[] keys = utf8("xxabyy");
        w.sessionRemove(hi, lo, keys, 2, 2);
        w.beginSessionRemove(hi2, lo2);
        w.addItem(keys, 0, 0); // the empty key
        w.addItem(keys, 0, 6);
        w.endRecord();
        assertThat(w.deadlineMoved(hi, lo, deadline + 5000)).isTrue();
        w.sessionCleared(hi, lo, deadline + 35_000);
        w.sessionCleared(hi2, lo2, JournalFormat.NO_DEADLINE);
        w.kvPut(e1);
        w.beginKvPut();
        w.addItem(e2, 0, e2.length);
        w.addItem(e3, 0, e3.length);
        w.endRecord();
        w.kvRemove(keys, 2, 2);
        w.kvCleared();
        w.beginGroup();
        w.sessionPut(hi2, lo2, e1);
        w.deadlineMoved(hi2, lo2, deadline + 1);
        w.kvRemove(keys, 0, 1);
        w.endGroup();
        w.sessionEnded(hi, lo);
        w.allSessionsEnded();
        w.flush();
        long end = w.position();
        assertThat(w.close(30_000)).isTrue();
        assertThat(w.durablePosition()).isEqualTo(end);

        Replayed r = JournalTesting.replay(dir, format, JournalReader.Mode.READ_ONLY);
        String t1 = hi + ":" + lo;
        String t2 = hi2 + ":" + lo2;
        Recorder expect = new Recorder();
        expect.sessionCreated(hi, lo, name, flags | JournalFormat.HAS_NAME, 30_000, deadline);
        expect.sessionCreated(hi2, lo2, null, 0, 0, 0);
        expect.sessionPut(hi, lo, e1);
        expect.sessionPut(hi, lo, e2);
        expect.sessionPut(hi, lo, e3);
        expect.sessionRemove(hi, lo, utf8("ab"));
        expect.sessionRemove(hi2, lo2, new byte[0]);
        expect.sessionRemove(hi2, lo2, keys);
        expect.deadlineMoved(hi, lo, deadline + 5000);
        expect.sessionCleared(hi, lo, deadline + 35_000);
        expect.sessionCleared(hi2, lo2, 0);
        expect.kvPut(e1);
        expect.kvPut(e2);
        expect.kvPut(e3);
        expect.kvRemove(utf8("ab"));
        expect.kvCleared();
        expect.sessionPut(hi2, lo2, e1);
        expect.deadlineMoved(hi2, lo2, deadline + 1);
        expect.kvRemove(utf8("x"));
        expect.sessionEnded(hi, lo);
        expect.allSessionsEnded();
        assertThat(r.calls()).containsExactlyElementsOf(expect.calls);
        assertThat(r.calls().get(0)).startsWith("created " + t1);
        assertThat(r.calls().get(1)).startsWith("created " + t2);
        assertThat(r.result().records()).isEqualTo(16); // a multi-entry put and the group are one record each
        assertThat(r.result().changes()).isEqualTo(expect.calls.size());
        assertThat(r.result().bytes()).isEqualTo(end);
        assertThat(r.result().tornFile()).isNull();
        assertThat(r.result().nextSegmentSeq()).isEqualTo(2);
        assertThat(Files.size(dir.resolve("journal-0000000000000000001.log")))
                .isEqualTo(JournalFormat.HEADER_BYTES + end);
    }

    @Test
    void emptyListsAndGroupsWriteNothing() throws Exception {
        JournalWriter w = open(TokenFormat.STRING, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        w.beginSessionPut(1, 2);
        w.endRecord();
        w.beginGroup();
        w.endGroup();
        w.beginGroup();
        w.beginKvRemove();
        w.endRecord();
        w.endGroup();
        assertThat(w.position()).isZero();
        w.kvCleared();
        assertThat(w.position()).isEqualTo(JournalFormat.RECORD_OVERHEAD);
        w.flush();
        w.close();
        assertThat(JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.READ_ONLY).calls())
                .containsExactly("kvcleared");
    }

    @Test
    void aGroupOfOneRecordIsWrittenAsThatRecord() throws Exception {
        byte[] e = entry("k1", "\"" + "v".repeat(100) + "\"");
        JournalWriter w = open(TokenFormat.STRING, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        w.sessionPut(1, 2, e);
        long plain = w.position();
        w.beginGroup();
        w.sessionPut(1, 2, e);
        w.endGroup();
        assertThat(w.position()).isEqualTo(2 * plain); // no group record around it
        w.beginGroup();
        w.beginSessionPut(1, 2);
        w.endRecord(); // an empty list record is dropped: the group is still empty
        w.kvCleared();
        w.endGroup();
        assertThat(w.position()).isEqualTo(2 * plain + JournalFormat.RECORD_OVERHEAD);
        w.beginGroup();
        w.sessionPut(1, 2, e);
        w.kvCleared(); // the second record makes it a group: group header and two inner records
        w.endGroup();
        long group = JournalFormat.RECORD_OVERHEAD + 2 * JournalFormat.INNER_OVERHEAD
                + (plain - JournalFormat.RECORD_OVERHEAD);
        assertThat(w.position()).isEqualTo(2 * plain + JournalFormat.RECORD_OVERHEAD + group);
        w.flush();
        w.close();
        byte[] file = Files.readAllBytes(dir.resolve("journal-0000000000000000001.log"));
        int at = JournalFormat.HEADER_BYTES;
        assertThat(file[at + 8]).isEqualTo((byte) JournalFormat.SESSION_PUT);
        at += (int) plain;
        assertThat(file[at + 8]).isEqualTo((byte) JournalFormat.SESSION_PUT);
        at += (int) plain;
        assertThat(file[at + 8]).isEqualTo((byte) JournalFormat.KV_CLEARED);
        at += JournalFormat.RECORD_OVERHEAD;
        assertThat(file[at + 8]).isEqualTo((byte) JournalFormat.GROUP);
        assertThat(file[at + 13]).isEqualTo((byte) JournalFormat.SESSION_PUT);
        Replayed r = JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.READ_ONLY);
        assertThat(r.result().records()).isEqualTo(4);
        Recorder expect = new Recorder();
        expect.sessionPut(1, 2, e);
        expect.sessionPut(1, 2, e);
        expect.kvCleared();
        expect.sessionPut(1, 2, e);
        expect.kvCleared();
        assertThat(r.calls()).containsExactlyElementsOf(expect.calls);
    }

    @Test
    void groupsFormedAcrossChunkBoundariesReplayWhole() throws Exception {
        JournalWriter w = open(TokenFormat.STRING,
                JournalWriter.Options.defaults(JournalPolicy.EVERYSEC).withChunkBytes(256));
        Random random = new Random(7);
        Recorder expect = new Recorder();
        int records = 0;
        for (int i = 0; i < 2000; i++) {
            int n = random.nextInt(4); // 0 to 3 records in the request
            w.beginGroup();
            for (int k = 0; k < n; k++) {
                int size = random.nextInt(20) == 0 ? 300 + random.nextInt(700) : 1 + random.nextInt(120);
                byte[] e = entry("key" + i + "." + k, "\"" + "x".repeat(size) + "\"");
                if (random.nextBoolean()) {
                    w.beginSessionPut(i, k + 1);
                    w.addItem(e, 0, e.length);
                    w.addItem(e, 0, e.length);
                    w.endRecord();
                    expect.sessionPut(i, k + 1, e);
                    expect.sessionPut(i, k + 1, e);
                } else {
                    w.kvPut(e);
                    expect.kvPut(e);
                }
            }
            w.endGroup();
            records += n > 0 ? 1 : 0;
            if (i % 10 == 0) {
                w.flush();
            }
        }
        w.flush();
        w.close();
        Replayed r = JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.READ_ONLY);
        assertThat(r.calls()).containsExactlyElementsOf(expect.calls);
        assertThat(r.result().records()).isEqualTo(records);
        assertThat(r.result().tornFile()).isNull();
    }

    @Test
    void misuseIsRefusedWithoutCorruptingTheJournal() throws Exception {
        JournalWriter w = open(TokenFormat.UINT64, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        assertThatThrownBy(() -> w.sessionEnded(1, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("uint64");
        assertThatThrownBy(() -> w.sessionCreated(0, 5, null, JournalFormat.EXPIRES, 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.sessionCreated(0, 5, "\ud800", 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> w.addItem(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.deadlineMoved(0, 5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.kvPut(new byte[] {3, 'a', 'b', 'c'})) // a key but no value
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packed entry");
        assertThatThrownBy(() -> w.sessionPut(0, 5, new byte[] {1})).isInstanceOf(IllegalArgumentException.class);
        w.beginKvPut();
        assertThatThrownBy(() -> w.addItem(new byte[] {(byte) 0x80}, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        w.addItem(entry("x", "1"), 0, entry("x", "1").length);
        w.endRecord();
        assertThatThrownBy(w::endGroup).isInstanceOf(IllegalStateException.class);
        w.beginGroup();
        assertThatThrownBy(w::beginGroup).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(w::flush).isInstanceOf(IllegalStateException.class);
        w.endGroup();
        w.sessionEnded(0, 5);
        w.flush();
        w.close();
        assertThat(JournalTesting.replay(dir, TokenFormat.UINT64, JournalReader.Mode.READ_ONLY).calls())
                .containsExactly("kvput " + java.util.Base64.getEncoder().encodeToString(entry("x", "1")),
                        "ended 0:5");
    }

    @Test
    void theWriterNeverOverwritesASegmentThatHoldsRecords() throws Exception {
        JournalWriter w = open(TokenFormat.STRING, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        w.kvCleared();
        w.flush();
        w.close();
        JournalDirectory d = new JournalDirectory(dir);
        assertThatThrownBy(() -> JournalWriter.open(d, TokenFormat.STRING, 1,
                JournalWriter.Options.defaults(JournalPolicy.EVERYSEC), Runnable::run))
                .isInstanceOf(JournalException.class).hasMessageContaining("already holds records");
        assertThat(JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.READ_ONLY).calls())
                .containsExactly("kvcleared");
    }

    @Test
    void recordsCrossingChunksAndRecordsLargerThanAChunk() throws Exception {
        JournalWriter w = open(TokenFormat.STRING,
                JournalWriter.Options.defaults(JournalPolicy.EVERYSEC).withChunkBytes(256));
        Random random = new Random(42);
        List<String> expected = new ArrayList<>();
        Recorder expect = new Recorder();
        for (int i = 0; i < 3000; i++) {
            int size = random.nextInt(10) == 0 ? 200 + random.nextInt(5000) : 1 + random.nextInt(60);
            byte[] e = entry("key" + i, "\"" + "x".repeat(size) + "\"");
            if (i % 7 == 0) {
                w.beginGroup();
                w.sessionPut(i, i + 1, e);
                w.sessionPut(i, i + 2, e);
                w.endGroup();
                expect.sessionPut(i, i + 1, e);
                expect.sessionPut(i, i + 2, e);
            } else {
                w.sessionPut(i, i + 1, e);
                expect.sessionPut(i, i + 1, e);
            }
            if (i % 100 == 0) {
                w.flush();
            }
        }
        byte[] huge = entry("huge", "\"" + "h".repeat(3 << 20) + "\"");
        w.kvPut(huge);
        expect.kvPut(huge);
        w.flush();
        w.close();
        expected.addAll(expect.calls);
        assertThat(JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.READ_ONLY).calls())
                .containsExactlyElementsOf(expected);
    }

    @Test
    void segmentsRotateBySizeAndReplayInOrder() throws Exception {
        JournalWriter w = open(TokenFormat.STRING,
                JournalWriter.Options.defaults(JournalPolicy.EVERYSEC).withSegmentBytes(1000));
        Recorder expect = new Recorder();
        for (int i = 0; i < 500; i++) {
            byte[] e = entry("k" + i, Integer.toString(i));
            w.sessionPut(1, 1, e);
            expect.sessionPut(1, 1, e);
            if (i % 50 == 0) {
                w.flush();
            }
        }
        long segment = w.segment();
        w.flush();
        w.close();
        assertThat(segment).isGreaterThan(5);
        Replayed r = JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.READ_ONLY);
        assertThat(r.plan().segments()).hasSizeGreaterThan(5);
        for (JournalDirectory.Segment s : r.plan().segments()) {
            assertThat(s.size()).isLessThan(1000 + JournalFormat.HEADER_BYTES + 100);
        }
        assertThat(r.calls()).containsExactlyElementsOf(expect.calls);
        assertThat(r.result().nextSegmentSeq()).isEqualTo(r.plan().segments().size() + 1);
    }

    @Test
    void aServerWithTheOtherTokenFormatRefusesTheJournal() throws Exception {
        JournalWriter w = open(TokenFormat.STRING, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        w.sessionEnded(1, 1);
        w.flush();
        w.close();
        assertThatThrownBy(() -> JournalTesting.replay(dir, TokenFormat.UINT64, JournalReader.Mode.RECOVER))
                .isInstanceOf(JournalException.class)
                .hasMessage("journal file " + dir.resolve("journal-0000000000000000001.log")
                        + " holds sessions with string tokens but this server uses uint64 tokens"
                        + " (sessions.tokenFormat)");
    }

    @Test
    void aNewerFormatVersionIsRefusedByName() throws Exception {
        JournalWriter w = open(TokenFormat.STRING, JournalWriter.Options.defaults(JournalPolicy.EVERYSEC));
        w.sessionEnded(1, 1);
        w.flush();
        w.close();
        Path f = dir.resolve("journal-0000000000000000001.log");
        byte[] b = Files.readAllBytes(f);
        b[9] = 2;
        Files.write(f, b);
        assertThatThrownBy(() -> JournalTesting.replay(dir, TokenFormat.STRING, JournalReader.Mode.RECOVER))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining("format version 2, which is not supported (this server reads version 1)");
    }

    @Test
    void deadlineGranularity() {
        long g = JournalDeadlines.DEFAULT_GRANULARITY_MILLIS;
        assertThat(JournalDeadlines.step(3_600_000, g)).isEqualTo(1000);
        assertThat(JournalDeadlines.step(2000, g)).isEqualTo(250);
        assertThat(JournalDeadlines.step(4, g)).isEqualTo(1);
        assertThat(JournalDeadlines.shouldRecord(10_000, 10_999, 3_600_000, g)).isFalse();
        assertThat(JournalDeadlines.shouldRecord(10_000, 11_000, 3_600_000, g)).isTrue();
        assertThat(JournalDeadlines.shouldRecord(10_000, 10_249, 2000, g)).isFalse();
        assertThat(JournalDeadlines.shouldRecord(10_000, 10_250, 2000, g)).isTrue();
        assertThat(JournalDeadlines.shouldRecord(10_000, 9_999, 3_600_000, g)).isTrue();
    }
}
