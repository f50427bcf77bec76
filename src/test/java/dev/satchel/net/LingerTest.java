package dev.satchel.net;

import static dev.satchel.testing.RawWebSocket.OP_TEXT;
import static dev.satchel.testing.RawWebSocket.frame;
import static dev.satchel.testing.RawWebSocket.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The linger after the server's Close frame (docs/protocol.md section 1) follows the client's data: while the
 * client keeps sending, the server keeps draining, so closing never answers the client's bytes with a TCP reset
 * that would destroy the responses and the Close frame it has not read yet.
 */
class LingerTest {
    @Test
    void aClientThatKeepsSendingLongerThanTheQuietPeriodStillReadsEveryResponseAndTheClose() throws Exception {
        try (TestServer server = TestServer.start(); RawWebSocket c = server.openRaw()) {
            for (int i = 0; i < 200; i++) {
                c.queue("{\"KV_SET\":{\"keys\":{\"n\":" + i + "}}}");
            }
            c.flush();
            // an unmasked frame breaks the protocol: the 200 requests are answered, then Close 1002
            c.send(frame(true, 0, OP_TEXT, false, "{\"KV_COUNT\":{}}".getBytes(StandardCharsets.UTF_8)));
            // the client writes on without reading for three times the quiet period, a request every 100 ms: the
            // server drops them, and must not close (and reset) while they keep coming
            long until = System.nanoTime() + 3 * Linger.QUIET_MILLIS * 1_000_000L;
            while (System.nanoTime() < until) {
                Thread.sleep(100);
                c.send(text("{\"KV_COUNT\":{}}"));
            }
            for (int i = 0; i < 200; i++) {
                assertThat(c.readText()).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
            }
            c.readClose(1002);
            assertThat(c.input().read()).as("the end of the stream, not a reset").isEqualTo(-1);
        }
    }
}
