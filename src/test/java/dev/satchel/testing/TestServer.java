package dev.satchel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.engine.ManualClock;
import dev.satchel.json.TokenFormat;
import dev.satchel.ops.SatchelNode;
import java.io.IOException;
import java.net.BindException;
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
 * The tests' one in-process server: a real {@link SatchelNode} on 127.0.0.1 and an ephemeral port (unless
 * told otherwise), configured by command-line flags on top of the built-in defaults, plus the clients connected
 * through it. {@link #close()} closes every client, stops the server and checks that the port no longer
 * accepts connections.
 *
 * <pre>{@code
 * try (TestServer server = TestServer.start("--max-message-bytes", "4096")) {
 *     SatchelClient c = server.connect();
 *     RawWebSocket ws = server.openRaw();
 *     ...
 * }
 * }</pre>
 */
public final class TestServer implements AutoCloseable {
    /** Request timeout of the fixture's clients: long enough for a loaded CI machine, short enough to fail fast. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final SatchelNode server;
    private final ServerConfig config;
    private final ManualClock manualClock;
    private final int port;
    private final List<SatchelClient> clients = new ArrayList<>();
    private boolean closed;

    private TestServer(ServerConfig config, Clock clock, java.util.function.Consumer<SatchelNode> beforeStart)
            throws InterruptedException {
        this.config = config;
        this.manualClock = clock instanceof ManualClock m ? m : null;
        this.server = new SatchelNode(config, clock);
        beforeStart.accept(server);
        this.port = server.start();
    }

    // ---- configuration ----

    /** Built-in defaults plus these flags (flag, value, flag, value...), bound to 127.0.0.1 on an ephemeral port. */
    public static ServerConfig config(String... flags) {
        Map<String, String> all = new LinkedHashMap<>();
        for (int i = 0; i < flags.length; i += 2) {
            all.put(flags[i], flags[i + 1]);
        }
        return config(all);
    }

    /** Built-in defaults plus these flags, bound to 127.0.0.1 on an ephemeral port unless the flags say otherwise. */
    public static ServerConfig config(Map<String, String> flags) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("--bind", "127.0.0.1");
        all.put("--port", "0");
        all.putAll(flags);
        return ConfigLoader.load(null, Map.of(), all);
    }

    // ---- starting ----

    /** A started server with these flags (flag, value...) on top of the defaults, on the system clock. */
    public static TestServer start(String... flags) {
        return start(config(flags), Clock.system());
    }

    public static TestServer start(TokenFormat format) {
        return start(config(new String[0]).withTokenFormat(format), Clock.system());
    }

    public static TestServer start(ServerConfig config) {
        return start(config, Clock.system());
    }

    public static TestServer start(ServerConfig config, Clock clock) {
        return start(config, clock, node -> { });
    }

    /** Starts with {@code beforeStart} applied to the node first (e.g. to inject journal faults). */
    public static TestServer start(ServerConfig config, Clock clock, java.util.function.Consumer<SatchelNode> beforeStart) {
        try {
            return new TestServer(config, clock, beforeStart);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the server", e);
        }
    }

    /** Starts on a port that was just freed (a restart), retrying briefly while the port is still held. */
    public static TestServer startOn(int port, String... flags) throws InterruptedException {
        List<String> all = new ArrayList<>(List.of(flags));
        all.add("--port");
        all.add(Integer.toString(port));
        ServerConfig config = config(all.toArray(String[]::new));
        for (int attempt = 0; ; attempt++) {
            try {
                return start(config);
            } catch (RuntimeException e) {
                if (!addressInUse(e) || attempt == 50) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static boolean addressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    // ---- what it offers ----

    public ServerConfig config() {
        return config;
    }

    public SatchelNode server() {
        return server;
    }

    public int port() {
        return port;
    }

    public URI uri() {
        return URI.create("ws://127.0.0.1:" + port + "/");
    }

    /** The clock given at start, when it is a {@link ManualClock}. */
    public ManualClock clock() {
        if (manualClock == null) {
            throw new IllegalStateException("this server runs on the system clock");
        }
        return manualClock;
    }

    /**
     * A new client, closed by {@link #close()}. It does not reconnect: it ends with its connection, so that tests
     * see the server's close codes in {@link SatchelClient#closeFuture()}.
     */
    public synchronized SatchelClient connect() {
        return connect(ClientOptions.builder().requestTimeout(REQUEST_TIMEOUT).reconnect(false).build());
    }

    public synchronized SatchelClient connect(ClientOptions options) {
        SatchelClient client = SatchelClient.connect(uri(), options);
        clients.add(client);
        return client;
    }

    /** A raw WebSocket client after the handshake (the caller closes it). */
    public RawWebSocket openRaw() throws IOException {
        return RawWebSocket.open(port);
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
    public static void assertPortClosed(int port) {
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
