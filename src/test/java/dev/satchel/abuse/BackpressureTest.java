package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.satchel.net.ServerProbe;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Clients that send faster than they read. The server stops reading them (and stops running their requests)
 * once their unsent responses pass the high-water mark, so their memory stays bounded; past the hard limit,
 * or above the high-water mark for too long, they are closed with a WARN line. Other clients are served
 * throughout.
 */
class BackpressureTest {
    private static final int VALUE_BYTES = 10 * 1024;
    private static final int KEYS = 10;

    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    private Logger connectionLog;

    @BeforeEach
    void captureWarnings() {
        connectionLog = (Logger) LoggerFactory.getLogger("dev.satchel.net.ClientConnection");
        warnings.start();
        connectionLog.addAppender(warnings);
    }

    @AfterEach
    void stopCapturing() {
        connectionLog.detachAppender(warnings);
    }

    /** Stores bp0..bp9, each a 10 KiB string naming its key, in the global key space. */
    private static byte[][] storeValuesAndExpectedResponses(int port) throws IOException {
        byte[][] expected = new byte[KEYS][];
        try (RawWebSocket setup = RawWebSocket.open(port)) {
            for (int k = 0; k < KEYS; k++) {
                String value = "\"bp" + k + ":" + "x".repeat(VALUE_BYTES - 6) + "\"";
                assertThat(setup.call("{\"KV_SET\":{\"keys\":{\"bp" + k + "\":" + value + "}}}"))
                        .isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
                expected[k] = ("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"bp" + k + "\":" + value + "}}}")
                        .getBytes(StandardCharsets.UTF_8);
            }
        }
        return expected;
    }

    private static byte[][] getFrames() {
        byte[][] frames = new byte[KEYS][];
        for (int k = 0; k < KEYS; k++) {
            frames[k] = RawWebSocket.text("{\"KV_GET\":{\"keys\":[\"bp" + k + "\"]}}");
        }
        return frames;
    }

    /** Writes {@code count} GETs (cycling over the keys) on a thread of its own; counts what was written. */
    private static Thread pipeline(RawWebSocket ws, int count, AtomicLong written, AtomicReference<Throwable> failure) {
        byte[][] frames = getFrames();
        Thread t = new Thread(() -> {
            try {
                OutputStream out = new java.io.BufferedOutputStream(ws.output(), 8192);
                for (int i = 0; i < count; i++) {
                    out.write(frames[i % KEYS]);
                    written.incrementAndGet();
                }
                out.flush();
            } catch (IOException e) {
                failure.set(e);
            }
        }, "pipelining-client");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Bounded polling until {@code value} stops changing for {@code quietMillis}; returns its value. */
    private static long awaitQuiet(AtomicLong value, long quietMillis, long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long last = value.get();
        long lastChange = System.nanoTime();
        while (System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            long now = value.get();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange >= TimeUnit.MILLISECONDS.toNanos(quietMillis)) {
                return now;
            }
        }
        throw new AssertionError("still changing after " + timeoutMillis + " ms: " + value.get());
    }

    @Test
    void clientPipelining200000GetsOf10KiBWithoutReadingHoldsBoundedMemoryAndOthersAreServed() throws Exception {
        int count = 200_000;
        try (TestServer s = TestServer.start("--outbound-stall-seconds", "600");
                Bystander other = new Bystander(s.port())) {
            byte[][] expected = storeValuesAndExpectedResponses(s.port());
            try (RawWebSocket hog = RawWebSocket.open(s.port(), 64 * 1024, null)) {
                AtomicLong written = new AtomicLong();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread writer = pipeline(hog, count, written, failure);

                // the server stops reading it: the client's writes block, or all 200,000 (~8 MB) sit unread in the
                // kernel's socket buffers (tcp_rmem's maximum is 32 MiB on some machines: then nothing blocks, seen
                // in CI); either way the server's memory stays bounded, which is what the peak below proves (2 GB of
                // responses are due)
                long stuckAt = awaitQuiet(written, 500, 30_000);
                System.out.println("[backpressure] requests written before the client's writes stopped: " + stuckAt);
                long peak = 0;
                for (int i = 0; i < 20; i++) {
                    peak = Math.max(peak, ServerProbe.largestUnsentBytes(s.server().network()));
                    other.assertIntact(); // the other client is answered meanwhile
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                // the high-water mark (1 MiB) plus at most one response and a little bookkeeping per buffer;
                // without backpressure on the loop, 4096 requests in flight would hold 40 MiB of responses
                assertThat(peak).as("response bytes held for the client that does not read")
                        .isGreaterThan(512 * 1024).isLessThan((1 << 20) + 64 * 1024);
                assertThat(s.server().openConnections()).as("the slow client is slowed, not dropped").isEqualTo(2);

                // now it reads: every response arrives, complete and in order
                for (int i = 0; i < count; i++) {
                    RawWebSocket.Frame f = hog.readFrame();
                    if (f.opcode() != RawWebSocket.OP_TEXT || !Arrays.equals(f.payload(), expected[i % KEYS])) {
                        throw new AssertionError("response " + i + " is not the GET of bp" + (i % KEYS) + ": " + f);
                    }
                }
                writer.join(TimeUnit.SECONDS.toMillis(30));
                assertThat(failure.get()).isNull();
                assertThat(written.get()).isEqualTo(count);
                assertThat(hog.call("{\"SV_INFO\":{}}")).contains("\"st\":1");
            }
            other.assertIntact();
            assertThat(warnings.list).as("no connection was closed").isEmpty();
        }
    }

    @Test
    void clientThatReadsNothingIsClosedAfterTheStallTimeoutWithAWarning() throws Exception {
        try (TestServer s = TestServer.start("--outbound-stall-seconds", "1");
                Bystander other = new Bystander(s.port())) {
            storeValuesAndExpectedResponses(s.port());
            RawWebSocket hog = RawWebSocket.open(s.port(), 16 * 1024, null);
            AtomicLong written = new AtomicLong();
            Thread writer = pipeline(hog, 5_000, written, new AtomicReference<>());
            long start = System.nanoTime();
            AbuseTest.awaitOpenConnections(s, 1);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(tookMillis).as("closed about 1 s after its responses stopped draining").isLessThan(10_000);
            assertThat(warnings.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getFormattedMessage()).contains("127.0.0.1").contains("limits.outboundStallSeconds");
            });
            other.assertIntact();
            hog.reset();
            writer.join(10_000);
        }
    }

    @Test
    void responsesPastTheHardLimitCloseTheConnectionAtOnceWithAWarning() throws Exception {
        try (TestServer s = TestServer.start("--outbound-hard-limit-bytes", String.valueOf(2 << 20),
                "--max-response-bytes", String.valueOf(64 << 20), "--outbound-stall-seconds", "600");
                Bystander other = new Bystander(s.port())) {
            StringBuilder keys = new StringBuilder();
            try (RawWebSocket setup = RawWebSocket.open(s.port())) {
                String value = "\"" + "h".repeat(1_000_000) + "\"";
                for (int k = 0; k < 16; k++) {
                    assertThat(setup.call("{\"KV_SET\":{\"keys\":{\"hard" + k + "\":" + value + "}}}")).contains("\"st\":1");
                    keys.append(k == 0 ? "" : ",").append("\"hard").append(k).append('"');
                }
            }
            // one 16 MB response to a client that does not read: far past the 2 MiB hard limit
            RawWebSocket hog = RawWebSocket.open(s.port(), 8 * 1024, null);
            hog.send(RawWebSocket.text("{\"KV_GET\":{\"keys\":[" + keys + "]}}"));
            AbuseTest.awaitOpenConnections(s, 1);
            assertThat(warnings.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel().toString()).isEqualTo("WARN");
                assertThat(e.getFormattedMessage()).contains("127.0.0.1").contains("limits.outboundHardLimitBytes");
            });
            other.assertIntact();
            hog.close();
        }
    }
}
