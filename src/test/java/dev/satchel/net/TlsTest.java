package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.SatchelClientException;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * wss:// from a configured certificate and key: a PKCS#12 key store made by keytool in the test, and the same
 * key and certificate as PEM files. Authentication works over TLS as over plain WebSocket.
 */
@ExtendWith(NoThreadLeaks.class)
class TlsTest {
    private static final String PASSWORD = "changeit";
    @TempDir
    static Path dir;
    private static Path keyStore;
    private static Path certPem;
    private static Path keyPem;

    @BeforeAll
    static void makeCertificate() throws Exception {
        keyStore = dir.resolve("server.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "satchel", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", keyStore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool: %s", out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Certificate cert = ks.getCertificate("satchel");
        PrivateKey key = (PrivateKey) ks.getKey("satchel", PASSWORD.toCharArray());
        certPem = dir.resolve("cert.pem");
        keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static URI wss(TestServer s, String query) {
        return URI.create("wss://127.0.0.1:" + s.port() + "/" + query);
    }

    @Test
    void pkcs12KeyStoreServesWssWithAuthentication() {
        try (TestServer s = TestServer.start(TestServer.config(Map.of("--tls-key-store", keyStore.toString(),
                "--tls-key-store-password", PASSWORD, "--auth-secret", "tls-secret")))) {
            try (SatchelClient c = SatchelClient.connect(wss(s, ""), ClientOptions.builder().insecureTrustAll(true)
                    .header("Authorization", "Bearer tls-secret").build())) {
                Wire.assertUsable(c);
                String t = Wire.token(Wire.call(c, "{\"SH_NEW\":{}}"), "SH_NEW_RSP").toString();
                Wire.ok(Wire.call(c, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":\"over tls\"}}}"), "SH_SET_RSP");
                assertThat(Wire.call(c, "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"k\"]}}"))
                        .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"k\":\"over tls\"}}}");
            }
            try (SatchelClient c = SatchelClient.connect(wss(s, "?token=tls-secret"),
                    ClientOptions.builder().insecureTrustAll(true).build())) {
                Wire.assertUsable(c);
            }
            assertThatThrownBy(() -> SatchelClient.connect(wss(s, ""), ClientOptions.builder().insecureTrustAll(true)
                    .build())).isInstanceOf(SatchelClientException.class).hasMessageContaining("401");
            // plain ws:// to a TLS port does not get a WebSocket
            assertThatThrownBy(() -> SatchelClient.connect(URI.create("ws://127.0.0.1:" + s.port() + "/?token=tls-secret"),
                    ClientOptions.builder().connectTimeout(java.time.Duration.ofSeconds(5)).build()))
                    .isInstanceOf(SatchelClientException.class);
        }
    }

    @Test
    void aClientThatNeverCompletesTheTlsHandshakeIsCutOffAtTheHandshakeTimeout() throws Exception {
        try (TestServer s = TestServer.start(TestServer.config(Map.of("--tls-key-store", keyStore.toString(),
                "--tls-key-store-password", PASSWORD, "--handshake-timeout-seconds", "1")));
                RawWebSocket raw = RawWebSocket.tcp(s.port())) {
            long start = System.nanoTime();
            raw.write(new byte[] {0x16, 0x03, 0x01}); // the first bytes of a TLS record, and then nothing
            raw.assertEndOfStream();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(800L, 4000L);
        }
    }

    @Test
    void pemCertificateAndKeyServeWss() {
        try (TestServer s = TestServer.start(TestServer.config(Map.of("--tls-cert-file", certPem.toString(),
                "--tls-key-file", keyPem.toString())));
                SatchelClient c = SatchelClient.connect(wss(s, ""), ClientOptions.builder().insecureTrustAll(true).build())) {
            Wire.assertUsable(c);
        }
    }

    @Test
    void unreadableKeyMaterialStopsTheStartWithOneLineAndNoPassword() {
        SatchelNode wrongPassword = new SatchelNode(TestServer.config(Map.of("--tls-key-store",
                keyStore.toString(), "--tls-key-store-password", "not-the-password")), Clock.system());
        assertThatThrownBy(wrongPassword::start).isInstanceOf(StartupException.class)
                .hasMessageStartingWith("TLS: cannot use tls.keyStore " + keyStore)
                .hasMessageNotContaining("not-the-password");
        SatchelNode missing = new SatchelNode(TestServer.config(Map.of("--tls-cert-file",
                dir.resolve("nope.pem").toString(), "--tls-key-file", keyPem.toString())), Clock.system());
        assertThatThrownBy(missing::start).isInstanceOf(StartupException.class)
                .hasMessageStartingWith("TLS: cannot use tls.certFile " + dir.resolve("nope.pem"));
        SatchelNode swapped = new SatchelNode(TestServer.config(Map.of("--tls-cert-file", keyPem.toString(),
                "--tls-key-file", certPem.toString())), Clock.system());
        assertThatThrownBy(swapped::start).isInstanceOf(StartupException.class)
                .hasMessageStartingWith("TLS: cannot use");
    }
}
