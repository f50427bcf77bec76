package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testing.RawWebSocket;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graceful shutdown the SIGTERM / SIGINT hook runs ({@link ManagedNode#shutdown()}), in process: every
 * request the server read gets its response, then Close 1001; the port stops accepting; readiness is false.
 */
class GracefulShutdownTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aPipeliningClientGetsEveryResponseThenGoingAway() throws Exception {
        // the client reads (and parses) far slower than it pipelines, so at shutdown megabytes of responses are
        // still on their way; the default 5 s shutdown timeout cuts such a reader on a loaded machine, which is the
        // documented behaviour (aClientThatDoesNotReadIsCut...) and not what this test is about
        OpsFixture s = OpsFixture.start("--shutdown-timeout-ms", "60000");
        int port = s.port();
        RawWebSocket c = RawWebSocket.open(port);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger sent = new AtomicInteger();
        // request 2i sets n = i, request 2i+1 reads it back: each GET response proves which request it answers
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; !stop.get(); i++) {
                    c.queue("{\"KV_SET\":{\"keys\":{\"n\":" + i + "}}}");
                    c.queue("{\"KV_GET\":{\"keys\":[\"n\"]}}");
                    sent.addAndGet(2);
                    if ((i & 63) == 63) {
                        c.flush();
                    }
                }
            } catch (IOException expected) {
                // the server closed the connection
            }
        }, "test-writer");
        writer.start();

        int received = 0;
        RawWebSocket.Frame close = null;
        CompletableFuture<ManagedNode.Result> shutdown = null;
        while (true) {
            RawWebSocket.Frame f = c.readFrame();
            if (f.opcode() == RawWebSocket.OP_CLOSE) {
                close = f;
                break;
            }
            assertThat(f.opcode()).isEqualTo(RawWebSocket.OP_TEXT);
            JsonNode r = JSON.readTree(f.text());
            int i = received / 2;
            if (received % 2 == 0) {
                assertThat(r.get("KV_SET_RSP").get("st").asInt()).as(f.text()).isEqualTo(1);
            } else {
                assertThat(r.get("KV_GET_RSP").get("keys").get("n").asInt()).as("response %d", received).isEqualTo(i);
            }
            received++;
            if (received == 20_000) {
                shutdown = CompletableFuture.supplyAsync(s.service::shutdown); // what the hook calls
            }
        }
        stop.set(true);
        writer.join(10_000);
        c.close();
        ManagedNode.Result result = shutdown.get(90, TimeUnit.SECONDS);

        assertThat(close.closeCode()).isEqualTo(1001);
        assertThat(received).isGreaterThan(20_000);
        assertThat(sent.get()).isGreaterThanOrEqualTo(received);
        // every request the server read (and so executed) was answered before the Close frame
        assertThat(result.requestsAnswered()).isEqualTo(received);
        assertThat(result.connectionsCut()).isZero();
        assertThat(result.exitStatus()).isZero();
        assertThat(s.service.health().state()).isEqualTo(Health.State.STOPPED);
        assertRefused(port);
        assertRefused(s.service.adminPort());
    }

    @Test
    void notReadyDuringShutdownAndPendingRequestsStillAnswered() throws Exception {
        OpsFixture s = OpsFixture.start();
        try (RawWebSocket c = s.connect()) {
            c.sendText("{\"KV_SET\":{\"keys\":{\"a\":1}}}");
            c.readText();
            // hold the loop, then send a request: it is read, and waits for the loop during the shutdown
            CountDownLatch release = new CountDownLatch(1);
            s.service.node().loop().submit((engine, out) -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            c.sendText("{\"KV_GET\":{\"keys\":[\"a\"]}}");
            Thread.sleep(100); // let the I/O thread read it
            CompletableFuture<ManagedNode.Result> shutdown = CompletableFuture.supplyAsync(s.service::shutdown);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (s.service.health().state() != Health.State.STOPPING && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            HttpResponse<String> ready = s.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(ready.body()).get("state").asText()).isEqualTo("stopping");
            assertRefused(s.port()); // no longer accepting
            release.countDown();
            assertThat(JSON.readTree(c.readText()).get("KV_GET_RSP").get("keys").get("a").asInt()).isEqualTo(1);
            RawWebSocket.Frame close = c.readFrame();
            assertThat(close.opcode()).isEqualTo(RawWebSocket.OP_CLOSE);
            assertThat(close.closeCode()).isEqualTo(1001);
            assertThat(shutdown.get(30, TimeUnit.SECONDS).exitStatus()).isZero();
        }
    }

    @Test
    void aClientThatDoesNotReadIsCutAtTheTimeoutAndTheExitStatusSaysSo() throws Exception {
        OpsFixture s = OpsFixture.start("--shutdown-timeout-ms", "500");
        try (RawWebSocket c = RawWebSocket.open(s.port(), 10_000, 4096, "")) {
            c.sendText("{\"KV_SET\":{\"keys\":{\"big\":\"" + "x".repeat(100_000) + "\"}}}");
            c.readText();
            for (int i = 0; i < 400; i++) { // 40 MB of responses that the client never reads
                c.queue("{\"KV_GET\":{\"keys\":[\"big\"]}}");
            }
            c.flush();
            Thread.sleep(200);
            long t0 = System.nanoTime();
            ManagedNode.Result r = s.service.shutdown();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(r.connectionsCut()).isEqualTo(1);
            assertThat(r.exitStatus()).isEqualTo(1);
            assertThat(millis).isBetween(450L, 10_000L);
        }
    }

    @Test
    void theShutdownSaveRunsAfterTheConnectionsAreDone() throws Exception {
        OpsFixture s = OpsFixture.start("--persist-path", dir.toString(), "--save-on-shutdown", "last");
        try (RawWebSocket c = s.connect()) {
            c.sendText("{\"SH_NEW\":{\"name\":\"kept\"}}");
            c.readText();
            s.service.shutdown();
            assertThat(c.readFrame().closeCode()).isEqualTo(1001);
        }
        assertThat(dir.resolve("last")).isDirectory();
        try (Stream files = new Stream(Files.list(dir.resolve("last")))) {
            assertThat(files.count()).isPositive();
        }
        // the next start loads it and is ready only then
        try (OpsFixture next = OpsFixture.start("--persist-path", dir.toString(), "--load", "last")) {
            assertThat(OpsFixture.sample(next.metrics(), "satchel_sessions_active")).isEqualTo(1);
        }
    }

    /** try-with-resources for a stream of paths. */
    private record Stream(java.util.stream.Stream<Path> paths) implements AutoCloseable {
        long count() {
            return paths.count();
        }

        @Override
        public void close() {
            paths.close();
        }
    }

    static void assertRefused(int port) {
        try (Socket x = new Socket()) {
            x.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            throw new AssertionError("port " + port + " still accepts connections");
        } catch (ConnectException expected) {
            // refused
        } catch (IOException e) {
            throw new AssertionError("connecting to " + port + ": " + e);
        }
    }
}
