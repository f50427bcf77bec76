package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigException;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.net.StartupException;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.ServerJvm;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a dataset before the port opens, saving on graceful shutdown, and start-up failures. */
class StartupShutdownTest {
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

    @Test
    void startUpLoadRunsBeforeThePortOpensAndShutdownSaveUsesTheSamePath() {
        String tkn;
        ServerConfig first = PersistFixture.config(flags("--save-on-shutdown", "restart"));
        assertThat(first.saveOnShutdown()).isEqualTo("restart");
        try (PersistFixture s = PersistFixture.start(first, Clock.system())) {
            tkn = s.newSession("{\"name\":\"kept\",\"expiry\":{\"duration\":600}}");
            s.call("{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"cart\":[1,2,3]}}}");
            s.call("{\"KV_SET\":{\"keys\":{\"global\":1}}}");
        } // close() saves every session as dataset 'restart'
        assertThat(dir.resolve("restart")).isDirectory();

        ServerConfig second = PersistFixture.config(flags("--load", "restart"));
        assertThat(second.loadOnStart()).isEqualTo("restart");
        try (PersistFixture s = PersistFixture.start(second, Clock.system())) {
            // the first request after start already sees the data: the load finished before the port opened
            JsonNode info = s.call("{\"SH_INFO\":{\"tkn\":" + tkn + "}}");
            assertThat(info.get("st").asInt()).as("%s", info).isEqualTo(1);
            assertThat(info.get("name").asText()).isEqualTo("kept");
            assertThat(info.get("expiry").get("remaining").asLong()).isBetween(590L, 600L);
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"cart\"]}}").get("keys").toString())
                    .isEqualTo("{\"cart\":[1,2,3]}");
            assertThat(s.call("{\"KV_COUNT\":{}}").get("cnt").asInt()).isZero(); // the shutdown save holds sessions
        }
    }

    @Test
    void aKeyDatasetCanBeLoadedAtStartUp() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            s.call("{\"KV_SET\":{\"keys\":{\"a\":\"b\"}}}");
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"keys\"}}").get("st").asInt()).isEqualTo(121);
        }
        try (PersistFixture s = PersistFixture.start(PersistFixture.config(flags("--load", "keys")), Clock.system())) {
            assertThat(s.call("{\"KV_GET\":{\"keys\":[\"a\"]}}").get("keys").get("a").asText()).isEqualTo("b");
        }
    }

    @Test
    void aFailedStartUpLoadStopsTheServerUnlessConfiguredToStartEmpty() throws Exception {
        ServerConfig strict = PersistFixture.config(flags("--load", "missing"));
        SatchelNode server = new SatchelNode(strict, Clock.system());
        assertThatThrownBy(server::start).isInstanceOfSatisfying(StartupException.class,
                e -> assertThat(e.getMessage()).contains("start-up load failed").contains("'missing'")
                        .contains("does not exist").contains("--start-empty-on-load-failure"));

        ServerConfig lenient = PersistFixture.config(flags("--load", "missing", "--start-empty-on-load-failure", "true"));
        assertThat(lenient.startEmptyOnLoadFailure()).isTrue();
        try (PersistFixture s = PersistFixture.start(lenient, Clock.system())) {
            assertThat(s.call("{\"SH_INFO_ALL\":{}}").get("totalSessions").asLong()).isZero();
        }
    }

    @Test
    void badPersistSettingsAreConfigErrors() {
        assertThatThrownBy(() -> PersistFixture.config(flags("--load", "../etc")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("persist.loadOnStart")
                .hasMessageContaining("--load");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SATCHEL_PERSIST_SAVE_ON_SHUTDOWN", "x"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("persist.saveOnShutdown")
                .hasMessageContaining("persist.enabled");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SATCHEL_PERSIST_START_EMPTY_ON_LOAD_FAILURE", "yes"),
                Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("startEmptyOnLoadFailure");
        ServerConfig env = ConfigLoader.load(null, Map.of("SATCHEL_PERSIST_ENABLED", "true",
                "SATCHEL_PERSIST_LOAD_ON_START", "a", "SATCHEL_PERSIST_SAVE_ON_SHUTDOWN", "b"), Map.of());
        assertThat(env.loadOnStart()).isEqualTo("a");
        assertThat(env.saveOnShutdown()).isEqualTo("b");
        ServerConfig defaults = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(defaults.loadOnStart()).isEmpty();
        assertThat(defaults.saveOnShutdown()).isEmpty();
        assertThat(defaults.startEmptyOnLoadFailure()).isFalse();
    }

    @Test
    void anUnwritablePersistPathStopsTheServer() throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.write(file, new byte[] {1});
        ServerConfig cfg = PersistFixture.config(Map.of("--persist-path", file.resolve("data").toString()));
        SatchelNode server = new SatchelNode(cfg, Clock.system());
        assertThatThrownBy(server::start).isInstanceOfSatisfying(StartupException.class,
                e -> assertThat(e.getMessage()).contains("persist.path").contains("not a writable directory"));
        // and a missing one is created
        Path fresh = dir.resolve("x/y/data");
        try (PersistFixture s = PersistFixture.start(fresh)) {
            assertThat(fresh).isDirectory();
            assertThat(s.call("{\"SV_INFO\":{}}").get("persistEnabled").asBoolean()).isTrue();
        }
    }

    @Test
    void commandLineStartUpFailuresExitNonZeroWithOneClearLine() throws Exception {
        try (ServerJvm missing = ServerJvm.runServerToExit("--port", "0", "--persist-path", dir.toString(),
                "--load", "nothing-here")) {
            String err = missing.stderr();
            assertThat(missing.exitCode()).as("exit code; stderr: %s", err).isEqualTo(1);
            assertThat(err.strip().lines().toList()).as("stderr lines").hasSize(1);
            assertThat(err).startsWith("satchel: start-up load failed: dataset 'nothing-here' does not exist")
                    .doesNotContain("\tat ");
        }
        Path file = dir.resolve("file");
        Files.write(file, new byte[] {1});
        try (ServerJvm unwritable = ServerJvm.runServerToExit("--port", "0", "--persist-path", file.toString())) {
            String err = unwritable.stderr();
            assertThat(unwritable.exitCode()).as("exit code; stderr: %s", err).isEqualTo(1);
            assertThat(err.strip().lines().toList()).as("stderr lines").hasSize(1);
            assertThat(err).contains("persist.path").contains("not a writable directory").doesNotContain("\tat ");
        }
    }

    @Test
    void sigtermSavesAndTheNextProcessLoadsWithTheFlags() throws Exception {
        String tkn;
        try (ServerJvm p = ServerJvm.startServer(List.of("-Xmx256m"), "--port", "0", "--persist-path",
                dir.toString(), "--save-on-shutdown", "planned")) {
            try (SatchelClient c = SatchelClient.connect(URI.create("ws://127.0.0.1:" + p.port()))) {
                tkn = PersistFixture.body(PersistFixture.raw(c, "{\"SH_NEW\":{\"expiry\":{\"duration\":300}}}"))
                        .get("tkn").toString();
                PersistFixture.raw(c, "{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"k\":\"\\u00e9\"}}}");
            }
            assertThat(p.terminate()).as("exit status after SIGTERM").isIn(0, 143);
            assertThat(p.stderr()).contains("shutdown save of 1 sessions to dataset 'planned'");
        }
        try (ServerJvm p = ServerJvm.startServer(List.of("-Xmx256m"), "--port", "0", "--persist-path",
                dir.toString(), "--load", "planned");
                SatchelClient c = SatchelClient.connect(URI.create("ws://127.0.0.1:" + p.port()))) {
            assertThat(PersistFixture.raw(c, "{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"k\"]}}"))
                    .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"k\":\"\\u00e9\"}}}");
            assertThat(p.stderr()).contains("loaded dataset 'planned'");
        }
    }
}
