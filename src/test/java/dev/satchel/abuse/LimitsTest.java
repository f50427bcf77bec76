package dev.satchel.abuse;

import static dev.satchel.abuse.Bystander.parse;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every configurable limit over real sockets, on a server with small limits: each is answered with 170 and a
 * message naming the setting, or with the protocol's close code or HTTP status, and a second client's data is
 * intact afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
    private TestServer server;
    private Bystander bystander;

    @BeforeAll
    void start() throws IOException {
        server = TestServer.start("--max-message-bytes", "4096", "--max-string-bytes", "300",
                "--max-number-chars", "30", "--max-key-bytes", "32", "--max-keys-per-request", "8",
                "--max-value-bytes", "600", "--max-response-bytes", "4096", "--max-sessions", "20",
                "--max-keys-per-session", "10", "--max-stored-bytes", "20000");
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

    /** Asserts {"name":{"st":170,"m":...}} and returns m. */
    private static String limit(String response, String name) {
        JsonNode inner = parse(response).get(name);
        assertThat(inner).as("response name %s in %s", name, response).isNotNull();
        assertThat(inner.get("st").asInt()).as("st of %s", response).isEqualTo(170);
        return inner.get("m").asText();
    }

    private static String ok(String name) {
        return "{\"" + name + "\":{\"st\":1}}";
    }

    /** A session of the test's own, answered on a WebSocket of its own. */
    private static String newSession(RawWebSocket ws) throws IOException {
        JsonNode r = parse(ws.call("{\"SH_NEW\":{}}")).get("SH_NEW_RSP");
        assertThat(r.get("st").asInt()).as("%s", r).isEqualTo(1);
        return r.get("tkn").toString();
    }

    @Test
    void messageSizeClosesWith1009() throws IOException {
        String head = "{\"SV_INFO\":{\"pad\":\"";
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            // exactly the limit is fine (strings of at most 300 bytes, so several of them)
            StringBuilder pad = new StringBuilder("{\"SV_INFO\":{\"pad\":[");
            while (4096 - pad.length() - 3 > 300) {
                pad.append("\"").append("p".repeat(250)).append("\",");
            }
            int last = 4096 - pad.length() - 5;
            pad.append("\"").append("p".repeat(last)).append("\"]}}");
            assertThat(pad.length()).isEqualTo(4096);
            assertThat(parse(ws.call(pad.toString())).get("SV_INFO_RSP").get("st").asInt()).isEqualTo(1);
            ws.send(RawWebSocket.text(head + "p".repeat(4096) + "\"}}"));
            assertThat(ws.readClose(1009).closeReason()).contains("4096");
            ws.assertEndOfStream();
        }
    }

    @Test
    void stringLengthIsErr170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"s\":\"" + "x".repeat(300) + "\"}}}")).isEqualTo(ok("KV_SET_RSP"));
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"s\":\"" + "x".repeat(301) + "\"}}}"), "ERR"))
                    .isEqualTo("string longer than limits.maxStringBytes (300)");
            // as sent: escapes count with their backslashes
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"s\":\"" + "\\n".repeat(151) + "\"}}}"), "ERR"))
                    .contains("limits.maxStringBytes");
            assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"s\"]}}")).contains("x".repeat(300));
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[\"s\"]}}")).isEqualTo(ok("KV_RMV_RSP"));
        }
    }

    @Test
    void numberLengthIsErr170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"n\":" + "1".repeat(30) + "}}}")).isEqualTo(ok("KV_SET_RSP"));
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"n\":-" + "1".repeat(30) + "}}}"), "ERR"))
                    .isEqualTo("number longer than limits.maxNumberChars (30)");
            assertThat(limit(ws.call("{\"SV_INFO\":{\"x\":[1.5e" + "1".repeat(30) + "]}}"), "ERR"))
                    .contains("limits.maxNumberChars");
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[\"n\"]}}")).isEqualTo(ok("KV_RMV_RSP"));
        }
    }

    @Test
    void keyAndMemberNameLengthAreErr170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String key32 = "k".repeat(32);
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"" + key32 + "\":1}}}")).isEqualTo(ok("KV_SET_RSP"));
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"" + key32 + "k\":1}}}"), "KV_SET_RSP"))
                    .isEqualTo("key longer than limits.maxKeyBytes (32)");
            assertThat(limit(ws.call("{\"KV_GET\":{\"keys\":[\"" + key32 + "k\"]}}"), "KV_GET_RSP"))
                    .isEqualTo("key longer than limits.maxKeyBytes (32)");
            String tkn = newSession(ws);
            assertThat(limit(ws.call("{\"SH_RMV\":{\"tkn\":" + tkn + ",\"keys\":[\"" + key32 + "k\"]}}"),
                    "SH_RMV_RSP")).contains("limits.maxKeyBytes");
            // as sent: 6 escapes of 6 bytes are 36 bytes, though they decode to 6
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"" + "\\u0061".repeat(6) + "\":1}}}"), "KV_SET_RSP"))
                    .contains("limits.maxKeyBytes");
            // member names anywhere else stop the scan: ERR
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"v\":{\"" + key32 + "x\":1}}}}"), "ERR"))
                    .isEqualTo("member name longer than limits.maxKeyBytes (32)");
            assertThat(limit(ws.call("{\"" + "C".repeat(40) + "\":{}}"), "ERR")).contains("limits.maxKeyBytes");
            assertThat(ws.call("{\"KV_CONTAINS\":{\"keys\":[\"v\"]}}")).isEqualTo("{\"KV_CONTAINS_RSP\":{\"st\":1,\"contains\":[]}}");
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[\"" + key32 + "\"]}}")).isEqualTo(ok("KV_RMV_RSP"));
            ws.call("{\"SH_END\":{\"tkn\":" + tkn + "}}");
        }
    }

    @Test
    void keysPerRequestIs170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            StringBuilder eight = new StringBuilder();
            StringBuilder names = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                eight.append(i == 0 ? "" : ",").append("\"r").append(i).append("\":").append(i);
                names.append(i == 0 ? "" : ",").append("\"r").append(i).append('"');
            }
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{" + eight + "}}}")).isEqualTo(ok("KV_SET_RSP"));
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{" + eight + ",\"r8\":8}}}"), "KV_SET_RSP"))
                    .isEqualTo("more than limits.maxKeysPerRequest (8) keys");
            assertThat(limit(ws.call("{\"KV_GET\":{\"keys\":[" + names + ",1]}}"), "KV_GET_RSP"))
                    .isEqualTo("more than limits.maxKeysPerRequest (8) keys");
            assertThat(limit(ws.call("{\"SH_EXISTS\":{\"tkns\":[1,2,3,4,5,6,7,8,9]}}"), "SH_EXISTS_RSP"))
                    .isEqualTo("more than limits.maxKeysPerRequest (8) items in tkns");
            assertThat(ws.call("{\"KV_CONTAINS\":{\"keys\":[\"r8\"]}}")).isEqualTo("{\"KV_CONTAINS_RSP\":{\"st\":1,\"contains\":[]}}");
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[" + names + "]}}")).isEqualTo(ok("KV_RMV_RSP"));
        }
    }

    @Test
    void valueSizeIs170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String v598 = "[" + "1,".repeat(298) + "1]";
            assertThat(v598.length()).isEqualTo(599);
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"big\":" + v598 + "}}}")).isEqualTo(ok("KV_SET_RSP"));
            // white space does not count: the value is stored compact
            String spaced = "[ " + "1 , ".repeat(298) + "1 ]";
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"big\":" + spaced + "}}}")).isEqualTo(ok("KV_SET_RSP"));
            String v601 = "[" + "1,".repeat(299) + "1]";
            assertThat(limit(ws.call("{\"KV_SET\":{\"keys\":{\"big\":1,\"big2\":" + v601 + "}}}"), "KV_SET_RSP"))
                    .isEqualTo("value larger than limits.maxValueBytes (600)");
            assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"big\",\"big2\"]}}"))
                    .as("refused whole").isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"big\":" + v598 + "}}}");
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[\"big\"]}}")).isEqualTo(ok("KV_RMV_RSP"));
        }
    }

    @Test
    void responseSizeIs170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String value = "[" + "1,".repeat(289) + "1]"; // 581 bytes
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                keys.add("\"resp" + i + "\"");
                assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"resp" + i + "\":" + value + "}}}")).isEqualTo(ok("KV_SET_RSP"));
            }
            String six = String.join(",", keys.subList(0, 6));
            assertThat(parse(ws.call("{\"KV_GET\":{\"keys\":[" + six + "]}}")).get("KV_GET_RSP").get("keys").size())
                    .isEqualTo(6);
            assertThat(limit(ws.call("{\"KV_GET\":{\"keys\":[" + String.join(",", keys) + "]}}"), "KV_GET_RSP"))
                    .isEqualTo("response larger than limits.maxResponseBytes (4096)");
            assertThat(ws.call("{\"KV_RMV\":{\"keys\":[" + String.join(",", keys) + "]}}")).isEqualTo(ok("KV_RMV_RSP"));
        }
    }

    @Test
    void sessionsInTotalIs170NamingTheSetting() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            int live = parse(ws.call("{\"SH_INFO_ALL\":{}}")).get("SH_INFO_ALL_RSP").get("totalSessions").asInt();
            List<String> mine = new ArrayList<>();
            for (int i = live; i < 20; i++) {
                mine.add(newSession(ws));
            }
            assertThat(limit(ws.call("{\"SH_NEW\":{}}"), "SH_NEW_RSP")).isEqualTo("live sessions at limits.maxSessions (20)");
            assertThat(limit(ws.call("{\"SH_NEW\":{\"name\":\"full\",\"shared\":true}}"), "SH_NEW_RSP"))
                    .contains("limits.maxSessions");
            ws.call("{\"SH_END\":{\"tkn\":" + mine.remove(0) + "}}");
            mine.add(newSession(ws));
            for (String t : mine) {
                assertThat(ws.call("{\"SH_END\":{\"tkn\":" + t + "}}")).contains("\"st\":1");
            }
        }
    }

    @Test
    void keysPerSessionIs170AndTheWriteIsRefusedWhole() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String t = newSession(ws);
            for (int i = 0; i < 10; i += 5) {
                assertThat(ws.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a" + i + "\":1,\"a" + (i + 1) + "\":1,\"a"
                        + (i + 2) + "\":1,\"a" + (i + 3) + "\":1,\"a" + (i + 4) + "\":1}}}")).isEqualTo(ok("SH_SET_RSP"));
            }
            assertThat(limit(ws.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a0\":2,\"new\":1}}}"), "SH_SET_RSP"))
                    .isEqualTo("session would hold more than limits.maxKeysPerSession (10) keys");
            assertThat(limit(ws.call("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"new\":1}}}"), "SH_ADD_RSP"))
                    .contains("limits.maxKeysPerSession");
            assertThat(ws.call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a0\",\"new\"]}}"))
                    .as("nothing of the refused writes").isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"a0\":1}}}");
            // overwriting is fine, and so is a CLEAR_SET within the limit
            assertThat(ws.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a0\":2}}}")).isEqualTo(ok("SH_SET_RSP"));
            assertThat(ws.call("{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":{\"n\":1}}}"))
                    .isEqualTo("{\"SH_CLEAR_SET_RSP\":{\"st\":1,\"cnt\":10}}");
            ws.call("{\"SH_END\":{\"tkn\":" + t + "}}");
        }
    }

    @Test
    void storedBytesBudgetRefusesWritesWholeAndNeverEvicts() throws IOException {
        try (RawWebSocket ws = RawWebSocket.open(server.port())) {
            String value = "[" + "1,".repeat(239) + "1]"; // 481 bytes
            int stored = 0;
            String refused = null;
            for (int i = 0; i < 100 && refused == null; i++) {
                JsonNode r = parse(ws.call("{\"KV_SET\":{\"keys\":{\"bud" + i + "\":" + value + "}}}")).get("KV_SET_RSP");
                if (r.get("st").asInt() == 1) {
                    stored++;
                } else {
                    refused = r.toString();
                    assertThat(r.get("st").asInt()).isEqualTo(170);
                    assertThat(r.get("m").asText()).isEqualTo("stored data would exceed limits.maxStoredBytes (20000 bytes)");
                }
            }
            assertThat(refused).as("the budget ran out").isNotNull();
            assertThat(stored).isBetween(30, 41);
            // nothing was evicted: every stored key is still there
            assertThat(parse(ws.call("{\"KV_COUNT\":{}}")).get("KV_COUNT_RSP").get("cnt").asInt()).isGreaterThanOrEqualTo(stored);
            assertThat(ws.call("{\"KV_CONTAINS\":{\"keys\":[\"bud0\"]}}")).contains("bud0");
            // a session write is refused the same way; overwriting with something smaller is fine
            String t = newSession(ws);
            assertThat(limit(ws.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"x\":" + value + "}}}"), "SH_SET_RSP"))
                    .contains("limits.maxStoredBytes");
            assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"bud0\":1}}}")).isEqualTo(ok("KV_SET_RSP"));
            // freeing memory makes room again
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < stored; i++) {
                all.append(all.length() == 0 ? "" : ",").append("\"bud").append(i).append('"');
                if (i % 8 == 7 || i == stored - 1) {
                    assertThat(ws.call("{\"KV_RMV\":{\"keys\":[" + all + "]}}")).isEqualTo(ok("KV_RMV_RSP"));
                    all.setLength(0);
                }
            }
            assertThat(ws.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"x\":" + value + "}}}")).isEqualTo(ok("SH_SET_RSP"));
            ws.call("{\"SH_END\":{\"tkn\":" + t + "}}");
        }
    }

    @Test
    void idleConnectionIsPingedThenClosedWith1001() throws IOException {
        try (TestServer idle = idleServer(); RawWebSocket ws = RawWebSocket.open(idle.port())) {
            long start = System.nanoTime();
            RawWebSocket.Frame ping = ws.readFrame();
            assertThat(ping.opcode()).as("a Ping after 1 s of silence: %s", ping).isEqualTo(RawWebSocket.OP_PING);
            assertThat(ws.readClose(1001).closeReason()).contains("idle");
            ws.assertEndOfStream();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(1500L, 6000L);
        }
    }

    private static TestServer idleServer() {
        return TestServer.start("--idle-timeout-seconds", "1", "--ping-timeout-seconds", "1");
    }

    @Test
    void idleConnectionThatAnswersThePingStaysOpen() throws IOException {
        try (TestServer idle = idleServer(); RawWebSocket ws = RawWebSocket.open(idle.port())) {
            for (int round = 0; round < 2; round++) {
                RawWebSocket.Frame ping = ws.readFrame();
                assertThat(ping.opcode()).isEqualTo(RawWebSocket.OP_PING);
                ws.send(RawWebSocket.frame(true, RawWebSocket.OP_PONG, ping.payload())); // what every WebSocket stack does by itself
            }
            assertThat(parse(ws.call("{\"SV_INFO\":{}}")).get("SV_INFO_RSP").get("st").asInt()).isEqualTo(1);
        }
    }

    @Test
    void connectionCapsAnswer503NamingTheSetting() throws IOException {
        try (TestServer capped = TestServer.start("--max-connections", "5", "--max-connections-per-address", "3")) {
            List<RawWebSocket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(RawWebSocket.open(capped.port()));
                }
                try (RawWebSocket fourth = RawWebSocket.tcp(capped.port())) {
                    String head = fourth.readHttpHead();
                    assertThat(head).startsWith("HTTP/1.1 503 ");
                    assertThat(new String(fourth.input().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                            .contains("limits.maxConnectionsPerAddress (3)");
                }
                // other addresses may still connect, up to the total
                open.add(RawWebSocket.open(capped.port(), 0, "127.0.0.2"));
                open.add(RawWebSocket.open(capped.port(), 0, "127.0.0.2"));
                try (RawWebSocket sixth = RawWebSocket.tcp(capped.port(), 0, "127.0.0.3")) {
                    assertThat(sixth.handshake("/", "")).startsWith("HTTP/1.1 503 ");
                    assertThat(new String(sixth.input().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                            .contains("limits.maxConnections (5)");
                }
                for (RawWebSocket ws : open) {
                    assertThat(parse(ws.call("{\"SV_INFO\":{}}")).get("SV_INFO_RSP").get("st").asInt()).isEqualTo(1);
                }
                open.remove(0).close();
                AbuseTest.awaitOpenConnections(capped, 4);
                open.add(RawWebSocket.open(capped.port())); // a slot is free again
            } finally {
                for (RawWebSocket ws : open) {
                    ws.close();
                }
            }
        }
    }

    @Test
    void loadsThatWouldPassALimitAreRefusedWhole(@TempDir Path dir) throws IOException {
        try (TestServer a = TestServer.start("--persist-path", dir.toString()); RawWebSocket ws = RawWebSocket.open(a.port())) {
            for (int i = 0; i < 5; i++) {
                String t = newSession(ws);
                assertThat(ws.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":\"" + "v".repeat(100) + "\"}}}"))
                        .isEqualTo(ok("SH_SET_RSP"));
            }
            assertThat(ws.call("{\"SH_SAVE\":{\"name\":\"five\"}}")).contains("\"st\":121");
        }
        try (TestServer b = TestServer.start("--persist-path", dir.toString(), "--max-sessions", "3");
                RawWebSocket ws = RawWebSocket.open(b.port())) {
            assertThat(limit(ws.call("{\"SH_LOAD\":{\"name\":\"five\"}}"), "SH_LOAD_RSP"))
                    .contains("limits.maxSessions (3)");
            assertThat(ws.call("{\"SH_INFO_ALL\":{}}")).contains("\"totalSessions\":0");
        }
        try (TestServer c = TestServer.start("--persist-path", dir.toString(), "--max-stored-bytes", "300");
                RawWebSocket ws = RawWebSocket.open(c.port())) {
            assertThat(limit(ws.call("{\"SH_LOAD\":{\"name\":\"five\"}}"), "SH_LOAD_RSP"))
                    .contains("limits.maxStoredBytes (300 bytes)");
            assertThat(ws.call("{\"SH_INFO_ALL\":{}}")).contains("\"totalSessions\":0");
        }
        try (TestServer d = TestServer.start("--persist-path", dir.toString(), "--max-sessions", "5");
                RawWebSocket ws = RawWebSocket.open(d.port())) {
            assertThat(ws.call("{\"SH_LOAD\":{\"name\":\"five\"}}")).contains("\"st\":141").contains("\"sessions\":5");
        }
    }
}
