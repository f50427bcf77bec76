package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.engine.Clock;
import dev.satchel.net.StartupException;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.ServerJvm;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared sessions across restarts: without sessions.sharedSecret a persisting server keeps a generated secret
 * in persist.path and reuses it at every start; and SH_OPEN finds loaded shared sessions by name even when the
 * loading server's secret differs (a name index, not the HMAC). Real files, real servers, two starts each.
 */
class SharedSecretTest {
    @TempDir
    Path dir;

    private Map<String, String> flags(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("--persist-path", dir.toString());
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private PersistFixture start(String... kv) {
        return PersistFixture.start(PersistFixture.config(flags(kv)), Clock.system());
    }

    private static String tkn(JsonNode rsp) {
        assertThat(rsp.path("st").asInt()).as("%s", rsp).isEqualTo(1);
        return rsp.get("tkn").toString();
    }

    @Test
    void aGeneratedSecretIsKeptInTheDataDirectoryAndReusedAtTheNextStart() throws Exception {
        Path file = dir.resolve(SharedSecret.FILE_NAME);
        String team;
        String probe;
        try (PersistFixture s = start("--save-on-shutdown", "sessions")) {
            assertThat(s.server.sharedSecretSource()).isEqualTo(SharedSecret.Source.GENERATED);
            team = tkn(s.call("{\"SH_NEW\":{\"name\":\"team\",\"shared\":true}}"));
            s.call("{\"SH_SET\":{\"tkn\":" + team + ",\"keys\":{\"k\":1}}}");
            probe = tkn(s.call("{\"SH_NEW\":{\"name\":\"probe\",\"shared\":true}}"));
            s.call("{\"SH_END\":{\"tkn\":" + probe + "}}"); // not saved: only the secret can give it back
        }
        String content = Files.readString(file, StandardCharsets.US_ASCII);
        assertThat(content).matches("[0-9a-f]{64}\n");
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view != null) {
            assertThat(PosixFilePermissions.toString(view.readAttributes().permissions())).isEqualTo("rw-------");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary file left").containsExactlyInAnyOrder(SharedSecret.FILE_NAME, "sessions");
        }

        try (PersistFixture s = start("--load", "sessions")) {
            assertThat(s.server.sharedSecretSource()).isEqualTo(SharedSecret.Source.FILE);
            JsonNode open = s.call("{\"SH_OPEN\":{\"name\":\"team\"}}");
            assertThat(open.path("st").asInt()).as("%s", open).isEqualTo(1);
            assertThat(open.get("tkn").toString()).isEqualTo(team);
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + team + ",\"keys\":[\"k\"]}}").get("keys").toString())
                    .isEqualTo("{\"k\":1}");
            // the same secret: a shared name gets the same token as before the restart
            assertThat(tkn(s.call("{\"SH_NEW\":{\"name\":\"probe\",\"shared\":true}}"))).isEqualTo(probe);
        }
        assertThat(Files.readString(file, StandardCharsets.US_ASCII)).isEqualTo(content);
    }

    @Test
    void aConfiguredSecretWritesNoFileAndWithoutPersistenceTheSecretIsRandom() throws Exception {
        try (PersistFixture s = start("--shared-secret", "configured")) {
            assertThat(s.server.sharedSecretSource()).isEqualTo(SharedSecret.Source.CONFIGURED);
        }
        // persist.path set (loads read it) but saving off (--persist-path would turn it on)
        var noPersistence = dev.satchel.config.ConfigLoader.load(null, Map.of("SATCHEL_PERSIST_PATH", dir.toString()),
                Map.of("--bind", "127.0.0.1", "--port", "0"));
        assertThat(noPersistence.persistEnabled()).isFalse();
        try (PersistFixture s = PersistFixture.start(noPersistence, Clock.system())) {
            assertThat(s.server.sharedSecretSource()).isEqualTo(SharedSecret.Source.RANDOM);
        }
        assertThat(dir.resolve(SharedSecret.FILE_NAME)).doesNotExist();
    }

    @Test
    void anUnusableSecretFileStopsTheStartWithOneLine() throws Exception {
        Files.writeString(dir.resolve(SharedSecret.FILE_NAME), " \n");
        SatchelNode server = new SatchelNode(PersistFixture.config(flags()), Clock.system());
        assertThatThrownBy(server::start).isInstanceOfSatisfying(StartupException.class,
                e -> assertThat(e.getMessage()).contains(SharedSecret.FILE_NAME).contains("is empty")
                        .contains("sessions.sharedSecret").doesNotContain("\n"));
        assertThat(Files.readString(dir.resolve(SharedSecret.FILE_NAME))).as("never overwritten").isEqualTo(" \n");
    }

    @Test
    void loadedSharedSessionsOpenByNameWhateverTheLoadingServersSecret() {
        String team;
        String solo;
        try (PersistFixture s = start("--shared-secret", "first")) {
            team = tkn(s.call("{\"SH_NEW\":{\"name\":\"team\",\"shared\":true}}"));
            solo = tkn(s.call("{\"SH_NEW\":{\"name\":\"solo\",\"shared\":true}}"));
            s.call("{\"SH_SET\":{\"tkn\":" + team + ",\"keys\":{\"k\":\"v\"}}}");
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"ds\"}}").path("st").asInt()).isEqualTo(121);
        }
        try (PersistFixture s = start("--shared-secret", "second")) {
            // "solo" exists here already, created with this server's secret: the loaded one is skipped
            String solo2 = tkn(s.call("{\"SH_NEW\":{\"name\":\"solo\",\"shared\":true}}"));
            assertThat(solo2).isNotEqualTo(solo);
            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"ds\"}}");
            assertThat(load.path("st").asInt()).as("%s", load).isEqualTo(141);
            assertThat(load.path("sessions").asInt()).as("solo skipped: its name is in use").isEqualTo(1);
            assertThat(s.call("{\"SH_OPEN\":{\"name\":\"solo\"}}").get("tkn").toString()).isEqualTo(solo2);
            assertThat(s.call("{\"SH_INFO\":{\"tkn\":" + solo + "}}").path("st").asInt()).isEqualTo(100);

            // "team" keeps the token it was saved with and opens by name
            JsonNode open = s.call("{\"SH_OPEN\":{\"name\":\"team\"}}");
            assertThat(open.path("st").asInt()).as("%s", open).isEqualTo(1);
            assertThat(open.get("tkn").toString()).isEqualTo(team);
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + team + ",\"keys\":[\"k\"]}}").get("keys").toString())
                    .isEqualTo("{\"k\":\"v\"}");
            // its name is taken while it lives, whatever token this server's secret would give it
            assertThat(s.call("{\"SH_NEW\":{\"name\":\"team\",\"shared\":true}}").path("st").asInt()).isEqualTo(103);
            s.call("{\"SH_END\":{\"tkn\":" + team + "}}");
            assertThat(s.call("{\"SH_OPEN\":{\"name\":\"team\"}}").path("st").asInt()).isEqualTo(102);
            String fresh = tkn(s.call("{\"SH_NEW\":{\"name\":\"team\",\"shared\":true}}"));
            assertThat(fresh).isNotEqualTo(team);
            assertThat(s.call("{\"SH_OPEN\":{\"name\":\"team\"}}").get("tkn").toString()).isEqualTo(fresh);
        }
    }

    @Test
    void theServerLogsWhereTheSecretCameFromAndTheDockerStyleRestartKeepsSharedSessions() throws Exception {
        String team;
        String probe;
        try (ServerJvm p = ServerJvm.startServer(List.of("-Xmx256m"), "--port", "0", "--persist-path",
                dir.toString(), "--save-on-shutdown", "sessions", "--load", "sessions",
                "--start-empty-on-load-failure")) {
            try (SatchelClient c = SatchelClient.connect(URI.create("ws://127.0.0.1:" + p.port()))) {
                team = tkn(PersistFixture.body(PersistFixture.raw(c,
                        "{\"SH_NEW\":{\"name\":\"team\",\"shared\":true}}")));
                probe = tkn(PersistFixture.body(PersistFixture.raw(c,
                        "{\"SH_NEW\":{\"name\":\"probe\",\"shared\":true}}")));
                PersistFixture.raw(c, "{\"SH_END\":{\"tkn\":" + probe + "}}");
            }
            String err = p.stderr();
            assertThat(err).contains("shared-session secret: generated and stored in "
                    + dir.resolve(SharedSecret.FILE_NAME)).contains("shared secret generated")
                    .contains("start-up load of 'sessions' failed, started empty").doesNotContain("loaded 'sessions'");
            assertThat(p.terminate()).isIn(0, 143);
        }
        try (ServerJvm p = ServerJvm.startServer(List.of("-Xmx256m"), "--port", "0", "--persist-path",
                dir.toString(), "--save-on-shutdown", "sessions", "--load", "sessions",
                "--start-empty-on-load-failure");
                SatchelClient c = SatchelClient.connect(URI.create("ws://127.0.0.1:" + p.port()))) {
            assertThat(PersistFixture.body(PersistFixture.raw(c, "{\"SH_OPEN\":{\"name\":\"team\"}}")).get("tkn")
                    .toString()).isEqualTo(team);
            assertThat(tkn(PersistFixture.body(PersistFixture.raw(c,
                    "{\"SH_NEW\":{\"name\":\"probe\",\"shared\":true}}")))).isEqualTo(probe);
            assertThat(p.stderr()).contains("shared-session secret: read from " + dir.resolve(SharedSecret.FILE_NAME))
                    .contains("shared secret file").contains("loaded 'sessions' (1 sessions, 0 keys)");
        }
    }
}
