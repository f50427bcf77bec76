package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.config.ConfigException;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The limits, authentication and TLS settings: defaults, sources, validation, and secrets kept out of toString. */
class HardeningConfigTest {

    private static ServerConfig flags(Map<String, String> flags) {
        return ConfigLoader.load(null, Map.of(), flags);
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        ServerConfig c = flags(Map.of());
        ServerConfig.Limits l = c.limits();
        assertThat(l.maxStringBytes()).isEqualTo(1 << 20);
        assertThat(l.maxNumberChars()).isEqualTo(1000);
        assertThat(l.maxKeyBytes()).isEqualTo(1024);
        assertThat(l.maxKeysPerRequest()).isEqualTo(10_000);
        assertThat(l.maxValueBytes()).isEqualTo(1 << 20);
        assertThat(l.maxResponseBytes()).isEqualTo(16 << 20);
        assertThat(l.maxSessions()).isEqualTo(1_000_000);
        assertThat(l.maxKeysPerSession()).isEqualTo(100_000);
        assertThat(l.maxStoredBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 2);
        assertThat(l.maxConnections()).isEqualTo(10_000);
        assertThat(l.maxConnectionsPerAddress()).isEqualTo(1000);
        assertThat(l.handshakeTimeoutSeconds()).isEqualTo(10);
        assertThat(l.idleTimeoutSeconds()).isEqualTo(300);
        assertThat(l.pingTimeoutSeconds()).isEqualTo(30);
        assertThat(l.outboundHighWaterBytes()).isEqualTo(1 << 20);
        assertThat(l.outboundHardLimitBytes()).isEqualTo(32 << 20);
        assertThat(l.outboundStallSeconds()).isEqualTo(60);
        ServerConfig.Security s = c.security();
        assertThat(s.authSecret()).isEmpty();
        assertThat(s.allowUnauthenticated()).isFalse();
        assertThat(s.allowedOrigins()).isEmpty();
        assertThat(s.tls()).isFalse();
    }

    @Test
    void everyNewSettingHasAFlagAndAnEnvironmentVariable() {
        List<ConfigLoader.Setting> mine = ConfigLoader.SETTINGS.stream()
                .filter(x -> x.key().startsWith("limits.") || x.key().startsWith("tls.")
                        || x.key().startsWith("server.a"))
                .toList();
        assertThat(mine).hasSizeGreaterThanOrEqualTo(20);
        for (ConfigLoader.Setting s : mine) {
            assertThat(s.env()).startsWith("SATCHEL_");
            assertThat(s.flag()).startsWith("--");
        }
        ServerConfig env = ConfigLoader.load(null, Map.of("SATCHEL_MAX_SESSIONS", "7", "SATCHEL_AUTH_SECRET", "e",
                "SATCHEL_MAX_STORED_BYTES", "64m", "SATCHEL_ALLOWED_ORIGINS", "https://a.example, https://B.example/"),
                Map.of("--max-sessions", "8"));
        assertThat(env.limits().maxSessions()).as("flag over env").isEqualTo(8);
        assertThat(env.security().authSecret()).isEqualTo("e");
        assertThat(env.limits().maxStoredBytes()).isEqualTo(64L << 20);
        assertThat(env.security().allowedOrigins()).containsExactly("https://a.example", "https://b.example");
        assertThat(flags(Map.of("--max-stored-bytes", "2g")).limits().maxStoredBytes()).isEqualTo(2L << 30);
        assertThat(flags(Map.of("--max-stored-bytes", "1000")).limits().maxStoredBytes()).isEqualTo(1000);
        assertThat(flags(Map.of("--max-stored-bytes", " 16K ")).limits().maxStoredBytes()).isEqualTo(16L << 10);
        assertThat(flags(Map.of("--allow-unauthenticated", "true")).security().allowUnauthenticated()).isTrue();
    }

    @Test
    void badValuesAreOneLineNamingTheSetting() {
        assertThatThrownBy(() -> flags(Map.of("--max-stored-bytes", "lots"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.maxStoredBytes").hasMessageContaining("auto");
        assertThatThrownBy(() -> flags(Map.of("--max-stored-bytes", "0"))).hasMessageContaining("limits.maxStoredBytes");
        assertThatThrownBy(() -> flags(Map.of("--outbound-hard-limit-bytes", "1048576")))
                .hasMessageContaining("limits.outboundHardLimitBytes").hasMessageContaining("outboundHighWaterBytes");
        assertThatThrownBy(() -> flags(Map.of("--tls-cert-file", "c.pem"))).hasMessageContaining("tls.keyFile");
        assertThatThrownBy(() -> flags(Map.of("--tls-key-file", "k.pem"))).hasMessageContaining("tls.certFile");
        assertThatThrownBy(() -> flags(Map.of("--tls-key-store", "s.p12", "--tls-cert-file", "c.pem",
                "--tls-key-file", "k.pem"))).hasMessageContaining("either tls.keyStore");
        assertThatThrownBy(() -> flags(Map.of("--allowed-origins", "app.example.com")))
                .hasMessageContaining("server.allowedOrigins").hasMessageContaining("scheme://");
        assertThatThrownBy(() -> flags(Map.of("--idle-timeout-seconds", "-1"))).hasMessageContaining("limits.idleTimeoutSeconds");
        assertThatThrownBy(() -> flags(Map.of("--max-connections", "0"))).hasMessageContaining("limits.maxConnections");
    }

    @Test
    void secretsNeverShowInToString() {
        ServerConfig c = flags(Map.of("--auth-secret", "AUTH-SECRET", "--shared-secret", "SHARED-SECRET",
                "--tls-key-store", "k.p12", "--tls-key-store-password", "STORE-PASSWORD"));
        assertThat(c.toString()).doesNotContain("AUTH-SECRET").doesNotContain("SHARED-SECRET")
                .doesNotContain("STORE-PASSWORD").contains("authSecret=(set)").contains("k.p12");
    }
}
