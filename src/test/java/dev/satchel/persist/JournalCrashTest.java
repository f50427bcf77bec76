package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.ServerJvm;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

    private static SatchelClient connect(int port) {
        return SatchelClient.connect(URI.create("ws://127.0.0.1:" + port),
                ClientOptions.builder().requestTimeout(Duration.ofSeconds(60)).build());
    }

    private static List<JsonNode> all(List<CompletableFuture<String>> futures) {
        List<JsonNode> out = new ArrayList<>();
        for (CompletableFuture<String> f : futures) {
            out.add(PersistFixture.body(f.join()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"always", "everysec"})
    void acknowledgedWritesSurviveSigkill(String policy) throws Exception {
        List<String> tokens = new ArrayList<>();
        try (ServerJvm server = ServerJvm.startServer(List.of(), "--port", "0", "--persist-path", dir.toString(),
                "--journal", policy);
                SatchelClient c = connect(server.port())) {
            List<String> news = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                news.add("{\"SH_NEW\":{\"expiry\":{\"duration\":3600}}}");
            }
            for (JsonNode r : all(c.sendRawBatch(news))) {
                tokens.add(r.get("tkn").toString());
            }
            List<String> sets = new ArrayList<>(); // pipelined, two keys per request: all or nothing on replay
            for (int i = 0; i < SESSIONS; i++) {
                sets.add("{\"SH_SET\":{\"tkn\":" + tokens.get(i) + ",\"keys\":{\"a\":" + i + ",\"b\":\"v" + i + "\"}}}");
            }
            sets.add("{\"KV_SET\":{\"keys\":{\"last\":true}}}");
            for (JsonNode r : all(c.sendRawBatch(sets))) {
                assertThat(r.get("st").asInt()).isEqualTo(1);
            }
            if (policy.equals("everysec")) {
                // acknowledged before the write itself (which follows within ~10 ms): a process crash loses
                // nothing once it is written, so give the journal thread time to write
                Thread.sleep(1500);
            }
            server.kill();
        }
        try (ServerJvm server = ServerJvm.startServer(List.of(), "--port", "0", "--persist-path", dir.toString(),
                "--journal", policy);
                SatchelClient c = connect(server.port())) {
            List<String> gets = new ArrayList<>();
            for (String t : tokens) {
                gets.add("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\",\"b\"]}}");
            }
            List<JsonNode> got = all(c.sendRawBatch(gets));
            for (int i = 0; i < SESSIONS; i++) {
                assertThat(got.get(i).get("keys").toString()).isEqualTo("{\"a\":" + i + ",\"b\":\"v" + i + "\"}");
            }
            assertThat(PersistFixture.body(PersistFixture.raw(c, "{\"KV_GET\":{\"keys\":[\"last\"]}}"))
                    .get("keys").toString()).isEqualTo("{\"last\":true}");
            assertThat(server.stderr()).contains("journal replayed");
        }
    }
}
