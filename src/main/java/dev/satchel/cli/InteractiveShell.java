package dev.satchel.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.reader.impl.LineReaderImpl;
import org.jline.terminal.Terminal;

/**
 * The interactive shell: JLine line editing, history and completion on any terminal JLine can open, including
 * a dumb one. Each line runs through {@link CliSession}; when the connection is gone, the next line connects
 * again.
 */
final class InteractiveShell {

    private static final String NOT_CONNECTED = "not connected> ";

    private final CliSession session;
    private final Terminal terminal;
    private final Path historyFile;

    /**
     * @param session     the session (connected or not)
     * @param terminal    the terminal to read from and write to
     * @param historyFile where to keep the history, or {@code null} for none
     */
    InteractiveShell(CliSession session, Terminal terminal, Path historyFile) {
        this.session = session;
        this.terminal = terminal;
        this.historyFile = historyFile;
    }

    /** Reads lines until {@code quit}, {@code exit} or end of input; returns the exit status (0). */
    int run() {
        DefaultParser parser = new DefaultParser();
        parser.setEofOnUnclosedQuote(false);
        LineReaderBuilder builder = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("satchel")
                .parser(parser)
                .completer(new ShellCompleter())
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.CASE_INSENSITIVE, true)
                .option(LineReader.Option.AUTO_FRESH_LINE, true)
                .variable(LineReader.HISTORY_FILE_SIZE, 1000)
                .variable(LineReader.HISTORY_SIZE, 1000);
        if (historyFile != null) {
            builder.variable(LineReader.HISTORY_FILE, historyFile);
        }
        LineReader reader = builder.build();
        PrintWriter out = terminal.writer();
        session.onUnexpectedClose(status -> {
            if (reader instanceof LineReaderImpl impl) {
                impl.setPrompt(NOT_CONNECTED);
            }
            reader.printAbove("(connection to " + session.uri() + " closed: " + status
                    + "; the next command reconnects" + (session.uris().size() > 1 ? ", to the next server first" : "")
                    + ")");
        });
        session.onReconnect(uri -> out.println("(reconnected, now on " + uri + ")"));
        String others = session.uris().size() == 1 ? "" : " (failover: " + session.uris().stream()
                .filter(u -> !u.equals(session.uri())).map(Object::toString)
                .collect(Collectors.joining(", ")) + ")";
        if (session.isConnected()) {
            out.println("Connected to " + session.uri() + others + ". Type help for the short forms, quit to leave.");
        } else {
            out.println("Not connected to " + (session.uris().size() == 1 ? session.uri() : session.uris())
                    + " yet; each command tries to connect. Type help for the short forms.");
        }
        out.flush();
        while (true) {
            String line;
            try {
                line = reader.readLine(prompt());
            } catch (UserInterruptException e) {
                continue;
            } catch (EndOfFileException e) {
                break;
            }
            CliSession.Outcome outcome = session.execute(line);
            if (outcome.kind() == CliSession.Kind.QUIT) {
                break;
            }
            if (outcome.output() != null) {
                out.println(outcome.output());
            }
            if (outcome.error() != null && outcome.kind() != CliSession.Kind.FAILED) {
                out.println("(error) " + outcome.error());
            }
            out.flush();
        }
        return 0;
    }

    private String prompt() {
        if (!session.isConnected()) {
            return NOT_CONNECTED;
        }
        String host = session.uri().getHost();
        int port = session.uri().getPort();
        return (port == -1 ? host : host + ":" + port) + "> ";
    }
}
