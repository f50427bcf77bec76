package dev.satchel.abuse;

import static dev.satchel.abuse.Bystander.parse;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hostile and broken clients over real sockets, one case per test. Each asserts the documented answer
 * (docs/protocol.md) and, afterwards, that a second client's session data is intact and that it is still
 * answered.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AbuseTest {
    private TestServer server;
    private Bystander bystander;

    @BeforeAll
    void start() throws IOException {
        server = TestServer.start("--handshake-timeout-seconds", "1", "--max-connections-per-address", "2000",
                "--max-connections", "3000");
        bystander = new Bystander(server.port());
    }

    @AfterEach
    void bystanderIsIntact() throws IOException {
        bystander.assertIntact();
    }

    @AfterAll
    void stop() throws IOException {
        if (bystander != null) {
            bystander.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** Asserts {"<name>":{"st":st,"m":...}} with a non-empty m; returns m. */
    private static String error(String response, String name, int st) {
        JsonNode root = parse(response);
        assertThat(root.size()).as("one member: %s", response).isEqualTo(1);
        JsonNode inner = root.get(name);
        assertThat(inner).as("response name %s in %s", name, response).isNotNull();
        assertThat(inner.get("st").asInt()).as("st of %s", response).isEqualTo(st);
        assertThat(inner.get("m").asText()).as("m of %s", response).isNotBlank();
        return inner.get("m").asText();
    }

    private static void usable(RawWebSocket ws) throws IOException {
        assertThat(parse(ws.call("{\"SV_INFO\":{}}")).get("SV_INFO_RSP").get("st").asInt()).isEqualTo(1);
    }

    /** Polls (bounded) until the server counts only {@code expected} open connections. */
    private void awaitOpenConnections(int expected) {
        awaitOpenConnections(server, expected);
    }

    static void awaitOpenConnections(TestServer server, int expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (server.server().openConnections() != expected && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        assertThat(server.server().openConnections()).as("open connections").isEqualTo(expected);
    }

    @Test
    void binaryFrameIsErr2AndTheConnectionStaysUsable() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(RawWebSocket.frame(true, RawWebSocket.OP_BINARY, "{\"SV_INFO\":{}}".getBytes(StandardCharsets.UTF_8)));
            error(ws.readText(), "ERR", 2);
            usable(ws);
        }
    }

    @Test
    void invalidJsonIsErr3() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            for (String bad : List.of("{\"SV_INFO\":{},}", "{'SV_INFO':{}}", "{\"SV_INFO\":{}} x", "not json", "",
                    "{\"KV_SET\":{\"keys\":{\"a\":NaN}}}", "{\"KV_SET\":{\"keys\":{\"a\":01}}}", "\u0000")) {
                error(ws.call(bad), "ERR", 3);
            }
            usable(ws);
        }
    }

    @Test
    void truncatedJsonIsErr3() throws IOException {
        String whole = "{\"SH_SET\":{\"tkn\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"keys\":{\"a\":[1,{\"b\":\"x\"}]}}}";
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            for (int n = 1; n < whole.length(); n += 3) {
                error(ws.call(whole.substring(0, n)), "ERR", 3);
            }
            usable(ws);
        }
    }

    @Test
    void topLevelThatIsNotAnObjectIsErr13() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            for (String v : List.of("[]", "[{\"SV_INFO\":{}}]", "\"SV_INFO\"", "1", "true", "null", "{}")) {
                error(ws.call(v), "ERR", 13);
            }
            usable(ws);
        }
    }

    @Test
    void twoCommandsInOneObjectAreErr13AndNeitherRuns() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            error(ws.call("{\"KV_SET\":{\"keys\":{\"two-cmds\":1}},\"SH_END_ALL\":{}}"), "ERR", 13);
            error(ws.call("{\"SV_INFO\":{},\"SV_INFO\":{}}"), "ERR", 13);
            assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"two-cmds\"]}}")).isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        }
    }

    @Test
    void duplicateMemberNamesAnywhereAre13AndWriteNothing() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            error(ws.call("{\"KV_SET\":{\"keys\":{\"dup\":1,\"dup\":2}}}"), "KV_SET_RSP", 13);
            error(ws.call("{\"KV_SET\":{\"keys\":{\"dup\":1,\"d\\u0075p\":2}}}"), "KV_SET_RSP", 13);
            error(ws.call("{\"KV_SET\":{\"keys\":{\"dup\":{\"a\":[{\"x\":1,\"x\":1}]}}}}"), "KV_SET_RSP", 13);
            error(ws.call("{\"KV_SET\":{\"keys\":{\"dup\":1},\"keys\":{\"dup\":2}}}"), "KV_SET_RSP", 13);
            error(ws.call("{\"SH_NEW\":{\"expiry\":{\"duration\":5,\"duration\":6}}}"), "SH_NEW_RSP", 13);
            error(ws.call("{\"SV_INFO\":{\"x\":1,\"x\":2}}"), "SV_INFO_RSP", 13);
            assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"dup\"]}}")).isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        }
    }

    @Test
    void tenThousandDeepNestingIsErr170() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String deep = "{\"KV_SET\":{\"keys\":{\"deep\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}}}";
            assertThat(error(ws.call(deep), "ERR", 170)).contains("limits.maxDepth");
            String deepObjects = "{\"KV_SET\":{\"keys\":{\"deep\":" + "{\"a\":".repeat(10_000) + "1"
                    + "}".repeat(10_000) + "}}}";
            assertThat(error(ws.call(deepObjects), "ERR", 170)).contains("limits.maxDepth");
            String unclosed = "[".repeat(10_000);
            assertThat(error(ws.call(unclosed), "ERR", 170)).contains("limits.maxDepth");
            usable(ws);
        }
    }

    @Test
    void hundredMegabyteStringAnnouncedInAFrameHeaderClosesWith1009AtOnce() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            ws.send(RawWebSocket.text("{\"SV_INFO\":{}}"));
            // the header only: the server must not wait for (or buffer) the 100 MB
            byte[] head = "{\"KV_SET\":{\"keys\":{\"big\":\"".getBytes(StandardCharsets.UTF_8);
            ws.send(RawWebSocket.header64(RawWebSocket.OP_TEXT, 100_000_000L));
            ws.send(head); // unmasked with the zero mask
            assertThat(parse(ws.readText()).has("SV_INFO_RSP")).isTrue();
            assertThat(ws.readClose(1009).closeReason()).contains("limit");
            ws.assertEndOfStream();
        }
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            // the same announced in fragments: a continuation that would pass the limit
            ws.send(RawWebSocket.frame(false, RawWebSocket.OP_TEXT, "{\"KV_SET\":{\"keys\":{\"big\":\"".getBytes(StandardCharsets.UTF_8)));
            ws.send(RawWebSocket.header64(0x0, 100_000_000L));
            ws.readClose(1009);
            ws.assertEndOfStream();
        }
    }

    @Test
    void hugeNumbersArePassedThroughUpToTheLimitAndErr170Beyond() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String digits1000 = "9".repeat(1000);
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"huge\":[" + digits1000 + ",1e999999999,-0.0e-999999999]}}}"))
                    .isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
            assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"huge\"]}}")).isEqualTo(
                    "{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"huge\":[" + digits1000 + ",1e999999999,-0.0e-999999999]}}}");
            assertThat(error(ws.call("{\"KV_SET\":{\"keys\":{\"huge\":" + "9".repeat(1001) + "}}}"), "ERR", 170))
                    .isEqualTo("number longer than limits.maxNumberChars (1000)");
            assertThat(error(ws.call("{\"KV_SET\":{\"keys\":{\"huge\":0." + "1".repeat(2000) + "}}}"), "ERR", 170))
                    .contains("limits.maxNumberChars");
            // a huge expiry duration is a number too: 42, not an overflow
            error(ws.call("{\"SH_NEW\":{\"expiry\":{\"duration\":" + "9".repeat(100) + "}}}"), "SH_NEW_RSP", 42);
            error(ws.call("{\"SH_GET\":{\"tkn\":" + "9".repeat(500) + ",\"keys\":[]}}"), "SH_GET_RSP", 101);
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[\"huge\"]}}")).isEqualTo("{\"KV_RMV_RSP\":{\"st\":1}}");
        }
    }

    /** Commands and their parameters with the type each must have. */
    private static final Map<String, Map<String, String>> PARAMS = Map.ofEntries(
            Map.entry("SH_NEW", Map.of("expiry", "object", "name", "string", "shared", "boolean")),
            Map.entry("SH_OPEN", Map.of("name", "string")),
            Map.entry("SH_END", Map.of("tkn", "token")),
            Map.entry("SH_EXISTS", Map.of("tkns", "array")),
            Map.entry("SH_INFO", Map.of("tkn", "token")),
            Map.entry("SH_LOAD", Map.of("name", "string")),
            Map.entry("KV_LOAD", Map.of("name", "string")),
            Map.entry("SH_SET", Map.of("tkn", "token", "keys", "object")),
            Map.entry("SH_ADD", Map.of("tkn", "token", "keys", "object")),
            Map.entry("SH_CLEAR_SET", Map.of("tkn", "token", "keys", "object")),
            Map.entry("SH_GET", Map.of("tkn", "token", "keys", "array")),
            Map.entry("SH_RMV", Map.of("tkn", "token", "keys", "array")),
            Map.entry("SH_CONTAINS", Map.of("tkn", "token", "keys", "array")),
            Map.entry("SH_COUNT", Map.of("tkn", "token")),
            Map.entry("SH_KEYS", Map.of("tkn", "token")),
            Map.entry("SH_CLEAR", Map.of("tkn", "token")),
            Map.entry("KV_SET", Map.of("keys", "object")),
            Map.entry("KV_ADD", Map.of("keys", "object")),
            Map.entry("KV_CLEAR_SET", Map.of("keys", "object")),
            Map.entry("KV_GET", Map.of("keys", "array")),
            Map.entry("KV_RMV", Map.of("keys", "array")),
            Map.entry("KV_CONTAINS", Map.of("keys", "array")));

    private static final Map<String, String> GOOD = Map.of("object", "{}", "array", "[]", "string", "\"n\"",
            "boolean", "false", "token", "\"AAAAAAAAAAAAAAAAAAAAAA\"");
    private static final Map<String, List<String>> WRONG = Map.of(
            "object", List.of("1", "-1.5", "\"s\"", "true", "null", "[]", "[{}]"),
            "array", List.of("1", "\"s\"", "false", "null", "{}", "{\"a\":[]}"),
            "string", List.of("1", "0", "true", "null", "[]", "[\"n\"]", "{}"),
            "boolean", List.of("1", "0", "\"true\"", "null", "[]", "{}"),
            "token", List.of("1", "-1", "1.5", "true", "null", "[]", "[\"AAAAAAAAAAAAAAAAAAAAAA\"]", "{}"));

    @Test
    void wrongTypesInEveryParameterOfEveryCommandAreRefusedAndChangeNothing() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            JsonNode before = parse(ws.call("{\"SH_INFO_ALL\":{}}"));
            int checked = 0;
            for (Map.Entry<String, Map<String, String>> cmd : PARAMS.entrySet()) {
                for (Map.Entry<String, String> p : cmd.getValue().entrySet()) {
                    for (String wrong : WRONG.get(p.getValue())) {
                        StringBuilder req = new StringBuilder("{\"").append(cmd.getKey()).append("\":{");
                        boolean first = true;
                        for (Map.Entry<String, String> other : cmd.getValue().entrySet()) {
                            if (!first) {
                                req.append(',');
                            }
                            first = false;
                            req.append('"').append(other.getKey()).append("\":")
                                    .append(other.getKey().equals(p.getKey()) ? wrong
                                    : other.getKey().equals("expiry") ? "{\"duration\":0}" : GOOD.get(other.getValue()));
                        }
                        req.append("}}");
                        int expected = p.getValue().equals("token") ? 101 : 41;
                        error(ws.call(req.toString()), cmd.getKey() + "_RSP", expected);
                        checked++;
                    }
                }
            }
            // inside expiry: duration must be a whole number, the flags booleans
            for (String member : List.of("duration", "deleteSession", "extendOnSetAdd", "extendOnGet")) {
                for (String wrong : List.of("\"5\"", "null", "[]", "{}", member.equals("duration") ? "1.5" : "1")) {
                    String expiry = member.equals("duration") ? "{\"duration\":" + wrong + "}"
                            : "{\"duration\":5,\"" + member + "\":" + wrong + "}";
                    error(ws.call("{\"SH_NEW\":{\"expiry\":" + expiry + "}}"), "SH_NEW_RSP", 41);
                    checked++;
                }
            }
            // saves are disabled on this server: 14 before any parameter is looked at
            error(ws.call("{\"SH_SAVE\":{\"name\":1,\"tkns\":{}}}"), "SH_SAVE_RSP", 14);
            error(ws.call("{\"KV_SAVE\":{\"name\":[]}}"), "KV_SAVE_RSP", 14);
            assertThat(checked).isGreaterThan(200);
            assertThat(parse(ws.call("{\"SH_INFO_ALL\":{}}"))).as("nothing created or changed").isEqualTo(before);
        }
    }

    @Test
    void tokensOfTheWrongFormatAre101AndUnknownWellFormedOnes100() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            for (String bad : List.of("\"\"", "\"short\"", "\"AAAAAAAAAAAAAAAAAAAAA\"", "\"AAAAAAAAAAAAAAAAAAAAAAA\"",
                    "\"AAAAAAAAAAAAAAAAAAAA+A\"", "\"AAAAAAAAAAAAAAAAAAAA/A\"", "\"AAAAAAAAAAAAAAAAAAAAA=\"",
                    "\"AAAAAAAAAAAAAAAAAAAAAB\"", "\"AAAAAAAAAAAAAAAAAAAA A\"", "\"12345\"", "12345",
                    "18446744073709551615", "\"\\u0000AAAAAAAAAAAAAAAAAAAAA\"", "\"" + "A".repeat(10_000) + "\"")) {
                for (String cmd : List.of("SH_GET", "SH_SET", "SH_INFO", "SH_END")) {
                    String params = switch (cmd) {
                        case "SH_GET" -> ",\"keys\":[\"a\"]";
                        case "SH_SET" -> ",\"keys\":{\"a\":1}";
                        default -> "";
                    };
                    error(ws.call("{\"" + cmd + "\":{\"tkn\":" + bad + params + "}}"), cmd + "_RSP", 101);
                }
            }
            error(ws.call("{\"SH_GET\":{\"tkn\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"keys\":[\"a\"]}}"), "SH_GET_RSP", 100);
            error(ws.call("{\"SH_GET\":{\"tkn\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"keys\":[\"a\"]}}"), "SH_GET_RSP", 100);
        }
    }

    @Test
    void invalidUtf8ClosesWith1007AfterEarlierResponses() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            byte[] bad = {'{', '"', 'K', 'V', '_', 'G', 'E', 'T', '"', ':', '{', '"', 'k', 'e', 'y', 's', '"', ':',
                    '[', '"', (byte) 0xC3, (byte) 0x28, '"', ']', '}', '}'};
            ws.send(concat(RawWebSocket.text("{\"SV_INFO\":{}}"), RawWebSocket.frame(true, RawWebSocket.OP_TEXT, bad),
                    RawWebSocket.text("{\"KV_SET\":{\"keys\":{\"after-1007\":1}}}")));
            assertThat(parse(ws.readText()).has("SV_INFO_RSP")).isTrue();
            ws.readClose(1007);
            ws.assertEndOfStream();
        }
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            // overlong encodings, surrogates and truncated sequences are invalid too
            ws.send(RawWebSocket.frame(true, RawWebSocket.OP_TEXT, new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}));
            ws.readClose(1007);
            assertThat(ws.input().read()).isEqualTo(-1);
        }
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"after-1007\"]}}"))
                    .as("nothing after the offending frame ran").isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    @Test
    void abruptDisconnectsMidMessageLeaveNothingBehind() throws IOException {
        int baseline = server.server().openConnections();
        byte[] message = RawWebSocket.text("{\"KV_SET\":{\"keys\":{\"half\":\"" + "x".repeat(5000) + "\"}}}");
        for (int cut : new int[] {1, 2, 5, 14, 100, message.length - 1}) {
            for (boolean reset : new boolean[] {true, false}) {
                RawWebSocket ws = RawWebSocket.open(server.port());
                ws.send(java.util.Arrays.copyOf(message, cut));
                if (reset) {
                    ws.reset();
                } else {
                    ws.close();
                }
            }
        }
        // mid-fragment, and mid-handshake
        RawWebSocket ws = RawWebSocket.open(server.port());
        ws.send(RawWebSocket.frame(false, RawWebSocket.OP_TEXT, "{\"KV_SET\":{\"keys\":{\"half\":".getBytes(StandardCharsets.UTF_8)));
        ws.reset();
        RawWebSocket http = RawWebSocket.tcp(server.port());
        http.writeAscii("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nSec-WebSocket-");
        http.reset();
        awaitOpenConnections(baseline);
        try (RawWebSocket check = RawWebSocket.open(server.port())) {
            assertThat(check.call("{\"KV_GET\":{\"keys\":[\"half\"]}}")).isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        }
    }

    @Test
    void thousandConnectionsOpenedAndDroppedLeaveTheServerAsItWas() throws IOException {
        // its own server: with the default 10 s handshake timeout the half-open ones stay while we count
        try (TestServer own = TestServer.start("--max-connections-per-address", "2000");
                Bystander local = new Bystander(own.port())) {
            int baseline = own.server().openConnections();
            List<RawWebSocket> all = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    if (i % 2 == 0) {
                        RawWebSocket ws = RawWebSocket.open(own.port());
                        ws.send(RawWebSocket.text("{\"SV_INFO\":{}}"));
                        all.add(ws);
                    } else {
                        RawWebSocket ws = RawWebSocket.tcp(own.port());
                        ws.writeAscii("GET / HTTP/1.1\r\n"); // and never the rest
                        all.add(ws);
                    }
                }
                awaitOpenConnections(own, baseline + 1000);
                local.assertIntact();
            } finally {
                for (int i = 0; i < all.size(); i++) {
                    if (i % 4 < 2) {
                        all.get(i).reset();
                    } else {
                        all.get(i).close();
                    }
                }
            }
            awaitOpenConnections(own, baseline);
            local.assertIntact();
        }
    }

    @Test
    void slowLorisHandshakeIsCutOffAtTheHandshakeTimeout() throws Exception {
        ScheduledExecutorService dribble = Executors.newSingleThreadScheduledExecutor();
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            long start = System.nanoTime();
            byte[] request = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "X-Padding: " + "p".repeat(200) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            OutputStream out = ws.output();
            int[] next = {0};
            dribble.scheduleAtFixedRate(() -> {
                try {
                    if (next[0] < request.length) {
                        out.write(request[next[0]++]); // one byte every 50 ms: never idle, never done
                        out.flush();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e); // closed by the server: stops the task
                }
            }, 0, 50, TimeUnit.MILLISECONDS);
            String head = ws.readHttpHead();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(head).startsWith("HTTP/1.1 408 ");
            assertThat(tookMillis).as("cut off after the 1 s handshake timeout").isBetween(900L, 5000L);
            assertThat(next[0]).as("it was still dribbling").isLessThan(request.length);
            String body = new String(ws.input().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(body).contains("limits.handshakeTimeoutSeconds");
        } finally {
            dribble.shutdownNow();
            assertThat(dribble.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void silentConnectionThatNeverHandshakesIsClosedToo() throws IOException {
        try (RawWebSocket ws = RawWebSocket.tcp(server.port())) {
            assertThat(ws.readHttpHead()).startsWith("HTTP/1.1 408 ");
        }
    }
}
