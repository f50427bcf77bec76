package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.engine.ManualClock;
import dev.satchel.json.TokenFormat;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real {@link SatchelServer} on 127.0.0.1 and an ephemeral port, plus the {@link SatchelClient}s connected
 * to it. {@link #close()} closes every client, stops the server and checks that the port no longer accepts
 * connections. Pair with {@link NoThreadLeaks} on the test class to check that no thread outlives it.
 *
 * <pre>{@code
 * server = ServerFixture.start(TokenFormat.UINT64);
 * SatchelClient c = server.connect();
 * ...
 * server.close();
 * }</pre>
 */
final class ServerFixture implements AutoCloseable {
    /** Request timeout of the fixture's clients: long enough for a loaded CI machine, short enough to fail fast. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final SatchelServer server;
    private final ServerConfig config;
    private final ManualClock manualClock;
    private final int port;
    private final List<SatchelClient> clients = new ArrayList<>();
    private boolean closed;

    private ServerFixture(ServerConfig config, Clock clock) throws InterruptedException {
        this.config = config;
        this.manualClock = clock instanceof ManualClock m ? m : null;
        this.server = new SatchelServer(config, clock);
        this.port = server.start();
    }

    /** Configuration from built-in defaults plus these flags, bound to 127.0.0.1 on an ephemeral port. */
    static ServerConfig config(Map<String, String> flags) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("--bind", "127.0.0.1");
        all.put("--port", "0");
        all.putAll(flags);
        return ConfigLoader.load(null, Map.of(), all);
    }

    static ServerFixture start(TokenFormat format) {
        return start(config(Map.of()).withTokenFormat(format), Clock.system());
    }

    static ServerFixture start(ServerConfig config) {
        return start(config, Clock.system());
    }

    static ServerFixture start(ServerConfig config, Clock clock) {
        try {
            return new ServerFixture(config, clock);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the server", e);
        }
    }

    ServerConfig config() {
        return config;
    }

    int port() {
        return port;
    }

    URI uri() {
        return URI.create("ws://127.0.0.1:" + port + "/");
    }

    /** The clock given at start, when it is a {@link ManualClock}. */
    ManualClock clock() {
        if (manualClock == null) {
            throw new IllegalStateException("this server runs on the system clock");
        }
        return manualClock;
    }

    SatchelServer server() {
        return server;
    }

    /** A new client, closed by {@link #close()}. */
    synchronized SatchelClient connect() {
        return connect(ClientOptions.builder().requestTimeout(REQUEST_TIMEOUT).build());
    }

    synchronized SatchelClient connect(ClientOptions options) {
        SatchelClient client = SatchelClient.connect(uri(), options);
        clients.add(client);
        return client;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (SatchelClient client : clients) {
            client.close();
        }
        clients.clear();
        server.close();
        assertPortClosed(port);
    }

    /** Asserts that nothing listens on the port any more (the server released it). */
    static void assertPortClosed(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            throw new AssertionError("port " + port + " still accepts connections after the server was closed");
        } catch (ConnectException expected) {
            // refused: the listening socket is gone
        } catch (IOException e) {
            assertThat(e).as("connecting to the closed server's port").isInstanceOf(ConnectException.class);
        }
    }
}
