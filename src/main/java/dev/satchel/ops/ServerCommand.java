package dev.satchel.ops;

import dev.satchel.config.ConfigException;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.net.StartupException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code satchel server}: runs a {@link ManagedNode} until SIGINT/SIGTERM. */
@Command(name = "server", mixinStandardHelpOptions = true, modelTransformer = ServerCommand.SettingOptions.class,
        description = "Run the Satchel server. Settings: flag > environment (SATCHEL_*) > config file > default.")
public final class ServerCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON config file (default: $SATCHEL_CONFIG, else built-in defaults)")
    Path config;

    /**
     * Adds one option per entry of {@link ConfigLoader#SETTINGS}, so the flags can never drift from the
     * settings table (names, help text, environment variable). A setting whose default is {@code false}
     * is a switch ({@code --allow-unauthenticated}, or {@code --allow-unauthenticated=false}).
     */
    static final class SettingOptions implements CommandLine.IModelTransformer {
        @Override
        public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec command) {
            for (ConfigLoader.Setting s : ConfigLoader.SETTINGS) {
                if (s.flag() == null || s.flag().isEmpty()) {
                    continue;
                }
                CommandLine.Model.OptionSpec.Builder option = CommandLine.Model.OptionSpec.builder(s.flag())
                        .type(String.class)
                        .description(s.description() + " (" + s.key() + ", env " + s.env() + ")");
                if ("false".equals(s.defaultValue())) {
                    option.arity("0..1").fallbackValue("true").paramLabel("true|false");
                } else {
                    option.arity("1").paramLabel(s.defaultValue().matches("\\d+") ? "N" : "VALUE");
                }
                command.addOption(option.build());
            }
            return command;
        }
    }

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg;
        try {
            Map<String, String> flags = new LinkedHashMap<>();
            CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
            for (ConfigLoader.Setting s : ConfigLoader.SETTINGS) {
                if (s.flag() != null && !s.flag().isEmpty() && parsed.hasMatchedOption(s.flag())) {
                    flags.put(s.flag(), parsed.matchedOptionValue(s.flag(), ""));
                }
            }
            Path file = config;
            if (file == null && System.getenv("SATCHEL_CONFIG") != null) {
                file = Path.of(System.getenv("SATCHEL_CONFIG"));
            }
            cfg = ConfigLoader.load(file, System.getenv(), flags);
        } catch (ConfigException e) {
            System.err.println("satchel: " + e.getMessage());
            return 2;
        }
        Logging.configure(cfg.ops().logFormat());
        ManagedNode service = new ManagedNode(cfg, Clock.system());
        try {
            service.start();
        } catch (StartupException | ManagedNode.ListenException e) {
            System.err.println("satchel: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM / SIGINT: the graceful shutdown (README "Shutdown"), then exit 0, or 1 if connections
            // had to be cut at shutdown.timeoutMs, instead of the JVM's 143 / 130 for a signal
            ManagedNode.Result result = service.shutdown();
            stopped.countDown();
            Runtime.getRuntime().halt(result.exitStatus());
        }, "satchel-shutdown"));
        stopped.await();
        return 0;
    }
}
