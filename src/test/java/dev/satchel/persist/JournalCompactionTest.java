package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import dev.satchel.persist.journal.JournalIo;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction of the journal in a real server (issue 13): a new base written from a snapshot while writes go on,
 * older segments and bases deleted, and a crash at every step of it leaving a directory the next start restores
 * completely: the data written before, and a prefix of the writes that raced with the compaction.
 */
class JournalCompactionTest {
    @TempDir
    Path dir;

    @TempDir
    Path crashes;

    private TestServer start(Path persist, Consumer<SatchelNode> beforeStart, String... flags) {
        List<String> all = new ArrayList<>(List.of("--persist-path", persist.toString(), "--journal", "everysec"));
        all.addAll(List.of(flags));
        return TestServer.start(TestServer.config(all.toArray(String[]::new)), Clock.system(), beforeStart);
    }

    private TestServer start(String... flags) {
        return start(dir, node -> { }, flags);
    }

    private static JsonNode call(SatchelClient c, String json) {
        return PersistFixture.body(PersistFixture.raw(c, json));
    }

    private static String newSession(SatchelClient c, String params) {
        JsonNode r = call(c, "{\"SH_NEW\":" + params + "}");
        assertThat(r.get("st").asInt()).as(r.toString()).isEqualTo(1);
        return r.get("tkn").toString();
    }

    private static void ok(SatchelClient c, String json) {
        JsonNode r = call(c, json);
        assertThat(r.get("st").asInt()).as("%s -> %s", json, r).isEqualTo(1);
    }

    private List<String> journalFiles(Path persist) throws IOException {
        try (Stream<Path> s = Files.list(persist.resolve("journal"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Sessions and keys of every kind, some changed after they were written. */
    private record Written(List<String> sessions, String expiring, String shared, String ended) {
    }

    private Written writeState(SatchelClient c, int sessions) {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            String t = newSession(c, "{}");
            ok(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"n\":" + i
                    + ",\"v\":{\"x\":[1.0,\"\\u00e9\"]},\"gone\":1}}}");
            ok(c, "{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[\"gone\"]}}");
            tokens.add(t);
        }
        String expiring = newSession(c, "{\"expiry\":{\"duration\":3600,\"extendOnGet\":true}}");
        ok(c, "{\"SH_SET\":{\"tkn\":" + expiring + ",\"keys\":{\"e\":1}}}");
        String shared = newSession(c, "{\"name\":\"team\",\"shared\":true}");
        ok(c, "{\"SH_SET\":{\"tkn\":" + shared + ",\"keys\":{\"s\":\"v\"}}}");
        String ended = newSession(c, "{}");
        ok(c, "{\"SH_SET\":{\"tkn\":" + ended + ",\"keys\":{\"k\":1}}}");
        ok(c, "{\"SH_END\":{\"tkn\":" + ended + "}}");
        ok(c, "{\"KV_SET\":{\"keys\":{\"g1\":1,\"g2\":2,\"g3\":3}}}");
        ok(c, "{\"KV_RMV\":{\"keys\":[\"g2\"]}}");
        return new Written(tokens, expiring, shared, ended);
    }

    private void checkState(SatchelClient c, Written w, String where) {
        for (int i = 0; i < w.sessions().size(); i++) {
            String get = "{\"SH_GET\":{\"tkn\":" + w.sessions().get(i) + ",\"keys\":[\"n\",\"v\",\"gone\"]}}";
            assertThat(PersistFixture.raw(c, get))
                    .as(where).contains("\"keys\":{\"n\":" + i + ",\"v\":{\"x\":[1.0,\"\\u00e9\"]}}");
        }
        JsonNode info = call(c, "{\"SH_INFO\":{\"tkn\":" + w.expiring() + "}}");
        assertThat(info.get("expiry").get("remaining").asLong()).as(where).isBetween(3000L, 3600L);
        assertThat(info.get("expiry").get("extendOnGet").asBoolean()).as(where).isTrue();
        assertThat(call(c, "{\"SH_OPEN\":{\"name\":\"team\"}}").get("tkn").toString()).as(where).isEqualTo(w.shared());
        assertThat(call(c, "{\"SH_GET\":{\"tkn\":" + w.shared() + ",\"keys\":[\"s\"]}}").get("keys").toString())
                .as(where).isEqualTo("{\"s\":\"v\"}");
        assertThat(call(c, "{\"SH_EXISTS\":{\"tkns\":[" + w.ended() + "]}}").get("exist").toString()).as(where)
                .isEqualTo("[]");
        assertThat(call(c, "{\"KV_GET\":{\"keys\":[\"g1\",\"g2\",\"g3\"]}}").get("keys").toString()).as(where)
                .isEqualTo("{\"g1\":1,\"g3\":3}");
    }

    @Test
    void compactionWritesABaseDropsOldSegmentsAndTheNextStartRestoresEverything() throws Exception {
        Written w;
        try (TestServer s = start()) {
            SatchelClient c = s.connect();
            w = writeState(c, 20);
            JournalCompaction.Compacted first = s.server().compactJournal().get(60, TimeUnit.SECONDS);
            assertThat(first.sessions()).isEqualTo(22); // 20, the expiring one and the shared one
            ok(c, "{\"KV_SET\":{\"keys\":{\"after\":true}}}");
            JournalCompaction.Compacted second = s.server().compactJournal().get(60, TimeUnit.SECONDS);
            assertThat(second.base()).isGreaterThan(first.base());
            assertThat(journalFiles(dir)).as("the first base and the segments below the second are gone")
                    .contains(String.format("base-%019d", second.base()))
                    .doesNotContain(String.format("base-%019d", first.base()))
                    .noneMatch(f -> f.matches("journal-\\d{19}\\.log")
                            && Long.parseLong(f.substring(8, 27)) < second.base());
            ok(c, "{\"KV_SET\":{\"keys\":{\"later\":true}}}");
        }
        try (TestServer s = start()) {
            assertThat(s.server().journal().baseSeq()).isPositive();
            assertThat(s.server().journal().describe()).startsWith("journal base ");
            SatchelClient c = s.connect();
            checkState(c, w, "after a restart from the base");
            assertThat(call(c, "{\"KV_GET\":{\"keys\":[\"after\",\"later\"]}}").get("keys").toString())
                    .isEqualTo("{\"after\":true,\"later\":true}");
        }
    }

    @Test
    void theJournalIsCompactedPastTheLimitAndTheBasesSizeAndAtAStartAboveThem() throws Exception {
        String value = "\"" + "x".repeat(1000) + "\"";
        try (TestServer s = start()) { // 64m: no compaction
            SatchelClient c = s.connect();
            for (int i = 0; i < 1500; i++) { // about 1.5 MB of journal
                ok(c, "{\"KV_SET\":{\"keys\":{\"k" + i + "\":" + value + "}}}");
            }
        }
        assertThat(journalFiles(dir)).noneMatch(f -> f.startsWith("base-"));
        try (TestServer s = start("--journal-max-bytes", "1m")) { // above the limit at start: compacted at once
            awaitCompactions(s, 1);
            // the next one is due when the journal is as large as the base (1.5 MB, more than 1m)
            long limit = s.server().loop().call(e -> s.server().journal().compaction().limit()).get();
            assertThat(limit).isGreaterThan(1500L * 1000);
            SatchelClient c = s.connect();
            for (int i = 1500; i < 2500; i++) { // about 1 MB: past journalMaxBytes, not past the base's size
                ok(c, "{\"KV_SET\":{\"keys\":{\"k" + i + "\":" + value + "}}}");
            }
            assertThat(s.server().loop().call(e -> s.server().journal().compaction().compactions()).get())
                    .isEqualTo(1);
            for (int i = 2500; i < 4000; i++) { // past the base's size: compacted again
                ok(c, "{\"KV_SET\":{\"keys\":{\"k" + i + "\":" + value + "}}}");
            }
            awaitCompactions(s, 2);
        }
        try (TestServer s = start("--journal-max-bytes", "1m")) {
            assertThat(s.server().journal().baseSeq()).isPositive();
            assertThat(s.server().journal().records()).as("only what followed the last base is replayed")
                    .isLessThan(2500);
            JsonNode count = call(s.connect(), "{\"KV_COUNT\":{}}");
            assertThat(count.get("cnt").asInt()).isEqualTo(4000);
        }
    }

    private static void awaitCompactions(TestServer s, long n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (s.server().loop().call(e -> s.server().journal().compaction().compactions()).get() < n) {
            assertThat(System.nanoTime()).as("%d compactions within 60 s", n).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /**
     * Real files; while armed, before every operation that changes the journal directory (a segment created
     * and its header written, a directory synced, a base renamed, a file deleted) copies the whole persist
     * directory as a crash at that instant would leave it. Segment writes and the copy exclude each other, so
     * a copy never holds half of one positional write (a torn record at the end of a copy is still possible,
     * as in a real crash, where a write is cut).
     */
    private static final class CrashStates implements JournalIo {
        final Path persist;
        final Path into;
        final Object lock = new Object();
        final List<Path> states = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger n = new AtomicInteger();
        volatile boolean armed;
        volatile boolean failMove;

        CrashStates(Path persist, Path into) {
            this.persist = persist;
            this.into = into;
        }

        /** One I/O operation. */
        interface Op<T> {
            T run() throws IOException;
        }

        /** Copies the directory (while armed), then performs the step, both under the lock. */
        <T> T step(String name, Op<T> op) throws IOException {
            synchronized (lock) {
                if (armed) {
                    Path to = into.resolve(String.format("%03d-%s", n.incrementAndGet(), name));
                    copyTree(persist, to);
                    states.add(to);
                }
                return op.run();
            }
        }

        static void copyTree(Path from, Path to) {
            try (Stream<Path> all = Files.walk(from)) {
                for (Path p : all.toList()) {
                    Path t = to.resolve(from.relativize(p).toString());
                    try {
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    } catch (java.nio.file.NoSuchFileException gone) {
                        // removed meanwhile (an abandoned base): as a crash would see it
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Channel create(Path file) throws IOException {
            Channel real = step("create-" + file.getFileName(), () -> JournalIo.SYSTEM.create(file));
            AtomicBoolean first = new AtomicBoolean(true);
            return new Channel() {
                @Override
                public void writeFully(ByteBuffer src, long position) throws IOException {
                    String name = first.getAndSet(false) ? "header-" + file.getFileName() : null;
                    if (name != null) {
                        step(name, () -> {
                            real.writeFully(src, position);
                            return null;
                        });
                    } else {
                        synchronized (lock) {
                            real.writeFully(src, position);
                        }
                    }
                }

                @Override
                public void force() throws IOException {
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
            step("sync-" + d.getFileName(), () -> {
                JournalIo.SYSTEM.syncDirectory(d);
                return null;
            });
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            step("move-" + from.getFileName(), () -> {
                if (failMove) {
                    failMove = false;
                    throw new IOException("Input/output error");
                }
                JournalIo.SYSTEM.move(from, to);
                return null;
            });
        }

        @Override
        public void delete(Path file) throws IOException {
            step("delete-" + file.getFileName(), () -> {
                JournalIo.SYSTEM.delete(file);
                return null;
            });
        }
    }

    @Test
    void aCrashAtAnyStepOfACompactionLeavesAStateTheNextStartRestores() throws Exception {
        Path persist = dir.resolve("data");
        CrashStates io = new CrashStates(persist, crashes);
        Written w;
        int racing;
        try (TestServer s = start(persist, node -> node.journalOptions(o -> o.withIo(io)))) {
            SatchelClient c = s.connect();
            w = writeState(c, 10);
            s.server().compactJournal().get(60, TimeUnit.SECONDS); // an older base for the next one to replace
            ok(c, "{\"KV_SET\":{\"keys\":{\"between\":1}}}");
            // writes race with the compaction: each acknowledged before the next is sent
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            CountDownLatch writerDone = new CountDownLatch(1);
            Thread writer = new Thread(() -> {
                try {
                    SatchelClient wc = s.connect();
                    while (!stop.get()) {
                        int i = sent.get();
                        ok(wc, "{\"KV_SET\":{\"keys\":{\"r" + i + "\":" + i + "}}}");
                        sent.incrementAndGet();
                    }
                } finally {
                    writerDone.countDown();
                }
            });
            io.armed = true;
            writer.start();
            s.server().compactJournal().get(60, TimeUnit.SECONDS);
            stop.set(true);
            assertThat(writerDone.await(60, TimeUnit.SECONDS)).isTrue();
            io.armed = false;
            racing = sent.get();
        }
        List<Path> states = new ArrayList<>(io.states);
        assertThat(states.stream().map(p -> p.getFileName().toString()))
                .as("crash states at every step: rotation, base published, old files deleted")
                .anyMatch(n -> n.contains("create-journal-")).anyMatch(n -> n.contains("move-base-"))
                .anyMatch(n -> n.contains("delete-journal-")).anyMatch(n -> n.contains("delete-base-"))
                .hasSizeGreaterThanOrEqualTo(8);
        boolean oldBase = false;
        boolean newBase = false;
        long firstBase = Long.MAX_VALUE;
        for (Path state : states) {
            String where = "crash state " + state.getFileName();
            try (TestServer s = start(state, node -> { })) {
                long base = s.server().journal().baseSeq();
                assertThat(base).as(where).isPositive();
                firstBase = Math.min(firstBase, base);
                if (base == firstBase) {
                    oldBase = true;
                } else {
                    newBase = true;
                }
                SatchelClient c = s.connect();
                checkState(c, w, where);
                assertThat(call(c, "{\"KV_GET\":{\"keys\":[\"between\"]}}").get("keys").toString()).as(where)
                        .isEqualTo("{\"between\":1}");
                // the racing writes that are there form a prefix r0..rj
                List<String> keys = new ArrayList<>();
                for (int i = 0; i < racing; i++) {
                    keys.add("\"r" + i + "\"");
                }
                JsonNode got = call(c, "{\"KV_GET\":{\"keys\":[" + String.join(",", keys) + "]}}").get("keys");
                int present = got.size();
                for (int i = 0; i < present; i++) {
                    assertThat(got.has("r" + i)).as("%s: r%d present (a prefix of %d)", where, i, present).isTrue();
                }
            }
        }
        assertThat(oldBase).as("some crash states restore the old base").isTrue();
        assertThat(newBase).as("some crash states restore the new base").isTrue();
        try (TestServer s = start(persist, node -> { })) { // the clean state after the run holds every write
            SatchelClient c = s.connect();
            checkState(c, w, "after the run");
            assertThat(call(c, "{\"KV_COUNT\":{}}").get("cnt").asInt()).isEqualTo(2 + 1 + racing);
        }
    }

    @Test
    void aFailedCompactionLeavesTheJournalWorkingAndTheNextOneSucceeds() throws Exception {
        Path persist = dir.resolve("data");
        CrashStates io = new CrashStates(persist, crashes);
        Written w;
        try (TestServer s = start(persist, node -> node.journalOptions(o -> o.withIo(io)))) {
            SatchelClient c = s.connect();
            w = writeState(c, 5);
            io.failMove = true; // publishing the base fails
            assertThatFails(s);
            assertThat(journalFiles(persist)).noneMatch(f -> f.matches("base-\\d{19}"));
            ok(c, "{\"KV_SET\":{\"keys\":{\"meanwhile\":1}}}"); // the journal goes on
            JournalCompaction.Compacted ok = s.server().compactJournal().get(60, TimeUnit.SECONDS);
            assertThat(journalFiles(persist)).contains(String.format("base-%019d", ok.base()))
                    .noneMatch(f -> f.endsWith(".part"));
        }
        try (TestServer s = start(persist, node -> { })) {
            SatchelClient c = s.connect();
            checkState(c, w, "after a failed and a successful compaction");
            assertThat(call(c, "{\"KV_GET\":{\"keys\":[\"meanwhile\"]}}").get("keys").toString())
                    .isEqualTo("{\"meanwhile\":1}");
        }
    }

    private static void assertThatFails(TestServer s) throws Exception {
        try {
            s.server().compactJournal().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).hasMessageContaining("Input/output error");
            return;
        }
        throw new AssertionError("the compaction did not fail");
    }
}
