package dev.satchel.persist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The tests' {@link TestServer} with a dataset directory, one client connected to it, and persistence helpers. */
final class PersistFixture implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    final TestServer testServer;
    final SatchelNode server;
    final SatchelClient client;
    final int port;

    private PersistFixture(ServerConfig config, Clock clock) {
        testServer = TestServer.start(config, clock);
        server = testServer.server();
        port = testServer.port();
        client = connect();
    }

    /** Flags on top of the built-in defaults, bound to 127.0.0.1 on an ephemeral port. */
    static ServerConfig config(Map<String, String> flags) {
        return TestServer.config(flags);
    }

    /** Persistence enabled in {@code dir}. */
    static PersistFixture start(Path dir) {
        return start(config(Map.of("--persist-path", dir.toString())), Clock.system());
    }

    static PersistFixture start(ServerConfig config, Clock clock) {
        return new PersistFixture(config, clock);
    }

    /** A client with a 30 s request timeout (saves and loads of large datasets take a while); closed by close(). */
    SatchelClient connect() {
        return testServer.connect(ClientOptions.builder().requestTimeout(Duration.ofSeconds(30)).build());
    }

    /** Sends one raw request and returns the raw response text. */
    String raw(String json) {
        return raw(client, json);
    }

    static String raw(SatchelClient c, String json) {
        try {
            return c.sendRaw(json).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no response to " + json, e);
        }
    }

    /** Sends a request and returns the inner response object. */
    JsonNode call(String json) {
        return body(raw(json));
    }

    static JsonNode body(String response) {
        try {
            JsonNode t = MAPPER.readTree(response);
            return t.elements().next();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new session's token as JSON text (with quotes for string tokens). */
    String newSession(String params) {
        String r = raw("{\"SH_NEW\":" + params + "}");
        JsonNode t = body(r).get("tkn");
        if (t == null) {
            throw new AssertionError("SH_NEW failed: " + r);
        }
        return t.toString();
    }

    @Override
    public void close() {
        testServer.close(); // its clients, then the server
    }
}
