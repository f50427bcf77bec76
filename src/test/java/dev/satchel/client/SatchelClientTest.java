package dev.satchel.client;

import static dev.satchel.client.ScriptedServerHandler.echo;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against {@link ScriptedServerHandler}: pipelining, timeouts, closes and raw frames. */
class SatchelClientTest {

    private WebSocketTestServer server;
    private SatchelClient client;

    @BeforeEach
    void startServer() {
        server = WebSocketTestServer.start();
    }

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private SatchelClient connect(ClientOptions options) {
        // one connection, no reconnection: these tests look at how a connection ends
        client = SatchelClient.connect(server.uri(), options.toBuilder().reconnect(false).build());
        return client;
    }

    private SatchelClient connect() {
        return connect(ClientOptions.defaults());
    }

    @Test
    void pipelinedRequestsGetTheirOwnResponsesInOrder() {
        connect();
        List<String> requests = IntStream.range(0, 1000).mapToObj(i -> "{\"ECHO\":{\"i\":" + i + "}}").toList();

        List<CompletableFuture<String>> responses = new ArrayList<>();
        requests.subList(0, 500).forEach(request -> responses.add(client.sendRaw(request)));
        responses.addAll(client.sendRawBatch(requests.subList(500, 1000)));

        for (int i = 0; i < requests.size(); i++) {
            assertThat(Await.result(responses.get(i))).as("response %d", i).isEqualTo(echo(requests.get(i)));
        }
    }

    @Test
    void requestsFromManyThreadsEachGetTheirOwnResponse() throws Exception {
        connect();
        ExecutorService senders = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> mismatches = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                mismatches.add(senders.submit(() -> {
                    List<String> texts = IntStream.range(0, 250).mapToObj(i -> thread + "-" + i).toList();
                    List<CompletableFuture<String>> futures = texts.stream().map(client::sendRaw).toList();
                    List<String> wrong = new ArrayList<>();
                    for (int i = 0; i < texts.size(); i++) {
                        if (!Await.result(futures.get(i)).equals(echo(texts.get(i)))) {
                            wrong.add(texts.get(i));
                        }
                    }
                    return wrong;
                }));
            }
            for (Future<List<String>> wrong : mismatches) {
                assertThat(wrong.get(2, TimeUnit.SECONDS)).isEmpty();
            }
        } finally {
            senders.shutdownNow();
        }
    }

    @Test
    void sendParsesTheResponse() {
        connect();
        ObjectNode request = Json.object();
        request.putObject("ECHO").put("k", "v");

        JsonNode response = Await.result(client.send(request));

        assertThat(response.at("/ECHO_RSP/st").asInt()).isEqualTo(1);
        assertThat(response.at("/ECHO_RSP/n").asText()).isEqualTo("{\"ECHO\":{\"k\":\"v\"}}");
    }

    @Test
    void sendFailsClearlyOnAResponseThatIsNotJson() {
        connect();

        Throwable failure = Await.failure(client.send("RAW not json"));

        assertThat(failure).isInstanceOf(SatchelClientException.class).hasMessageContaining("not valid JSON");
        assertThat(Await.result(client.sendRaw("still fine"))).isEqualTo(echo("still fine"));
    }

    @Test
    void commandReturnsTheInnerResponseOrFailsWhenItIsMissing() {
        connect();

        JsonNode inner = Await.result(client.command("ECHO", Json.object()));
        Throwable failure = Await.failure(client.command("OTHER", Json.object()));

        assertThat(inner.get("n").asText()).isEqualTo("{\"ECHO\":{}}");
        assertThat(failure).isInstanceOf(SatchelClientException.class)
                .hasMessageContaining("expected OTHER_RSP").hasMessageContaining("ECHO_RSP");
    }

    @Test
    void serverCloseFrameFailsPendingRequestsAndCompletesCloseFuture() {
        connect();

        List<CompletableFuture<String>> responses =
                client.sendRawBatch(List.of("first", "CLOSE 1009 message too big", "after"));

        assertThat(Await.result(responses.get(0))).isEqualTo(echo("first"));
        for (CompletableFuture<String> pending : responses.subList(1, 3)) {
            assertThat(Await.failure(pending)).isExactlyInstanceOf(SatchelConnectionLostException.class)
                    .hasMessageContaining(server.uri().toString())
                    .hasMessageContaining("1009 (message too big)");
        }
        assertThat(Await.result(client.closeFuture())).isEqualTo(new CloseStatus(1009, "message too big"));
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void requestsAfterTheConnectionEndedFailAtOnce() {
        connect();
        client.sendRaw("CLOSE 1001 going away");
        Await.result(client.closeFuture());

        CompletableFuture<String> late = client.sendRaw("late");

        assertThat(late).isCompletedExceptionally();
        assertThat(Await.failure(late)).isInstanceOf(SatchelClientException.class)
                .hasMessageContaining("closed").hasMessageContaining("1001 (going away)");
        assertThat(client.sendRawBatch(List.of("a", "b"))).allSatisfy(f -> assertThat(f).isCompletedExceptionally());
        assertThatThrownBy(() -> client.sendFrameNoReply(new PingWebSocketFrame()))
                .isInstanceOf(SatchelClientException.class);
    }

    @Test
    void closeFrameWithoutCodeIsReportedAs1005() {
        connect();
        client.sendRaw("CLOSE");

        assertThat(Await.result(client.closeFuture())).isEqualTo(new CloseStatus(CloseStatus.NO_STATUS, ""));
    }

    @Test
    void connectionDroppedWithoutCloseFrameIsReportedAs1006() {
        connect();

        List<CompletableFuture<String>> responses = client.sendRawBatch(List.of("DROP", "after"));

        for (CompletableFuture<String> pending : responses) {
            assertThat(Await.failure(pending)).isInstanceOf(SatchelClientException.class).hasMessageContaining("1006");
        }
        assertThat(Await.result(client.closeFuture()).code()).isEqualTo(CloseStatus.ABNORMAL_CLOSURE);
    }

    @Test
    void timedOutRequestKeepsItsPlaceSoLaterResponsesStillMatch() {
        connect(ClientOptions.builder().requestTimeout(Duration.ofMillis(200)).build());
        long start = System.nanoTime();

        CompletableFuture<String> held = client.sendRaw("HOLD");
        Throwable timeout = Await.failure(held);
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        // The server now answers HOLD first, then these two.
        CompletableFuture<String> release = client.sendRaw("RELEASE");
        CompletableFuture<String> after = client.sendRaw("after");

        assertThat(timeout).isInstanceOf(SatchelTimeoutException.class)
                .hasMessageContaining(server.uri().toString()).hasMessageContaining("200 ms");
        assertThat(waitedMillis).isGreaterThanOrEqualTo(190);
        assertThat(Await.result(release)).isEqualTo(echo("RELEASE"));
        assertThat(Await.result(after)).isEqualTo(echo("after"));
        assertThat(client.isOpen()).isTrue();
    }

    @Test
    void zeroRequestTimeoutWaitsForever() throws Exception {
        connect(ClientOptions.builder().requestTimeout(Duration.ZERO).build());

        CompletableFuture<String> held = client.sendRaw("HOLD");
        Thread.sleep(300);
        assertThat(held).isNotDone();
        client.sendRaw("RELEASE");

        assertThat(Await.result(held)).isEqualTo(echo("HOLD"));
    }

    @Test
    void closeFailsRequestsStillPendingAndEndsTheConnection() {
        connect();
        client.sendRaw("MUTE");
        CompletableFuture<String> unanswered = client.sendRaw("never answered");

        client.close();

        assertThat(unanswered).isCompletedExceptionally();
        assertThat(Await.failure(unanswered)).isInstanceOf(SatchelClientException.class).hasMessageContaining("1000");
        assertThat(client.closeFuture()).isCompleted();
        assertThat(Await.result(client.closeFuture()).code()).isEqualTo(CloseStatus.NORMAL_CLOSURE);
        assertThat(client.isOpen()).isFalse();
        assertThat(client.sendRaw("late")).isCompletedExceptionally();
        client.close(); // idempotent
    }

    @Test
    void binaryFrameGetsTheServersErrResponse() {
        connect();

        String response = Await.result(client.sendBinary(new byte[] {1, 2, 3}));

        assertThat(response).startsWith("{\"ERR\":{\"st\":2");
        assertThat(Await.result(client.sendRaw("next"))).isEqualTo(echo("next"));
    }

    @Test
    void textBytesAreSentUnchangedEvenWhenNotUtf8() {
        connect();

        assertThat(Await.result(client.sendTextBytes("h\u00e9llo".getBytes(UTF_8)))).isEqualTo(echo("h\u00e9llo"));
        CompletableFuture<String> invalid = client.sendTextBytes(new byte[] {(byte) 0xC3, 0x28});

        assertThat(Await.failure(invalid)).isInstanceOf(SatchelClientException.class);
        assertThat(Await.result(client.closeFuture()).code()).isEqualTo(1007);
    }

    @Test
    void frameSentWithoutReplyDoesNotTakeAResponse() {
        connect();

        client.sendFrameNoReply(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7})));

        assertThat(Await.result(client.sendRaw("after ping"))).isEqualTo(echo("after ping"));
    }

    @Test
    void unsolicitedResponseClosesTheConnectionWithProtocolError() {
        connect();

        client.sendFrameNoReply(new TextWebSocketFrame("nobody waits for this answer"));

        CloseStatus status = Await.result(client.closeFuture());
        assertThat(status.code()).isEqualTo(1002);
        assertThat(status.reason()).startsWith("client: ");
    }

    @Test
    void responseOverTheInboundLimitClosesWith1009() {
        connect(ClientOptions.builder().maxInboundMessageBytes(1024).build());

        assertThat(Await.result(client.sendRaw("BIG 900"))).hasSize(echo("x".repeat(900)).length());
        CompletableFuture<String> tooBig = client.sendRaw("BIG 2000");

        assertThat(Await.failure(tooBig)).isInstanceOf(SatchelClientException.class).hasMessageContaining("1009");
        assertThat(Await.result(client.closeFuture()).code()).isEqualTo(1009);
    }
}
