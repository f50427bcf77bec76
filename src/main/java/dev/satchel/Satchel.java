package dev.satchel;

import dev.satchel.config.ConfigException;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.net.SatchelServer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point: {@code satchel server|...}. */
@Command(name = "satchel", mixinStandardHelpOptions = true, versionProvider = Satchel.Version.class,
        description = "Satchel: an in-memory session cache speaking JSON over WebSocket.",
        subcommands = {Satchel.Server.class, dev.satchel.cli.CliCommand.class,
                dev.satchel.bench.BenchCommand.class, dev.satchel.ops.HealthCommand.class})
public final class Satchel implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // sampling leak detection costs a stack trace per tracked buffer; tests keep it on
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(new CommandLine(new Satchel()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"satchel " + SatchelServer.version()};
        }
    }

    /** {@code satchel server}: runs the server until SIGINT/SIGTERM. */
    @Command(name = "server", mixinStandardHelpOptions = true,
            description = "Run the Satchel server. Settings: flag > environment (SATCHEL_*) > config file > default.")
    static final class Server implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE",
                description = "JSON config file (default: $SATCHEL_CONFIG, else built-in defaults)")
        Path config;
        @Option(names = "--bind", paramLabel = "ADDR", description = "listen address (server.bind)")
        String bind;
        @Option(names = "--port", paramLabel = "N", description = "WebSocket port (server.port)")
        String port;
        @Option(names = "--io-threads", paramLabel = "N", description = "I/O threads (server.ioThreads)")
        String ioThreads;
        @Option(names = "--token-format", paramLabel = "string|uint64",
                description = "token format (sessions.tokenFormat)")
        String tokenFormat;
        @Option(names = "--shared-secret", paramLabel = "S",
                description = "shared-session HMAC key (sessions.sharedSecret); prefer SATCHEL_SHARED_SECRET")
        String sharedSecret;
        @Option(names = "--expiry-tick-ms", paramLabel = "MS", description = "expiry wheel tick (sessions.expiryTickMs)")
        String expiryTick;
        @Option(names = "--max-message-bytes", paramLabel = "N",
                description = "largest request message (limits.maxMessageBytes)")
        String maxMessageBytes;
        @Option(names = "--max-depth", paramLabel = "N", description = "deepest JSON nesting (limits.maxDepth)")
        String maxDepth;
        @Option(names = "--max-in-flight", paramLabel = "N",
                description = "requests per connection waiting for the loop (limits.maxInFlight)")
        String maxInFlight;
        @Option(names = "--persist-path", paramLabel = "DIR",
                description = "enable persistence in DIR (persist.path, persist.enabled)")
        String persistPath;
        @Option(names = "--load", paramLabel = "NAME",
                description = "load dataset NAME from the persist path before the port opens (persist.loadOnStart)")
        String load;
        @Option(names = "--start-empty-on-load-failure",
                description = "start without the data if that load fails, instead of exiting"
                        + " (persist.startEmptyOnLoadFailure)")
        boolean startEmptyOnLoadFailure;
        @Option(names = "--save-on-shutdown", paramLabel = "NAME",
                description = "save every session as dataset NAME on graceful shutdown (persist.saveOnShutdown)")
        String saveOnShutdown;
        // ---- limits, authentication and TLS (README "Security and limits") ----
        @Option(names = "--max-string-bytes", paramLabel = "N", description = "longest JSON string (limits.maxStringBytes)")
        String maxStringBytes;
        @Option(names = "--max-number-chars", paramLabel = "N", description = "longest JSON number (limits.maxNumberChars)")
        String maxNumberChars;
        @Option(names = "--max-key-bytes", paramLabel = "N",
                description = "longest key or member name (limits.maxKeyBytes)")
        String maxKeyBytes;
        @Option(names = "--max-keys-per-request", paramLabel = "N",
                description = "most keys in one request (limits.maxKeysPerRequest)")
        String maxKeysPerRequest;
        @Option(names = "--max-value-bytes", paramLabel = "N", description = "largest stored value (limits.maxValueBytes)")
        String maxValueBytes;
        @Option(names = "--max-response-bytes", paramLabel = "N",
                description = "largest response (limits.maxResponseBytes)")
        String maxResponseBytes;
        @Option(names = "--max-sessions", paramLabel = "N", description = "most live sessions (limits.maxSessions)")
        String maxSessions;
        @Option(names = "--max-keys-per-session", paramLabel = "N",
                description = "most keys in one session (limits.maxKeysPerSession)")
        String maxKeysPerSession;
        @Option(names = "--max-stored-bytes", paramLabel = "auto|N[k|m|g]",
                description = "memory budget for keys and values (limits.maxStoredBytes)")
        String maxStoredBytes;
        @Option(names = "--max-connections", paramLabel = "N", description = "most connections (limits.maxConnections)")
        String maxConnections;
        @Option(names = "--max-connections-per-address", paramLabel = "N",
                description = "most connections from one IP address (limits.maxConnectionsPerAddress)")
        String maxConnectionsPerAddress;
        @Option(names = "--handshake-timeout-seconds", paramLabel = "S",
                description = "time to complete the handshake (limits.handshakeTimeoutSeconds)")
        String handshakeTimeout;
        @Option(names = "--idle-timeout-seconds", paramLabel = "S",
                description = "silence before a ping, 0 = never (limits.idleTimeoutSeconds)")
        String idleTimeout;
        @Option(names = "--ping-timeout-seconds", paramLabel = "S",
                description = "silence after the ping before closing (limits.pingTimeoutSeconds)")
        String pingTimeout;
        @Option(names = "--outbound-high-water-bytes", paramLabel = "N",
                description = "unsent bytes that pause reading (limits.outboundHighWaterBytes)")
        String outboundHighWater;
        @Option(names = "--outbound-hard-limit-bytes", paramLabel = "N",
                description = "unsent bytes that close the connection (limits.outboundHardLimitBytes)")
        String outboundHardLimit;
        @Option(names = "--outbound-stall-seconds", paramLabel = "S",
                description = "time above the high-water mark before closing (limits.outboundStallSeconds)")
        String outboundStall;
        @Option(names = "--auth-secret", paramLabel = "S",
                description = "secret clients must present (server.authSecret); prefer SATCHEL_AUTH_SECRET")
        String authSecret;
        @Option(names = "--allow-unauthenticated",
                description = "allow a non-loopback address without --auth-secret (server.allowUnauthenticated)")
        boolean allowUnauthenticated;
        @Option(names = "--allowed-origins", paramLabel = "LIST",
                description = "comma-separated browser origins allowed (server.allowedOrigins)")
        String allowedOrigins;
        @Option(names = "--tls-cert-file", paramLabel = "FILE", description = "PEM certificate chain (tls.certFile)")
        String tlsCertFile;
        @Option(names = "--tls-key-file", paramLabel = "FILE", description = "PEM private key (tls.keyFile)")
        String tlsKeyFile;
        @Option(names = "--tls-key-password", paramLabel = "S",
                description = "password of the PEM key (tls.keyPassword); prefer SATCHEL_TLS_KEY_PASSWORD")
        String tlsKeyPassword;
        @Option(names = "--tls-key-store", paramLabel = "FILE", description = "PKCS#12 key store (tls.keyStore)")
        String tlsKeyStore;
        @Option(names = "--tls-key-store-password", paramLabel = "S",
                description = "password of the key store (tls.keyStorePassword); prefer SATCHEL_TLS_KEY_STORE_PASSWORD")
        String tlsKeyStorePassword;
        // ---- operations: admin port, metrics, shutdown, logs (README "Health and metrics", "Shutdown") ----
        @Option(names = "--admin-bind", paramLabel = "ADDR", description = "admin HTTP address (admin.bind)")
        String adminBind;
        @Option(names = "--admin-port", paramLabel = "N",
                description = "admin HTTP port for /health/* and /metrics (admin.port)")
        String adminPort;
        @Option(names = "--metrics-enabled", paramLabel = "true|false",
                description = "count commands and serve /metrics (metrics.enabled)")
        String metricsEnabled;
        @Option(names = "--shutdown-timeout-ms", paramLabel = "MS",
                description = "time connections get to finish on SIGTERM (shutdown.timeoutMs)")
        String shutdownTimeout;
        @Option(names = "--log-format", paramLabel = "text|json", description = "log line format (log.format)")
        String logFormat;

        @Override
        public Integer call() throws Exception {
            ServerConfig cfg;
            try {
                Map<String, String> flags = new LinkedHashMap<>();
                put(flags, "--bind", bind);
                put(flags, "--port", port);
                put(flags, "--io-threads", ioThreads);
                put(flags, "--token-format", tokenFormat);
                put(flags, "--shared-secret", sharedSecret);
                put(flags, "--expiry-tick-ms", expiryTick);
                put(flags, "--max-message-bytes", maxMessageBytes);
                put(flags, "--max-depth", maxDepth);
                put(flags, "--max-in-flight", maxInFlight);
                put(flags, "--persist-path", persistPath);
                put(flags, "--load", load);
                put(flags, "--start-empty-on-load-failure", startEmptyOnLoadFailure ? "true" : null);
                put(flags, "--save-on-shutdown", saveOnShutdown);
                put(flags, "--max-string-bytes", maxStringBytes);
                put(flags, "--max-number-chars", maxNumberChars);
                put(flags, "--max-key-bytes", maxKeyBytes);
                put(flags, "--max-keys-per-request", maxKeysPerRequest);
                put(flags, "--max-value-bytes", maxValueBytes);
                put(flags, "--max-response-bytes", maxResponseBytes);
                put(flags, "--max-sessions", maxSessions);
                put(flags, "--max-keys-per-session", maxKeysPerSession);
                put(flags, "--max-stored-bytes", maxStoredBytes);
                put(flags, "--max-connections", maxConnections);
                put(flags, "--max-connections-per-address", maxConnectionsPerAddress);
                put(flags, "--handshake-timeout-seconds", handshakeTimeout);
                put(flags, "--idle-timeout-seconds", idleTimeout);
                put(flags, "--ping-timeout-seconds", pingTimeout);
                put(flags, "--outbound-high-water-bytes", outboundHighWater);
                put(flags, "--outbound-hard-limit-bytes", outboundHardLimit);
                put(flags, "--outbound-stall-seconds", outboundStall);
                put(flags, "--auth-secret", authSecret);
                put(flags, "--allow-unauthenticated", allowUnauthenticated ? "true" : null);
                put(flags, "--allowed-origins", allowedOrigins);
                put(flags, "--tls-cert-file", tlsCertFile);
                put(flags, "--tls-key-file", tlsKeyFile);
                put(flags, "--tls-key-password", tlsKeyPassword);
                put(flags, "--tls-key-store", tlsKeyStore);
                put(flags, "--tls-key-store-password", tlsKeyStorePassword);
                put(flags, "--admin-bind", adminBind);
                put(flags, "--admin-port", adminPort);
                put(flags, "--metrics-enabled", metricsEnabled);
                put(flags, "--shutdown-timeout-ms", shutdownTimeout);
                put(flags, "--log-format", logFormat);
                Path file = config;
                if (file == null && System.getenv("SATCHEL_CONFIG") != null) {
                    file = Path.of(System.getenv("SATCHEL_CONFIG"));
                }
                cfg = ConfigLoader.load(file, System.getenv(), flags);
            } catch (ConfigException e) {
                System.err.println("satchel: " + e.getMessage());
                return 2;
            }
            dev.satchel.ops.Logging.configure(cfg.ops().logFormat());
            dev.satchel.ops.SatchelService service = new dev.satchel.ops.SatchelService(cfg, Clock.system());
            try {
                service.start();
            } catch (SatchelServer.StartupException | dev.satchel.ops.SatchelService.ListenException e) {
                System.err.println("satchel: " + e.getMessage());
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // SIGTERM / SIGINT: the graceful shutdown (README "Shutdown"), then exit 0, or 1 if connections
                // had to be cut at shutdown.timeoutMs, instead of the JVM's 143 / 130 for a signal
                dev.satchel.ops.SatchelService.Result result = service.shutdown();
                stopped.countDown();
                Runtime.getRuntime().halt(result.exitStatus());
            }, "satchel-shutdown"));
            stopped.await();
            return 0;
        }

        private static void put(Map<String, String> flags, String flag, String value) {
            if (value != null) {
                flags.put(flag, value);
            }
        }
    }
}
