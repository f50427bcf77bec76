package dev.satchel.client;

import static dev.satchel.client.ScriptedServerHandler.echo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Opening and closing connections: failures, handshake headers and thread ownership. */
class SatchelClientConnectTest {

    private static Set<Thread> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(ClientConnector.THREAD_NAME_PREFIX))
                .collect(Collectors.toSet());
    }

    /** Waits until no client thread outside {@code before} is alive; returns the survivors. */
    private static Set<Thread> newClientThreadsAfterWaiting(Set<Thread> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        Set<Thread> alive;
        do {
            alive = clientThreads();
            alive.removeAll(before);
            if (alive.isEmpty()) {
                break;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return alive;
    }

    @Test
    void refusedConnectionNamesTheUriAndLeavesNoThread() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        URI uri = URI.create("ws://127.0.0.1:" + port + "/");
        Set<Thread> before = clientThreads();

        assertThatThrownBy(() -> SatchelClient.connect(uri))
                .isExactlyInstanceOf(SatchelClientException.class)
                .hasMessageContaining("cannot connect to " + uri)
                .hasMessageContaining("refused");
        assertThat(newClientThreadsAfterWaiting(before)).isEmpty();
    }

    @Test
    void silentServerMakesConnectTimeOut() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            URI uri = URI.create("ws://127.0.0.1:" + silent.getLocalPort());
            ClientOptions options = ClientOptions.builder().connectTimeout(Duration.ofMillis(300)).build();
            long start = System.nanoTime();

            assertThatThrownBy(() -> SatchelClient.connect(uri, options))
                    .isInstanceOf(SatchelClientException.class)
                    .hasMessageContaining(uri.toString())
                    .hasMessageContaining("timed out");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 1500L);
        }
    }

    @Test
    void rejectedHandshakeNamesTheUriAndTheHttpStatus() {
        try (WebSocketTestServer server =
                     WebSocketTestServer.start(ScriptedServerHandler::new, null, "Bearer s3cret")) {
            assertThatThrownBy(() -> SatchelClient.connect(server.uri()))
                    .isInstanceOf(SatchelClientException.class)
                    .hasMessageContaining("WebSocket handshake with " + server.uri() + " failed")
                    .hasMessageContaining("401");
        }
    }

    @Test
    void handshakeCarriesTheExtraHeaders() {
        try (WebSocketTestServer server =
                     WebSocketTestServer.start(ScriptedServerHandler::new, null, "Bearer s3cret");
             SatchelClient client = SatchelClient.connect(server.uri(),
                     ClientOptions.builder().header("Authorization", "Bearer s3cret").build())) {
            assertThat(Await.result(client.sendRaw("hello"))).isEqualTo(echo("hello"));
        }
    }

    @Test
    void closeStopsTheClientsOwnThread() throws Exception {
        try (WebSocketTestServer server = WebSocketTestServer.start()) {
            Set<Thread> before = clientThreads();
            SatchelClient client = SatchelClient.connect(server.uri());
            Set<Thread> started = clientThreads();
            started.removeAll(before);
            assertThat(started).hasSize(1);

            client.close();

            for (Thread thread : started) {
                thread.join(2000);
                assertThat(thread.isAlive()).as("thread %s", thread.getName()).isFalse();
            }
        }
    }

    @Test
    void closeLeavesASharedEventLoopGroupRunning() {
        EventLoopGroup shared = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (WebSocketTestServer server = WebSocketTestServer.start()) {
            ClientOptions options = ClientOptions.builder().eventLoopGroup(shared).build();
            Set<Thread> before = clientThreads();

            try (SatchelClient first = SatchelClient.connect(server.uri(), options)) {
                assertThat(Await.result(first.sendRaw("one"))).isEqualTo(echo("one"));
            }
            assertThat(shared.isShuttingDown()).isFalse();
            try (SatchelClient second = SatchelClient.connect(server.uri(), options)) {
                assertThat(Await.result(second.sendRaw("two"))).isEqualTo(echo("two"));
            }
            Set<Thread> created = clientThreads();
            created.removeAll(before);
            assertThat(created).isEmpty();
        } finally {
            shared.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void acceptsOnlyWebSocketUris() {
        assertThatThrownBy(() -> SatchelClient.connect(URI.create("http://127.0.0.1:1987")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ws or wss");
        assertThatThrownBy(() -> SatchelClient.connect(URI.create("ws:relative")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no host");
    }
}
