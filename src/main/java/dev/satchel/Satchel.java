package dev.satchel;

import dev.satchel.bench.BenchCommand;
import dev.satchel.cli.CliCommand;
import dev.satchel.ops.HealthCommand;
import dev.satchel.ops.SatchelNode;
import dev.satchel.ops.ServerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code satchel server|...}. */
@Command(name = "satchel", mixinStandardHelpOptions = true, versionProvider = Satchel.Version.class,
        description = "Satchel: an in-memory session cache speaking JSON over WebSocket.",
        subcommands = {ServerCommand.class, CliCommand.class, BenchCommand.class, HealthCommand.class})
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
            return new String[] {"satchel " + SatchelNode.version()};
        }
    }
}
