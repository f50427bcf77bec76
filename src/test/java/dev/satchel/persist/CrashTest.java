package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.ServerJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unplanned crash loses nothing that was saved: the server process is killed with SIGKILL while a save
 * is writing its temporary file, and the previous save of the same dataset still loads completely while
 * the partial file is ignored (and removed by the next save).
 */
class CrashTest {
    /** Sessions with big values make a save take long enough to be caught in the middle. */
    private static final int BIG_SESSIONS = 100;
    private static final int BIG_KEYS = 3;
    private static final int BIG_VALUE_CHARS = 500_000;
    private static final int SMALL_SESSIONS = 3_000;

    @TempDir
    Path dir;

    private static String bigValue(int session, int key, String version) {
        String head = version + ":" + session + ":" + key + ":";
        return "\"" + head + "x".repeat(BIG_VALUE_CHARS - head.length()) + "\"";
    }

    private static List<Path> files(Path d, String suffix) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    @Test
    void sigkillDuringASaveKeepsThePreviousSaveWhole() throws Exception {
        List<String> bigTokens = new ArrayList<>();
        List<String> smallTokens = new ArrayList<>();
        Path dataset = dir.resolve("crash");
        try (ServerJvm server = ServerJvm.startServer(List.of("-Xmx2g", "-XX:+UseG1GC"), "--port", "0",
                "--persist-path", dir.toString());
                SatchelClient c = PersistFixture.connectTo(server.port())) {
            // ---- fill: a few hundred MB in big values, and many small sessions ----
            List<String> tokens = PersistFixture.newSessions(c, BIG_SESSIONS + SMALL_SESSIONS,
                    "{\"expiry\":{\"duration\":3600}}");
            bigTokens.addAll(tokens.subList(0, BIG_SESSIONS));
            smallTokens.addAll(tokens.subList(BIG_SESSIONS, tokens.size()));
            fill(c, bigTokens, smallTokens, "v1");

            // ---- the save that must survive ----
            JsonNode first = PersistFixture.call(c, "{\"SH_SAVE\":{\"name\":\"crash\"}}");
            assertThat(first.get("st").asInt()).as("%s", first).isEqualTo(121);
            assertThat(files(dataset, ".sat")).hasSize(1);
            long firstSize = Files.size(files(dataset, ".sat").get(0));

            // ---- change everything, start a second save, and kill the process while it writes ----
            fill(c, bigTokens, smallTokens, "v2");
            PersistFixture.raw(c, "{\"SH_NEW\":{}}");
            c.sendRaw("{\"SH_SAVE\":{\"name\":\"crash\"}}");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Path part = null;
            while (System.nanoTime() < deadline) {
                List<Path> parts = files(dataset, ".part");
                if (!parts.isEmpty() && Files.size(parts.get(0)) > firstSize / 10) {
                    part = parts.get(0);
                    break;
                }
                Thread.onSpinWait();
            }
            assertThat(part).as("the second save's temporary file appeared").isNotNull();
            server.kill();
            assertThat(files(dataset, ".sat")).as("the killed save was not published")
                    .containsExactly(dataset.resolve("save-0000000000000000001.sat"));
            assertThat(Files.size(part)).as("the temporary file is partial").isLessThan(firstSize);
        }

        // ---- a fresh server loads the first save completely; the partial file is ignored ----
        try (PersistFixture s = PersistFixture.start(dir)) {
            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"crash\"}}");
            assertThat(load.get("st").asInt()).as("%s", load).isEqualTo(141);
            assertThat(load.get("sessions").asLong()).isEqualTo(BIG_SESSIONS + SMALL_SESSIONS);
            assertThat(load.get("keys").asLong()).isEqualTo((long) BIG_SESSIONS * BIG_KEYS + SMALL_SESSIONS * 2L);
            List<String> gets = new ArrayList<>();
            for (String t : smallTokens) {
                gets.add("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"who\",\"version\"]}}");
            }
            List<String> rsp = PersistFixture.texts(s.client.sendRawBatch(gets));
            for (int i = 0; i < smallTokens.size(); i++) {
                assertThat(rsp.get(i)).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"who\":" + smallTokens.get(i)
                        + ",\"version\":\"v1\"}}}");
            }
            for (int i = 0; i < BIG_SESSIONS; i++) {
                String r = s.raw("{\"SH_GET\":{\"tkn\":" + bigTokens.get(i) + ",\"keys\":[\"k0\",\"k1\",\"k2\"]}}");
                assertThat(r).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"k0\":" + bigValue(i, 0, "v1")
                        + ",\"k1\":" + bigValue(i, 1, "v1") + ",\"k2\":" + bigValue(i, 2, "v1") + "}}}");
            }
            // the next save of the dataset removes the leftover and is numbered after it
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"crash\"}}").get("st").asInt()).isEqualTo(121);
            assertThat(files(dataset, ".part")).isEmpty();
            assertThat(files(dataset, ".sat")).containsExactly(dataset.resolve("save-0000000000000000001.sat"),
                    dataset.resolve("save-0000000000000000003.sat"));
        }
    }

    private static void fill(SatchelClient c, List<String> big, List<String> small, String version) {
        List<CompletableFuture<String>> pending = new ArrayList<>();
        for (int i = 0; i < big.size(); i++) {
            for (int k = 0; k < BIG_KEYS; k++) {
                pending.add(c.sendRaw("{\"SH_SET\":{\"tkn\":" + big.get(i) + ",\"keys\":{\"k" + k + "\":"
                        + bigValue(i, k, version) + "}}}"));
            }
            if (pending.size() > 32) {
                PersistFixture.texts(pending).forEach(r -> assertThat(r).contains("\"st\":1"));
                pending.clear();
            }
        }
        List<String> sets = new ArrayList<>();
        for (String t : small) {
            sets.add("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"who\":" + t + ",\"version\":\"" + version + "\"}}}");
        }
        pending.addAll(c.sendRawBatch(sets));
        PersistFixture.texts(pending).forEach(r -> assertThat(r).contains("\"st\":1"));
    }
}
