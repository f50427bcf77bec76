package dev.satchel.persist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.net.SatchelServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real server on 127.0.0.1 with a dataset directory, and one client connected to it. */
final class PersistFixture implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    final SatchelServer server;
    final SatchelClient client;
    final int port;

    private PersistFixture(ServerConfig config, Clock clock) throws InterruptedException {
        server = new SatchelServer(config, clock);
        port = server.start();
        client = connect();
    }

    /** Flags on top of the built-in defaults, bound to 127.0.0.1 on an ephemeral port. */
    static ServerConfig config(Map<String, String> flags) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("--bind", "127.0.0.1");
        all.put("--port", "0");
        all.putAll(flags);
        return ConfigLoader.load(null, Map.of(), all);
    }

    /** Persistence enabled in {@code dir}. */
    static PersistFixture start(Path dir) {
        return start(config(Map.of("--persist-path", dir.toString())), Clock.system());
    }

    static PersistFixture start(ServerConfig config, Clock clock) {
        try {
            return new PersistFixture(config, clock);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    SatchelClient connect() {
        return SatchelClient.connect(URI.create("ws://127.0.0.1:" + port + "/"),
                ClientOptions.builder().requestTimeout(Duration.ofSeconds(30)).build());
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
        client.close();
        server.close();
    }
}
