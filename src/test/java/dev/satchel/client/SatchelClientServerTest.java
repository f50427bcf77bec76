package dev.satchel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.ops.SatchelNode;
import dev.satchel.testing.TestServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client against a real {@link SatchelNode}: typed helpers, pipelining, and a server restart. */
class SatchelClientServerTest {

    private TestServer server;
    private URI uri;
    private final List<SatchelClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start();
        uri = URI.create("ws://127.0.0.1:" + server.port() + "/");
    }

    @AfterEach
    void stop() {
        clients.forEach(SatchelClient::close);
        if (server != null) {
            server.close(); // SatchelNode.close() must run once only
        }
    }

    private SatchelClient connect() {
        SatchelClient client = SatchelClient.connect(uri, ClientOptions.builder().reconnect(false).build());
        clients.add(client);
        return client;
    }

    @Test
    void typedHelpersRoundTrip() {
        SatchelClient client = connect();

        JsonNode created = Await.result(client.newSession(Expiry.of(60)));
        assertThat(Status.of(created)).isEqualTo(Status.OK);
        Token token = Token.fromResponse(created);
        assertThat(Status.of(Await.result(client.set(token, Map.of("user", "ada", "n", 3))))).isEqualTo(Status.OK);
        JsonNode got = Await.result(client.get(token, "user", "n", "missing"));
        assertThat(got.get("keys").get("user").asText()).isEqualTo("ada");
        assertThat(got.get("keys").get("n").asInt()).isEqualTo(3);
        assertThat(got.get("keys").has("missing")).isFalse();
        assertThat(Await.result(client.info(token)).at("/expiry/duration").asInt()).isEqualTo(60);
        assertThat(Status.of(Await.result(client.end(token)))).isEqualTo(Status.OK);
        assertThat(Status.of(Await.result(client.get(token, "user")))).isEqualTo(Status.SESSION_NOT_EXIST);
        assertThat(Await.result(client.serverInfo()).get("serverVersion").isTextual()).isTrue();
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        SatchelClient client = connect();
        int n = 2000;
        List<String> requests = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            requests.add("{\"KV_SET\":{\"keys\":{\"p" + i + "\":" + i + "}}}");
            requests.add("{\"KV_GET\":{\"keys\":[\"p" + i + "\"]}}");
        }

        List<CompletableFuture<String>> responses = new ArrayList<>();
        requests.subList(0, n).forEach(request -> responses.add(client.sendRaw(request)));
        responses.addAll(client.sendRawBatch(requests.subList(n, 2 * n)));

        for (int i = 0; i < n; i++) {
            assertThat(Await.result(responses.get(2 * i))).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
            assertThat(Await.result(responses.get(2 * i + 1)))
                    .isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"p" + i + "\":" + i + "}}}");
        }
    }

    @Test
    void pipelinedRequestsOfTwoClientsDoNotMix() {
        SatchelClient a = connect();
        SatchelClient b = connect();
        List<CompletableFuture<JsonNode>> fromA = new ArrayList<>();
        List<CompletableFuture<JsonNode>> fromB = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            fromA.add(a.send("{\"NOPE_A" + i + "\":{}}"));
            fromB.add(b.send("{\"NOPE_B" + i + "\":{}}"));
        }
        for (int i = 0; i < 500; i++) {
            assertThat(Await.result(fromA.get(i)).has("NOPE_A" + i + "_RSP")).isTrue();
            assertThat(Await.result(fromB.get(i)).has("NOPE_B" + i + "_RSP")).isTrue();
        }
    }

    @Test
    void aServerRestartEndsTheConnectionClearlyAndANewClientWorks() throws Exception {
        SatchelClient old = connect();
        Token token = Token.fromResponse(Await.result(old.newSession()));
        int port = server.port();

        // Requests in flight when the server goes away either get their response or fail; none hangs, and
        // since responses come in order, the answered ones come first.
        List<CompletableFuture<String>> inFlight = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            inFlight.add(old.sendRaw("{\"SV_INFO\":{}}"));
        }
        server.close();
        server = null;

        // generous: in the full suite (one JVM, ~870 tests) this wait once took over 5 s; alone it takes ms
        CloseStatus status;
        try {
            status = old.closeFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            dumpThreads(); // if this ever hangs for real, the dump shows where
            throw e;
        }
        assertThat(status.code()).isIn(CloseStatus.ABNORMAL_CLOSURE, 1001);
        assertThat(old.isOpen()).isFalse();
        boolean failedBefore = false;
        for (CompletableFuture<String> future : inFlight) {
            future.handle((response, failure) -> null).get(2, TimeUnit.SECONDS);
        }
        for (CompletableFuture<String> future : inFlight) {
            if (future.isCompletedExceptionally()) {
                failedBefore = true;
                assertThat(Await.failure(future)).isInstanceOf(SatchelClientException.class)
                        .hasMessageContaining(uri.toString()).hasMessageContaining("closed");
            } else {
                assertThat(failedBefore).as("an answered request after a failed one").isFalse();
            }
        }
        assertThatThrownBy(() -> old.sendRaw("{\"SV_INFO\":{}}").join())
                .hasCauseInstanceOf(SatchelClientException.class)
                .hasMessageContaining("connection to " + uri + " is closed");

        server = TestServer.startOn(port);
        SatchelClient fresh = connect();
        assertThat(Status.of(Await.result(fresh.get(token, "a")))).as("the data died with the old server")
                .isEqualTo(Status.SESSION_NOT_EXIST);
        Token again = Token.fromResponse(Await.result(fresh.newSession()));
        assertThat(Status.of(Await.result(fresh.set(again, Map.of("k", 1))))).isEqualTo(Status.OK);
        assertThat(old.isOpen()).as("the old client does not reconnect by itself").isFalse();
    }

    private static void dumpThreads() {
        StringBuilder sb = new StringBuilder("thread dump after the close was not seen:\n");
        Thread.getAllStackTraces().forEach((t, stack) -> {
            sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement e : stack) {
                sb.append("    at ").append(e).append('\n');
            }
        });
        System.err.println(sb);
    }
}
