package dev.satchel.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code satchel bench} against a real server (short -n runs) and against {@link TrivialServer}. */
class BenchCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
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

    /** One bench run: exit status and what it printed. */
    private record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    private static Run bench(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new CommandLine(new BenchCommand(new PrintStream(out, true, UTF_8), new PrintStream(err, true, UTF_8),
                false)).execute(args);
        return new Run(exit, out.toString(UTF_8), err.toString(UTF_8));
    }

    private static void assertLatenciesOrdered(JsonNode latency) {
        double p50 = latency.get("p50").asDouble();
        assertThat(p50).isPositive();
        assertThat(latency.get("p90").asDouble()).isGreaterThanOrEqualTo(p50);
        assertThat(latency.get("p99").asDouble()).isGreaterThanOrEqualTo(latency.get("p90").asDouble());
        assertThat(latency.get("p999").asDouble()).isGreaterThanOrEqualTo(latency.get("p99").asDouble());
        assertThat(latency.get("max").asDouble()).isGreaterThanOrEqualTo(latency.get("p999").asDouble());
        assertThat(latency.get("mean").asDouble()).isPositive();
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        Iterator<String> it = node.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }

    private static int serverCount(String member) {
        try (SatchelClient client = SatchelClient.connect(URI.create(url))) {
            return client.serverInfo().join().get(member).asInt();
        }
    }

    @Test
    void setgetRunsExactlyTheRequestedCountAndEndsItsSessions() throws Exception {
        int sessionsBefore = serverCount("sessions");

        Run run = bench("--url", url, "-c", "4", "-P", "8", "-n", "2000", "--warmup", "0", "-w", "setget", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = run.json();
        assertThat(json.get("workload").asText()).isEqualTo("setget");
        assertThat(json.get("connections").asInt()).isEqualTo(4);
        assertThat(json.get("pipeline").asInt()).isEqualTo(8);
        assertThat(json.get("requests").asLong()).isEqualTo(2000);
        assertThat(json.get("errors").asLong()).isZero();
        assertThat(json.get("misses").asLong()).isZero();
        assertThat(json.get("failure").isNull()).isTrue();
        assertThat(json.get("rps").asDouble()).isPositive();
        assertThat(json.get("durationSeconds").asDouble()).isPositive();
        assertLatenciesOrdered(json.get("latencyMs"));
        JsonNode ops = json.get("ops");
        assertThat(fieldNames(ops)).containsExactly("SH_SET", "SH_GET");
        long sets = ops.at("/SH_SET/requests").asLong();
        long gets = ops.at("/SH_GET/requests").asLong();
        assertThat(sets + gets).isEqualTo(2000);
        assertThat(sets - gets).as("SET and GET alternate on each connection").isBetween(0L, 4L);
        assertLatenciesOrdered(ops.at("/SH_SET/latencyMs"));
        assertThat(serverCount("sessions")).as("the setup sessions are ended").isEqualTo(sessionsBefore);
    }

    @ParameterizedTest
    @ValueSource(strings = {"newend", "kvset", "kvget", "mixed"})
    void everyWorkloadProducesWellFormedJson(String workload) throws Exception {
        Run run = bench("--url", url, "-c", "3", "-P", "4", "-n", "600", "--warmup", "0", "-r", "50", "-d", "10",
                "-w", workload, "--mix", "get=3,set=1,kvget=1,kvset=1,newend=2", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = run.json();
        assertThat(json.get("requests").asLong()).isEqualTo(600);
        assertThat(json.get("errors").asLong()).isZero();
        assertThat(json.get("misses").asLong()).as("kvget keys are filled during setup").isZero();
        List<String> ops = fieldNames(json.get("ops"));
        switch (workload) {
            case "newend" -> assertThat(ops).containsExactly("SH_NEW", "SH_END");
            case "kvset" -> assertThat(ops).containsExactly("KV_SET");
            case "kvget" -> assertThat(ops).containsExactly("KV_GET");
            default -> {
                assertThat(ops).contains("SH_SET", "SH_GET", "KV_SET", "KV_GET", "SH_NEW");
                assertThat(json.get("mix").asText()).isEqualTo("set=1,get=3,kvset=1,kvget=1,newend=2");
            }
        }
        long sum = 0;
        for (JsonNode op : json.get("ops")) {
            sum += op.get("requests").asLong();
            assertLatenciesOrdered(op.get("latencyMs"));
        }
        assertThat(sum).isEqualTo(600);
    }

    @Test
    void newendLeavesNoSessionBehind() {
        int before = serverCount("sessions");

        Run run = bench("--url", url, "-c", "2", "-P", "16", "-n", "501", "--warmup", "0", "-w", "newend", "-q");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(serverCount("sessions")).isEqualTo(before);
    }

    @Test
    void csvHasAHeaderOneRowPerOperationAndATotal() {
        Run run = bench("--url", url, "-c", "2", "-P", "2", "-n", "100", "--warmup", "0", "--csv");

        assertThat(run.exit()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo(
                "workload,op,requests,rps,errors,misses,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms");
        assertThat(lines.get(1)).startsWith("setget,SH_SET,");
        assertThat(lines.get(2)).startsWith("setget,SH_GET,");
        assertThat(lines.get(3)).startsWith("setget,all,100,");
        for (String line : lines.subList(1, 4)) {
            String[] cells = line.split(",");
            assertThat(cells).hasSize(12);
            for (int i = 2; i < cells.length; i++) {
                assertThat(Double.parseDouble(cells[i])).isGreaterThanOrEqualTo(0);
            }
        }
    }

    @Test
    void tableShowsThroughputAndPercentiles() {
        Run run = bench("--url", url, "-c", "2", "-P", "2", "-n", "100", "--warmup", "0", "-w", "kvset");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("satchel bench: kvset on " + url)
                .contains("2 connections x 2 in flight")
                .contains("100 requests")
                .contains("p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms")
                .containsPattern("KV_SET +100 ")
                .containsPattern("all +100 ");
    }

    @Test
    void timedRunWithWarmupMeasuresSomething() throws Exception {
        Run run = bench("--url", url, "-c", "2", "-P", "4", "-t", "0.3", "--warmup", "0.2", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode json = run.json();
        assertThat(json.get("requests").asLong()).isPositive();
        assertThat(json.get("secondsLimit").asDouble()).isEqualTo(0.3);
        assertThat(json.has("requestLimit")).isFalse();
        assertThat(json.get("errors").asLong()).isZero();
    }

    @Test
    void randomMasksAreUnderstoodByTheServer() throws Exception {
        Run run = bench("--url", url, "-c", "2", "-P", "4", "-n", "400", "--warmup", "0", "-d", "1003",
                "--random-mask", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.json().get("errors").asLong()).isZero();
    }

    @Test
    void errorResponsesAreCountedAndExitWithOne() throws Exception {
        try (TrivialServer trivial = TrivialServer.start("{\"KV_SET_RSP\":{\"st\":42,\"m\":\"too big\"}}", 0)) {
            Run run = bench("--url", "ws://127.0.0.1:" + trivial.port(), "-c", "2", "-P", "4", "-n", "300",
                    "--warmup", "0", "-w", "kvset", "--json");

            assertThat(run.exit()).isEqualTo(BenchCommand.EXIT_ERRORS);
            JsonNode json = run.json();
            assertThat(json.get("requests").asLong()).isEqualTo(300);
            assertThat(json.get("errors").asLong()).isEqualTo(300);
            assertThat(json.at("/ops/KV_SET/errors").asLong()).isEqualTo(300);
            assertThat(json.get("firstError").asText()).contains("KV_SET").contains("\"st\":42");
            assertThat(run.err()).contains("300 error responses");
        }
    }

    @Test
    void againstATrivialServerEveryWorkloadSucceeds() throws Exception {
        try (TrivialServer trivial = TrivialServer.start(TrivialServer.OK_RESPONSE, 0)) {
            Run run = bench("--url", "ws://127.0.0.1:" + trivial.port(), "-c", "4", "-P", "32", "-n", "20000",
                    "--warmup", "0", "-w", "setget", "--threads", "2", "--json");

            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.json().get("requests").asLong()).isEqualTo(20000);
        }
    }

    @Test
    void aConnectionLostDuringTheRunIsReported() throws Exception {
        try (TrivialServer trivial = TrivialServer.start(TrivialServer.OK_RESPONSE, 50)) {
            Run run = bench("--url", "ws://127.0.0.1:" + trivial.port(), "-c", "2", "-P", "4", "-n", "1000",
                    "--warmup", "0", "-w", "kvset", "--json");

            // each connection dies after 50 answers and is replaced (on the same server: the only one), until
            // the 1000 requests are used up; the requests in flight at each loss are lost, not answered
            assertThat(run.exit()).isEqualTo(BenchCommand.EXIT_ERRORS);
            JsonNode json = run.json();
            assertThat(json.get("lostConnections").asInt()).isGreaterThanOrEqualTo(2);
            assertThat(json.get("reconnects").asInt()).isPositive();
            assertThat(json.get("firstError").asText())
                    .containsPattern("connection \\d+ to ws://127.0.0.1:\\d+ (closed by the server|lost: .*reset)");
            assertThat(json.get("lostRequests").asLong()).isPositive();
            assertThat(json.get("requests").asLong() + json.get("lostRequests").asLong()).isEqualTo(1000);
            assertThat(json.get("errors").asLong()).isZero();
            assertThat(run.err()).contains("connections lost").contains("reconnected");
        }
    }

    private static long globalKeys(TestServer s) {
        try (SatchelClient client = s.connect()) {
            return client.kvCount().join().get("cnt").asLong();
        }
    }

    @Test
    void connectionsAreSpreadOverTheServersRoundRobin() throws Exception {
        try (TestServer a = TestServer.start(); TestServer b = TestServer.start()) {
            Run run = bench("--url", a.uri() + "," + b.uri(), "-c", "5", "-P", "4", "-n", "5000", "-r", "100000",
                    "--warmup", "0", "-w", "kvset", "--json");

            assertThat(run.exit()).as(run.err()).isZero();
            JsonNode json = run.json();
            assertThat(json.get("urls")).hasSize(2);
            assertThat(json.get("url").asText()).isEqualTo(a.uri() + "," + b.uri());
            // connections 0, 2, 4 write to a, 1 and 3 to b, each its own keys (k<start>, k<start+1>...); how the
            // 5000 requests split between the connections depends on their speed, so only both servers got some
            long onA = globalKeys(a);
            long onB = globalKeys(b);
            assertThat(onA + onB).isEqualTo(5000);
            assertThat(onA).isPositive();
            assertThat(onB).isPositive();

            Run table = bench("--url", a.uri() + "," + b.uri(), "-c", "3", "-n", "300", "--warmup", "0", "-w",
                    "kvget");
            assertThat(table.out()).contains("on 2 servers (" + a.uri() + " 2 connections, " + b.uri() + " 1)");
        }
    }

    @Test
    void aConnectionLostDuringTheRunIsReplacedOnTheNextServer() throws Exception {
        try (TestServer a = TestServer.start(); TestServer b = TestServer.start()) {
            java.util.concurrent.CompletableFuture<Run> running = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> bench("--url", a.uri() + "," + b.uri(), "-c", "4", "-P", "2", "-t", "8", "-r", "1000000",
                            "--warmup", "0", "-w", "kvset", "--json"));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (globalKeys(a) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(globalKeys(a)).as("traffic reached a").isPositive();
            long onB = globalKeys(b);
            a.close(); // graceful stop: Close 1001 to the bench's two connections there

            Run run = running.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(run.exit()).as("lost connections are reported even when replaced")
                    .isEqualTo(BenchCommand.EXIT_ERRORS);
            JsonNode json = run.json();
            assertThat(json.get("lostConnections").asInt()).isEqualTo(2);
            assertThat(json.get("reconnects").asInt()).isEqualTo(2);
            assertThat(json.get("errors").asLong()).isZero();
            // the bench keeps writing while a shuts down: it sees the Close 1001, or, when a's socket closes with
            // the bench's requests still unread, the reset (both are a lost connection)
            assertThat(json.get("firstError").asText()).contains(a.uri().toString())
                    .containsPattern("closed by the server|lost: .*reset");
            assertThat(globalKeys(b)).as("the replacements write to b").isGreaterThan(onB);
        }
    }

    @Test
    void refusedConnectionFailsSetupWithThree() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Run run = bench("--url", "ws://127.0.0.1:" + port, "-c", "3", "-n", "10", "--json");

        assertThat(run.exit()).isEqualTo(BenchCommand.EXIT_SETUP);
        JsonNode json = run.json();
        assertThat(json.get("failure").asText()).contains("cannot connect to ws://127.0.0.1:" + port);
        assertThat(json.get("requests").asLong()).isZero();
        assertThat(run.err()).contains("cannot connect");
    }

    @Test
    void severalUrlsEveryOneDownFailsSetupAndABadOneIsOneUsageLine() throws Exception {
        int p1;
        int p2;
        try (ServerSocket one = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket two = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            p1 = one.getLocalPort();
            p2 = two.getLocalPort();
        }
        Run down = bench("--url", "ws://127.0.0.1:" + p1 + ",ws://127.0.0.1:" + p2, "-c", "2", "-n", "10", "--json");
        assertThat(down.exit()).isEqualTo(BenchCommand.EXIT_SETUP);
        assertThat(down.json().get("failure").asText()).containsPattern("cannot connect to ws://127.0.0.1:(" + p1
                + "|" + p2 + ")");
        assertThat(down.json().get("requests").asLong()).isZero();

        Run bad = bench("--url", url + ",http://x", "-n", "10");
        assertThat(bad.exit()).isEqualTo(BenchCommand.EXIT_USAGE);
        assertThat(bad.err().lines().findFirst().orElseThrow()).isEqualTo("satchel bench: --url: bad URL http://x"
                + " (2 of 2): expected ws://HOST[:PORT] or wss://HOST[:PORT]");
        assertThat(bad.out()).isEmpty();
    }

    @Test
    void badUsageExitsWithTwo() {
        assertThat(bench("-c", "0").exit()).isEqualTo(BenchCommand.EXIT_USAGE);
        assertThat(bench("-P", "5000").exit()).isEqualTo(BenchCommand.EXIT_USAGE);
        assertThat(bench("-w", "nope").err()).contains("unknown workload nope");
        assertThat(bench("--mix", "get=0").err()).contains("at least one positive weight");
        assertThat(bench("--mix", "read=1").err()).contains("unknown --mix operation read");
        assertThat(bench("--json", "--csv").exit()).isEqualTo(BenchCommand.EXIT_USAGE);
        assertThat(bench("--url", "http://x").err()).contains("expected ws://");
        assertThat(bench("-t", "0").exit()).isEqualTo(BenchCommand.EXIT_USAGE);
    }
}
