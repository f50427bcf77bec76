package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigException;
import dev.satchel.engine.Clock;
import dev.satchel.net.StartupException;
import dev.satchel.ops.SatchelNode;
import dev.satchel.persist.journal.JournalIo;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal wired into a real server (issue 13, phase 1): every change is journalled and replayed at the
 * next start without {@code --load}; deadlines across restarts; torn and corrupt files; {@code always} answers
 * only after the fsync; a failing disk refuses writes and recovers; journal off writes nothing.
 */
class JournalServerTest {
    @TempDir
    Path dir;

    private TestServer start(String... flags) {
        return start(node -> { }, flags);
    }

    private TestServer start(Consumer<SatchelNode> beforeStart, String... flags) {
        List<String> all = new ArrayList<>(List.of("--persist-path", dir.toString()));
        all.addAll(List.of(flags));
        return TestServer.start(TestServer.config(all.toArray(String[]::new)), Clock.system(), beforeStart);
    }

    private static JsonNode call(SatchelClient c, String json) {
        return PersistFixture.body(PersistFixture.raw(c, json));
    }

    private static String newSession(SatchelClient c, String params) {
        JsonNode r = call(c, "{\"SH_NEW\":" + params + "}");
        assertThat(r.get("st").asInt()).as(r.toString()).isEqualTo(1);
        return r.get("tkn").toString();
    }

    private List<Path> segments() throws IOException {
        Path j = dir.resolve("journal");
        if (!Files.isDirectory(j)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(j)) {
            return s.filter(p -> p.getFileName().toString().matches("journal-\\d{19}\\.log")).sorted().toList();
        }
    }

    /** Writes a little of everything, changes some of it, and returns what must be there after a restart. */
    private record Written(String kept, String shared, String ended, String emptied) {
    }

    private Written writeEverything(SatchelClient c) {
        String kept = newSession(c, "{\"expiry\":{\"duration\":3600,\"extendOnGet\":true}}");
        String shared = newSession(c, "{\"name\":\"team\",\"shared\":true}");
        String ended = newSession(c, "{}");
        String emptied = newSession(c, "{}");
        assertThat(call(c, "{\"SH_SET\":{\"tkn\":" + kept + ",\"keys\":{\"a\":1,\"b\":{\"x\":[1.0,\"\\u00e9\"]},\"c\":3}}}")
                .get("st").asInt()).isEqualTo(1);
        call(c, "{\"SH_RMV\":{\"tkn\":" + kept + ",\"keys\":[\"c\"]}}");
        call(c, "{\"SH_GET\":{\"tkn\":" + kept + ",\"keys\":[\"a\"]}}"); // moves the sliding deadline
        call(c, "{\"SH_SET\":{\"tkn\":" + shared + ",\"keys\":{\"s\":\"v\"}}}");
        call(c, "{\"SH_SET\":{\"tkn\":" + ended + ",\"keys\":{\"gone\":true}}}");
        call(c, "{\"SH_END\":{\"tkn\":" + ended + "}}");
        call(c, "{\"SH_SET\":{\"tkn\":" + emptied + ",\"keys\":{\"k\":1}}}");
        call(c, "{\"SH_CLEAR\":{\"tkn\":" + emptied + "}}");
        call(c, "{\"KV_SET\":{\"keys\":{\"g1\":1,\"g2\":2,\"g3\":3}}}");
        call(c, "{\"KV_RMV\":{\"keys\":[\"g2\"]}}");
        return new Written(kept, shared, ended, emptied);
    }

    private void checkEverything(SatchelClient c, Written w) {
        String get = PersistFixture.raw(c, "{\"SH_GET\":{\"tkn\":" + w.kept() + ",\"keys\":[\"a\",\"b\",\"c\"]}}");
        assertThat(get).contains("\"keys\":{\"a\":1,\"b\":{\"x\":[1.0,\"\\u00e9\"]}}"); // the bytes as sent
        JsonNode info = call(c, "{\"SH_INFO\":{\"tkn\":" + w.kept() + "}}");
        assertThat(info.get("expiry").get("remaining").asLong()).isBetween(3000L, 3600L);
        assertThat(info.get("expiry").get("extendOnGet").asBoolean()).isTrue();
        JsonNode open = call(c, "{\"SH_OPEN\":{\"name\":\"team\"}}");
        assertThat(open.get("tkn").toString()).isEqualTo(w.shared());
        assertThat(call(c, "{\"SH_GET\":{\"tkn\":" + w.shared() + ",\"keys\":[\"s\"]}}").get("keys").toString())
                .isEqualTo("{\"s\":\"v\"}");
        assertThat(call(c, "{\"SH_EXISTS\":{\"tkns\":[" + w.ended() + "]}}").get("exist").toString()).isEqualTo("[]");
        assertThat(call(c, "{\"SH_COUNT\":{\"tkn\":" + w.emptied() + "}}").get("cnt").asInt()).isZero();
        assertThat(call(c, "{\"KV_GET\":{\"keys\":[\"g1\",\"g2\",\"g3\"]}}").get("keys").toString())
                .isEqualTo("{\"g1\":1,\"g3\":3}");
    }

    @Test
    void everyChangeSurvivesARestartWithoutLoad() throws Exception {
        Written w;
        try (TestServer s = start("--journal", "everysec")) {
            w = writeEverything(s.connect());
        }
        assertThat(segments()).isNotEmpty();
        try (TestServer s = start("--journal", "everysec")) {
            assertThat(s.server().journal().records()).isPositive();
            checkEverything(s.connect(), w);
        }
        try (TestServer s = start("--journal", "always")) { // a third start replays both earlier runs' segments
            checkEverything(s.connect(), w);
            assertThat(s.server().journal().segments()).isEqualTo(2);
        }
    }

    @Test
    void endAllAndLoadsAreJournalled() throws Exception {
        String loaded;
        try (TestServer s = start("--journal", "always")) {
            SatchelClient c = s.connect();
            String a = newSession(c, "{}");
            call(c, "{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"x\":1}}}");
            call(c, "{\"KV_SET\":{\"keys\":{\"k\":\"v\"}}}");
            assertThat(call(c, "{\"SH_SAVE\":{\"name\":\"snap\"}}").get("st").asInt()).isEqualTo(121);
            assertThat(call(c, "{\"KV_SAVE\":{\"name\":\"keys\"}}").get("st").asInt()).isEqualTo(121);
            assertThat(call(c, "{\"SH_END_ALL\":{}}").get("cnt").asInt()).isEqualTo(1);
            call(c, "{\"KV_CLEAR\":{}}");
            loaded = a;
            assertThat(call(c, "{\"SH_LOAD\":{\"name\":\"snap\"}}").get("st").asInt()).isEqualTo(141);
            assertThat(call(c, "{\"KV_LOAD\":{\"name\":\"keys\"}}").get("st").asInt()).isEqualTo(141);
            newSession(c, "{}");
            call(c, "{\"SH_END_ALL\":{}}");
            assertThat(call(c, "{\"SH_LOAD\":{\"name\":\"snap\"}}").get("sessions").asInt()).isEqualTo(1);
        }
        try (TestServer s = start("--journal", "always")) {
            SatchelClient c = s.connect();
            assertThat(s.server().journal().sessions()).isEqualTo(1);
            assertThat(call(c, "{\"SH_GET\":{\"tkn\":" + loaded + ",\"keys\":[\"x\"]}}").get("keys").toString())
                    .isEqualTo("{\"x\":1}");
            assertThat(call(c, "{\"KV_GET\":{\"keys\":[\"k\"]}}").get("keys").toString()).isEqualTo("{\"k\":\"v\"}");
        }
    }

    @Test
    void deadlinesAreWallClockAndSessionsPastThemExpireAtStart() throws Exception {
        String ends;
        String clears;
        String lives;
        try (TestServer s = start("--journal", "everysec")) {
            SatchelClient c = s.connect();
            ends = newSession(c, "{\"expiry\":{\"duration\":1,\"deleteSession\":true}}");
            clears = newSession(c, "{\"expiry\":{\"duration\":1}}");
            lives = newSession(c, "{\"expiry\":{\"duration\":3600}}");
            for (String t : List.of(ends, clears, lives)) {
                call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":1}}}");
            }
        }
        Thread.sleep(1500); // the one-second sessions' deadlines pass while the server is down
        try (TestServer s = start("--journal", "everysec")) {
            SatchelClient c = s.connect();
            assertThat(s.server().journal().expired()).isEqualTo(2);
            assertThat(call(c, "{\"SH_EXISTS\":{\"tkns\":[" + ends + "," + clears + "," + lives + "]}}")
                    .get("exist").toString()).isEqualTo("[" + clears + "," + lives + "]");
            assertThat(call(c, "{\"SH_COUNT\":{\"tkn\":" + clears + "}}").get("cnt").asInt()).isZero();
            assertThat(call(c, "{\"SH_COUNT\":{\"tkn\":" + lives + "}}").get("cnt").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aTornTailIsDroppedAndTheRestIsKept() throws Exception {
        String t;
        try (TestServer s = start("--journal", "everysec")) {
            SatchelClient c = s.connect();
            t = newSession(c, "{}");
            call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":1}}}");
        }
        Path last = segments().get(segments().size() - 1);
        long size = Files.size(last);
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.seek(size); // half a record: a length and part of a CRC, as a crash mid-write leaves
            f.write(new byte[] {0, 0, 0, 40, 1, 2});
        }
        try (TestServer s = start("--journal", "everysec")) {
            assertThat(s.server().journal().records()).isPositive();
            assertThat(call(s.connect(), "{\"SH_COUNT\":{\"tkn\":" + t + "}}").get("cnt").asInt()).isEqualTo(1);
        }
        assertThat(Files.size(last)).isEqualTo(size); // truncated at the torn record
    }

    @Test
    void aMultiKeySetCutByACrashIsReplayedNotAtAll() throws Exception {
        String t;
        try (TestServer s = start("--journal", "always")) {
            SatchelClient c = s.connect();
            t = newSession(c, "{}");
            call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"one\":1}}}");
            call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":2,\"c\":3}}}"); // the last record
        }
        Path last = segments().get(segments().size() - 1);
        try (RandomAccessFile f = new RandomAccessFile(last.toFile(), "rw")) {
            f.setLength(f.length() - 5); // a crash while the last group was being written: only part of it is there
        }
        try (TestServer s = start("--journal", "always")) {
            assertThat(call(s.connect(), "{\"SH_KEYS\":{\"tkn\":" + t + "}}").get("keys").toString())
                    .isEqualTo("[\"one\"]"); // none of a, b, c
        }
    }

    @Test
    void aCorruptRecordInTheMiddleStopsTheStartUnlessRepairIsAsked() throws Exception {
        String first;
        try (TestServer s = start("--journal", "everysec")) {
            SatchelClient c = s.connect();
            first = newSession(c, "{}");
            for (int i = 0; i < 20; i++) {
                call(c, "{\"SH_SET\":{\"tkn\":" + first + ",\"keys\":{\"k" + i + "\":" + i + "}}}");
            }
        }
        Path seg = segments().get(0);
        long size = Files.size(seg);
        try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
            long at = 32 + (size - 32) / 2; // inside some record in the middle, valid records follow
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0xFF);
        }
        assertThatThrownBy(() -> start("--journal", "everysec"))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining("journal file " + seg)
                .hasMessageContaining("is corrupt at offset")
                .hasMessageContaining("--journal-repair")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        try (TestServer s = start("--journal", "everysec", "--journal-repair", "true")) {
            SatchelClient c = s.connect();
            int keys = call(c, "{\"SH_COUNT\":{\"tkn\":" + first + "}}").get("cnt").asInt();
            assertThat(keys).isBetween(0, 19); // the records before the damage
            assertThat(call(c, "{\"SH_SET\":{\"tkn\":" + first + ",\"keys\":{\"after\":1}}}").get("st").asInt())
                    .isEqualTo(1);
        }
        try (Stream<Path> files = Files.list(dir.resolve("journal"))) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.contains(".corrupt-"));
        }
        try (TestServer s = start("--journal", "everysec")) { // repaired: starts normally now
            assertThat(call(s.connect(), "{\"SH_GET\":{\"tkn\":" + first + ",\"keys\":[\"after\"]}}")
                    .get("keys").toString()).isEqualTo("{\"after\":1}");
        }
    }

    @Test
    void withTheJournalOffNothingIsJournalled() throws Exception {
        try (TestServer s = start()) {
            SatchelClient c = s.connect();
            String t = newSession(c, "{}");
            call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":1}}}");
            assertThat(s.server().journal()).isNull();
        }
        assertThat(dir.resolve("journal")).doesNotExist();
    }

    @Test
    void theJournalNeedsPersistenceAndRefusesAStartUpLoad() {
        assertThatThrownBy(() -> TestServer.config("--journal", "always"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid setting persist.journal = \"always\" (from flag --journal): the journal needs"
                        + " persist.enabled = true (or --persist-path DIR)");
        assertThatThrownBy(() -> TestServer.config("--journal", "sometimes", "--persist-path", dir.toString()))
                .hasMessageContaining("expected \"off\", \"everysec\" or \"always\"");
        assertThatThrownBy(() -> TestServer.config("--journal", "everysec", "--persist-path", dir.toString(),
                "--load", "x")).hasMessageContaining("cannot be combined with persist.journal");
        assertThatThrownBy(() -> TestServer.config("--journal-max-bytes", "1k")).hasMessageContaining("at least 1m");
        assertThat(TestServer.config(new String[0]).journal()).isEqualTo("off");
        assertThat(TestServer.config(new String[0]).journalMaxBytes()).isEqualTo(64L << 20);
    }

    /** Real files, but fsync waits for the gate while it is closed. */
    private static final class GatedIo implements JournalIo {
        volatile CountDownLatch gate = new CountDownLatch(0);
        /** Writes wait for this one while it is closed: a disk that does not keep up. */
        volatile CountDownLatch writeGate = new CountDownLatch(0);
        final AtomicBoolean diskFull = new AtomicBoolean();

        @Override
        public Channel create(Path file) throws IOException {
            Channel real = JournalIo.SYSTEM.create(file);
            return new Channel() {
                @Override
                public void writeFully(ByteBuffer src, long position) throws IOException {
                    if (diskFull.get()) {
                        throw new IOException("No space left on device");
                    }
                    try {
                        writeGate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                    real.writeFully(src, position);
                }

                @Override
                public void force() throws IOException {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                    real.force();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path d) throws IOException {
            JournalIo.SYSTEM.syncDirectory(d);
        }
    }

    @Test
    void alwaysAnswersAWriteOnlyAfterItsFsync() throws Exception {
        GatedIo io = new GatedIo();
        try (TestServer s = start(node -> node.journalOptions(o -> o.withIo(io)), "--journal", "always")) {
            SatchelClient c = s.connect();
            String t = newSession(c, "{}");
            io.gate = new CountDownLatch(1); // fsyncs block from now on
            CompletableFuture<String> set = c.sendRaw("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":1}}}");
            CompletableFuture<String> read = c.sendRaw("{\"SH_COUNT\":{\"tkn\":" + t + "}}");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            var writer = s.server().journal().sink().writer();
            while (writer.writtenPosition() <= writer.durablePosition() && System.nanoTime() < deadline) {
                Thread.sleep(5); // until the SET's record is written and its fsync is waiting at the gate
            }
            assertThat(writer.writtenPosition()).isGreaterThan(writer.durablePosition());
            Thread.sleep(200);
            assertThat(set).isNotDone(); // written, not durable: not answered
            assertThat(read).isNotDone(); // behind it on the same connection
            io.gate.countDown();
            assertThat(PersistFixture.body(set.get(30, TimeUnit.SECONDS)).get("st").asInt()).isEqualTo(1);
            assertThat(PersistFixture.body(read.get(30, TimeUnit.SECONDS)).get("cnt").asInt()).isEqualTo(1);
            assertThat(writer.durablePosition()).isGreaterThanOrEqualTo(writer.writtenPosition());
        }
    }

    @Test
    void aFailingDiskRefusesWritesWithStatus1000KeepsReadsAndRecovers() throws Exception {
        GatedIo io = new GatedIo();
        String t;
        int racing;
        try (TestServer s = start(node -> node.journalOptions(o -> o.withIo(io).withRetryIntervalMillis(50)),
                "--journal", "everysec")) {
            SatchelClient c = s.connect();
            t = newSession(c, "{}");
            call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"before\":1}}}");
            io.diskFull.set(true);
            var writer = s.server().journal().sink().writer();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // makes the journal write and fail; acknowledged (1), or refused (1000) if the journal already failed
            // writing "before" (everysec writes within 100 ms, so on a busy machine that write may come after)
            racing = call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"racing\":1}}}").get("st").asInt();
            assertThat(racing).isIn(1, 1000);
            while (!writer.failed() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(writer.failed()).isTrue();
            JsonNode refused = call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"refused\":1}}}");
            assertThat(refused.get("st").asInt()).isEqualTo(1000);
            assertThat(refused.get("m").asText()).startsWith("journal write failed: IOException: No space left on"
                    + " device").endsWith("(changes are refused until the journal can be written again)");
            assertThat(call(c, "{\"SH_NEW\":{}}").get("st").asInt()).isEqualTo(1000);
            assertThat(call(c, "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"before\"]}}").get("st").asInt())
                    .isEqualTo(1); // reads go on
            io.diskFull.set(false);
            while (writer.failed() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(writer.failed()).isFalse();
            assertThat(call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"after\":1}}}").get("st").asInt())
                    .isEqualTo(1);
        }
        try (TestServer s = start("--journal", "everysec")) {
            assertThat(call(s.connect(), "{\"SH_KEYS\":{\"tkn\":" + t + "}}").get("keys").toString())
                    .as("every acknowledged write, nothing refused")
                    .isEqualTo(racing == 1 ? "[\"before\",\"racing\",\"after\"]" : "[\"before\",\"after\"]");
        }
    }

    @Test
    void aDiskThatCannotKeepUpRefusesWritesAboveTheBacklogLimitAndAcceptsThemOnceItCatchesUp() throws Exception {
        GatedIo io = new GatedIo();
        String big = "\"" + "x".repeat(1000) + "\"";
        String t;
        int accepted = 0;
        try (TestServer s = start(node -> node.journalOptions(o -> o.withIo(io).withMaxBacklogBytes(64 << 10)),
                "--journal", "everysec")) {
            SatchelClient c = s.connect();
            t = newSession(c, "{}");
            io.writeGate = new CountDownLatch(1); // the disk stops taking writes
            JsonNode refused = null;
            for (int i = 0; i < 1000 && refused == null; i++) {
                JsonNode r = call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k" + i + "\":" + big + "}}}");
                if (r.get("st").asInt() == 1) {
                    accepted++;
                } else {
                    refused = r;
                }
            }
            assertThat(refused).as("a write is refused once 64 KiB wait for the disk").isNotNull();
            assertThat(refused.get("st").asInt()).isEqualTo(1000);
            assertThat(refused.get("m").asText()).startsWith("journal backlog: ")
                    .endsWith("more than 65536 (changes are refused until the disk catches up)");
            assertThat(accepted).isBetween(60, 70); // about 64 KiB of 1 KB records
            assertThat(call(c, "{\"SH_COUNT\":{\"tkn\":" + t + "}}").get("cnt").asInt()).isEqualTo(accepted);
            io.writeGate.countDown(); // the disk catches up
            var writer = s.server().journal().sink().writer();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (writer.backlogBytes() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"after\":1}}}").get("st").asInt())
                    .isEqualTo(1);
        }
        try (TestServer s = start("--journal", "everysec")) {
            assertThat(call(s.connect(), "{\"SH_COUNT\":{\"tkn\":" + t + "}}").get("cnt").asInt())
                    .isEqualTo(accepted + 1);
        }
    }

    @Test
    void endAllIsOneRecordHoweverManySessionsItEnds() throws Exception {
        try (TestServer s = start("--journal", "always")) {
            SatchelClient c = s.connect();
            for (int i = 0; i < 100; i++) {
                newSession(c, "{}");
            }
            assertThat(call(c, "{\"SH_END_ALL\":{}}").get("cnt").asInt()).isEqualTo(100);
            newSession(c, "{}");
        }
        try (TestServer s = start("--journal", "always")) {
            assertThat(s.server().journal().records()).as("100 creations, one end of all, one creation")
                    .isEqualTo(102);
            assertThat(s.server().journal().sessions()).isEqualTo(1);
        }
    }
}
