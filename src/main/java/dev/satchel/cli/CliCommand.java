package dev.satchel.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.SatchelClientException;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code satchel cli}: the interactive shell, or one command from the arguments, or a script of commands from a
 * file or standard input.
 */
@Command(name = "cli", mixinStandardHelpOptions = true, sortOptions = false,
        modelTransformer = CliCommand.OptionsBeforeCommand.class,
        description = {
            "Send commands to a Satchel server: an interactive shell on a terminal, one command given as"
                    + " arguments, or a script (a file, or standard input when it is not a terminal) with one"
                    + " command per line.",
            "Short forms: SH_NEW expiry.duration=60 | SH_SET $tkn name=Bob age=26 | SH_GET $tkn name age |"
                    + " SV_INFO. A line starting with { is sent as raw JSON. Type help in the shell for more."},
        footer = {"", "Exit status: 0 all commands succeeded; 1 a command failed (error status or bad line);"
                + " 2 bad usage; 3 no connection, or it was lost."})
public final class CliCommand implements Callable<Integer> {

    /** Every command succeeded. */
    public static final int EXIT_OK = 0;
    /** A command got an error status, or a line was not a valid short form. */
    public static final int EXIT_FAILED = 1;
    /** Bad command-line usage. */
    public static final int EXIT_USAGE = 2;
    /** The server could not be reached, or the connection was lost or timed out. */
    public static final int EXIT_CONNECTION = 3;

    @Option(names = {"-u", "--url"}, paramLabel = "URL[,URL...]",
            defaultValue = "${env:SATCHEL_URL:-ws://127.0.0.1:1987}",
            description = "server URL, ws:// or wss://; several, comma-separated, to fail over (the first that"
                    + " answers is used; after a lost connection the next command tries the next) (default:"
                    + " $SATCHEL_URL, else ${DEFAULT-VALUE})")
    String url;

    @Option(names = "--raw", description = "print each response as received, one compact JSON line")
    boolean raw;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "run the commands in FILE, one per line (- for standard input)")
    String file;

    @Option(names = {"-k", "--continue"},
            description = "in a script, go on after a failed command (the exit status is still 1)")
    boolean continueOnError;

    @Option(names = {"-e", "--echo"}, description = "in a script, print each command before its response")
    boolean echo;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "time to wait for a response; 0 waits forever (default: ${DEFAULT-VALUE})")
    double timeoutSeconds;

    @Option(names = "--insecure", description = "wss://: trust any certificate (self-signed test servers only)")
    boolean insecure;

    @Option(names = "--history", paramLabel = "FILE", defaultValue = "${sys:user.home}/.satchel_history",
            description = "history file of the interactive shell (default: ${DEFAULT-VALUE})")
    Path history;

    @Parameters(paramLabel = "COMMAND", arity = "0..*",
            description = "one command to run, e.g. SH_NEW expiry.duration=60 (options go before it)")
    List<String> command;

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean stdinIsTerminal;

    /** For {@code satchel cli}: the process's standard streams, UTF-8. */
    public CliCommand() {
        this(System.in, new PrintStream(new FileOutputStream(FileDescriptor.out), true, UTF_8),
                new PrintStream(new FileOutputStream(FileDescriptor.err), true, UTF_8), System.console() != null);
    }

    /**
     * For tests and embedding: explicit streams.
     *
     * @param in          commands when no file or arguments are given
     * @param out         responses
     * @param err         errors
     * @param interactive whether to run the JLine shell on the system terminal when no file or arguments are given
     */
    public CliCommand(InputStream in, PrintStream out, PrintStream err, boolean interactive) {
        this.in = in;
        this.out = out;
        this.err = err;
        this.stdinIsTerminal = interactive;
    }

    /** Options must come before the command, so that a command argument like {@code -1} stays an argument. */
    static final class OptionsBeforeCommand implements CommandLine.IModelTransformer {
        @Override
        public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec commandSpec) {
            commandSpec.parser().stopAtPositional(true);
            return commandSpec;
        }
    }

    @Override
    public Integer call() {
        boolean hasCommand = command != null && !command.isEmpty();
        if (hasCommand && file != null) {
            return usage("give either a command or --file, not both");
        }
        if (timeoutSeconds < 0 || Double.isNaN(timeoutSeconds) || timeoutSeconds > 86_400) {
            return usage("--timeout must be between 0 and 86400 seconds");
        }
        List<URI> uris;
        try {
            uris = SatchelClient.parseUris(url);
        } catch (IllegalArgumentException e) {
            return usage("--url: " + e.getMessage());
        }
        ClientOptions.Builder options = ClientOptions.builder()
                .requestTimeout(Duration.ofMillis(Math.round(timeoutSeconds * 1000)))
                .connectTimeout(Duration.ofMillis(Math.max(1, Math.round((timeoutSeconds == 0 ? 10 : timeoutSeconds) * 1000))))
                .insecureTrustAll(insecure);

        if (hasCommand) {
            try (CliSession session = new CliSession(uris, options.build(), raw, false)) {
                return report(session.executeArguments(command), "command", true);
            }
        }
        if (file != null && !file.equals("-")) {
            try (Reader reader = Files.newBufferedReader(Path.of(file), UTF_8)) {
                return runScript(uris, options.build(), new BufferedReader(reader), file);
            } catch (NoSuchFileException e) {
                err.println("satchel cli: no such file: " + file);
                return EXIT_USAGE;
            } catch (IOException e) {
                err.println("satchel cli: cannot read " + file + ": " + e.getMessage());
                return EXIT_USAGE;
            }
        }
        if (file == null && stdinIsTerminal) {
            return runInteractive(uris, options.build());
        }
        return runScript(uris, options.build(), new BufferedReader(new InputStreamReader(in, UTF_8)), "stdin");
    }

    private int usage(String message) {
        err.println("satchel cli: " + message);
        err.println("Try 'satchel cli --help' for more information.");
        return EXIT_USAGE;
    }

    /**
     * Runs a script: one command per line; stops at the first failure unless --continue. A lost connection fails
     * the command in flight (exit status 3: its outcome is unknown); one lost between commands is reopened for
     * the next command, on the next server of the list first, and said on standard error.
     */
    int runScript(List<URI> uris, ClientOptions options, BufferedReader reader, String source) {
        int status = EXIT_OK;
        try (CliSession session = new CliSession(uris, options, raw, true)) {
            session.onReconnect(uri -> err.println("satchel cli: reconnected, now on " + uri));
            int lineNumber = 0;
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (echo && !line.isBlank() && !line.strip().startsWith("#")) {
                    out.println("> " + line.strip());
                }
                CliSession.Outcome outcome = session.execute(line);
                String where = source + ":" + lineNumber;
                int lineStatus = report(outcome, where, false);
                if (outcome.kind() == CliSession.Kind.QUIT) {
                    break;
                }
                if (lineStatus == EXIT_CONNECTION) {
                    return EXIT_CONNECTION;
                }
                if (lineStatus != EXIT_OK) {
                    status = lineStatus;
                    if (!continueOnError) {
                        err.println("satchel cli: stopped at " + where + " (--continue runs the remaining lines)");
                        return status;
                    }
                }
            }
        } catch (IOException e) {
            err.println("satchel cli: cannot read " + source + ": " + e.getMessage());
            return EXIT_USAGE;
        }
        return status;
    }

    /** Prints an outcome and maps it to an exit status. */
    private int report(CliSession.Outcome outcome, String where, boolean single) {
        if (outcome.output() != null) {
            out.println(outcome.output());
        }
        switch (outcome.kind()) {
            case EMPTY, OK, QUIT -> {
                return EXIT_OK;
            }
            case FAILED -> {
                err.println("satchel cli: " + (single ? "" : where + ": ") + outcome.error());
                return EXIT_FAILED;
            }
            case BAD_LINE -> {
                err.println("satchel cli: " + (single ? "" : where + ": ") + outcome.error());
                return EXIT_FAILED;
            }
            default -> {
                err.println("satchel cli: " + (single ? "" : where + ": ") + outcome.error());
                return EXIT_CONNECTION;
            }
        }
    }

    private int runInteractive(List<URI> uris, ClientOptions options) {
        try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
             CliSession session = new CliSession(uris, options, raw, true)) {
            try {
                session.connect();
            } catch (SatchelClientException e) {
                terminal.writer().println("(error) " + e.getMessage());
            }
            Path historyFile = history == null || history.toString().isEmpty() ? null : history;
            return new InteractiveShell(session, terminal, historyFile).run();
        } catch (IOException e) {
            err.println("satchel cli: cannot open the terminal: " + e.getMessage());
            return EXIT_USAGE;
        }
    }
}
