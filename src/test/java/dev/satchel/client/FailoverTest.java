package dev.satchel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.testing.ServerJvm;
import dev.satchel.testing.TestServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Java client with several servers: failover when the first one stops or is killed, requests in flight on
 * the lost connection fail (never resent), requests made meanwhile go out on the new connection, errors when
 * every server is down or a URI is bad. Real servers: in-process {@link TestServer}s and a {@link ServerJvm}.
 */
class FailoverTest {

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    /** Every event the client reports, as text, in order. */
    private static final class Events implements ClientListener {
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        @Override
        public void connected(URI uri) {
            queue.add("connected " + uri);
        }

        @Override
        public void disconnected(URI uri, CloseStatus status) {
            queue.add("disconnected " + uri + " " + status.code());
        }

        @Override
        public void reconnecting(URI uri, int attempt, Duration delay) {
            assertThat(delay).isBetween(Duration.ofMillis(5), Duration.ofMillis(200));
            queue.add("reconnecting " + uri + " " + attempt);
        }

        @Override
        public void reconnectFailed(URI uri, SatchelClientException failure) {
            queue.add("failed " + uri);
        }

        /** Waits until this event has come (skipping others). */
        void await(String expected) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            List<String> seen = new ArrayList<>();
            while (System.nanoTime() < deadline) {
                String event = queue.poll(100, TimeUnit.MILLISECONDS);
                if (expected.equals(event)) {
                    return;
                }
                if (event != null) {
                    seen.add(event);
                }
            }
            throw new AssertionError("no event '" + expected + "' within 30 s; seen: " + seen);
        }

        /** Waits for the next event (long enough for a loaded machine). */
        String next() throws InterruptedException {
            String event = queue.poll(30, TimeUnit.SECONDS);
            assertThat(event).as("an event within 30 s").isNotNull();
            return event;
        }
    }

    private static ClientOptions options(Events events) {
        return ClientOptions.builder()
                .requestTimeout(Duration.ofSeconds(30))
                .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(200))
                .listener(events)
                .build();
    }

    private static URI uri(int port) {
        return URI.create("ws://127.0.0.1:" + port);
    }

    private static String ok(CompletableFuture<String> future) throws Exception {
        String response = future.get(30, TimeUnit.SECONDS);
        assertThat(response).contains("\"st\":1");
        return response;
    }

    @Test
    void whenTheFirstServerStopsTheClientMovesToTheNextAndInFlightRequestsFailClearly() throws Exception {
        TestServer a = closing(TestServer.start());
        TestServer b = closing(TestServer.start());
        Events events = new Events();
        SatchelClient client = closing(SatchelClient.connect(List.of(a.uri(), b.uri()), options(events)));
        assertThat(events.next()).isEqualTo("connected " + a.uri());
        assertThat(client.uri()).isEqualTo(a.uri());
        ok(client.sendRaw("{\"KV_SET\":{\"keys\":{\"on\":\"a\"}}}"));

        List<CompletableFuture<String>> inFlight = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            inFlight.add(client.sendRaw("{\"KV_GET\":{\"keys\":[\"on\"]}}"));
        }
        a.close(); // graceful: answers what it read, then Close 1001

        int answered = 0;
        int lost = 0;
        for (CompletableFuture<String> future : inFlight) {
            try {
                String response = future.get(60, TimeUnit.SECONDS);
                assertThat(response).as("answered by a, or sent again unwritten to b").contains("\"st\":1");
                answered++;
            } catch (ExecutionException e) {
                // the outcome is unknown: it fails, says so, and is not resent
                assertThat(e.getCause()).isInstanceOf(SatchelConnectionLostException.class)
                        .hasMessageContaining(a.uri().toString()).hasMessageContaining("may have been carried out");
                SatchelConnectionLostException lostException = (SatchelConnectionLostException) e.getCause();
                assertThat(lostException.wasSent()).isTrue();
                assertThat(lostException.uri()).isEqualTo(a.uri());
                assertThat(lostException.closeStatus().code()).isIn(1001, CloseStatus.ABNORMAL_CLOSURE);
                lost++;
            }
        }
        assertThat(answered + lost).isEqualTo(inFlight.size());

        assertThat(events.next()).matches("disconnected " + a.uri() + " (1001|1006)");
        assertThat(events.next()).isEqualTo("reconnecting " + b.uri() + " 1");
        assertThat(events.next()).isEqualTo("connected " + b.uri());
        assertThat(client.uri()).isEqualTo(b.uri());
        assertThat(client.isOpen()).isTrue();
        assertThat(ok(client.sendRaw("{\"KV_GET\":{\"keys\":[\"on\"]}}"))).as("b is another server")
                .contains("\"keys\":{}");
        assertThat(client.closeFuture()).as("the client lives on").isNotDone();
    }

    @Test
    void afterTheFirstServerIsKilledTheNextOneServes() throws Exception {
        ServerJvm killed = closing(ServerJvm.startServer(List.of(), "--port", "0"));
        TestServer b = closing(TestServer.start());
        URI first = uri(killed.port());
        Events events = new Events();
        SatchelClient client = closing(SatchelClient.connect(List.of(first, b.uri()), options(events)));
        assertThat(events.next()).isEqualTo("connected " + first);
        ok(client.sendRaw("{\"SH_NEW\":{}}"));

        killed.kill(); // SIGKILL: no close frame, the TCP connection just ends
        assertThat(events.next()).isEqualTo("disconnected " + first + " " + CloseStatus.ABNORMAL_CLOSURE);
        assertThat(events.next()).isEqualTo("reconnecting " + b.uri() + " 1");
        assertThat(events.next()).isEqualTo("connected " + b.uri());
        ok(client.sendRaw("{\"SV_INFO\":{}}"));
        assertThat(client.uri()).isEqualTo(b.uri());
    }

    @Test
    void requestsMadeWhileReconnectingWaitForTheNewConnectionToTheSameServer() throws Exception {
        TestServer a = closing(TestServer.start());
        int port = a.port();
        Events events = new Events();
        SatchelClient client = closing(SatchelClient.connect(uri(port), options(events)));
        assertThat(events.next()).isEqualTo("connected " + uri(port));
        a.close();
        assertThat(events.next()).startsWith("disconnected " + uri(port));
        assertThat(events.next()).isEqualTo("reconnecting " + uri(port) + " 1");

        CompletableFuture<String> waiting = client.sendRaw("{\"SV_INFO\":{}}");
        assertThat(events.next()).as("nothing listens on the port now").isEqualTo("failed " + uri(port));
        assertThat(waiting).isNotDone();

        TestServer again = closing(TestServer.startOn(port));
        assertThat(ok(waiting)).contains("SV_INFO_RSP");
        events.await("connected " + uri(port));
        assertThat(again.port()).isEqualTo(port);
    }

    @Test
    void withEveryServerDownConnectingFailsNamingEachAndWaitingRequestsTimeOutUnsent() throws Exception {
        int p1 = ServerJvm.freePort();
        int p2 = ServerJvm.freePort();
        assertThatThrownBy(() -> SatchelClient.connect(List.of(uri(p1), uri(p2)), ClientOptions.defaults()))
                .isInstanceOf(SatchelClientException.class)
                .hasMessageStartingWith("cannot connect to any of the 2 servers: ")
                .hasMessageContaining("cannot connect to " + uri(p1))
                .hasMessageContaining("; cannot connect to " + uri(p2));

        TestServer a = closing(TestServer.start());
        Events events = new Events();
        SatchelClient client = closing(SatchelClient.connect(List.of(a.uri(), uri(p2)), options(events)
                .toBuilder().requestTimeout(Duration.ofMillis(1500)).build()));
        assertThat(events.next()).isEqualTo("connected " + a.uri());
        a.close();
        assertThat(events.next()).startsWith("disconnected " + a.uri());
        CompletableFuture<String> waiting = client.sendRaw("{\"SV_INFO\":{}}");
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> waiting.get(30, TimeUnit.SECONDS));
        assertThat(failure.getCause()).isInstanceOf(SatchelTimeoutException.class)
                .hasMessageStartingWith("not sent within 1500 ms: no connection to any of [")
                .hasMessageContaining(a.uri().toString()).hasMessageContaining(uri(p2).toString());
        assertThat(((SatchelClientException) failure.getCause()).wasSent()).isFalse();
        events.await("failed " + uri(p2));

        // close() while reconnecting: waiting requests fail at once, never sent; the client ends
        CompletableFuture<String> dropped = client.sendRaw("{\"SV_INFO\":{}}");
        client.close();
        assertThatThrownBy(() -> dropped.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(SatchelClientException.class)
                .hasMessageContaining("closed before the request was sent");
        assertThat(client.closeFuture().get(5, TimeUnit.SECONDS).code()).isEqualTo(CloseStatus.NORMAL_CLOSURE);
        assertThatThrownBy(() -> client.sendRaw("{\"SV_INFO\":{}}").get(5, TimeUnit.SECONDS))
                .hasMessageContaining("the client is closed");
    }

    @Test
    void aBadUriInTheListIsRefusedWithOneLineBeforeAnythingConnects() throws Exception {
        TestServer a = closing(TestServer.start());
        assertThatThrownBy(() -> SatchelClient.connect(List.of(a.uri(), URI.create("http://127.0.0.1:1")),
                ClientOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("server 2 of 2: URI scheme must be ws or wss: http://127.0.0.1:1");
        assertThatThrownBy(() -> SatchelClient.connect(List.of(), ClientOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no server URI given");

        assertThat(SatchelClient.parseUris(" ws://a:1 ,wss://b")).containsExactly(URI.create("ws://a:1"),
                URI.create("wss://b"));
        assertThatThrownBy(() -> SatchelClient.parseUris("ws://a:1,htp://b:2"))
                .hasMessage("bad URL htp://b:2 (2 of 2): expected ws://HOST[:PORT] or wss://HOST[:PORT]");
        assertThatThrownBy(() -> SatchelClient.parseUris("ws://a:1,,ws://c")).hasMessage("empty URL (2 of 3) in"
                + " 'ws://a:1,,ws://c'");
        assertThatThrownBy(() -> SatchelClient.parseUris("ws://a b")).hasMessageStartingWith("bad URL ws://a b:")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void withReconnectOffTheClientEndsWithItsConnection() throws Exception {
        TestServer a = closing(TestServer.start());
        TestServer b = closing(TestServer.start());
        SatchelClient client = closing(SatchelClient.connect(List.of(a.uri(), b.uri()),
                ClientOptions.builder().reconnect(false).build()));
        a.close();
        assertThat(client.closeFuture().get(30, TimeUnit.SECONDS).code()).isIn(1001, CloseStatus.ABNORMAL_CLOSURE);
        assertThat(client.isOpen()).isFalse();
        assertThatThrownBy(() -> client.sendRaw("{\"SV_INFO\":{}}").get(5, TimeUnit.SECONDS))
                .hasMessageContaining("connection to " + a.uri() + " is closed");
        assertThat(b.uri()).as("b was never used").isNotEqualTo(client.uri());
    }
}
