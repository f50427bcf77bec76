package dev.satchel.net;

import static dev.satchel.net.Wire.assertUsable;
import static dev.satchel.net.Wire.await;
import static dev.satchel.net.Wire.fieldNames;
import static dev.satchel.net.Wire.ok;
import static dev.satchel.net.Wire.parse;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.Token;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Section 1: each request gets exactly one response, in request order, however many are pipelined, on one
 * connection or several at once, and also when the server has to apply backpressure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoThreadLeaks.class)
class PipeliningTest {
    private static final int N = 1000;

    private TestServer server;
    /** A server that lets only 8 requests per connection wait for the command loop. */
    private TestServer tightServer;

    @BeforeAll
    void start() {
        server = TestServer.start(TestServer.config(Map.of()));
        tightServer = TestServer.start(TestServer.config(Map.of("--max-in-flight", "8")));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
        if (tightServer != null) {
            tightServer.close();
        }
    }

    /** One pipelined request and the response it must get. */
    private record Exchange(String request, String responseName, String expectedInner) {
    }

    /**
     * 1,000 requests on session {@code t}: sets, gets of the previous set, unknown commands, invalid JSON,
     * envelope errors, global sets and gets, counts and malformed tokens, each with values unique to
     * {@code tag} and its index.
     */
    private static List<Exchange> script(String tag, Token t) {
        List<Exchange> list = new ArrayList<>();
        int sets = 0;
        for (int i = 0; i < N; i++) {
            switch (i % 9) {
                case 0 -> {
                    sets++;
                    list.add(new Exchange("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k" + i + "\":" + i + "}}}",
                            "SH_SET_RSP", "{\"st\":1}"));
                }
                case 1 -> list.add(new Exchange("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"k" + (i - 1) + "\"]}}",
                        "SH_GET_RSP", "{\"st\":1,\"keys\":{\"k" + (i - 1) + "\":" + (i - 1) + "}}"));
                case 2 -> list.add(new Exchange("{\"" + tag + "_X" + i + "\":{}}", tag + "_X" + i + "_RSP",
                        "{\"st\":10}"));
                case 3 -> list.add(new Exchange("{\"SH_GET\":" + i, "ERR", "{\"st\":3}"));
                case 4 -> list.add(new Exchange("{\"KV_SET\":{\"keys\":{\"" + tag + "-g" + i + "\":\"v" + i + "\"}}}",
                        "KV_SET_RSP", "{\"st\":1}"));
                case 5 -> list.add(new Exchange("{\"KV_GET\":{\"keys\":[\"" + tag + "-g" + (i - 1) + "\"]}}",
                        "KV_GET_RSP", "{\"st\":1,\"keys\":{\"" + tag + "-g" + (i - 1) + "\":\"v" + (i - 1) + "\"}}"));
                case 6 -> list.add(new Exchange("{\"SH_COUNT\":{\"tkn\":" + t + "}}", "SH_COUNT_RSP",
                        "{\"st\":1,\"cnt\":" + sets + "}"));
                case 7 -> list.add(new Exchange("[" + i + "]", "ERR", "{\"st\":13}"));
                default -> list.add(new Exchange("{\"SH_GET\":{\"tkn\":\"bad" + i + "\",\"keys\":[]}}", "SH_GET_RSP",
                        "{\"st\":101}"));
            }
        }
        return list;
    }

    /** Asserts response {@code i} is exactly the one its request must get (m only checked to be non-empty). */
    private static void assertAnswers(Exchange e, String response, int i) {
        JsonNode root = parse(response);
        assertThat(fieldNames(root)).as("response %d to %s: %s", i, e.request(), response)
                .containsExactly(e.responseName());
        ObjectNode inner = root.get(e.responseName()).deepCopy();
        JsonNode m = inner.remove("m");
        JsonNode expected = parse(e.expectedInner());
        if (expected.get("st").asInt() == 1) {
            assertThat(m).as("success response %d carries no m: %s", i, response).isNull();
        } else {
            assertThat(m != null && m.isTextual() && !m.asText().isEmpty())
                    .as("error response %d carries m: %s", i, response).isTrue();
        }
        assertThat((JsonNode) inner).as("response %d to %s", i, e.request()).isEqualTo(expected);
    }

    /** Pipelines the whole script in one batch and checks every response against its request. */
    private static void runScript(SatchelClient client, String tag) {
        Token t = Wire.newSession(client);
        List<Exchange> script = script(tag, t);
        List<CompletableFuture<String>> futures = client.sendRawBatch(script.stream().map(Exchange::request).toList());
        assertThat(futures).hasSize(N);
        for (int i = 0; i < N; i++) {
            assertAnswers(script.get(i), await(futures.get(i)), i);
        }
        // no extra response is pending: the next request gets its own answer
        assertUsable(client);
        JsonNode count = ok(Wire.call(client, "{\"SH_COUNT\":{\"tkn\":" + t + "}}"), "SH_COUNT_RSP");
        assertThat(count.get("cnt").asInt()).isEqualTo((N + 8) / 9);
    }

    @Test
    void thousandPipelinedRequestsGetThousandResponsesInOrder() {
        runScript(server.connect(), "one");
    }

    @Test
    void severalConnectionsPipelineConcurrently() throws Exception {
        int connections = 4;
        List<SatchelClient> clients = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            clients.add(server.connect());
        }
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                SatchelClient client = clients.get(i);
                String tag = "conn" + i;
                runs.add(pool.submit(() -> runScript(client, tag)));
            }
            for (Future<?> run : runs) {
                run.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void smallInFlightLimitSlowsReadingButAnswersEverythingInOrder() {
        runScript(tightServer.connect(), "tight");
    }

    @Test
    void messagesUpToTheDefaultLimitAndResponsesBeyondItWork() {
        SatchelClient c = server.connect();
        int limit = 1 << 20;
        String head = "{\"KV_SET\":{\"keys\":{\"big\":\"";
        String tail = "\"}}}";
        String value = "v".repeat(limit - head.length() - tail.length());
        assertThat((head + value + tail).length()).isEqualTo(limit);
        ok(Wire.call(c, head + value + tail), "KV_SET_RSP");
        for (int i = 0; i < 3; i++) {
            ok(Wire.call(c, "{\"KV_SET\":{\"keys\":{\"b" + i + "\":\"" + value + "\"}}}"), "KV_SET_RSP");
        }
        // a 4 MiB response to a small request
        String rsp = Wire.call(c, "{\"KV_GET\":{\"keys\":[\"big\",\"b0\",\"b1\",\"b2\"]}}");
        JsonNode keys = ok(rsp, "KV_GET_RSP").get("keys");
        assertThat(fieldNames(keys)).containsExactly("big", "b0", "b1", "b2");
        for (JsonNode v : keys) {
            assertThat(v.asText()).isEqualTo(value);
        }
        assertUsable(c);
        ok(Wire.call(c, "{\"KV_RMV\":{\"keys\":[\"big\",\"b0\",\"b1\",\"b2\"]}}"), "KV_RMV_RSP");
        // one byte more is too big
        SatchelClient other = server.connect();
        Wire.awaitFailure(other.sendRaw(head + value + "v" + tail));
        assertThat(await(other.closeFuture()).code()).isEqualTo(1009);
    }

    @Test
    void clientThatReadsSlowerThanItWritesIsAnsweredCompletelyInOrder() throws Exception {
        SatchelClient setup = server.connect();
        String big = "x".repeat(8000);
        ok(Wire.call(setup, "{\"KV_SET\":{\"keys\":{\"bp\":\"" + big + "\"}}}"), "KV_SET_RSP");
        int count = 2000; // about 8 MB of responses, far above the 1 MiB high-water mark
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "/", 8 * 1024)) {
            ExecutorService writer = Executors.newSingleThreadExecutor();
            try {
                Future<?> written = writer.submit(() -> {
                    OutputStream out = ws.output();
                    for (int i = 0; i < count; i++) {
                        String request = i % 2 == 0 ? "{\"KV_GET\":{\"keys\":[\"bp\"]}}" : "{\"BP" + i + "\":{}}";
                        out.write(RawWebSocket.text(request));
                    }
                    out.flush();
                    return null;
                });
                String expectedGet = "{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"bp\":\"" + big + "\"}}}";
                for (int i = 0; i < count; i++) {
                    String response = ws.readText();
                    if (i % 2 == 0) {
                        assertThat(parse(response)).as("response %d", i).isEqualTo(parse(expectedGet));
                    } else {
                        Wire.error(response, "BP" + i + "_RSP", 10);
                    }
                }
                written.get(10, TimeUnit.SECONDS);
            } finally {
                writer.shutdownNow();
                assertThat(writer.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            }
            ws.send(RawWebSocket.text("{\"SV_INFO\":{}}"));
            ok(ws.readText(), "SV_INFO_RSP");
        } catch (IOException e) {
            throw new AssertionError("raw connection failed", e);
        }
    }
}
