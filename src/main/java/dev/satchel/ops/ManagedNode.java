package dev.satchel.ops;

import dev.satchel.cluster.ClusterMember;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.net.StartupException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server as operators run it ({@code satchel server}): the {@link SatchelNode} plus the admin HTTP port
 * with health and metrics, the start-up banner and the graceful shutdown that SIGTERM / SIGINT trigger.
 *
 * <p>Start: the admin port opens first (ready = false), then the server starts (start-up load, WebSocket
 * port), then ready = true and the banner is logged.
 *
 * <p>{@link #shutdown()}: ready = false; the WebSocket port stops accepting; every connection stops reading,
 * gets the answers to every request it sent that the server read, then Close 1001 Going Away; after
 * {@code shutdown.timeoutMs} the connections left are cut. Then the shutdown save (persist.saveOnShutdown)
 * runs, the command loop stops, and the admin port closes last.
 */
public final class ManagedNode {
    private static final Logger LOG = LoggerFactory.getLogger(ManagedNode.class);

    private final ServerConfig config;
    private final SatchelNode node;
    private final Health health;
    private final Metrics metrics;
    private final AdminServer admin;
    private volatile int port = -1;
    private volatile int adminPort = -1;
    private Result result;

    /** What a shutdown did. */
    public record Result(int connectionsCut, long requestsAnswered, long millis) {
        /** 0 for a clean shutdown; 1 when connections had to be cut at the timeout. */
        public int exitStatus() {
            return connectionsCut == 0 ? 0 : 1;
        }
    }

    /** A port could not be opened; the message is one line for the operator. */
    public static final class ListenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ListenException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public ManagedNode(ServerConfig config, Clock clock) {
        this.config = config;
        this.node = new SatchelNode(config, clock);
        this.health = new Health(node.loop());
        this.metrics = config.ops().metricsEnabled()
                ? new Metrics(node.loop(), node.netStats(), health, "version", SatchelNode.version(),
                        "token_format", config.tokenFormat().configName())
                : null;
        this.admin = new AdminServer(config.ops().adminBind(), config.ops().adminPort(), health, metrics);
        ClusterMember cluster = node.cluster();
        if (cluster != null) {
            health.extraCondition(cluster::notReadyReason);
            if (metrics != null) {
                ClusterMetrics.bind(cluster, metrics.registry());
            }
        }
    }

    public SatchelNode node() {
        return node;
    }

    public Health health() {
        return health;
    }

    /** The metrics registry, or null when metrics are disabled. */
    public Metrics metrics() {
        return metrics;
    }

    /** The WebSocket port (after {@link #start()}). */
    public int port() {
        return port;
    }

    /** The admin HTTP port (after {@link #start()}). */
    public int adminPort() {
        return adminPort;
    }

    /**
     * Opens the admin port, starts the server (start-up load, WebSocket port) and becomes ready. On failure
     * everything started is stopped again: {@link StartupException} for a start-up problem,
     * {@link ListenException} when a port cannot be opened.
     */
    public void start() throws InterruptedException {
        String adminAddress = config.ops().adminBind() + ":" + config.ops().adminPort();
        try {
            adminPort = admin.start();
        } catch (Exception e) {
            closeOps();
            node.close();
            throw new ListenException("cannot listen on admin.bind/admin.port " + adminAddress + ": " + message(e), e);
        }
        LOG.info("Satchel {} starting (config: {}); admin port http://{}:{} answers /health/ready 503 until"
                + " ready", SatchelNode.version(), config.source(), config.ops().adminBind(), adminPort);
        try {
            port = node.start();
        } catch (StartupException e) {
            closeOps();
            throw e;
        } catch (Exception e) {
            closeOps();
            throw new ListenException("cannot listen on " + config.bind() + ":" + config.port() + ": " + message(e), e);
        }
        health.state(Health.State.READY);
        LOG.info(banner());
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** One line: version, addresses, token format, persistence, config source; never a secret. */
    String banner() {
        String scheme = config.security().tls() ? "wss" : "ws";
        String persistence;
        String load = node.startupLoad(); // what the start-up load did: loaded, or failed and started empty
        if (!config.persistEnabled()) {
            persistence = "saves off"
                    + (load == null ? "" : ", " + load + " (path " + config.persistPath() + ")");
        } else {
            persistence = "on, path " + config.persistPath().toAbsolutePath()
                    + (load == null ? "" : ", " + load)
                    + (config.saveOnShutdown().isEmpty() ? "" : ", saves '" + config.saveOnShutdown() + "' on shutdown");
        }
        return "Satchel " + SatchelNode.version() + " listening on " + scheme + "://" + config.bind() + ":" + port
                + " (" + node.transport() + ", I/O threads " + config.effectiveIoThreads() + "); admin http://"
                + config.ops().adminBind() + ":" + adminPort + " (/health/live /health/ready "
                + (metrics != null ? "/metrics" : "metrics disabled") + "); tokens " + config.tokenFormat().configName()
                + "; shared secret " + (node.cluster() != null ? "cluster-wide" : node.sharedSecretSource().label())
                + "; client auth " + LogSafe.secret(config.security().authSecret())
                + "; persistence " + persistence + cluster() + "; shutdown timeout " + config.ops().shutdownTimeoutMillis()
                + " ms; log format " + config.ops().logFormat() + "; config " + config.source();
    }

    /** The banner's cluster part: "" when standalone. */
    private String cluster() {
        ClusterMember c = node.cluster();
        if (c == null) {
            return "";
        }
        return "; cluster '" + config.cluster().name() + "' member " + c.self() + " of " + c.members().size()
                + " (owners " + config.cluster().owners() + ", secret " + LogSafe.secret(config.cluster().secret())
                + ")";
    }

    /**
     * The graceful shutdown (SIGTERM / SIGINT go through the JVM shutdown hook to here). Safe to call more
     * than once: later calls wait for the first and return its result.
     */
    public synchronized Result shutdown() {
        if (result != null) {
            return result;
        }
        long t0 = System.nanoTime();
        health.state(Health.State.STOPPING);
        int open = node.openConnections();
        LOG.info("shutting down: not ready, no new connections; {} connection(s) get their answers and Close 1001"
                + " (up to {} ms)", open, config.ops().shutdownTimeoutMillis());
        int cut = node.drainConnections(config.ops().shutdownTimeoutMillis());
        if (cut > 0) {
            LOG.warn("shutdown timeout ({} ms) reached: cut {} connection(s) that had not closed",
                    config.ops().shutdownTimeoutMillis(), cut);
        }
        long answered = -1;
        try {
            answered = node.loop().call(e -> LoopSnapshot.take(e).commands().total())
                    .get(Health.LOOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("the command loop did not answer at shutdown: {}", e.toString());
        }
        node.close(); // the shutdown save (persist.saveOnShutdown), then the loop stops
        health.state(Health.State.STOPPED);
        closeOps();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        result = new Result(cut, answered, millis);
        LOG.info("Satchel stopped in {} ms{}", millis, cut == 0 ? "" : " (" + cut + " connection(s) cut; exit status 1)");
        return result;
    }

    private void closeOps() {
        admin.close();
        if (metrics != null) {
            metrics.close();
        }
    }
}
