package dev.satchel.ops;

import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link ManagedNode} (the node with its admin port) on 127.0.0.1 with ephemeral WebSocket and admin ports,
 * configured like {@link TestServer}, and HTTP helpers for the admin endpoints.
 */
final class OpsFixture implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final ManagedNode service;

    private OpsFixture(ManagedNode service) {
        this.service = service;
    }

    /** {@link TestServer#config} with the admin port on 127.0.0.1 and an ephemeral port too. */
    static ServerConfig config(String... flags) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("--admin-bind", "127.0.0.1");
        all.put("--admin-port", "0");
        for (int i = 0; i < flags.length; i += 2) {
            all.put(flags[i], flags[i + 1]);
        }
        return TestServer.config(all);
    }

    /** A started service with these flags on top of the defaults. */
    static OpsFixture start(String... flags) throws InterruptedException {
        ManagedNode s = new ManagedNode(config(flags), Clock.system());
        s.start();
        return new OpsFixture(s);
    }

    /** Not started: for tests that start it themselves. */
    static OpsFixture create(String... flags) {
        return new OpsFixture(new ManagedNode(config(flags), Clock.system()));
    }

    int port() {
        return service.port();
    }

    RawWebSocket connect() throws IOException {
        return RawWebSocket.open(service.port());
    }

    HttpResponse<String> get(String path) {
        return get(service.adminPort(), path);
    }

    static HttpResponse<String> get(int adminPort, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path)).GET());
    }

    static HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return HTTP.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String metrics() {
        HttpResponse<String> r = get("/metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** The value of one sample line, {@code name{labels}} exactly as exposed (labels sorted by name), or NaN. */
    static double sample(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Override
    public void close() {
        service.shutdown();
    }
}
