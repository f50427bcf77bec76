package dev.satchel.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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

    // ---- cluster settings (issue 11) ----

    private static final String SECRET = "0123456789abcdef-cluster";

    @Test
    void clusterDefaultsAreStandalone() {
        ServerConfig.Cluster c = ConfigLoader.load(null, Map.of(), Map.of()).cluster();
        assertThat(c.enabled()).isFalse();
        assertThat(c.name()).isEqualTo("satchel");
        assertThat(c.bind()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(7800);
        assertThat(c.members()).isEmpty();
        assertThat(c.dnsQuery()).isEmpty();
        assertThat(c.dnsServer()).as("the system resolver").isNull();
        assertThat(c.secret()).isEmpty();
        assertThat(c.owners()).isEqualTo(2);
        assertThat(c.minMembers()).as("0: the default rule (a majority of cluster.members, 2 with DNS)").isZero();
    }

    @Test
    void clusterMinMembersFromEveryOriginAndChecked() throws IOException {
        Map<String, String> members = Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_MEMBERS",
                "a:1,b:1,c:1", "SATCHEL_CLUSTER_SECRET", SECRET);
        assertThat(ConfigLoader.load(null, members, Map.of("--cluster-min-members", "3")).cluster().minMembers())
                .isEqualTo(3);
        Map<String, String> env = new java.util.HashMap<>(members);
        env.put("SATCHEL_CLUSTER_MIN_MEMBERS", "1");
        assertThat(ConfigLoader.load(null, env, Map.of()).cluster().minMembers()).isEqualTo(1);
        Path f = file("{\"cluster\":{\"minMembers\":2}}");
        assertThat(ConfigLoader.load(f, members, Map.of()).cluster().minMembers()).isEqualTo(2);
        // this member may be missing from the list: one more than listed is still reachable
        assertThat(ConfigLoader.load(null, members, Map.of("--cluster-min-members", "4")).cluster().minMembers())
                .isEqualTo(4);
        assertThat(failure(null, members, Map.of("--cluster-min-members", "5")).getMessage())
                .contains("invalid setting cluster.minMembers = \"5\" (from flag --cluster-min-members)",
                        "never become ready");
        assertThat(failure(null, members, Map.of("--cluster-min-members", "-1")).getMessage())
                .contains("cluster.minMembers", "0 to 1024");
        // DNS discovery: the size is not known from the settings, any number goes
        assertThat(ConfigLoader.load(null, Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_DNS_QUERY",
                "satchel.ns.svc.cluster.local", "SATCHEL_CLUSTER_SECRET", SECRET, "SATCHEL_CLUSTER_MIN_MEMBERS", "7"),
                Map.of()).cluster().minMembers()).isEqualTo(7);
    }

    @Test
    void clusterSettingsFromFlagsEnvAndFile() throws IOException {
        ServerConfig.Cluster flags = ConfigLoader.load(null, Map.of(), Map.of("--cluster", "true", "--cluster-name",
                "prod-1", "--cluster-bind", "10.0.0.5", "--cluster-port", "7900", "--cluster-members",
                " 10.0.0.5:7900, node-b:7900 ,[::1]:7901", "--cluster-secret", SECRET, "--cluster-owners", "3"))
                .cluster();
        assertThat(flags.enabled()).isTrue();
        assertThat(flags.name()).isEqualTo("prod-1");
        assertThat(flags.bind()).isEqualTo("10.0.0.5");
        assertThat(flags.port()).isEqualTo(7900);
        assertThat(flags.members()).containsExactly(new ServerConfig.HostPort("10.0.0.5", 7900),
                new ServerConfig.HostPort("node-b", 7900), new ServerConfig.HostPort("::1", 7901));
        assertThat(flags.secret()).isEqualTo(SECRET);
        assertThat(flags.owners()).isEqualTo(3);

        ServerConfig.Cluster env = ConfigLoader.load(null, Map.of("SATCHEL_CLUSTER_ENABLED", "true",
                "SATCHEL_CLUSTER_DNS_QUERY", "satchel-headless.ns.svc.cluster.local", "SATCHEL_CLUSTER_SECRET", SECRET,
                "SATCHEL_CLUSTER_OWNERS", "1", "SATCHEL_CLUSTER_NAME", "envname", "SATCHEL_CLUSTER_PORT", "7000",
                "SATCHEL_CLUSTER_BIND", "192.168.1.2"), Map.of()).cluster();
        assertThat(env.enabled()).isTrue();
        assertThat(env.dnsQuery()).isEqualTo("satchel-headless.ns.svc.cluster.local");
        assertThat(env.members()).isEmpty();
        assertThat(env.owners()).isEqualTo(1);
        assertThat(env.name()).isEqualTo("envname");
        assertThat(env.port()).isEqualTo(7000);
        assertThat(env.bind()).isEqualTo("192.168.1.2");

        Path f = file("{\"cluster\":{\"enabled\":true,\"members\":\"a:1,b:2\",\"secret\":\"" + SECRET
                + "\",\"owners\":2}}");
        ServerConfig.Cluster file = ConfigLoader.load(f, Map.of(), Map.of("--cluster-owners", "4")).cluster();
        assertThat(file.members()).extracting(ServerConfig.HostPort::toString).containsExactly("a:1", "b:2");
        assertThat(file.owners()).as("flag over file").isEqualTo(4);
    }

    @Test
    void clusterDnsServerFromEveryOriginAndChecked() throws IOException {
        Map<String, String> dns = Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_DNS_QUERY",
                "satchel.service.consul", "SATCHEL_CLUSTER_SECRET", SECRET);
        assertThat(ConfigLoader.load(null, dns, Map.of("--cluster-dns-server", "10.96.0.10")).cluster().dnsServer())
                .as("port 53 unless given").isEqualTo(new ServerConfig.HostPort("10.96.0.10", 53));
        Map<String, String> env = new java.util.HashMap<>(dns);
        env.put("SATCHEL_CLUSTER_DNS_SERVER", " 127.0.0.1:8600 ");
        assertThat(ConfigLoader.load(null, env, Map.of()).cluster().dnsServer())
                .isEqualTo(new ServerConfig.HostPort("127.0.0.1", 8600));
        ServerConfig.HostPort v6 = ConfigLoader.load(file("{\"cluster\":{\"dnsServer\":\"[fd00::a]:5353\"}}"), dns,
                Map.of()).cluster().dnsServer();
        assertThat(v6).isEqualTo(new ServerConfig.HostPort("fd00::a", 5353));
        assertThat(v6.toString()).as("the form JNDI's dns:// URL takes").isEqualTo("[fd00::a]:5353");
        assertThat(ConfigLoader.load(null, dns, Map.of("--cluster-dns-server", "::1")).cluster().dnsServer())
                .isEqualTo(new ServerConfig.HostPort("::1", 53));
        assertThat(ConfigLoader.load(null, dns, Map.of("--cluster-dns-server", "[::1]")).cluster().dnsServer())
                .isEqualTo(new ServerConfig.HostPort("::1", 53));
        assertThat(ConfigLoader.load(null, dns, Map.of("--cluster-dns-server", "dns.internal:53")).cluster()
                .dnsServer()).isEqualTo(new ServerConfig.HostPort("dns.internal", 53));
        assertThat(ConfigLoader.load(null, env, Map.of()).cluster().toString()).contains("dnsServer=127.0.0.1:8600");
        assertThat(ConfigLoader.load(null, dns, Map.of()).cluster().toString())
                .contains("dnsServer=(system resolver)");
        for (String bad : List.of("h:0", "h:x", "h:", "h:70000", "[::1", "[::1]x", "[::1]:", "bad host", "-h", "[]:53",
                "[zz::1]:53")) {
            assertThat(failure(null, dns, Map.of("--cluster-dns-server", bad)).getMessage()).as(bad)
                    .contains("invalid setting cluster.dnsServer = \"" + bad + "\" (from flag --cluster-dns-server)",
                            "host[:port]");
        }
        // only DNS discovery asks it: with a members list it would be ignored, so it is refused
        assertThat(failure(null, Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_MEMBERS", "a:1",
                "SATCHEL_CLUSTER_SECRET", SECRET, "SATCHEL_CLUSTER_DNS_SERVER", "10.0.0.2"), Map.of()).getMessage())
                .contains("invalid setting cluster.dnsServer = \"10.0.0.2\" (from env SATCHEL_CLUSTER_DNS_SERVER)",
                        "set cluster.dnsQuery too");
        // standalone: unused, like the other cluster settings
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("--cluster-dns-server", "10.0.0.2")).cluster().enabled())
                .isFalse();
    }

    @Test
    void clusterModeNeedsDiscoveryAndASecret() {
        assertThat(failure(null, Map.of(), Map.of("--cluster", "true", "--cluster-secret", SECRET)).getMessage())
                .contains("cluster.members", "cluster.dnsQuery", "--cluster-members");
        assertThat(failure(null, Map.of(), Map.of("--cluster", "true", "--cluster-members", "a:1",
                "--cluster-dns-query", "x.local", "--cluster-secret", SECRET)).getMessage())
                .contains("cluster.dnsQuery", "not both");
        ConfigException none = failure(null, Map.of(), Map.of("--cluster", "true", "--cluster-members", "a:1"));
        assertThat(none.getMessage()).contains("invalid setting cluster.secret", "required", "SATCHEL_CLUSTER_SECRET");
        ConfigException shortOne = failure(null, Map.of("SATCHEL_CLUSTER_SECRET", "tooShort123"),
                Map.of("--cluster", "true", "--cluster-members", "a:1"));
        assertThat(shortOne.getMessage()).contains("cluster.secret", "11 characters", "env SATCHEL_CLUSTER_SECRET",
                "at least 16").doesNotContain("tooShort123");
        // standalone ignores an absent secret and empty discovery
        assertThat(ConfigLoader.load(null, Map.of(), Map.of("--cluster", "false")).cluster().enabled()).isFalse();
    }

    @Test
    void badClusterValuesNameSettingValueAndSource() {
        Map<String, String> ok = Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_MEMBERS", "h:7800",
                "SATCHEL_CLUSTER_SECRET", SECRET);
        assertThat(failure(null, ok, Map.of("--cluster-owners", "0")).getMessage())
                .contains("invalid setting cluster.owners = \"0\" (from flag --cluster-owners)", "1 to 8");
        assertThat(failure(null, ok, Map.of("--cluster-owners", "9")).getMessage()).contains("cluster.owners");
        assertThat(failure(null, ok, Map.of("--cluster-port", "0")).getMessage()).contains("cluster.port");
        assertThat(failure(null, ok, Map.of("--cluster-port", "65500")).getMessage()).contains("cluster.port");
        assertThat(failure(null, ok, Map.of("--cluster-port", "1987")).getMessage())
                .contains("cluster.port", "server.port");
        assertThat(failure(null, ok, Map.of("--cluster-port", "1887")).getMessage())
                .contains("cluster.port", "cluster.port + 100");
        assertThat(failure(null, ok, Map.of("--cluster-port", "1988")).getMessage())
                .contains("cluster.port", "admin.port");
        assertThat(failure(null, ok, Map.of("--cluster-members", "h")).getMessage())
                .contains("invalid setting cluster.members = \"h\" (from flag --cluster-members)", "host:port");
        assertThat(failure(null, ok, Map.of("--cluster-members", "h:0")).getMessage()).contains("cluster.members");
        assertThat(failure(null, ok, Map.of("--cluster-members", "h:x")).getMessage()).contains("cluster.members");
        assertThat(failure(null, ok, Map.of("--cluster-name", "has space")).getMessage()).contains("cluster.name");
        assertThat(failure(null, ok, Map.of("--cluster-name", "")).getMessage()).contains("cluster.name");
        assertThat(failure(null, ok, Map.of("--cluster-bind", "0.0.0.0")).getMessage())
                .contains("cluster.bind", "wildcard");
        assertThat(failure(null, ok, Map.of("--cluster-bind", " ")).getMessage()).contains("cluster.bind");
        assertThat(failure(null, Map.of("SATCHEL_CLUSTER_ENABLED", "yes"), Map.of()).getMessage())
                .contains("cluster.enabled", "env SATCHEL_CLUSTER_ENABLED", "true or false");
        assertThat(failure(null, Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_DNS_QUERY", "bad name!",
                "SATCHEL_CLUSTER_SECRET", SECRET), Map.of()).getMessage()).contains("cluster.dnsQuery");
    }

    @Test
    void clusterModeRefusesTheStandaloneOnlyPersistenceSettings() {
        Map<String, String> ok = Map.of("SATCHEL_CLUSTER_ENABLED", "true", "SATCHEL_CLUSTER_MEMBERS", "h:7800",
                "SATCHEL_CLUSTER_SECRET", SECRET);
        assertThat(failure(null, ok, Map.of("--persist-path", dir.toString(), "--journal", "everysec")).getMessage())
                .contains("persist.journal", "cluster mode");
        assertThat(failure(null, ok, Map.of("--load", "s1")).getMessage()).contains("persist.loadOnStart", "cluster");
        assertThat(failure(null, ok, Map.of("--persist-path", dir.toString(), "--save-on-shutdown", "s1"))
                .getMessage()).contains("persist.saveOnShutdown", "cluster");
        assertThat(ConfigLoader.load(null, ok, Map.of("--persist-path", dir.toString())).persistEnabled()).isTrue();
    }

    @Test
    void clusterSecretIsNeverPrinted() {
        ServerConfig c = ConfigLoader.load(null, Map.of(), Map.of("--cluster", "true", "--cluster-members",
                "127.0.0.1:7800", "--cluster-secret", SECRET));
        assertThat(c.toString()).doesNotContain(SECRET).contains("secret=(set)", "owners=2");
        assertThat(c.cluster().toString()).doesNotContain(SECRET);
        assertThat(failure(null, Map.of("SATCHEL_CLUSTER_SECRET", SECRET), Map.of("--cluster", "true",
                "--cluster-members", "a:1", "--cluster-owners", "x")).getMessage()).doesNotContain(SECRET);
    }
}
