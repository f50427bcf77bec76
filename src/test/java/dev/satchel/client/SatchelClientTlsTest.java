package dev.satchel.client;

import static dev.satchel.client.ScriptedServerHandler.echo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code wss://} against a test server with a self-signed certificate made by the JDK's keytool. */
class SatchelClientTlsTest {

    private static final char[] PASSWORD = "changeit".toCharArray();

    private static X509Certificate certificate;
    private static WebSocketTestServer server;

    @BeforeAll
    static void startTlsServer(@TempDir Path dir) throws Exception {
        KeyStore keyStore = selfSignedKeyStore(dir.resolve("server.p12"));
        certificate = (X509Certificate) keyStore.getCertificate("satchel");
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keyStore, PASSWORD);
        SslContext serverContext = SslContextBuilder.forServer(keyManagers).build();
        server = WebSocketTestServer.start(ScriptedServerHandler::new, serverContext, null);
    }

    @AfterAll
    static void stopTlsServer() {
        if (server != null) {
            server.close();
        }
    }

    /** An EC key pair with a self-signed certificate for 127.0.0.1 and localhost. */
    private static KeyStore selfSignedKeyStore(Path file) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "satchel",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-keystore", file.toString(), "-storetype", "PKCS12",
                "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("keytool output: %s", output).isZero();
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            keyStore.load(in, PASSWORD);
        }
        return keyStore;
    }

    @Test
    void insecureTrustAllAcceptsASelfSignedCertificate() {
        try (SatchelClient client = SatchelClient.connect(server.uri(),
                ClientOptions.builder().insecureTrustAll(true).build())) {
            assertThat(server.uri().getScheme()).isEqualTo("wss");
            assertThat(Await.result(client.sendRaw("over tls"))).isEqualTo(echo("over tls"));
        }
    }

    @Test
    void defaultTrustStoreRejectsASelfSignedCertificate() {
        assertThatThrownBy(() -> SatchelClient.connect(server.uri()))
                .isInstanceOf(SatchelClientException.class)
                .hasMessageContaining("TLS handshake with " + server.uri() + " failed");
    }

    @Test
    void explicitSslContextTrustingTheCertificateVerifiesTheHost() throws Exception {
        SslContext trusting = SslContextBuilder.forClient()
                .trustManager(certificate)
                .endpointIdentificationAlgorithm("HTTPS")
                .build();

        try (SatchelClient client = SatchelClient.connect(server.uri(),
                ClientOptions.builder().sslContext(trusting).build())) {
            assertThat(Await.result(client.sendRaw("trusted"))).isEqualTo(echo("trusted"));
        }
    }
}
