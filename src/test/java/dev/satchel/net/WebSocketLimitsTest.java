package dev.satchel.net;

import static dev.satchel.net.Wire.await;
import static dev.satchel.net.Wire.awaitFailure;
import static dev.satchel.net.Wire.call;
import static dev.satchel.net.Wire.error;
import static dev.satchel.net.Wire.ok;
import static dev.satchel.net.Wire.okExactly;
import static dev.satchel.testing.RawWebSocket.OP_BINARY;
import static dev.satchel.testing.RawWebSocket.OP_CLOSE;
import static dev.satchel.testing.RawWebSocket.OP_CONT;
import static dev.satchel.testing.RawWebSocket.OP_PING;
import static dev.satchel.testing.RawWebSocket.OP_PONG;
import static dev.satchel.testing.RawWebSocket.OP_TEXT;
import static dev.satchel.testing.RawWebSocket.frame;
import static dev.satchel.testing.RawWebSocket.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.client.CloseStatus;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.SatchelClientException;
import dev.satchel.client.Token;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Section 1 over real sockets, on a server with {@code --max-message-bytes 1024}: message size limits (1009),
 * invalid UTF-8 (1007), protocol violations (1002), ping/pong, the closing handshake and the HTTP upgrade.
 * Requests read before an offending frame are answered before the Close frame, nothing after it is run, and a
 * bystander connection with a session is checked after every test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoThreadLeaks.class)
class WebSocketLimitsTest {
    private static final int LIMIT = 1024;

    private TestServer server;
    private SatchelClient bystander;
    private Token bystanderSession;

    @BeforeAll
    void start() {
        server = TestServer.start(TestServer.config(Map.of("--max-message-bytes", Integer.toString(LIMIT))));
        bystander = server.connect();
        bystanderSession = Wire.newSession(bystander);
        ok(call(bystander, "{\"SH_SET\":{\"tkn\":" + bystanderSession + ",\"keys\":{\"safe\":\"and sound\"}}}"),
                "SH_SET_RSP");
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void bystanderIsUnaffected() {
        assertThat(bystander.isOpen()).as("the other connection stays open").isTrue();
        okExactly(call(bystander, "{\"SH_GET\":{\"tkn\":" + bystanderSession + ",\"keys\":[\"safe\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"safe\":\"and sound\"}}");
    }

    /** A request of exactly {@code size} bytes: SV_INFO with an ignored padding parameter. */
    private static String svInfoOfSize(int size) {
        String head = "{\"SV_INFO\":{\"pad\":\"";
        String tail = "\"}}";
        String s = head + "p".repeat(size - head.length() - tail.length()) + tail;
        assertThat(s.getBytes(StandardCharsets.UTF_8)).hasSize(size);
        return s;
    }

    private static CloseStatus closeOf(SatchelClient c) {
        return await(c.closeFuture());
    }

    /** A fresh unique global key that an offending connection tries to set after its violation. */
    private static String afterKey(String test) {
        return "after-" + test + "-" + System.nanoTime();
    }

    private void assertNotSet(String key) {
        okExactly(call(bystander, "{\"KV_CONTAINS\":{\"keys\":[\"" + key + "\"]}}"), "KV_CONTAINS_RSP",
                "{\"st\":1,\"contains\":[]}");
    }

    // ---- 1009: message too big ----

    @Test
    void messageOfExactlyTheLimitIsAnswered() {
        SatchelClient c = server.connect();
        ok(await(c.sendRaw(svInfoOfSize(LIMIT))), "SV_INFO_RSP");
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void messageOverTheLimitClosesWith1009AfterEarlierResponses() {
        SatchelClient c = server.connect();
        CompletableFuture<String> before = c.sendRaw("{\"SV_INFO\":{}}");
        CompletableFuture<String> tooBig = c.sendRaw(svInfoOfSize(LIMIT + 1));
        ok(await(before), "SV_INFO_RSP");
        assertThat(awaitFailure(tooBig)).isInstanceOf(SatchelClientException.class);
        assertThat(closeOf(c).code()).isEqualTo(1009);
    }

    @Test
    void fragmentsAddingUpOverTheLimitCloseWith1009() {
        SatchelClient c = server.connect();
        CompletableFuture<String> before = c.sendRaw("{\"SV_INFO\":{}}");
        byte[] part = new byte[600];
        Arrays.fill(part, (byte) ' ');
        part[0] = '{';
        c.sendFrameNoReply(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(part.clone())));
        c.sendFrameNoReply(new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[600])));
        ok(await(before), "SV_INFO_RSP");
        assertThat(closeOf(c).code()).isEqualTo(1009);
    }

    @Test
    void fragmentsWithinTheLimitAreReassembled() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            byte[] request = svInfoOfSize(LIMIT).getBytes(StandardCharsets.UTF_8);
            ws.send(
                    frame(false, 0, OP_TEXT, true, Arrays.copyOfRange(request, 0, 300)),
                    frame(true, 0, OP_PING, true, "mid".getBytes(StandardCharsets.UTF_8)), // control between fragments
                    frame(false, 0, OP_CONT, true, Arrays.copyOfRange(request, 300, 301)),
                    frame(false, 0, OP_CONT, true, new byte[0]),
                    frame(true, 0, OP_CONT, true, Arrays.copyOfRange(request, 301, LIMIT)),
                    text("{\"SH_INFO_ALL\":{}}"));
            RawWebSocket.Frame pong = ws.readFrame();
            assertThat(pong.opcode()).isEqualTo(OP_PONG);
            assertThat(pong.text()).isEqualTo("mid");
            ok(ws.readText(), "SV_INFO_RSP");
            ok(ws.readText(), "SH_INFO_ALL_RSP");
        }
    }

    @Test
    void headerAnnouncing100MegabytesClosesWith1009AtOnceAfterEarlierResponses() throws IOException {
        String after = afterKey("100mb");
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(text("{\"SV_INFO\":{}}"), text("{\"NOPE\":{}}"), text("{\"SH_INFO_ALL\":{}}"),
                    RawWebSocket.header64(true, OP_TEXT, 100L << 20));
            ok(ws.readText(), "SV_INFO_RSP");
            error(ws.readText(), "NOPE_RSP", 10);
            ok(ws.readText(), "SH_INFO_ALL_RSP");
            ws.readClose(1009);
            ws.assertEndOfStream();
        }
        assertNotSet(after);
    }

    @Test
    void continuationHeaderPushingTheMessageOverTheLimitClosesWith1009() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(text("{\"SV_INFO\":{}}"),
                    frame(false, 0, OP_TEXT, true, new byte[1000]),
                    RawWebSocket.header64(true, OP_CONT, 25));
            ok(ws.readText(), "SV_INFO_RSP");
            ws.readClose(1009);
            ws.assertEndOfStream();
        }
    }

    @Test
    void binaryMessageOverTheLimitClosesWith1009() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frame(OP_BINARY, new byte[LIMIT + 1]));
            ws.readClose(1009);
            ws.assertEndOfStream();
        }
    }

    @Test
    void fragmentedBinaryMessageGetsOneErr2() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frame(false, 0, OP_BINARY, true, new byte[] {1, 2}), frame(true, 0, OP_CONT, true, new byte[] {3}),
                    text("{\"SV_INFO\":{}}"));
            Wire.errorExactly(ws.readText(), "ERR", 2, "{\"st\":2}");
            ok(ws.readText(), "SV_INFO_RSP");
        }
    }

    @Test
    void manyPipelinedRequestsBeforeAViolationAreAllAnsweredFirst() throws IOException {
        int n = 3000;
        byte[][] frames = new byte[n + 1][];
        for (int i = 0; i < n; i++) {
            frames[i] = text("{\"Q" + i + "\":{}}");
        }
        frames[n] = RawWebSocket.header64(true, OP_TEXT, LIMIT + 1);
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frames);
            for (int i = 0; i < n; i++) {
                error(ws.readText(), "Q" + i + "_RSP", 10);
            }
            ws.readClose(1009);
            ws.assertEndOfStream();
        }
    }

    @Test
    void framesTricklingInOneByteAtATimeAreParsed() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            byte[] bytes = RawWebSocket.concat(
                    text("{\"SV_INFO\":{}}"),
                    text("{\"SV_INFO\":{\"pad\":\"" + "p".repeat(200) + "\"}}"), // 16-bit length form
                    frame(OP_PING, new byte[] {7}),
                    frame(false, 0, OP_TEXT, true, "{\"NO".getBytes(StandardCharsets.UTF_8)),
                    frame(true, 0, OP_CONT, true, "PE\":{}}".getBytes(StandardCharsets.UTF_8)));
            for (byte b : bytes) {
                ws.write(new byte[] {b});
            }
            // the pong may overtake responses (control frames are answered at once); responses keep their order
            List<String> texts = new java.util.ArrayList<>();
            int pongs = 0;
            for (int i = 0; i < 4; i++) {
                RawWebSocket.Frame f = ws.readFrame();
                if (f.opcode() == OP_PONG) {
                    assertThat(f.payload()).containsExactly(7);
                    pongs++;
                } else {
                    assertThat(f.opcode()).isEqualTo(OP_TEXT);
                    texts.add(f.text());
                }
            }
            assertThat(pongs).isEqualTo(1);
            ok(texts.get(0), "SV_INFO_RSP");
            ok(texts.get(1), "SV_INFO_RSP");
            error(texts.get(2), "NOPE_RSP", 10);
        }
    }

    // ---- 1007: invalid UTF-8 ----

    @Test
    void invalidUtf8ClosesWith1007AfterEarlierResponses() {
        SatchelClient c = server.connect();
        CompletableFuture<String> before = c.sendRaw("{\"SV_INFO\":{}}");
        CompletableFuture<String> bad = c.sendTextBytes(new byte[] {'{', '"', (byte) 0xC3, 0x28, '"', ':', '{', '}', '}'});
        ok(await(before), "SV_INFO_RSP");
        awaitFailure(bad);
        assertThat(closeOf(c).code()).isEqualTo(1007);
    }

    @Test
    void invalidUtf8VariantsCloseWith1007AndNothingAfterIsRun() throws IOException {
        byte[][] invalid = {
            {(byte) 0xFF},
            {(byte) 0xC0, (byte) 0x80}, // overlong NUL
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // UTF-16 surrogate encoded in UTF-8
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {'"', (byte) 0xE2, (byte) 0x82}, // truncated sequence at the end
        };
        for (byte[] payload : invalid) {
            String after = afterKey("utf8");
            try (RawWebSocket ws = RawWebSocket.open(server.port())) {
                ws.send(text("{\"SV_INFO\":{}}"), frame(OP_TEXT, payload),
                        text("{\"KV_SET\":{\"keys\":{\"" + after + "\":1}}}"));
                ok(ws.readText(), "SV_INFO_RSP");
                ws.readClose(1007);
                ws.assertEndOfStream();
            }
            assertNotSet(after);
        }
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsClosesWith1007() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frame(false, 0, OP_TEXT, true, new byte[] {'"', (byte) 0xE2}),
                    frame(true, 0, OP_CONT, true, new byte[] {(byte) 0x28, '"'}));
            ws.readClose(1007);
            ws.assertEndOfStream();
        }
    }

    @Test
    void validMultiByteUtf8SplitAcrossFragmentsIsAccepted() throws IOException {
        byte[] msg = "{\"NOPE\u20ac\":{}}".getBytes(StandardCharsets.UTF_8);
        int split = "{\"NOPE".length() + 1; // inside the three bytes of the euro sign
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frame(false, 0, OP_TEXT, true, Arrays.copyOfRange(msg, 0, split)),
                    frame(true, 0, OP_CONT, true, Arrays.copyOfRange(msg, split, msg.length)));
            error(ws.readText(), "NOPE\u20ac_RSP", 10);
        }
    }

    // ---- 1002: protocol errors ----

    /** Sends a request, then {@code offending}, then a KV_SET: the request is answered, then Close {@code code}. */
    private void assertClosesWith(int code, byte[] offending) throws IOException {
        String after = afterKey("proto");
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(text("{\"SV_INFO\":{}}"), offending, text("{\"KV_SET\":{\"keys\":{\"" + after + "\":1}}}"));
            ok(ws.readText(), "SV_INFO_RSP");
            ws.readClose(code);
            ws.assertEndOfStream();
        }
        assertNotSet(after);
    }

    @Test
    void unmaskedFrameClosesWith1002() throws IOException {
        assertClosesWith(1002, frame(true, 0, OP_TEXT, false, "{\"SV_INFO\":{}}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void reservedBitsCloseWith1002() throws IOException {
        for (int rsv = 1; rsv <= 7; rsv++) {
            assertClosesWith(1002, frame(true, rsv, OP_TEXT, true, "{\"SV_INFO\":{}}".getBytes(StandardCharsets.UTF_8)));
        }
        assertClosesWith(1002, frame(true, 4, OP_PING, true, new byte[0]));
    }

    @Test
    void otherFramingErrorsCloseWith1002() throws IOException {
        byte[] req = "{\"SV_INFO\":{}}".getBytes(StandardCharsets.UTF_8);
        assertClosesWith(1002, frame(true, 0, 0x3, true, req)); // reserved data opcode
        assertClosesWith(1002, frame(true, 0, 0xB, true, new byte[0])); // reserved control opcode
        assertClosesWith(1002, frame(false, 0, OP_PING, true, new byte[0])); // fragmented control frame
        assertClosesWith(1002, frame(true, 0, OP_PING, true, new byte[126])); // control frame over 125 bytes
        assertClosesWith(1002, frame(true, 0, OP_CONT, true, req)); // continuation with nothing to continue
        assertClosesWith(1002, RawWebSocket.concat(frame(false, 0, OP_TEXT, true, req),
                frame(true, 0, OP_TEXT, true, req))); // new message inside a fragmented one
        assertClosesWith(1002, RawWebSocket.concat(frame(false, 0, OP_TEXT, true, req),
                frame(true, 0, OP_BINARY, true, req)));
        assertClosesWith(1002, frame(true, 0, OP_CLOSE, true, new byte[] {0x03})); // 1-byte close payload
        byte[] longClose = new byte[126];
        longClose[0] = 0x03;
        longClose[1] = (byte) 0xE8;
        Arrays.fill(longClose, 2, longClose.length, (byte) 'r');
        assertClosesWith(1002, frame(OP_CLOSE, longClose)); // close frame over 125 bytes
        assertClosesWith(1002, RawWebSocket.header64(true, OP_TEXT, Long.MIN_VALUE)); // 64-bit length with MSB set
        for (int code : new int[] {0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000}) {
            assertClosesWith(1002, RawWebSocket.close(code, ""));
        }
    }

    @Test
    void closeReasonWithInvalidUtf8ClosesWith1007() throws IOException {
        assertClosesWith(1007, frame(OP_CLOSE, new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28}));
    }

    // ---- control frames and the closing handshake ----

    @Test
    void pingGetsPongWithTheSamePayloadAndPongIsIgnored() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            byte[] payload = new byte[125];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) i;
            }
            ws.send(frame(OP_PING, payload));
            RawWebSocket.Frame pong = ws.readFrame();
            assertThat(pong.opcode()).isEqualTo(OP_PONG);
            assertThat(pong.fin()).isTrue();
            assertThat(pong.payload()).isEqualTo(payload);
            ws.send(frame(OP_PING, new byte[0]));
            RawWebSocket.Frame empty = ws.readFrame();
            assertThat(empty.opcode()).isEqualTo(OP_PONG);
            assertThat(empty.payload()).isEmpty();
            // an unsolicited pong gets no answer: the next frame is the response to the next request
            ws.send(frame(OP_PONG, "ignored".getBytes(StandardCharsets.UTF_8)), text("{\"SV_INFO\":{}}"));
            ok(ws.readText(), "SV_INFO_RSP");
        }
    }

    @Test
    void clientCloseGetsPendingResponsesThenCloseEcho() throws IOException {
        String after = afterKey("close");
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(text("{\"KV_SET\":{\"keys\":{\"closing\":1}}}"), text("{\"KV_GET\":{\"keys\":[\"closing\"]}}"),
                    text("{\"NOPE\":{}}"), RawWebSocket.close(1000, "bye"),
                    text("{\"KV_SET\":{\"keys\":{\"" + after + "\":1}}}"));
            ok(ws.readText(), "KV_SET_RSP");
            okExactly(ws.readText(), "KV_GET_RSP", "{\"st\":1,\"keys\":{\"closing\":1}}");
            error(ws.readText(), "NOPE_RSP", 10);
            ws.readClose(1000);
            ws.assertEndOfStream();
        }
        assertNotSet(after);
    }

    @Test
    void clientCloseAfterManyRequestsGetsAllResponsesThenTheEcho() throws IOException {
        int n = 2000;
        byte[][] frames = new byte[n + 1][];
        for (int i = 0; i < n; i++) {
            frames[i] = text("{\"C" + i + "\":{}}");
        }
        frames[n] = RawWebSocket.close(4000, "done");
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frames);
            for (int i = 0; i < n; i++) {
                error(ws.readText(), "C" + i + "_RSP", 10);
            }
            ws.readClose(4000);
            ws.assertEndOfStream();
        }
    }

    @Test
    void closeEchoesTheClientsStatusCode() throws IOException {
        for (int code : new int[] {1001, 1003, 1011, 3000, 4999}) {
            try (RawWebSocket ws = RawWebSocket.open(server.port())) {
                ws.send(RawWebSocket.close(code, "reason"));
                ws.readClose(code);
                ws.assertEndOfStream();
            }
        }
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(frame(OP_CLOSE, new byte[0]));
            RawWebSocket.Frame echo = ws.readFrame();
            assertThat(echo.opcode()).isEqualTo(OP_CLOSE);
            assertThat(echo.payload()).as("a Close without a status code is answered without one").isEmpty();
            ws.assertEndOfStream();
        }
    }

    @Test
    void javaClientCloseCompletesPendingRequests() {
        SatchelClient c = server.connect();
        List<CompletableFuture<String>> pending = c.sendRawBatch(
                List.of("{\"SV_INFO\":{}}", "{\"SH_INFO_ALL\":{}}", "{\"KV_COUNT\":{}}"));
        c.close();
        ok(await(pending.get(0)), "SV_INFO_RSP");
        ok(await(pending.get(1)), "SH_INFO_ALL_RSP");
        ok(await(pending.get(2)), "KV_COUNT_RSP");
        assertThat(closeOf(c).code()).isEqualTo(1000);
    }

    @Test
    void clientsVanishingMidStreamDoNotDisturbTheServer() throws IOException {
        for (int round = 0; round < 5; round++) {
            RawWebSocket ws = RawWebSocket.open(server.port());
            byte[][] frames = new byte[500][];
            for (int i = 0; i < frames.length; i++) {
                frames[i] = text("{\"KV_GET\":{\"keys\":[\"x\"]}}");
            }
            ws.send(frames);
            ws.send(frame(false, 0, OP_TEXT, true, new byte[] {'{'})); // half a message
            ws.output().write(new byte[] {(byte) 0x81, (byte) 0xFE, 0x01}); // half a frame header
            ws.output().flush();
            if (round % 2 == 0) {
                ws.reset();
            } else {
                ws.close();
            }
        }
        SatchelClient c = server.connect();
        Wire.assertUsable(c);
    }

    // ---- HTTP upgrade ----

    @Test
    void plainHttpGetGets426WithAOneLineExplanation() throws IOException {
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            ws.writeAscii("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            String head = ws.readHttpHead();
            assertThat(head).startsWith("HTTP/1.1 426 ");
            String body = ws.readToEnd();
            assertThat(body.strip()).isNotEmpty().doesNotContain("\n");
        }
    }

    @Test
    void handshakeProblemsGetTheDocumentedHttpStatus() throws IOException {
        String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        String upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
        assertHttpStatus("POST / HTTP/1.1\r\nHost: h\r\n" + upgrade + key
                + "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 405, null);
        assertHttpStatus("GET / HTTP/1.1\r\nHost: h\r\n" + upgrade + "Sec-WebSocket-Version: 13\r\n\r\n", 400, null);
        assertHttpStatus("GET / HTTP/1.1\r\nHost: h\r\n" + upgrade + "Sec-WebSocket-Key: short\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n", 400, null);
        assertHttpStatus("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n" + key
                + "Sec-WebSocket-Version: 13\r\n\r\n", 400, null);
        assertHttpStatus("GET / HTTP/1.1\r\nHost: h\r\n" + upgrade + key + "Sec-WebSocket-Version: 8\r\n\r\n",
                426, "13");
    }

    private void assertHttpStatus(String request, int status, String expectedVersionHeader) throws IOException {
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            ws.writeAscii(request);
            String head = ws.readHttpHead();
            assertThat(head).as("response to %s", request).startsWith("HTTP/1.1 " + status + " ");
            if (expectedVersionHeader != null) {
                assertThat(RawWebSocket.header(head, "Sec-WebSocket-Version")).isEqualTo(expectedVersionHeader);
            }
        }
    }

    @Test
    void upgradeIsAcceptedOnAnyPathWithoutExtensions() throws IOException {
        for (String path : new String[] {"/", "/any/path?x=1", "/ws"}) {
            try (RawWebSocket ws = RawWebSocket.open(server.port(), path, 0)) {
                ws.send(text("{\"SV_INFO\":{}}"));
                ok(ws.readText(), "SV_INFO_RSP");
            }
        }
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            ws.writeAscii("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                    + "Sec-WebSocket-Protocol: chat\r\n\r\n");
            String head = ws.readHttpHead();
            assertThat(head).startsWith("HTTP/1.1 101 ");
            assertThat(RawWebSocket.header(head, "Sec-WebSocket-Accept"))
                    .isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            assertThat(RawWebSocket.header(head, "Sec-WebSocket-Extensions")).isNull();
            assertThat(RawWebSocket.header(head, "Sec-WebSocket-Protocol")).isNull();
        }
        // header values as browsers send them: Connection is a token list, and tokens are case-insensitive
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            ws.writeAscii("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertThat(ws.readHttpHead()).startsWith("HTTP/1.1 101 ");
            ws.send(text("{\"SV_INFO\":{}}"));
            ok(ws.readText(), "SV_INFO_RSP");
        }
        try (SatchelClient noSlash = SatchelClient.connect(URI.create("ws://127.0.0.1:" + server.port()))) {
            ok(call(noSlash, "{\"SV_INFO\":{}}"), "SV_INFO_RSP");
        }
    }

    @Test
    void requestsInTheSameWriteAsTheHandshakeAreAnswered() throws IOException {
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            byte[] handshake = ("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            ws.write(RawWebSocket.concat(handshake, text("{\"SV_INFO\":{}}"), text("{\"NOPE\":{}}")));
            assertThat(ws.readHttpHead()).startsWith("HTTP/1.1 101 ");
            ok(ws.readText(), "SV_INFO_RSP");
            error(ws.readText(), "NOPE_RSP", 10);
        }
    }
}
