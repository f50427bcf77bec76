package dev.satchel.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.CloseStatus;
import dev.satchel.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.jline.reader.Candidate;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.jline.terminal.impl.ExternalTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JLine shell on a dumb terminal fed from a stream, its completion, and reconnecting after a restart. */
class InteractiveShellTest {

    /** Runs the shell on a dumb terminal (no cursor control at all) reading {@code input}; returns the screen. */
    private static String runShell(CliSession session, String input, Path history) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Terminal terminal = new DumbTerminal("test", "dumb", new ByteArrayInputStream(input.getBytes(UTF_8)), out,
                UTF_8)) {
            assertThat(new InteractiveShell(session, terminal, history).run()).isZero();
        }
        return out.toString(UTF_8);
    }

    /** Runs the shell on an xterm-like terminal, where TAB completes; returns the screen. */
    private static String runShellOnXterm(CliSession session, String input) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Terminal terminal = new ExternalTerminal("test", "xterm",
                new ByteArrayInputStream(input.getBytes(UTF_8)), out, UTF_8)) {
            assertThat(new InteractiveShell(session, terminal, null).run()).isZero();
        }
        return out.toString(UTF_8);
    }

    @Test
    void theShellPrettyPrintsResponsesAndKeepsHistory(@TempDir Path dir) throws Exception {
        TestServer server = TestServer.start();
        Path history = dir.resolve("history");
        try (CliSession session = new CliSession(List.of(URI.create("ws://127.0.0.1:" + server.port())),
                ClientOptions.defaults(), false, true)) {
            session.connect();

            String screen = runShell(session, "sh_new expiry.duration=60\nSH_SET $tkn name=Bob!\n"
                    + "SH_GET $tkn name\nSH_GET nope\nKV_SET a=\"x\nhelp SH_GET\nquit\nSV_INFO\n", history);

            assertThat(screen).contains("Connected to ws://127.0.0.1:" + server.port())
                    .contains("127.0.0.1:" + server.port() + "> ")
                    .contains("SH_NEW_RSP st=1 (Ok)")
                    .contains("SH_GET_RSP st=1 (Ok)\n{\n  \"keys\": {\n    \"name\": \"Bob!\"\n  }\n}")
                    .contains("SH_GET_RSP st=101 (SessionTokenInvalid)")
                    .contains("(error) unclosed \"")
                    .contains("SH_GET TKN KEY...")
                    .doesNotContain("SV_INFO_RSP");
            assertThat(Files.readString(history)).contains("SH_SET $tkn name=Bob!").contains("help SH_GET");
        } finally {
            server.close();
        }
    }

    @Test
    void withoutAServerThePromptSaysSoAndCommandsReportTheFailure() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        try (CliSession session = new CliSession(List.of(URI.create("ws://127.0.0.1:" + port)), ClientOptions.defaults(),
                false, true)) {
            String screen = runShell(session, "SV_INFO\n", null);

            assertThat(screen).contains("Not connected to ws://127.0.0.1:" + port)
                    .contains("not connected> ")
                    .contains("(error) cannot connect to ws://127.0.0.1:" + port);
        }
    }

    @Test
    void theSessionReconnectsAfterAServerRestart() throws Exception {
        TestServer first = TestServer.start();
        AtomicBoolean firstClosed = new AtomicBoolean();
        int port = first.port();
        try (CliSession session = new CliSession(List.of(URI.create("ws://127.0.0.1:" + port)), ClientOptions.defaults(),
                false, true)) {
            CompletableFuture<CloseStatus> lost = new CompletableFuture<>();
            session.onUnexpectedClose(lost::complete);
            assertThat(session.execute("SH_NEW").kind()).isEqualTo(CliSession.Kind.OK);

            closeOnce(first, firstClosed);
            // generous: in the full suite this wait once took over 5 s; alone it takes milliseconds
            assertThat(lost.get(30, TimeUnit.SECONDS).code()).isIn(CloseStatus.ABNORMAL_CLOSURE, 1001);
            assertThat(session.isConnected()).isFalse();
            TestServer second = TestServer.startOn(port);
            try {
                CliSession.Outcome outcome = session.execute("SH_GET $tkn a");
                assertThat(outcome.kind()).as("reconnected; the old session is gone").isEqualTo(CliSession.Kind.FAILED);
                assertThat(outcome.output()).contains("st=100 (SessionNotExist)");
                assertThat(session.execute("SV_INFO").kind()).isEqualTo(CliSession.Kind.OK);
            } finally {
                second.close();
            }
        } finally {
            closeOnce(first, firstClosed);
        }
    }

    @Test
    void withSeveralServersTheShellSaysWhichItIsOnAndTheNextCommandMovesToTheNext() throws Exception {
        TestServer a = TestServer.start();
        AtomicBoolean aClosed = new AtomicBoolean();
        TestServer b = TestServer.start();
        try (CliSession session = new CliSession(List.of(a.uri(), b.uri()), ClientOptions.defaults(), false, true)) {
            session.connect();
            String first = runShell(session, "KV_SET on=1\n", null);
            assertThat(first).contains("Connected to " + a.uri() + " (failover: " + b.uri() + ")")
                    .contains("127.0.0.1:" + a.port() + "> ")
                    .contains("KV_SET_RSP st=1 (Ok)");

            CompletableFuture<CloseStatus> lost = new CompletableFuture<>();
            session.onUnexpectedClose(lost::complete);
            closeOnce(a, aClosed);
            assertThat(lost.get(30, TimeUnit.SECONDS).code()).isIn(CloseStatus.ABNORMAL_CLOSURE, 1001);

            String second = runShell(session, "KV_COUNT\n", null);
            assertThat(second).contains("(reconnected, now on " + b.uri() + ")")
                    .contains("KV_COUNT_RSP st=1 (Ok)")
                    .contains("127.0.0.1:" + b.port() + "> ");
            assertThat(session.uri()).isEqualTo(b.uri());
        } finally {
            closeOnce(a, aClosed);
            b.close();
        }
    }

    private static void closeOnce(TestServer server, AtomicBoolean closed) {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }

    // ---- completion

    private static List<String> complete(String line) {
        ParsedLine parsed = new DefaultParser().parse(line, line.length(), Parser.ParseContext.COMPLETE);
        List<Candidate> candidates = new ArrayList<>();
        new ShellCompleter().complete(null, parsed, candidates);
        return candidates.stream().map(Candidate::value).collect(Collectors.toList());
    }

    @Test
    void tabCompletesCommandNamesAndTheTokenInTheShell() throws Exception {
        TestServer server = TestServer.start();
        try (CliSession session = new CliSession(List.of(URI.create("ws://127.0.0.1:" + server.port())),
                ClientOptions.defaults(), false, true)) {
            session.connect();

            String screen = runShellOnXterm(session, "sh_ne\tname=tabbed\nSH_SET \tk=1\nSH_GET \tk\nquit\n");

            // Without completion these would be SH_NE (unknown, st=10) and SH_GET with the token "k" (st=101).
            assertThat(screen).contains("SH_NEW_RSP st=1 (Ok)")
                    .contains("\"name\": \"tabbed\"")
                    .contains("SH_SET_RSP st=1 (Ok)")
                    .contains("SH_GET_RSP st=1 (Ok)")
                    .contains("\"k\": 1");
        } finally {
            server.close();
        }
    }

    @Test
    void theFirstWordCompletesToCommandNames() {
        List<String> values = complete("SH_N");
        assertThat(values).contains("SH_NEW", "SH_SET", "KV_GET", "SV_INFO", "help", "quit")
                .hasSize(CommandShape.commands().size() + 3);
    }

    @Test
    void tokensAndParametersComplete() {
        assertThat(complete("SH_GET ")).containsExactly("$tkn");
        assertThat(complete("SH_GET $tkn ")).isEmpty();
        assertThat(complete("sh_info ")).containsExactly("$tkn");
        assertThat(complete("SH_EXISTS a ")).containsExactly("$tkn");
        assertThat(complete("KV_GET ")).isEmpty();
        assertThat(complete("SH_NEW exp")).containsExactlyElementsOf(ShellCompleter.SH_NEW_PARAMS);
        assertThat(complete("help SH")).contains("SH_NEW", "KV_SET");
    }
}
