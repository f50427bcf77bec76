package dev.satchel;

import dev.satchel.config.ConfigLoader;
import dev.satchel.engine.Clock;
import dev.satchel.net.SatchelServer;
import java.net.BindException;
import java.util.Map;

/** Real servers with default settings on loopback, for tests outside the net package. */
public final class TestServers {
    private TestServers() {
    }

    /** A started server on {@code port} (0 = an ephemeral port). */
    public static SatchelServer start(int port) throws Exception {
        SatchelServer server = new SatchelServer(
                ConfigLoader.load(null, Map.of(), Map.of("--port", Integer.toString(port))), Clock.system());
        server.start();
        return server;
    }

    /** Starts a server on a port that was just freed, retrying briefly while the port is still held. */
    public static SatchelServer startOn(int port) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return start(port);
            } catch (Exception e) {
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
}
