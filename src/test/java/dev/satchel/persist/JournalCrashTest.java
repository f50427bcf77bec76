package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.ServerJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL after acknowledged writes, then a restart without {@code --load}: with the journal every
 * acknowledged change is back (a separate JVM, real files).
 */
class JournalCrashTest {
    private static final int SESSIONS = 200;

    @TempDir
    Path dir;

    /** Waits (up to 60 s) until a journal segment holds {@code text}'s bytes: the record was written. */
    private void awaitInJournal(String text) throws Exception {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Stream<Path> files = Files.list(dir.resolve("journal"))) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                    if (indexOf(Files.readAllBytes(f), needle) >= 0) {
                        return;
                    }
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the journal never held " + text);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @ParameterizedTest
    @ValueSource(strings = {"always", "everysec"})
    void acknowledgedWritesSurviveSigkill(String policy) throws Exception {
        List<String> tokens = new ArrayList<>();
        try (ServerJvm server = ServerJvm.startServer(List.of(), "--port", "0", "--persist-path", dir.toString(),
                "--journal", policy);
                SatchelClient c = PersistFixture.connectTo(server.port())) {
            tokens.addAll(PersistFixture.newSessions(c, SESSIONS, "{\"expiry\":{\"duration\":3600}}"));
            List<String> sets = new ArrayList<>(); // pipelined, two keys per request: all or nothing on replay
            for (int i = 0; i < SESSIONS; i++) {
                sets.add("{\"SH_SET\":{\"tkn\":" + tokens.get(i) + ",\"keys\":{\"a\":" + i + ",\"b\":\"v" + i + "\"}}}");
            }
            sets.add("{\"KV_SET\":{\"keys\":{\"journal-sentinel-key\":true}}}");
            for (JsonNode r : PersistFixture.bodies(c.sendRawBatch(sets))) {
                assertThat(r.get("st").asInt()).isEqualTo(1);
            }
            if (policy.equals("everysec")) {
                // acknowledged before the write itself (which follows within ~100 ms): a process crash loses
                // nothing once it is written, so wait until the last record is in the file
                awaitInJournal("journal-sentinel-key");
            }
            server.kill();
        }
        try (ServerJvm server = ServerJvm.startServer(List.of(), "--port", "0", "--persist-path", dir.toString(),
                "--journal", policy);
                SatchelClient c = PersistFixture.connectTo(server.port())) {
            List<String> gets = new ArrayList<>();
            for (String t : tokens) {
                gets.add("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\",\"b\"]}}");
            }
            List<JsonNode> got = PersistFixture.bodies(c.sendRawBatch(gets));
            for (int i = 0; i < SESSIONS; i++) {
                assertThat(got.get(i).get("keys").toString()).isEqualTo("{\"a\":" + i + ",\"b\":\"v" + i + "\"}");
            }
            assertThat(PersistFixture.call(c, "{\"KV_GET\":{\"keys\":[\"journal-sentinel-key\"]}}")
                    .get("keys").toString()).isEqualTo("{\"journal-sentinel-key\":true}");
            assertThat(server.stderr()).contains("journal replayed");
        }
    }
}
