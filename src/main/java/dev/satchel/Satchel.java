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
                dev.satchel.bench.BenchCommand.class})
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
                Path file = config;
                if (file == null && System.getenv("SATCHEL_CONFIG") != null) {
                    file = Path.of(System.getenv("SATCHEL_CONFIG"));
                }
                cfg = ConfigLoader.load(file, System.getenv(), flags);
            } catch (ConfigException e) {
                System.err.println("satchel: " + e.getMessage());
                return 2;
            }
            SatchelServer server = new SatchelServer(cfg, Clock.system());
            try {
                server.start();
            } catch (SatchelServer.StartupException e) {
                System.err.println("satchel: " + e.getMessage());
                return 1;
            } catch (Exception e) {
                System.err.println("satchel: cannot listen on " + cfg.bind() + ":" + cfg.port() + ": " + e.getMessage());
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
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
