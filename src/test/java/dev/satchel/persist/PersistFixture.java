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
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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

    /** Sends a request on {@code c} and returns the inner response object. */
    static JsonNode call(SatchelClient c, String json) {
        return body(raw(c, json));
    }

    /** A client of the server on {@code port} (a {@code ServerJvm}) with a 60 s request timeout; the caller closes it. */
    static SatchelClient connectTo(int port) {
        return SatchelClient.connect(URI.create("ws://127.0.0.1:" + port),
                ClientOptions.builder().requestTimeout(Duration.ofSeconds(60)).build());
    }

    /** The responses of pipelined requests, in order, as text. */
    static List<String> texts(List<CompletableFuture<String>> responses) {
        List<String> out = new ArrayList<>();
        for (CompletableFuture<String> f : responses) {
            out.add(f.join());
        }
        return out;
    }

    /** The responses of pipelined requests, in order, as their inner objects. */
    static List<JsonNode> bodies(List<CompletableFuture<String>> responses) {
        List<JsonNode> out = new ArrayList<>();
        for (String r : texts(responses)) {
            out.add(body(r));
        }
        return out;
    }

    /** Creates {@code n} sessions with SH_NEW {@code params}, pipelined; returns their tokens as JSON text. */
    static List<String> newSessions(SatchelClient c, int n, String params) {
        List<String> news = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            news.add("{\"SH_NEW\":" + params + "}");
        }
        List<String> tokens = new ArrayList<>();
        for (JsonNode r : bodies(c.sendRawBatch(news))) {
            if (r.get("tkn") == null) {
                throw new AssertionError("SH_NEW failed: " + r);
            }
            tokens.add(r.get("tkn").toString());
        }
        return tokens;
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
