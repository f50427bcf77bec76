package dev.satchel.abuse;

import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.net.SatchelServer;
import java.util.LinkedHashMap;
import java.util.Map;

/** A real server on 127.0.0.1 and an ephemeral port, configured by command-line flags. */
final class TestServer implements AutoCloseable {
    final SatchelServer server;
    final ServerConfig config;
    final int port;

    private TestServer(ServerConfig config) throws InterruptedException {
        this.config = config;
        this.server = new SatchelServer(config, Clock.system());
        this.port = server.start();
    }

    /** {@code flags}: flag, value, flag, value... (on top of --bind 127.0.0.1 --port 0). */
    static TestServer start(String... flags) {
        try {
            return new TestServer(config(flags));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static ServerConfig config(String... flags) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("--bind", "127.0.0.1");
        all.put("--port", "0");
        for (int i = 0; i < flags.length; i += 2) {
            all.put(flags[i], flags[i + 1]);
        }
        return ConfigLoader.load(null, Map.of(), all);
    }

    @Override
    public void close() {
        server.close();
    }
}
