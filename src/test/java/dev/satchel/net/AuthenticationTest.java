package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.SatchelClientException;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

/**
 * The shared secret on the handshake ({@code Authorization: Bearer} or {@code ?token=}), 401 before the
 * upgrade without it; the Origin allow-list (403); protected mode (no secret: loopback only unless told
 * otherwise). The secret never reaches a log line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoThreadLeaks.class)
class AuthenticationTest {
    private static final String SECRET = "s3cret-Δ-token";
    private TestServer server;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger satchelLog = (Logger) LoggerFactory.getLogger("dev.satchel");
    private Level oldLevel;

    @BeforeAll
    void start() {
        logs.start();
        oldLevel = satchelLog.getLevel();
        satchelLog.setLevel(Level.DEBUG); // everything the server says, to check the secret is never in it
        satchelLog.addAppender(logs);
        server = TestServer.start(TestServer.config(Map.of("--auth-secret", SECRET,
                "--allowed-origins", "https://app.example.com, HTTPS://Admin.Example.com:8443/")));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        satchelLog.detachAppender(logs);
        satchelLog.setLevel(oldLevel);
        for (ILoggingEvent e : logs.list) {
            assertThat(e.getFormattedMessage()).as("log line").doesNotContain(SECRET).doesNotContain("s3cret");
        }
    }

    private String handshake(String path, String headers) throws IOException {
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            return handshake(ws, path, headers);
        }
    }

    private static String handshake(RawWebSocket ws, String path, String headers) throws IOException {
        ws.writeAscii("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + headers + "\r\n");
        return ws.readHttpHead();
    }

    private static String utf8Header(String name, String value) {
        // HTTP header values are bytes; the secret is sent as its UTF-8 bytes
        return name + ": " + new String(value.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1) + "\r\n";
    }

    @Test
    void withoutTheSecretTheHandshakeIs401BeforeTheUpgrade() throws IOException {
        for (String headers : List.of("", "Authorization: Bearer wrong\r\n", "Authorization: Basic czNjcmV0\r\n",
                utf8Header("Authorization", "Bearer " + SECRET + "x"), utf8Header("Authorization", SECRET),
                "Authorization: Bearer\r\n")) {
            try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
                String head = handshake(ws, "/", headers);
                assertThat(head).as("headers %s", headers).startsWith("HTTP/1.1 401 ");
                assertThat(RawWebSocket.header(head, "WWW-Authenticate")).isEqualTo("Bearer realm=\"satchel\"");
                assertThat(ws.readToEnd()).contains("Authorization: Bearer").doesNotContain(SECRET);
            }
        }
        assertThat(handshake("/?token=wrong", "")).startsWith("HTTP/1.1 401 ");
        assertThat(handshake("/?token=", "")).startsWith("HTTP/1.1 401 ");
        // a wrong header is not rescued by a right query parameter
        assertThat(handshake("/?token=" + urlEncoded(SECRET), "Authorization: Bearer wrong\r\n")).startsWith("HTTP/1.1 401 ");
    }

    private static String urlEncoded(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void theSecretAsBearerHeaderOrTokenQueryParameterIsLetIn() throws IOException {
        assertThat(handshake("/", utf8Header("Authorization", "Bearer " + SECRET))).startsWith("HTTP/1.1 101 ");
        assertThat(handshake("/", utf8Header("authorization", "bearer  " + SECRET + " "))).startsWith("HTTP/1.1 101 ");
        assertThat(handshake("/?token=" + urlEncoded(SECRET), "")).startsWith("HTTP/1.1 101 ");
        assertThat(handshake("/any/path?x=1&token=" + urlEncoded(SECRET), "")).startsWith("HTTP/1.1 101 ");
        // Netty's WebSocket client sends an Origin of its own (http://127.0.0.1:port): give it an allowed one
        String asBytes = new String(SECRET.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        try (SatchelClient c = server.connect(ClientOptions.builder().header("Authorization", "Bearer " + asBytes)
                .header("Origin", "https://app.example.com").requestTimeout(TestServer.REQUEST_TIMEOUT).build())) {
            Wire.assertUsable(c);
        }
        try (SatchelClient c = SatchelClient.connect(URI.create("ws://127.0.0.1:" + server.port() + "/?token="
                + urlEncoded(SECRET)), ClientOptions.builder().header("Origin", "https://app.example.com").build())) {
            Wire.assertUsable(c);
        }
        assertThatThrownBy(() -> SatchelClient.connect(server.uri(), ClientOptions.builder()
                .header("Origin", "https://app.example.com").build())).isInstanceOf(SatchelClientException.class)
                .hasMessageContaining("401");
    }

    @Test
    void browserOriginsOutsideTheAllowListAre403() throws IOException {
        String auth = utf8Header("Authorization", "Bearer " + SECRET);
        assertThat(handshake("/", auth + "Origin: https://evil.example.com\r\n")).startsWith("HTTP/1.1 403 ");
        assertThat(handshake("/", auth + "Origin: http://app.example.com\r\n")).startsWith("HTTP/1.1 403 ");
        assertThat(handshake("/", auth + "Origin: null\r\n")).startsWith("HTTP/1.1 403 ");
        assertThat(handshake("/", auth + "Origin: https://app.example.com\r\n")).startsWith("HTTP/1.1 101 ");
        assertThat(handshake("/", auth + "Origin: https://APP.example.com/\r\n")).startsWith("HTTP/1.1 101 ");
        assertThat(handshake("/", auth + "Origin: https://admin.example.com:8443\r\n")).startsWith("HTTP/1.1 101 ");
        assertThat(handshake("/", auth)).as("not a browser: no Origin").startsWith("HTTP/1.1 101 ");
        // the origin is checked before the secret: a foreign page learns nothing about it
        assertThat(handshake("/", "Origin: https://evil.example.com\r\n")).startsWith("HTTP/1.1 403 ");
    }

    @Test
    void withoutASecretANonLoopbackAddressIsRefusedAtStartWithOneLine() {
        ServerConfig open = TestServer.config(Map.of("--bind", "0.0.0.0"));
        SatchelNode s = new SatchelNode(open, Clock.system());
        assertThatThrownBy(s::start).isInstanceOf(StartupException.class)
                .hasMessage("refusing to listen on 0.0.0.0 without authentication: set server.authSecret"
                        + " (SATCHEL_AUTH_SECRET, --auth-secret), or allow unauthenticated clients on a trusted"
                        + " network with server.allowUnauthenticated (--allow-unauthenticated)");
        // what may listen: loopback without a secret, anything with a secret or when explicitly allowed
        for (String loopback : Set.of("127.0.0.1", "127.8.9.10", "::1", "localhost")) {
            ServerGuards.checkProtectedMode(loopback, TestServer.config(Map.of()).security());
        }
        ServerGuards.checkProtectedMode("0.0.0.0", TestServer.config(Map.of("--auth-secret", "x")).security());
        ServerGuards.checkProtectedMode("0.0.0.0",
                TestServer.config(Map.of("--allow-unauthenticated", "true")).security());
        assertThatThrownBy(() -> ServerGuards.checkProtectedMode("::", TestServer.config(Map.of()).security()))
                .hasMessageContaining("refusing to listen on ::");
    }

    @Test
    void theLauncherExitsWithOneLineInProtectedMode() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), "dev.satchel.Satchel", "server",
                "--bind", "0.0.0.0", "--port", "0");
        pb.environment().keySet().removeIf(k -> k.startsWith("SATCHEL_"));
        Process p = pb.start();
        p.getOutputStream().close();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("stderr: %s", err).isEqualTo(1);
        assertThat(err.strip().lines().filter(l -> l.startsWith("satchel:")).toList()).singleElement().asString()
                .contains("refusing to listen on 0.0.0.0 without authentication");
        assertThat(err).doesNotContain("\tat ");
    }
}
