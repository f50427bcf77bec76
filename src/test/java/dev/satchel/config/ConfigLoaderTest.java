package dev.satchel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings come from flag > environment > file > default; every problem is a one-line ConfigException. */
class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path file(String json) throws IOException {
        Path f = Files.createTempFile(dir, "satchel", ".json");
        Files.writeString(f, json, StandardCharsets.UTF_8);
        return f;
    }

    private static ConfigException failure(Path file, Map<String, String> env, Map<String, String> flags) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> ConfigLoader.load(file, env, flags));
        assertThat(t).isExactlyInstanceOf(ConfigException.class);
        assertThat(t.getMessage()).as("one-line message").isNotBlank().doesNotContain("\n").doesNotContain("\r");
        return (ConfigException) t;
    }

    @Test
    void defaults() {
        ServerConfig d = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(d.bind()).isEqualTo("127.0.0.1");
        assertThat(d.port()).isEqualTo(1987);
        assertThat(d.ioThreads()).isZero();
        assertThat(d.maxMessageBytes()).isEqualTo(1 << 20);
        assertThat(d.maxDepth()).isEqualTo(64);
        assertThat(d.maxInFlight()).isEqualTo(4096);
        assertThat(d.tokenFormat()).isEqualTo(TokenFormat.STRING);
        assertThat(d.sharedSecret()).isEmpty();
        assertThat(d.expiryTickMillis()).isEqualTo(100);
        assertThat(d.persistEnabled()).isFalse();
        assertThat(d.persistPath()).isEqualTo(Path.of("data"));
        assertThat(d.effectiveIoThreads()).isBetween(1, 4);
    }

    @Test
    void flagBeatsEnvBeatsFileBeatsDefault() throws IOException {
        Path f = file("{\"server\":{\"port\":1111},\"limits\":{\"maxMessageBytes\":5000,\"maxDepth\":10},"
                + "\"sessions\":{\"tokenFormat\":\"uint64\",\"expiryTickMs\":50,\"sharedSecret\":\"file\"}}");
        Map<String, String> env = Map.of("SATCHEL_PORT", "2222", "SATCHEL_MAX_MESSAGE_BYTES", "6000",
                "SATCHEL_SHARED_SECRET", "env");
        Map<String, String> flags = Map.of("--port", "3333", "--shared-secret", "flag");

        ServerConfig all = ConfigLoader.load(f, env, flags);
        assertThat(all.port()).as("flag over env, file, default").isEqualTo(3333);
        assertThat(all.sharedSecret()).as("flag over env and file").isEqualTo("flag");
        assertThat(all.maxMessageBytes()).as("env over file").isEqualTo(6000);
        assertThat(all.maxDepth()).as("file over default").isEqualTo(10);
        assertThat(all.tokenFormat()).as("file over default").isEqualTo(TokenFormat.UINT64);
        assertThat(all.expiryTickMillis()).as("file over default").isEqualTo(50);
        assertThat(all.maxInFlight()).as("default").isEqualTo(4096);
        assertThat(all.source()).isEqualTo(f.toString());

        ServerConfig noFlags = ConfigLoader.load(f, env, Map.of());
        assertThat(noFlags.port()).isEqualTo(2222);
        assertThat(noFlags.sharedSecret()).isEqualTo("env");

        ServerConfig fileOnly = ConfigLoader.load(f, Map.of(), Map.of());
        assertThat(fileOnly.port()).isEqualTo(1111);
        assertThat(fileOnly.maxMessageBytes()).isEqualTo(5000);
        assertThat(fileOnly.sharedSecret()).isEqualTo("file");

        ServerConfig none = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(none.port()).isEqualTo(1987);
        assertThat(none.tokenFormat()).isEqualTo(TokenFormat.STRING);
        assertThat(none.source()).isEqualTo("defaults");

        // env and flags work without a file too, and a flag beats the environment
        ServerConfig envOnly = ConfigLoader.load(null, Map.of("SATCHEL_TOKEN_FORMAT", "uint64",
                "SATCHEL_BIND", "0.0.0.0"), Map.of("--bind", "::1"));
        assertThat(envOnly.tokenFormat()).isEqualTo(TokenFormat.UINT64);
        assertThat(envOnly.bind()).isEqualTo("::1");
    }

    @Test
    void everySettingHasAWorkingFlagAndEnvironmentVariable() {
        Map<String, String> flags = Map.ofEntries(
                Map.entry("--bind", "10.0.0.1"), Map.entry("--port", "0"), Map.entry("--io-threads", "3"),
                Map.entry("--max-message-bytes", "128"), Map.entry("--max-depth", "3"),
                Map.entry("--max-in-flight", "1"), Map.entry("--token-format", "uint64"),
                Map.entry("--shared-secret", "s"), Map.entry("--expiry-tick-ms", "60000"),
                Map.entry("--persist-enabled", "true"), Map.entry("--persist-path", "/tmp/p"));
        ServerConfig f = ConfigLoader.load(null, Map.of(), flags);
        assertSettings(f, "10.0.0.1", 0, 3, 128, 3, 1, TokenFormat.UINT64, "s", 60000, true, Path.of("/tmp/p"));
        Map<String, String> env = Map.ofEntries(
                Map.entry("SATCHEL_BIND", "10.0.0.2"), Map.entry("SATCHEL_PORT", "65535"),
                Map.entry("SATCHEL_IO_THREADS", "256"), Map.entry("SATCHEL_MAX_MESSAGE_BYTES", "268435456"),
                Map.entry("SATCHEL_MAX_DEPTH", "1000"), Map.entry("SATCHEL_MAX_IN_FLIGHT", "1000000"),
                Map.entry("SATCHEL_TOKEN_FORMAT", "string"), Map.entry("SATCHEL_SHARED_SECRET", "e"),
                Map.entry("SATCHEL_EXPIRY_TICK_MS", "1"), Map.entry("SATCHEL_PERSIST_ENABLED", "false"),
                Map.entry("SATCHEL_PERSIST_PATH", "d2"));
        ServerConfig e = ConfigLoader.load(null, env, Map.of());
        assertSettings(e, "10.0.0.2", 65535, 256, 268435456, 1000, 1000000, TokenFormat.STRING, "e", 1, false,
                Path.of("d2"));
    }

    private static void assertSettings(ServerConfig c, String bind, int port, int ioThreads, int maxMessageBytes,
            int maxDepth, int maxInFlight, TokenFormat format, String secret, long tick, boolean persist, Path path) {
        assertThat(c.bind()).isEqualTo(bind);
        assertThat(c.port()).isEqualTo(port);
        assertThat(c.ioThreads()).isEqualTo(ioThreads);
        assertThat(c.maxMessageBytes()).isEqualTo(maxMessageBytes);
        assertThat(c.maxDepth()).isEqualTo(maxDepth);
        assertThat(c.maxInFlight()).isEqualTo(maxInFlight);
        assertThat(c.tokenFormat()).isEqualTo(format);
        assertThat(c.sharedSecret()).isEqualTo(secret);
        assertThat(c.expiryTickMillis()).isEqualTo(tick);
        assertThat(c.persistEnabled()).isEqualTo(persist);
        assertThat(c.persistPath()).isEqualTo(path);
    }

    @Test
    void shippedConfigFileLoadsAndEqualsTheDefaults() {
        Path shipped = Path.of("config/satchel.json");
        assertThat(shipped).exists();
        ServerConfig fromFile = ConfigLoader.load(shipped, Map.of(), Map.of());
        ServerConfig defaults = ConfigLoader.load(null, Map.of(), Map.of());
        assertThat(fromFile).usingRecursiveComparison().ignoringFields("source").isEqualTo(defaults);
        assertThat(fromFile.source()).isEqualTo(shipped.toString());
    }

    @Test
    void commentsAreAllowedInTheFile() throws IOException {
        Path f = file("// leading\n{ /* block */ \"server\": { \"port\": 4321 // trailing\n } }");
        assertThat(ConfigLoader.load(f, Map.of(), Map.of()).port()).isEqualTo(4321);
    }

    @Test
    void badValueFromTheFileNamesSettingValueAndFile() throws IOException {
        Path f = file("{\"server\":{\"port\":\"abc\"}}");
        assertThat(failure(f, Map.of(), Map.of()).getMessage())
                .contains("server.port").contains("abc").contains("file").contains(f.toString());
        Path g = file("{\"sessions\":{\"tokenFormat\":\"hex\"}}");
        assertThat(failure(g, Map.of(), Map.of()).getMessage())
                .contains("sessions.tokenFormat").contains("hex").contains(g.toString());
        Path h = file("{\"persist\":{\"enabled\":\"maybe\"}}");
        assertThat(failure(h, Map.of(), Map.of()).getMessage())
                .contains("persist.enabled").contains("maybe").contains(h.toString());
    }

    @Test
    void badValueFromTheEnvironmentNamesSettingValueAndVariable() {
        assertThat(failure(null, Map.of("SATCHEL_PORT", "70000"), Map.of()).getMessage())
                .contains("server.port").contains("70000").contains("SATCHEL_PORT");
        assertThat(failure(null, Map.of("SATCHEL_MAX_DEPTH", "2"), Map.of()).getMessage())
                .contains("limits.maxDepth").contains("\"2\"").contains("SATCHEL_MAX_DEPTH");
        assertThat(failure(null, Map.of("SATCHEL_BIND", " "), Map.of()).getMessage())
                .contains("server.bind").contains("SATCHEL_BIND");
    }

    @Test
    void badValueFromAFlagNamesSettingValueAndFlag() {
        assertThat(failure(null, Map.of(), Map.of("--port", "abc")).getMessage())
                .contains("server.port").contains("abc").contains("--port");
        assertThat(failure(null, Map.of(), Map.of("--max-message-bytes", "127")).getMessage())
                .contains("limits.maxMessageBytes").contains("127").contains("--max-message-bytes");
        assertThat(failure(null, Map.of(), Map.of("--expiry-tick-ms", "0")).getMessage())
                .contains("sessions.expiryTickMs").contains("\"0\"").contains("--expiry-tick-ms");
        assertThat(failure(null, Map.of(), Map.of("--token-format", "UINT-64")).getMessage())
                .contains("sessions.tokenFormat").contains("UINT-64").contains("--token-format");
    }

    @Test
    void aGoodFlagOverridesABadEnvironmentValueButNotViceVersa() throws IOException {
        assertThat(ConfigLoader.load(null, Map.of("SATCHEL_PORT", "abc"), Map.of("--port", "5")).port()).isEqualTo(5);
        Path f = file("{\"server\":{\"port\":\"abc\"}}");
        assertThat(ConfigLoader.load(f, Map.of("SATCHEL_PORT", "6"), Map.of()).port()).isEqualTo(6);
        assertThat(failure(f, Map.of("SATCHEL_PORT", "zz"), Map.of()).getMessage()).contains("zz")
                .contains("SATCHEL_PORT");
    }

    @Test
    void unknownSettingInTheFileIsNamed() throws IOException {
        Path f = file("{\"server\":{\"prot\":1987}}");
        assertThat(failure(f, Map.of(), Map.of()).getMessage()).contains("server.prot").contains(f.toString());
        Path g = file("{\"verbose\":true}");
        assertThat(failure(g, Map.of(), Map.of()).getMessage()).contains("verbose");
    }

    @Test
    void containerValueForASettingIsRejected() throws IOException {
        Path f = file("{\"server\":{\"port\":[1987]}}");
        assertThat(failure(f, Map.of(), Map.of()).getMessage()).contains("server.port").contains(f.toString());
    }

    @Test
    void malformedJsonFileIsReported() throws IOException {
        Path f = file("{\"server\": {\"port\": 1987,,}}");
        assertThat(failure(f, Map.of(), Map.of()).getMessage()).contains(f.toString()).contains("JSON");
        Path array = file("[1,2]");
        assertThat(failure(array, Map.of(), Map.of()).getMessage()).contains(array.toString());
    }

    @Test
    void missingFileIsReported() {
        Path missing = dir.resolve("nope.json");
        assertThat(failure(missing, Map.of(), Map.of()).getMessage()).contains(missing.toString())
                .contains("does not exist");
    }

    @Test
    void persistPathFlagEnablesPersistence() throws IOException {
        ServerConfig c = ConfigLoader.load(null, Map.of(), Map.of("--persist-path", "/var/lib/satchel"));
        assertThat(c.persistEnabled()).isTrue();
        assertThat(c.persistPath()).isEqualTo(Path.of("/var/lib/satchel"));
        // even over a file that disables it
        Path f = file("{\"persist\":{\"enabled\":false,\"path\":\"x\"}}");
        ServerConfig d = ConfigLoader.load(f, Map.of(), Map.of("--persist-path", "y"));
        assertThat(d.persistEnabled()).isTrue();
        assertThat(d.persistPath()).isEqualTo(Path.of("y"));
        // a path from the file alone does not enable it
        ServerConfig e = ConfigLoader.load(f, Map.of(), Map.of());
        assertThat(e.persistEnabled()).isFalse();
        assertThat(e.persistPath()).isEqualTo(Path.of("x"));
    }

    @Test
    void unknownFlagIsRejected() {
        assertThat(failure(null, Map.of(), Map.of("--nope", "1")).getMessage()).contains("--nope");
    }

    @Test
    void withPortAndWithTokenFormatChangeOnlyThatSetting() {
        ServerConfig d = ConfigLoader.load(null, Map.of(), Map.of("--shared-secret", "k"));
        ServerConfig p = d.withPort(0);
        assertThat(p).usingRecursiveComparison().ignoringFields("port").isEqualTo(d);
        assertThat(p.port()).isZero();
        ServerConfig t = d.withTokenFormat(TokenFormat.UINT64);
        assertThat(t).usingRecursiveComparison().ignoringFields("tokenFormat").isEqualTo(d);
        assertThat(t.tokenFormat()).isEqualTo(TokenFormat.UINT64);
    }

    @Test
    void errorMessagesNeverEchoSharedSecretOfOtherSettings() {
        ConfigException e = failure(null, Map.of("SATCHEL_SHARED_SECRET", "top-secret"), Map.of("--port", "x"));
        assertThat(e.getMessage()).doesNotContain("top-secret");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of("--max-in-flight", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("limits.maxInFlight");
    }
}
