package dev.satchel.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.client.SatchelClient;
import dev.satchel.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code satchel cli} in scripted mode (standard input, files, arguments) against a real server. */
class CliCommandTest {

    private static final AtomicInteger UNIQUE = new AtomicInteger();
    private static TestServer server;
    private static String url;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
        url = "ws://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run cli(InputStream stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new CommandLine(new CliCommand(stdin, new PrintStream(out, true, UTF_8),
                new PrintStream(err, true, UTF_8), false)).execute(args);
        return new Run(exit, out.toString(UTF_8), err.toString(UTF_8));
    }

    private static Run script(String script, String... options) {
        List<String> args = new ArrayList<>(List.of("--url", url));
        args.addAll(List.of(options));
        return cli(new ByteArrayInputStream(script.getBytes(UTF_8)), args.toArray(String[]::new));
    }

    private static Run command(String... command) {
        List<String> args = new ArrayList<>(List.of("--url", url));
        args.addAll(List.of(command));
        return cli(InputStream.nullInputStream(), args.toArray(String[]::new));
    }

    /** A global key name no other test uses. */
    private static String key() {
        return "cli-test-" + UNIQUE.incrementAndGet();
    }

    private static boolean globalKeyExists(String key) {
        try (SatchelClient client = SatchelClient.connect(URI.create(url))) {
            return client.kvContains(key).join().get("contains").size() == 1;
        }
    }

    @Test
    void aScriptRunsEveryLineAndRemembersTheToken() {
        Run run = script(String.join("\n",
                "# a comment, then a blank line",
                "",
                "SH_NEW expiry.duration=60 name=cart",
                "SH_SET $tkn name=Bob age=26 tags=[1,2]",
                "sh_get $tkn name age missing",
                "{\"SH_COUNT\":{\"tkn\":$tkn}}",
                "SH_INFO"));

        assertThat(run.exit()).as(run.err()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).contains("SH_NEW_RSP st=1 (Ok)\n{\n  \"tkn\": \"")
                .contains("SH_SET_RSP st=1 (Ok)\n")
                .contains("SH_GET_RSP st=1 (Ok)\n{\n  \"keys\": {\n    \"name\": \"Bob\",\n    \"age\": 26\n  }\n}")
                .contains("SH_COUNT_RSP st=1 (Ok)\n{\n  \"cnt\": 3\n}")
                .contains("\"keyCnt\": 3")
                .contains("\"name\": \"cart\"");
    }

    @Test
    void theFirstFailureStopsTheScriptWithStatusOne() {
        String marker = key();
        Run run = script(String.join("\n",
                "SV_INFO",
                "SH_GET AAAAAAAAAAAAAAAAAAAAAA a",
                "KV_SET " + marker + "=1"));

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_FAILED);
        assertThat(run.out()).contains("SV_INFO_RSP st=1 (Ok)")
                .contains("SH_GET_RSP st=100 (SessionNotExist)")
                .doesNotContain("KV_SET_RSP");
        assertThat(run.err()).contains("satchel cli: stdin:2: SH_GET_RSP st=100 (SessionNotExist)")
                .contains("stopped at stdin:2 (--continue runs the remaining lines)");
        assertThat(globalKeyExists(marker)).as("line 3 did not run").isFalse();
    }

    @Test
    void continueRunsTheRestButStillExitsWithOne() {
        String marker = key();
        Run run = script(String.join("\n",
                "SH_GET AAAAAAAAAAAAAAAAAAAAAA a",
                "SH_SET",
                "KV_SET " + marker + "=1"), "--continue");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_FAILED);
        assertThat(run.out()).contains("KV_SET_RSP st=1 (Ok)");
        assertThat(run.err()).contains("stdin:1: SH_GET_RSP st=100")
                .contains("stdin:2: SH_SET needs the token first")
                .doesNotContain("stopped");
        assertThat(globalKeyExists(marker)).isTrue();
    }

    @Test
    void aBadLineStopsTheScriptBeforeAnythingIsSent() {
        String marker = key();
        Run run = script("KV_SET a=\"unclosed\nKV_SET " + marker + "=1\n");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_FAILED);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("stdin:1: unclosed \"");
        assertThat(globalKeyExists(marker)).isFalse();
    }

    @Test
    void quitEndsTheScriptSuccessfully() {
        String marker = key();
        Run run = script("SV_INFO\nquit\nKV_SET " + marker + "=1\n");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(globalKeyExists(marker)).isFalse();
    }

    @Test
    void rawPrintsEachResponseAsReceivedOnOneLine() {
        String k = key();
        Run run = script("KV_SET " + k + "={\"a\": [1.0, 2]}\nKV_GET " + k + "\n", "--raw");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(run.out()).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}\n{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"" + k
                + "\":{\"a\":[1.0,2]}}}}\n");
    }

    @Test
    void echoPrintsEachCommandBeforeItsResponse() {
        Run run = script("# comment\nSV_INFO\n", "--echo", "--raw");

        assertThat(run.out()).startsWith("> SV_INFO\n{\"SV_INFO_RSP\":{\"st\":1,");
    }

    @Test
    void aScriptFileRunsLikeStandardInput(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("setup.satchel");
        Files.writeString(file, "SH_NEW\nSH_SET $tkn k=1\nSH_GET $tkn k\nSH_END\nSH_GET $tkn k\n");

        Run run = cli(InputStream.nullInputStream(), "--url", url, "--file", file.toString());

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_FAILED);
        assertThat(run.out()).contains("\"k\": 1").contains("SH_END_RSP st=1 (Ok)");
        assertThat(run.err()).contains(file + ":5: SH_GET_RSP st=100 (SessionNotExist)");
        assertThat(cli(InputStream.nullInputStream(), "--url", url, "-f", dir.resolve("none").toString()).err())
                .contains("no such file");
    }

    @Test
    void fileDashReadsStandardInput() {
        Run run = cli(new ByteArrayInputStream("SV_INFO\n".getBytes(UTF_8)), "--url", url, "-f", "-");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(run.out()).contains("SV_INFO_RSP st=1 (Ok)");
    }

    @Test
    void aCommandGivenAsArgumentsRunsOnce() {
        String k = key();
        Run set = command("KV_SET", k + "=Bob Smith", "n=-1");
        Run get = command("KV_GET", k, "n");

        assertThat(set.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(get.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(get.out()).contains("\"" + k + "\": \"Bob Smith\"").contains("\"n\": -1");
        assertThat(command("SH_GET AAAAAAAAAAAAAAAAAAAAAA a").exit()).isEqualTo(CliCommand.EXIT_FAILED);
        assertThat(command("SH_GET").err()).contains("SH_GET needs the token first");
        assertThat(command("{\"SV_INFO\":{}}").out()).contains("SV_INFO_RSP st=1 (Ok)");
        assertThat(command("help", "SH_SET").out()).contains("SH_SET TKN KEY=VALUE...");
    }

    @Test
    void helpNeedsNoServer() throws Exception {
        Run run = cli(new ByteArrayInputStream("help\n".getBytes(UTF_8)), "--url", "ws://127.0.0.1:" + freePort());

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(run.out()).contains("SH_NEW expiry.duration=60").contains("KV_CLEAR_SET");
    }

    @Test
    void noServerExitsWithThree() throws Exception {
        int port = freePort();
        Run run = cli(new ByteArrayInputStream("SV_INFO\n".getBytes(UTF_8)), "--url", "ws://127.0.0.1:" + port);

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_CONNECTION);
        assertThat(run.err()).contains("stdin:1: cannot connect to ws://127.0.0.1:" + port);
        assertThat(cli(InputStream.nullInputStream(), "--url", "ws://127.0.0.1:" + port, "SV_INFO").exit())
                .isEqualTo(CliCommand.EXIT_CONNECTION);
    }

    @Test
    void aConnectionLostMidScriptExitsWithThree() throws Exception {
        TestServer own = TestServer.start();
        int port = own.port();
        AtomicBoolean ownClosed = new AtomicBoolean();
        // Line 1 runs; reading line 2 stops the server first.
        InputStream stdin = stoppingBetween("SV_INFO\n", "SV_INFO\nKV_COUNT\n", () -> closeOnce(own, ownClosed));
        try {
            Run run = cli(stdin, "--url", "ws://127.0.0.1:" + port, "--continue");

            assertThat(run.exit()).isEqualTo(CliCommand.EXIT_CONNECTION);
            assertThat(run.out()).contains("SV_INFO_RSP st=1 (Ok)").doesNotContain("KV_COUNT_RSP");
            assertThat(run.err()).contains("stdin:2: ").contains("ws://127.0.0.1:" + port).contains("closed");
        } finally {
            closeOnce(own, ownClosed);
        }
    }

    @Test
    void aScriptGoesOnOnTheNextServerWhenItsServerStopsBetweenCommands() throws Exception {
        TestServer own = TestServer.start();
        AtomicBoolean ownClosed = new AtomicBoolean();
        String key = key();
        // Line 1 runs on own; reading line 2 stops own first.
        InputStream stdin = stoppingBetween("SV_INFO\n", "KV_SET " + key + "=1\n", () -> closeOnce(own, ownClosed));
        try {
            Run run = cli(stdin, "--url", own.uri() + "," + url);

            assertThat(run.exit()).as(run.err()).isEqualTo(CliCommand.EXIT_OK);
            assertThat(run.out()).contains("SV_INFO_RSP st=1 (Ok)").contains("KV_SET_RSP st=1 (Ok)");
            assertThat(run.err()).isEqualTo("satchel cli: reconnected, now on " + url + System.lineSeparator());
            assertThat(globalKeyExists(key)).as("line 2 ran on the second server").isTrue();
        } finally {
            closeOnce(own, ownClosed);
        }
    }

    /**
     * Standard input that hands the CLI {@code first} in one read, then runs {@code between} (e.g. stops the
     * server) before it hands over {@code second}, then ends: the CLI has run line 1 when line 2 arrives.
     */
    static InputStream stoppingBetween(String first, String second, Runnable between) {
        byte[][] parts = {first.getBytes(UTF_8), second.getBytes(UTF_8)};
        return new InputStream() {
            private int part;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (part >= parts.length) {
                    return -1;
                }
                if (part == 1) {
                    between.run();
                }
                byte[] src = parts[part++];
                System.arraycopy(src, 0, b, off, src.length);
                return src.length;
            }
        };
    }

    @Test
    void aBadUrlInTheListIsAUsageErrorOfOneLine() throws Exception {
        Run bad = cli(InputStream.nullInputStream(), "--url", url + ",nope", "SV_INFO");

        assertThat(bad.exit()).isEqualTo(CliCommand.EXIT_USAGE);
        assertThat(bad.err().lines().findFirst().orElseThrow())
                .isEqualTo("satchel cli: --url: bad URL nope (2 of 2): expected ws://HOST[:PORT] or wss://HOST[:PORT]");
        assertThat(bad.out()).isEmpty();
    }

    @Test
    void everyServerDownExitsWithThreeNamingEach() throws Exception {
        int p1 = freePort();
        int p2 = freePort();
        Run run = cli(InputStream.nullInputStream(), "--url", "ws://127.0.0.1:" + p1 + ",ws://127.0.0.1:" + p2,
                "SV_INFO");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_CONNECTION);
        assertThat(run.err()).startsWith("satchel cli: cannot connect to any of the 2 servers: cannot connect to"
                + " ws://127.0.0.1:" + p1).contains("; cannot connect to ws://127.0.0.1:" + p2);
    }

    private static void closeOnce(TestServer server, AtomicBoolean closed) {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }

    @Test
    void badUsageExitsWithTwo() {
        assertThat(cli(InputStream.nullInputStream(), "--url", "http://x", "SV_INFO").err()).contains("expected ws://");
        assertThat(cli(InputStream.nullInputStream(), "-f", "x", "SV_INFO").err())
                .contains("either a command or --file");
        assertThat(cli(InputStream.nullInputStream(), "--timeout", "-1", "SV_INFO").exit())
                .isEqualTo(CliCommand.EXIT_USAGE);
        assertThat(cli(InputStream.nullInputStream(), "--nope").exit()).isEqualTo(CliCommand.EXIT_USAGE);
    }

    @Test
    void optionsAfterTheCommandAreArguments() {
        Run run = command("KV_GET", key(), "--raw");

        assertThat(run.exit()).isEqualTo(CliCommand.EXIT_OK);
        assertThat(run.out()).as("--raw after the command is a key name, so the output is pretty")
                .contains("KV_GET_RSP st=1 (Ok)");
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
