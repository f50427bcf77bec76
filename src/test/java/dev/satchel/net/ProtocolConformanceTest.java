package dev.satchel.net;

import static dev.satchel.net.Wire.assertUsable;
import static dev.satchel.net.Wire.await;
import static dev.satchel.net.Wire.error;
import static dev.satchel.net.Wire.errorExactly;
import static dev.satchel.net.Wire.fieldNames;
import static dev.satchel.net.Wire.ok;
import static dev.satchel.net.Wire.okExactly;
import static dev.satchel.net.Wire.parse;
import static dev.satchel.net.Wire.quote;
import static dev.satchel.net.Wire.token;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.Token;
import dev.satchel.json.TokenFormat;
import dev.satchel.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/protocol.md sections 2 to 6 and 8 over a real connection: every envelope error row, every documented
 * example, and every command's exact success shape. Runs with {@code string} tokens; the subclass
 * {@link ProtocolConformanceUint64Test} runs every test again with {@code uint64} tokens. After each test the
 * connection must still be open and answer requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoThreadLeaks.class)
class ProtocolConformanceTest {
    protected TestServer server;
    protected SatchelClient c;

    /** Token format of this class's server. */
    protected TokenFormat tokenFormat() {
        return TokenFormat.STRING;
    }

    @BeforeAll
    void startServer() {
        server = TestServer.start(tokenFormat());
        c = server.connect();
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void connectionStaysUsable() {
        assertUsable(c);
    }

    // ---- helpers ----

    protected String call(String request) {
        return Wire.call(c, request);
    }

    /**
     * Sends every request in one pipelined batch, each followed by SV_INFO, and returns the responses to the
     * requests; asserts each SV_INFO succeeds, i.e. the connection stayed usable after each of them.
     */
    protected List<String> callEachThenProbe(List<String> requests) {
        List<String> batch = new ArrayList<>();
        for (String r : requests) {
            batch.add(r);
            batch.add("{\"SV_INFO\":{}}");
        }
        List<CompletableFuture<String>> futures = c.sendRawBatch(batch);
        List<String> responses = new ArrayList<>();
        for (int i = 0; i < futures.size(); i += 2) {
            responses.add(await(futures.get(i)));
            ok(await(futures.get(i + 1)), "SV_INFO_RSP");
        }
        return responses;
    }

    protected Token newSession() {
        return Wire.newSession(c);
    }

    /** Asserts that a {@code tkn} value is a token of this server's format. */
    protected void assertTokenFormat(JsonNode tkn) {
        assertThat(tkn.isTextual()).as("string tokens are JSON strings: %s", tkn).isTrue();
        assertThat(tkn.asText()).as("22-character canonical base64url").matches("[A-Za-z0-9_-]{21}[AQgw]");
    }

    /** Token values (JSON texts) that are not of this server's format: 101. */
    protected List<String> malformedTokens() {
        String a = "A".repeat(20);
        return List.of(
                "\"\"", "\"abc\"",
                "\"" + a + "A\"", // 21 characters
                "\"" + a + "AAA\"", // 23 characters
                "\"" + a + "A+\"", "\"" + a + "/A\"", "\"" + a + "=A\"", "\"" + a + ".A\"", // not base64url
                "\"" + a + "AB\"", "\"" + a + "Ah\"", // last character's unused bits not zero: not the one spelling
                "\"" + a.substring(1) + " AA\"", "\"" + a + "A\\u0000\"", "\"" + a + "\u00e9A\"",
                "12345", "1", "0", "-0", "-1", "1.5", "true", "false", "null", "[]", "{}", "[\"" + a + "AA\"]");
    }

    /** A well-formed token that no session has: 100. */
    protected String unknownWellFormedToken() {
        return "\"AAAAAAAAAAAAAAAAAAAAAA\"";
    }

    /** Another spelling of a live token that the server must accept as the same token. */
    protected String alternativeSpelling(Token t) {
        String text = t.text();
        return "\"" + String.format("\\u%04x", (int) text.charAt(0)) + text.substring(1) + "\"";
    }

    /** Every command taking {@code tkn}, with otherwise valid parameters to append after it. */
    protected static final List<String[]> TOKEN_COMMANDS = List.of(
            new String[] {"SH_END", ""},
            new String[] {"SH_INFO", ""},
            new String[] {"SH_SET", ",\"keys\":{\"a\":1}"},
            new String[] {"SH_ADD", ",\"keys\":{\"a\":1}"},
            new String[] {"SH_GET", ",\"keys\":[\"a\"]"},
            new String[] {"SH_RMV", ",\"keys\":[\"a\"]"},
            new String[] {"SH_CONTAINS", ",\"keys\":[\"a\"]"},
            new String[] {"SH_COUNT", ""},
            new String[] {"SH_KEYS", ""},
            new String[] {"SH_CLEAR", ""},
            new String[] {"SH_CLEAR_SET", ",\"keys\":{\"a\":1}"});

    // ---- section 2: envelope ----

    @Test
    void binaryFrameIsErr2() {
        errorExactly(await(c.sendBinary("{\"SV_INFO\":{}}".getBytes(StandardCharsets.UTF_8))), "ERR", 2,
                "{\"st\":2}");
        errorExactly(await(c.sendBinary(new byte[0])), "ERR", 2, "{\"st\":2}");
        errorExactly(await(c.sendBinary(new byte[] {(byte) 0xFF, 0, 1})), "ERR", 2, "{\"st\":2}");
    }

    @Test
    void invalidJsonOrTrailingGarbageIsErr3() {
        List<String> bad = List.of(
                "", " ", "nope", "{", "}", "{\"SV_INFO\":{}",
                "{\"SV_INFO\":{}}}", "{\"SV_INFO\":{}} x", "{\"SV_INFO\":{}}{\"SV_INFO\":{}}", "{\"SV_INFO\":{}},",
                "{'SV_INFO':{}}", "{SV_INFO:{}}", "{\"SV_INFO\":{},}", "{\"SV_INFO\":{\"a\":1,}}",
                "{\"KV_SET\":{\"keys\":{\"a\":01}}}", "{\"KV_SET\":{\"keys\":{\"a\":NaN}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":Infinity}}}", "{\"KV_SET\":{\"keys\":{\"a\":-Infinity}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":[1,]}}}", "{\"KV_SET\":{\"keys\":{\"a\":1.}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":.5}}}", "{\"KV_SET\":{\"keys\":{\"a\":+1}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":1e}}}", "{\"KV_SET\":{\"keys\":{\"a\":tru}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":-01}}}", "{\"KV_SET\":{\"keys\":{\"a\":1e+}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":-}}}", "{\"KV_SET\":{\"keys\":{\"a\":0x10}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":1_000}}}", "{\"KV_SET\":{\"keys\":{\"a\":TRUE}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":nul}}}", "{\"KV_SET\":{\"keys\":{\"a\":undefined}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":\"x\ty\"}}}", // raw control character inside a string
                "{\"KV_SET\":{\"keys\":{\"a\":\"x\ny\"}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":\"\\x\"}}}", "{\"KV_SET\":{\"keys\":{\"a\":\"\\u12\"}}}",
                "{\"KV_SET\":{\"keys\":{\"a\":\"unterminated}}}",
                "/* c */{\"SV_INFO\":{}}", "{\"SV_INFO\":{}} // c", "{\"SV_INFO\":{/*c*/}}",
                "\f{\"SV_INFO\":{}}", "{\"SV_INFO\":{}}\u000b", "\u00a0{\"SV_INFO\":{}}",
                "{\"SV_INFO\" {}}", "{\"SV_INFO\":{} \"X\":1}", "\ufeff{\"SV_INFO\":{}}", "{\"SV_INFO\":{}}\u0000",
                // a syntax error wins over every other problem of the message
                "{\"NOPE\":1,}", "[1,]", "{}}", "{\"SV_INFO\":{},\"SV_INFO\":{},}", "{\"SH_GET\":{\"tkn\":01}}",
                "{\"SH_SET\":{\"tkn\":\"x\",\"keys\":{\"a\":[}}}");
        List<String> responses = callEachThenProbe(bad);
        for (int i = 0; i < bad.size(); i++) {
            errorExactly(responses.get(i), "ERR", 3, "{\"st\":3}");
        }
    }

    @Test
    void strictJsonWhiteSpaceIsSpaceTabLfCr() {
        ok(call(" \t\r\n{ \"SV_INFO\" :\t{ } }\r\n "), "SV_INFO_RSP");
        ok(call("{\"KV_SET\":{\n\"keys\" : { \"ws\" : [ 1 , 2 ] }\n}}"), "KV_SET_RSP");
    }

    @Test
    void topLevelNotAnObjectWithOneMemberIsErr13() {
        List<String> bad = List.of("[]", "[{\"SV_INFO\":{}}]", "\"SV_INFO\"", "1", "-2.5e3", "null", "true", "false",
                "{}", " { } ",
                "{\"SV_INFO\":{},\"SH_INFO_ALL\":{}}", "{\"SV_INFO\":{},\"SV_INFO\":{}}",
                "{\"NOPE\":{},\"X\":1}", "{\"SH_NEW\":{},\"SH_NEW\":{},\"SH_NEW\":{}}");
        List<String> responses = callEachThenProbe(bad);
        for (int i = 0; i < bad.size(); i++) {
            errorExactly(responses.get(i), "ERR", 13, "{\"st\":13}");
        }
    }

    @Test
    void twoKnownCommandsInOneRequestRunNeither() {
        call("{\"KV_RMV\":{\"keys\":[\"two1\",\"two2\"]}}");
        errorExactly(call("{\"KV_SET\":{\"keys\":{\"two1\":1}},\"KV_ADD\":{\"keys\":{\"two2\":2}}}"), "ERR", 13,
                "{\"st\":13}");
        okExactly(call("{\"KV_CONTAINS\":{\"keys\":[\"two1\",\"two2\"]}}"), "KV_CONTAINS_RSP",
                "{\"st\":1,\"contains\":[]}");
    }

    @Test
    void commandValueNotAnObjectIsCommandRsp13() {
        String[][] cases = {
            {"{\"SV_INFO\":1}", "SV_INFO_RSP"},
            {"{\"SH_NEW\":[]}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":[{}]}", "SH_NEW_RSP"},
            {"{\"KV_GET\":\"keys\"}", "KV_GET_RSP"},
            {"{\"SH_GET\":null}", "SH_GET_RSP"},
            {"{\"KV_COUNT\":true}", "KV_COUNT_RSP"},
            {"{\"SH_END_ALL\":0}", "SH_END_ALL_RSP"},
            {"{\"SH_INFO_ALL\":\"\"}", "SH_INFO_ALL_RSP"},
        };
        List<String> requests = new ArrayList<>();
        for (String[] k : cases) {
            requests.add(k[0]);
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < cases.length; i++) {
            errorExactly(responses.get(i), cases[i][1], 13, "{\"st\":13}");
        }
    }

    @Test
    void commandValueNotAnObjectRunsNothing() {
        int before = ok(call("{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP").get("totalSessions").asInt();
        error(call("{\"SH_END_ALL\":[]}"), "SH_END_ALL_RSP", 13);
        error(call("{\"SH_NEW\":\"x\"}"), "SH_NEW_RSP", 13);
        assertThat(ok(call("{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP").get("totalSessions").asInt())
                .isEqualTo(before);
    }

    @Test
    void unknownCommandIsItsOwnRsp10() {
        String name64 = "X".repeat(64);
        String[][] cases = {
            {"{\"NOPE\":{}}", "NOPE_RSP"},
            {"{\"NOPE\":1}", "NOPE_RSP"}, // the documented example: unknown is checked before the value's type
            {"{\"NOPE\":[1,2]}", "NOPE_RSP"},
            {"{\"sh_new\":{}}", "sh_new_RSP"}, // command names are case-sensitive
            {"{\"Sv_Info\":{}}", "Sv_Info_RSP"},
            {"{\"SH_NEW_RSP\":{}}", "SH_NEW_RSP_RSP"},
            {"{\"SH_SAVEX\":{}}", "SH_SAVEX_RSP"},
            {"{\"NO\\\"PE\":{}}", "NO\"PE_RSP"}, // echoed escaped as a JSON string
            {"{\"N\\u004fPE\":{}}", "NOPE_RSP"},
            {"{\"\u00dcBER\":{}}", "\u00dcBER_RSP"},
            {"{\"A\\u0001\\t\":{}}", "A\u0001\t_RSP"}, // control characters come back escaped
            {"{\"" + name64 + "\":{}}", name64 + "_RSP"},
            {"{\"" + name64 + "X\":{}}", "ERR"}, // longer than 64 bytes: not echoed
            {"{\"" + "\u00e9".repeat(33) + "\":{}}", "ERR"}, // 66 UTF-8 bytes
        };
        List<String> requests = new ArrayList<>();
        for (String[] k : cases) {
            requests.add(k[0]);
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < cases.length; i++) {
            errorExactly(responses.get(i), cases[i][1], 10, "{\"st\":10}");
        }
    }

    @Test
    void unknownCommandNameWithAnUnpairedSurrogateIsEchoedEscaped() {
        // Jackson cannot read a field name holding an unpaired surrogate, so this one is checked as text
        String rsp = call("{\"\\ud800X\":{}}");
        assertThat(rsp).startsWith("{\"\\ud800X_RSP\":{");
        JsonNode inner = parse(rsp.substring("{\"\\ud800X_RSP\":".length(), rsp.length() - 1));
        assertThat(inner.get("st").asInt()).isEqualTo(10);
        assertThat(inner.get("m").asText()).isNotBlank();
    }

    @Test
    void unknownCommandDoesNotStickToTheNextResponse() {
        // NemesisDB answered later requests with an earlier command's response name
        List<CompletableFuture<String>> f = c.sendRawBatch(List.of(
                "{\"NOPE\":{}}", "{\"KV_COUNT\":{}}", "{\"OTHER\":{}}", "{\"SH_INFO_ALL\":{}}"));
        error(await(f.get(0)), "NOPE_RSP", 10);
        ok(await(f.get(1)), "KV_COUNT_RSP");
        error(await(f.get(2)), "OTHER_RSP", 10);
        ok(await(f.get(3)), "SH_INFO_ALL_RSP");
    }

    @Test
    void missingRequiredParameterIs26() {
        String t = newSession().toString();
        String unknown = unknownWellFormedToken();
        String[][] cases = {
            {"{\"KV_SET\":{}}", "KV_SET_RSP"},
            {"{\"KV_ADD\":{}}", "KV_ADD_RSP"},
            {"{\"KV_GET\":{}}", "KV_GET_RSP"},
            {"{\"KV_RMV\":{}}", "KV_RMV_RSP"},
            {"{\"KV_CONTAINS\":{}}", "KV_CONTAINS_RSP"},
            {"{\"KV_CLEAR_SET\":{}}", "KV_CLEAR_SET_RSP"},
            {"{\"KV_GET\":{\"Keys\":[\"a\"]}}", "KV_GET_RSP"}, // parameter names are case-sensitive
            {"{\"SH_SET\":{\"tkn\":" + t + "}}", "SH_SET_RSP"},
            {"{\"SH_ADD\":{\"tkn\":" + t + "}}", "SH_ADD_RSP"},
            {"{\"SH_GET\":{\"tkn\":" + t + "}}", "SH_GET_RSP"},
            {"{\"SH_RMV\":{\"tkn\":" + t + "}}", "SH_RMV_RSP"},
            {"{\"SH_CONTAINS\":{\"tkn\":" + t + "}}", "SH_CONTAINS_RSP"},
            {"{\"SH_CLEAR_SET\":{\"tkn\":" + t + "}}", "SH_CLEAR_SET_RSP"},
            {"{\"SH_GET\":{\"tkn\":" + unknown + "}}", "SH_GET_RSP"}, // parameters before the session lookup
            {"{\"SH_OPEN\":{}}", "SH_OPEN_RSP"},
            {"{\"SH_EXISTS\":{}}", "SH_EXISTS_RSP"},
            {"{\"SH_NEW\":{\"shared\":true}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"deleteSession\":true}}}", "SH_NEW_RSP"},
        };
        List<String> requests = new ArrayList<>();
        for (String[] k : cases) {
            requests.add(k[0]);
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < cases.length; i++) {
            errorExactly(responses.get(i), cases[i][1], 26, "{\"st\":26}");
        }
    }

    @Test
    void parameterOfWrongTypeIs41() {
        String t = newSession().toString();
        String[][] cases = {
            {"{\"KV_SET\":{\"keys\":[]}}", "KV_SET_RSP"},
            {"{\"KV_SET\":{\"keys\":\"a\"}}", "KV_SET_RSP"},
            {"{\"KV_ADD\":{\"keys\":null}}", "KV_ADD_RSP"},
            {"{\"KV_GET\":{\"keys\":{}}}", "KV_GET_RSP"},
            {"{\"KV_GET\":{\"keys\":\"a\"}}", "KV_GET_RSP"},
            {"{\"KV_RMV\":{\"keys\":\"a\"}}", "KV_RMV_RSP"},
            {"{\"KV_CONTAINS\":{\"keys\":1}}", "KV_CONTAINS_RSP"},
            {"{\"KV_CLEAR_SET\":{\"keys\":[]}}", "KV_CLEAR_SET_RSP"},
            {"{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":[]}}", "SH_SET_RSP"},
            {"{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":{}}}", "SH_GET_RSP"},
            {"{\"SH_GET\":{\"tkn\":" + unknownWellFormedToken() + ",\"keys\":true}}", "SH_GET_RSP"},
            {"{\"SH_OPEN\":{\"name\":1}}", "SH_OPEN_RSP"},
            {"{\"SH_OPEN\":{\"name\":null}}", "SH_OPEN_RSP"},
            {"{\"SH_NEW\":{\"name\":true}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":[\"n\"]}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":\"n\",\"shared\":\"yes\"}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":\"n\",\"shared\":1}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"shared\":null}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":null}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":5}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":[5]}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":\"5\"}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":null}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":-1}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":1.5}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":60.0}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":6e1}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":5,\"deleteSession\":\"yes\"}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":5,\"extendOnSetAdd\":1}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":5,\"extendOnGet\":null}}}", "SH_NEW_RSP"},
            {"{\"SH_EXISTS\":{\"tkns\":{}}}", "SH_EXISTS_RSP"},
            {"{\"SH_EXISTS\":{\"tkns\":" + t + "}}", "SH_EXISTS_RSP"},
        };
        List<String> requests = new ArrayList<>();
        for (String[] k : cases) {
            requests.add(k[0]);
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < cases.length; i++) {
            errorExactly(responses.get(i), cases[i][1], 41, "{\"st\":41}");
        }
    }

    @Test
    void parameterOfBadSizeIs42() {
        String t = newSession().toString();
        String[][] cases = {
            {"{\"KV_RMV\":{\"keys\":[]}}", "KV_RMV_RSP"},
            {"{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[]}}", "SH_RMV_RSP"},
            {"{\"SH_RMV\":{\"tkn\":" + unknownWellFormedToken() + ",\"keys\":[]}}", "SH_RMV_RSP"},
            {"{\"SH_OPEN\":{\"name\":\"\"}}", "SH_OPEN_RSP"},
            {"{\"SH_NEW\":{\"name\":\"\"}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":\"\",\"shared\":true}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":" + quote("n".repeat(1025)) + "}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"name\":" + quote("\u00e9".repeat(512) + "n") + "}}", "SH_NEW_RSP"}, // 1025 bytes
            {"{\"SH_OPEN\":{\"name\":" + quote("n".repeat(1025)) + "}}", "SH_OPEN_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":2305843009213694}}}", "SH_NEW_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":99999999999999999999999999}}}", "SH_NEW_RSP"},
        };
        List<String> requests = new ArrayList<>();
        for (String[] k : cases) {
            requests.add(k[0]);
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < cases.length; i++) {
            errorExactly(responses.get(i), cases[i][1], 42, "{\"st\":42}");
        }
    }

    @Test
    void nestingDeeperThanMaxDepthIsErr170NamingTheLimit() {
        // depth counts the request object: {"KV_SET":{"keys":{"d": <value>}}} puts the value at depth 4
        String depth64 = "{\"KV_SET\":{\"keys\":{\"d\":" + "[".repeat(61) + "1" + "]".repeat(61) + "}}}";
        String depth65 = "{\"KV_SET\":{\"keys\":{\"d\":" + "[".repeat(62) + "1" + "]".repeat(62) + "}}}";
        ok(call(depth64), "KV_SET_RSP");
        String rsp = call(depth65);
        error(rsp, "ERR", 170);
        assertThat(Wire.inner(rsp, "ERR"))
                .isEqualTo(parse("{\"st\":170,\"m\":\"nesting deeper than limits.maxDepth (64)\"}"));
        okExactly(call("{\"KV_CONTAINS\":{\"keys\":[\"d\"]}}"), "KV_CONTAINS_RSP", "{\"st\":1,\"contains\":[\"d\"]}");
        // the documented example has depth 4
        ok(call("{\"SH_SET\":{\"tkn\":" + newSession() + ",\"keys\":{\"k\":[1]}}}"), "SH_SET_RSP");
    }

    @Test
    void depthLimitAndSyntaxErrorWhicheverComesFirstInTheText() {
        // section 2: scanning stops where the nesting limit is passed
        String tooDeep = "{\"KV_SET\":{\"keys\":{\"d\":" + "[".repeat(62) + "1" + "]".repeat(62) + "}}}";
        error(call(tooDeep + "x"), "ERR", 170);
        error(call(tooDeep.substring(0, tooDeep.length() - 1)), "ERR", 170);
        errorExactly(call("{\"KV_SET\":{\"keys\":{\"a\":01,\"d\":" + "[".repeat(62) + "1" + "]".repeat(62) + "}}}"),
                "ERR", 3, "{\"st\":3}");
    }

    @Test
    void depthLimitAppliesTheSameWayEverywhereInTheMessage() {
        // {prefix, suffix, nesting of the request's own containers around the arrays, name of the normal answer}
        String[][] contexts = {
            {"", "", "0", "ERR"}, // top-level array: 13 when allowed
            {"{\"NOPE\":", "}", "1", "NOPE_RSP"},
            {"{\"SV_INFO\":{},\"X\":", "}", "1", "ERR"},
            {"{\"SV_INFO\":{\"x\":", "}}", "2", "SV_INFO_RSP"},
            {"{\"KV_GET\":{\"keys\":[", "]}}", "3", "KV_GET_RSP"},
            {"{\"SH_EXISTS\":{\"tkns\":[", "]}}", "3", "SH_EXISTS_RSP"},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":0,\"x\":", "}}}", "3", "SH_NEW_RSP"},
        };
        for (String[] k : contexts) {
            int arrays = 64 - Integer.parseInt(k[2]);
            String atLimit = k[0] + "[".repeat(arrays) + "]".repeat(arrays) + k[1];
            String overLimit = k[0] + "[".repeat(arrays + 1) + "]".repeat(arrays + 1) + k[1];
            String rsp = call(atLimit);
            assertThat(fieldNames(parse(rsp))).as("depth 64: %s", rsp).containsExactly(k[3]);
            assertThat(Wire.inner(rsp, k[3]).get("st").asInt()).as("depth 64: %s", rsp).isNotEqualTo(170);
            error(call(overLimit), "ERR", 170);
        }
    }

    @Test
    void parametersOfOtherCommandsAreIgnored() {
        okExactly(call("{\"KV_COUNT\":{\"tkn\":\"bad\",\"name\":5,\"shared\":\"x\",\"expiry\":7,\"tkns\":3,"
                + "\"keys\":null}}"), "KV_COUNT_RSP", "{\"st\":1,\"cnt\":"
                + ok(call("{\"KV_COUNT\":{}}"), "KV_COUNT_RSP").get("cnt") + "}");
        ok(call("{\"SV_INFO\":{\"keys\":\"x\",\"tkn\":[],\"expiry\":{\"duration\":-1}}}"), "SV_INFO_RSP");
        Token t = token(call("{\"SH_NEW\":{\"tkn\":\"x\",\"keys\":5,\"tkns\":{}}}"), "SH_NEW_RSP");
        assertTokenFormat(t.toJson());
        ok(call("{\"SH_COUNT\":{\"tkn\":" + t + ",\"keys\":7,\"name\":[],\"expiry\":\"x\"}}"), "SH_COUNT_RSP");
        ok(call("{\"SH_INFO_ALL\":{\"shared\":1}}"), "SH_INFO_ALL_RSP");
    }

    @Test
    void duplicateParameterIs13AndTouchesNoData() {
        Token t = newSession();
        errorExactly(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1},\"keys\":{\"b\":2}}}"),
                "SH_SET_RSP", 13, "{\"st\":13}");
        errorExactly(call("{\"SH_GET\":{\"tkn\":" + t + ",\"tkn\":" + t + ",\"keys\":[\"a\"]}}"),
                "SH_GET_RSP", 13, "{\"st\":13}");
        errorExactly(call("{\"KV_SET\":{\"keys\":{\"dup\":1},\"k\\u0065ys\":{\"dup\":2}}}"),
                "KV_SET_RSP", 13, "{\"st\":13}");
        okExactly(call("{\"SH_COUNT\":{\"tkn\":" + t + "}}"), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":0}");
        okExactly(call("{\"KV_CONTAINS\":{\"keys\":[\"dup\"]}}"), "KV_CONTAINS_RSP", "{\"st\":1,\"contains\":[]}");
    }

    @Test
    void duplicateMemberInsideExpiryIs13() {
        errorExactly(call("{\"SH_NEW\":{\"expiry\":{\"duration\":5,\"duration\":6}}}"), "SH_NEW_RSP", 13,
                "{\"st\":13}");
        errorExactly(call("{\"SH_NEW\":{\"expiry\":{\"duration\":5,\"extendOnGet\":true,\"extendOnGet\":false}}}"),
                "SH_NEW_RSP", 13, "{\"st\":13}");
    }

    @Test
    void unknownParametersAreIgnoredButMustBeValidJson() {
        ok(call("{\"SV_INFO\":{\"x\":[1,{\"y\":null}],\"z\":\"w\"}}"), "SV_INFO_RSP");
        Token t = token(call("{\"SH_NEW\":{\"extra\":{\"a\":[true]},\"expiry\":{\"duration\":0,\"other\":[1]}}}"),
                "SH_NEW_RSP");
        assertTokenFormat(t.toJson());
        errorExactly(call("{\"SV_INFO\":{\"x\":[1,]}}"), "ERR", 3, "{\"st\":3}");
    }

    @Test
    void parameterNamesAreMatchedAfterUnescaping() {
        Token t = newSession();
        ok(call("{\"SH_SET\":{\"tk\\u006e\":" + t + ",\"\\u006beys\":{\"esc\":7}}}"), "SH_SET_RSP");
        okExactly(call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"esc\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"esc\":7}}");
    }

    @Test
    void validationOrderIsTokenThenParametersThenSession() {
        String unknown = unknownWellFormedToken();
        String malformed = malformedTokens().get(1);
        // token first: a malformed token wins over missing, mistyped or empty parameters
        error(call("{\"SH_GET\":{\"tkn\":" + malformed + "}}"), "SH_GET_RSP", 101);
        error(call("{\"SH_SET\":{\"tkn\":" + malformed + ",\"keys\":[]}}"), "SH_SET_RSP", 101);
        error(call("{\"SH_RMV\":{\"keys\":[]}}"), "SH_RMV_RSP", 101);
        // then parameters, before the session lookup
        error(call("{\"SH_GET\":{\"tkn\":" + unknown + "}}"), "SH_GET_RSP", 26);
        error(call("{\"SH_SET\":{\"tkn\":" + unknown + ",\"keys\":1}}"), "SH_SET_RSP", 41);
        error(call("{\"SH_RMV\":{\"tkn\":" + unknown + ",\"keys\":[]}}"), "SH_RMV_RSP", 42);
        // then the session
        error(call("{\"SH_RMV\":{\"tkn\":" + unknown + ",\"keys\":[\"a\"]}}"), "SH_RMV_RSP", 100);
        // SH_NEW: expiry before shared and name
        error(call("{\"SH_NEW\":{\"shared\":true,\"expiry\":{\"duration\":\"x\"}}}"), "SH_NEW_RSP", 41);
        error(call("{\"SH_NEW\":{\"name\":\"\",\"expiry\":{}}}"), "SH_NEW_RSP", 26);
        error(call("{\"SH_NEW\":{\"name\":7,\"expiry\":{\"duration\":99999999999999999999}}}"), "SH_NEW_RSP", 42);
    }

    @Test
    void shNewValidatesNameBeforeSharedAsInItsTableRow() {
        // section 2: parameters are checked in the order of the command's table row: expiry, name, shared
        error(call("{\"SH_NEW\":{\"name\":\"\",\"shared\":\"yes\"}}"), "SH_NEW_RSP", 42);
    }

    // ---- section 4: tokens ----

    @Test
    void newTokensHaveTheConfiguredFormatAndDiffer() {
        List<CompletableFuture<String>> f = c.sendRawBatch(List.of("{\"SH_NEW\":{}}", "{\"SH_NEW\":{}}",
                "{\"SH_NEW\":{\"name\":\"label\"}}"));
        Token a = token(await(f.get(0)), "SH_NEW_RSP");
        Token b = token(await(f.get(1)), "SH_NEW_RSP");
        Token n = token(await(f.get(2)), "SH_NEW_RSP");
        assertTokenFormat(a.toJson());
        assertTokenFormat(b.toJson());
        assertTokenFormat(n.toJson());
        assertThat(List.of(a, b, n)).doesNotHaveDuplicates();
    }

    @Test
    void missingOrMalformedTokenIs101ForEveryTokenCommand() {
        List<String> requests = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String[] cmd : TOKEN_COMMANDS) {
            String params = cmd[1].isEmpty() ? "" : cmd[1].substring(1);
            requests.add("{\"" + cmd[0] + "\":{" + params + "}}");
            names.add(cmd[0] + "_RSP");
            for (String bad : malformedTokens()) {
                requests.add("{\"" + cmd[0] + "\":{\"tkn\":" + bad + cmd[1] + "}}");
                names.add(cmd[0] + "_RSP");
            }
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < requests.size(); i++) {
            error(responses.get(i), names.get(i), 101);
        }
    }

    @Test
    void wellFormedUnknownTokenIs100ForEveryTokenCommand() {
        String unknown = unknownWellFormedToken();
        List<String> requests = new ArrayList<>();
        for (String[] cmd : TOKEN_COMMANDS) {
            requests.add("{\"" + cmd[0] + "\":{\"tkn\":" + unknown + cmd[1] + "}}");
        }
        List<String> responses = callEachThenProbe(requests);
        for (int i = 0; i < TOKEN_COMMANDS.size(); i++) {
            error(responses.get(i), TOKEN_COMMANDS.get(i)[0] + "_RSP", 100);
        }
        // SH_END echoes the token also on 100
        JsonNode end = error(responses.get(0), "SH_END_RSP", 100);
        assertThat(end.get("tkn")).isEqualTo(parse(unknown));
    }

    @Test
    void anotherSpellingOfALiveTokenAddressesTheSameSession() {
        Token t = newSession();
        String alt = alternativeSpelling(t);
        ok(call("{\"SH_SET\":{\"tkn\":" + alt + ",\"keys\":{\"spelled\":1}}}"), "SH_SET_RSP");
        okExactly(call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"spelled\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"spelled\":1}}");
        // SH_EXISTS echoes each live item exactly as sent
        String existsRsp = call("{\"SH_EXISTS\":{\"tkns\":[" + alt + "," + t + "]}}");
        JsonNode exists = ok(existsRsp, "SH_EXISTS_RSP");
        assertThat(exists.get("exist")).isEqualTo(parse("[" + alt + "," + t + "]"));
        assertThat(existsRsp).as("the item is echoed byte for byte").contains("[" + alt + "," + t + "]");
        // SH_END echoes the token in the configured format
        JsonNode end = ok(call("{\"SH_END\":{\"tkn\":" + alt + "}}"), "SH_END_RSP");
        assertThat(end.get("tkn")).isEqualTo(t.toJson());
        error(call("{\"SH_INFO\":{\"tkn\":" + t + "}}"), "SH_INFO_RSP", 100);
    }

    // ---- section 5: session commands ----

    @Test
    void shNewSuccessShapes() {
        JsonNode plain = ok(call("{\"SH_NEW\":{}}"), "SH_NEW_RSP");
        assertThat(fieldNames(plain)).containsExactlyInAnyOrder("st", "tkn");
        assertTokenFormat(plain.get("tkn"));

        JsonNode named = ok(call("{\"SH_NEW\":{\"name\":\"my label\"}}"), "SH_NEW_RSP");
        assertThat(fieldNames(named)).containsExactlyInAnyOrder("st", "tkn", "name");
        assertThat(named.get("name").asText()).isEqualTo("my label");

        JsonNode expiring = ok(call("{\"SH_NEW\":{\"expiry\":{\"duration\":30,\"deleteSession\":true}}}"),
                "SH_NEW_RSP");
        assertThat(fieldNames(expiring)).containsExactlyInAnyOrder("st", "tkn");

        String sharedName = "shape-" + tokenFormat() + "-" + System.nanoTime();
        JsonNode shared = ok(call("{\"SH_NEW\":{\"name\":" + quote(sharedName) + ",\"shared\":true}}"), "SH_NEW_RSP");
        assertThat(fieldNames(shared)).containsExactlyInAnyOrder("st", "tkn", "name");
        assertThat(shared.get("name").asText()).isEqualTo(sharedName);
        assertTokenFormat(shared.get("tkn"));

        JsonNode notShared = ok(call("{\"SH_NEW\":{\"name\":\"x\",\"shared\":false}}"), "SH_NEW_RSP");
        assertThat(fieldNames(notShared)).containsExactlyInAnyOrder("st", "tkn", "name");
    }

    @Test
    void nameLengthIsCountedInUtf8BytesAfterUnescaping() {
        String escaped = "\\u00e9".repeat(512); // 3072 characters of JSON, 1024 bytes of name
        JsonNode rsp = ok(call("{\"SH_NEW\":{\"name\":\"" + escaped + "\"}}"), "SH_NEW_RSP");
        assertThat(rsp.get("name").asText()).isEqualTo("\u00e9".repeat(512));
        error(call("{\"SH_NEW\":{\"name\":\"" + escaped + "a\"}}"), "SH_NEW_RSP", 42);
        error(call("{\"SH_NEW\":{\"name\":\"" + "\\ud83d\\ude00".repeat(256) + "x\"}}"), "SH_NEW_RSP", 42);
        ok(call("{\"SH_NEW\":{\"name\":\"" + "\\ud83d\\ude00".repeat(256) + "\"}}"), "SH_NEW_RSP");
    }

    @Test
    void nameWithAnUnpairedSurrogateIs42() {
        error(call("{\"SH_NEW\":{\"name\":\"a\\ud800b\"}}"), "SH_NEW_RSP", 42);
        error(call("{\"SH_NEW\":{\"name\":\"\\udc00\",\"shared\":true}}"), "SH_NEW_RSP", 42);
        error(call("{\"SH_OPEN\":{\"name\":\"x\\ud83d\"}}"), "SH_OPEN_RSP", 42);
        ok(call("{\"SH_NEW\":{\"name\":\"\\ud83d\\ude00\"}}"), "SH_NEW_RSP"); // a proper pair is fine
    }

    @Test
    void namesUpTo1024Utf8BytesAreAccepted() {
        String name = "\u00e9".repeat(512); // 1024 bytes
        JsonNode rsp = ok(call("{\"SH_NEW\":{\"name\":" + quote(name) + "}}"), "SH_NEW_RSP");
        assertThat(rsp.get("name").asText()).isEqualTo(name);
        JsonNode info = ok(call("{\"SH_INFO\":{\"tkn\":" + rsp.get("tkn") + "}}"), "SH_INFO_RSP");
        assertThat(info.get("name").asText()).isEqualTo(name);
    }

    @Test
    void shOpenSuccessShapeAndFailures() {
        String name = "open-" + tokenFormat() + "-" + System.nanoTime();
        Token t = token(call("{\"SH_NEW\":{\"name\":" + quote(name) + ",\"shared\":true}}"), "SH_NEW_RSP");
        JsonNode open = ok(call("{\"SH_OPEN\":{\"name\":" + quote(name) + "}}"), "SH_OPEN_RSP");
        assertThat(open).isEqualTo(parse("{\"st\":1,\"tkn\":" + t + ",\"name\":" + quote(name) + "}"));
        errorExactly(call("{\"SH_OPEN\":{\"name\":\"no such shared session\"}}"), "SH_OPEN_RSP", 102, "{\"st\":102}");
    }

    @Test
    void shEndSuccessShapeAndEcho() {
        Token t = newSession();
        okExactly(call("{\"SH_END\":{\"tkn\":" + t + "}}"), "SH_END_RSP", "{\"st\":1,\"tkn\":" + t + "}");
        errorExactly(call("{\"SH_END\":{\"tkn\":" + t + "}}"), "SH_END_RSP", 100, "{\"st\":100,\"tkn\":" + t + "}");
        error(call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[]}}"), "SH_GET_RSP", 100);
    }

    @Test
    void shEndAllAndShInfoAllCountExactly() {
        ok(call("{\"SH_END_ALL\":{}}"), "SH_END_ALL_RSP");
        okExactly(call("{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP", "{\"st\":1,\"totalSessions\":0,\"totalKeys\":0}");
        Token a = newSession();
        Token b = newSession();
        ok(call("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"x\":1,\"y\":2}}}"), "SH_SET_RSP");
        ok(call("{\"SH_SET\":{\"tkn\":" + b + ",\"keys\":{\"z\":3}}}"), "SH_SET_RSP");
        ok(call("{\"KV_SET\":{\"keys\":{\"not-a-session-key\":1}}}"), "KV_SET_RSP");
        okExactly(call("{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP", "{\"st\":1,\"totalSessions\":2,\"totalKeys\":3}");
        okExactly(call("{\"SH_END_ALL\":{}}"), "SH_END_ALL_RSP", "{\"st\":1,\"cnt\":2}");
        okExactly(call("{\"SH_END_ALL\":{}}"), "SH_END_ALL_RSP", "{\"st\":1,\"cnt\":0}");
        okExactly(call("{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP", "{\"st\":1,\"totalSessions\":0,\"totalKeys\":0}");
        error(call("{\"SH_COUNT\":{\"tkn\":" + a + "}}"), "SH_COUNT_RSP", 100);
    }

    @Test
    void shExistsListsLiveItemsInRequestOrderWithDuplicates() {
        Token a = newSession();
        Token b = newSession();
        Token ended = newSession();
        ok(call("{\"SH_END\":{\"tkn\":" + ended + "}}"), "SH_END_RSP");
        String items = String.join(",", b.toString(), unknownWellFormedToken(), malformedTokens().get(1),
                "true", "null", "{\"t\":" + a + "}", "[" + a + "]", a.toString(), ended.toString(), b.toString(),
                "2.5");
        okExactly(call("{\"SH_EXISTS\":{\"tkns\":[" + items + "]}}"), "SH_EXISTS_RSP",
                "{\"st\":1,\"exist\":[" + b + "," + a + "," + b + "]}");
        okExactly(call("{\"SH_EXISTS\":{\"tkns\":[]}}"), "SH_EXISTS_RSP", "{\"st\":1,\"exist\":[]}");
    }

    @Test
    void shInfoSuccessShapeWithMembersInDocumentedOrder() {
        Token plain = newSession();
        ok(call("{\"SH_SET\":{\"tkn\":" + plain + ",\"keys\":{\"a\":1,\"b\":2}}}"), "SH_SET_RSP");
        JsonNode info = ok(call("{\"SH_INFO\":{\"tkn\":" + plain + "}}"), "SH_INFO_RSP");
        assertThat(info).isEqualTo(parse(
                "{\"st\":1,\"tkn\":" + plain + ",\"keyCnt\":2,\"shared\":false,\"expires\":false}"));

        Token zero = token(call("{\"SH_NEW\":{\"name\":\"z\",\"expiry\":{\"duration\":0,\"deleteSession\":true}}}"),
                "SH_NEW_RSP");
        assertThat(ok(call("{\"SH_INFO\":{\"tkn\":" + zero + "}}"), "SH_INFO_RSP")).isEqualTo(parse(
                "{\"st\":1,\"tkn\":" + zero + ",\"keyCnt\":0,\"shared\":false,\"expires\":false,\"name\":\"z\"}"));

        String name = "info-" + tokenFormat() + "-" + System.nanoTime();
        Token shared = token(call("{\"SH_NEW\":{\"name\":" + quote(name) + ",\"shared\":true,\"expiry\":"
                + "{\"duration\":600,\"deleteSession\":true,\"extendOnGet\":true}}}"), "SH_NEW_RSP");
        JsonNode full = ok(call("{\"SH_INFO\":{\"tkn\":" + shared + "}}"), "SH_INFO_RSP");
        assertThat(full).isEqualTo(parse("{\"st\":1,\"tkn\":" + shared + ",\"keyCnt\":0,\"shared\":true,"
                + "\"expires\":true,\"name\":" + quote(name) + ",\"expiry\":{\"duration\":600,\"remaining\":600,"
                + "\"deleteSession\":true,\"extendOnSetAdd\":false,\"extendOnGet\":true}}"));
        List<String> order = new ArrayList<>(fieldNames(full));
        order.remove("st");
        assertThat(order).containsExactly("tkn", "keyCnt", "shared", "expires", "name", "expiry");
    }

    @Test
    void largestDurationIsAcceptedAndReported() {
        Token t = token(call("{\"SH_NEW\":{\"expiry\":{\"duration\":2305843009213693}}}"), "SH_NEW_RSP");
        JsonNode expiry = ok(call("{\"SH_INFO\":{\"tkn\":" + t + "}}"), "SH_INFO_RSP").get("expiry");
        assertThat(expiry).isEqualTo(parse("{\"duration\":2305843009213693,\"remaining\":2305843009213693,"
                + "\"deleteSession\":false,\"extendOnSetAdd\":false,\"extendOnGet\":false}"));
    }

    // ---- section 6: key-value commands, global and per session ----

    @Test
    void sessionDataCommandsExactShapes() {
        Token t = newSession();
        dataCommandScenario("SH_", "\"tkn\":" + t + ",");
    }

    @Test
    void globalDataCommandsExactShapes() {
        ok(call("{\"KV_CLEAR\":{}}"), "KV_CLEAR_RSP");
        dataCommandScenario("KV_", "");
    }

    /** The same scenario for SH_* (with the session's tkn) and KV_*. */
    private void dataCommandScenario(String p, String tkn) {
        String tknOnly = tkn.isEmpty() ? "" : tkn.substring(0, tkn.length() - 1);
        okExactly(call("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"a\":1,\"b\":\"x\",\"c\":{\"n\":[1,2]}}}}"),
                p + "SET_RSP", "{\"st\":1}");
        okExactly(call("{\"" + p + "ADD\":{" + tkn + "\"keys\":{\"a\":99,\"d\":true}}}"), p + "ADD_RSP", "{\"st\":1}");
        // GET: existing keys only, each once, in the order first asked for; non-strings ignored
        JsonNode get = ok(call("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"c\",\"zz\",\"a\",\"c\",5,null,\"d\"]}}"),
                p + "GET_RSP");
        assertThat(get).isEqualTo(parse("{\"st\":1,\"keys\":{\"c\":{\"n\":[1,2]},\"a\":1,\"d\":true}}"));
        assertThat(fieldNames(get.get("keys"))).containsExactly("c", "a", "d");
        okExactly(call("{\"" + p + "CONTAINS\":{" + tkn + "\"keys\":[\"a\",\"zz\",\"a\",7,\"d\"]}}"),
                p + "CONTAINS_RSP", "{\"st\":1,\"contains\":[\"a\",\"a\",\"d\"]}");
        okExactly(call("{\"" + p + "COUNT\":{" + tknOnly + "}}"), p + "COUNT_RSP", "{\"st\":1,\"cnt\":4}");
        okExactly(call("{\"" + p + "KEYS\":{" + tknOnly + "}}"), p + "KEYS_RSP",
                "{\"st\":1,\"keys\":[\"a\",\"b\",\"c\",\"d\"]}");
        // overwrite keeps the place; remove and set again moves to the end
        ok(call("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"a\":2}}}"), p + "SET_RSP");
        okExactly(call("{\"" + p + "RMV\":{" + tkn + "\"keys\":[\"b\",3,\"nope\"]}}"), p + "RMV_RSP", "{\"st\":1}");
        ok(call("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"b\":0}}}"), p + "SET_RSP");
        okExactly(call("{\"" + p + "KEYS\":{" + tknOnly + "}}"), p + "KEYS_RSP",
                "{\"st\":1,\"keys\":[\"a\",\"c\",\"d\",\"b\"]}");
        okExactly(call("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"a\"]}}"), p + "GET_RSP",
                "{\"st\":1,\"keys\":{\"a\":2}}");
        // RMV of only non-string items is accepted and removes nothing; empty GET / CONTAINS / SET are fine
        okExactly(call("{\"" + p + "RMV\":{" + tkn + "\"keys\":[1,2]}}"), p + "RMV_RSP", "{\"st\":1}");
        okExactly(call("{\"" + p + "GET\":{" + tkn + "\"keys\":[]}}"), p + "GET_RSP", "{\"st\":1,\"keys\":{}}");
        okExactly(call("{\"" + p + "CONTAINS\":{" + tkn + "\"keys\":[]}}"), p + "CONTAINS_RSP",
                "{\"st\":1,\"contains\":[]}");
        okExactly(call("{\"" + p + "SET\":{" + tkn + "\"keys\":{}}}"), p + "SET_RSP", "{\"st\":1}");
        okExactly(call("{\"" + p + "COUNT\":{" + tknOnly + "}}"), p + "COUNT_RSP", "{\"st\":1,\"cnt\":4}");
        // CLEAR_SET: count of removed keys, then exactly the new keys
        okExactly(call("{\"" + p + "CLEAR_SET\":{" + tkn + "\"keys\":{\"x\":1,\"y\":2}}}"), p + "CLEAR_SET_RSP",
                "{\"st\":1,\"cnt\":4}");
        okExactly(call("{\"" + p + "KEYS\":{" + tknOnly + "}}"), p + "KEYS_RSP", "{\"st\":1,\"keys\":[\"x\",\"y\"]}");
        // a keys object naming a key twice (however spelled) is 13 and writes nothing
        error(call("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"k\":1,\"k\":2}}}"), p + "SET_RSP", 13);
        error(call("{\"" + p + "ADD\":{" + tkn + "\"keys\":{\"m\":1,\"\\u006d\":2}}}"), p + "ADD_RSP", 13);
        okExactly(call("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"k\",\"m\"]}}"), p + "GET_RSP",
                "{\"st\":1,\"keys\":{}}");
        error(call("{\"" + p + "CLEAR_SET\":{" + tkn + "\"keys\":{\"x\":1,\"x\":3}}}"), p + "CLEAR_SET_RSP", 13);
        okExactly(call("{\"" + p + "CLEAR_SET\":{" + tkn + "\"keys\":{\"x\":3}}}"), p + "CLEAR_SET_RSP",
                "{\"st\":1,\"cnt\":2}");
        okExactly(call("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"x\",\"y\",\"k\"]}}"), p + "GET_RSP",
                "{\"st\":1,\"keys\":{\"x\":3}}");
        // keys are compared after unescaping; the empty key is a key
        ok(call("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"\\u0061\":5,\"\":\"empty\"}}}"), p + "SET_RSP");
        okExactly(call("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"a\",\"\"]}}"), p + "GET_RSP",
                "{\"st\":1,\"keys\":{\"a\":5,\"\":\"empty\"}}");
        okExactly(call("{\"" + p + "CONTAINS\":{" + tkn + "\"keys\":[\"\\u0061\"]}}"), p + "CONTAINS_RSP",
                "{\"st\":1,\"contains\":[\"a\"]}");
        okExactly(call("{\"" + p + "KEYS\":{" + tknOnly + "}}"), p + "KEYS_RSP",
                "{\"st\":1,\"keys\":[\"x\",\"a\",\"\"]}");
        okExactly(call("{\"" + p + "CLEAR\":{" + tknOnly + "}}"), p + "CLEAR_RSP", "{\"st\":1,\"cnt\":3}");
        okExactly(call("{\"" + p + "CLEAR\":{" + tknOnly + "}}"), p + "CLEAR_RSP", "{\"st\":1,\"cnt\":0}");
        okExactly(call("{\"" + p + "COUNT\":{" + tknOnly + "}}"), p + "COUNT_RSP", "{\"st\":1,\"cnt\":0}");
        okExactly(call("{\"" + p + "KEYS\":{" + tknOnly + "}}"), p + "KEYS_RSP", "{\"st\":1,\"keys\":[]}");
        okExactly(call("{\"" + p + "CLEAR_SET\":{" + tkn + "\"keys\":{}}}"), p + "CLEAR_SET_RSP",
                "{\"st\":1,\"cnt\":0}");
    }

    @Test
    void getWithManyKeysReturnsEachOnceInFirstAskedOrder() {
        Token t = newSession();
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            set.append(i == 0 ? "" : ",").append("\"m").append(i).append("\":").append(i);
        }
        ok(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{" + set + "}}}"), "SH_SET_RSP");
        List<String> asked = new ArrayList<>();
        List<String> expectedOrder = new ArrayList<>();
        for (int i = 39; i >= 0; i -= 3) {
            asked.add("\"m" + i + "\"");
            asked.add("\"x" + i + "\"");
            asked.add("\"m" + i + "\"");
            expectedOrder.add("m" + i);
        }
        asked.add("\"m39\"");
        JsonNode get = ok(call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[" + String.join(",", asked) + "]}}"),
                "SH_GET_RSP");
        assertThat(fieldNames(get.get("keys"))).containsExactlyElementsOf(expectedOrder);
        for (String k : expectedOrder) {
            assertThat(get.get("keys").get(k).asInt()).isEqualTo(Integer.parseInt(k.substring(1)));
        }
        JsonNode contains = ok(call("{\"SH_CONTAINS\":{\"tkn\":" + t + ",\"keys\":[" + String.join(",", asked)
                + "]}}"), "SH_CONTAINS_RSP");
        List<String> expectedContains = new ArrayList<>();
        for (String a : asked) {
            if (a.startsWith("\"m")) {
                expectedContains.add(a.substring(1, a.length() - 1));
            }
        }
        assertThat(contains.get("contains")).isEqualTo(Wire.JSON.valueToTree(expectedContains));
    }

    @Test
    void keysKeepInsertionOrderThroughManyRemovals() {
        Token t = newSession();
        StringBuilder set = new StringBuilder();
        StringBuilder rmv = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            set.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
            if (i < 150 && i % 10 != 0) {
                rmv.append(rmv.length() == 0 ? "" : ",").append("\"k").append(i).append("\"");
            }
        }
        ok(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{" + set + "}}}"), "SH_SET_RSP");
        ok(call("{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[" + rmv + "]}}"), "SH_RMV_RSP");
        ok(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k5\":\"back\",\"k10\":\"kept place\"}}}"), "SH_SET_RSP");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            if (i >= 150 || i % 10 == 0) {
                expected.add("k" + i);
            }
        }
        expected.add("k5");
        JsonNode keys = ok(call("{\"SH_KEYS\":{\"tkn\":" + t + "}}"), "SH_KEYS_RSP").get("keys");
        assertThat(keys).isEqualTo(Wire.JSON.valueToTree(expected));
        okExactly(call("{\"SH_COUNT\":{\"tkn\":" + t + "}}"), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":" + expected.size() + "}");
        okExactly(call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"k5\",\"k10\",\"k11\",\"k199\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"k5\":\"back\",\"k10\":\"kept place\",\"k199\":199}}");
    }

    @Test
    void svInfoReportsPersistenceWhenEnabled(@TempDir Path dir) {
        try (TestServer persisting = TestServer.start(TestServer.config(
                Map.of("--persist-path", dir.toString(), "--token-format", tokenFormat().configName())))) {
            JsonNode info = ok(Wire.call(persisting.connect(), "{\"SV_INFO\":{}}"), "SV_INFO_RSP");
            assertThat(info.get("persistEnabled").asBoolean()).isTrue();
            assertThat(info.get("tokenFormat").asText()).isEqualTo(tokenFormat().configName());
        }
    }

    @Test
    void sessionDataIsSeparateFromGlobalAndFromOtherSessions() {
        Token a = newSession();
        Token b = newSession();
        ok(call("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"iso\":\"a\"}}}"), "SH_SET_RSP");
        ok(call("{\"KV_SET\":{\"keys\":{\"iso\":\"global\"}}}"), "KV_SET_RSP");
        okExactly(call("{\"SH_GET\":{\"tkn\":" + b + ",\"keys\":[\"iso\"]}}"), "SH_GET_RSP", "{\"st\":1,\"keys\":{}}");
        okExactly(call("{\"SH_GET\":{\"tkn\":" + a + ",\"keys\":[\"iso\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"iso\":\"a\"}}");
        okExactly(call("{\"KV_GET\":{\"keys\":[\"iso\"]}}"), "KV_GET_RSP", "{\"st\":1,\"keys\":{\"iso\":\"global\"}}");
    }

    @Test
    void valuesComeBackExactlyAsStoredWithoutWhiteSpace() {
        Token t = newSession();
        String value = "{ \"b\" : 1 , \"a\" : [ 1.0 , 1E+30 , -0.0 , 1234567890123456789012345678901234567890 ,"
                + " 1e-7 ] , \"c\" : 2 , \"s\" : \"\\u00e9 \\n x\" , \"t\" : [ true , false , null , { } , [ ] ] }";
        String compact = "{\"b\":1,\"a\":[1.0,1E+30,-0.0,1234567890123456789012345678901234567890,1e-7],\"c\":2,"
                + "\"s\":\"\\u00e9 \\n x\",\"t\":[true,false,null,{},[]]}";
        ok(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"v\":" + value + ",\"n\":\t-12.50e+3 ,\"u\":\"\\ud83d\\ude00\"}}}"),
                "SH_SET_RSP");
        ok(call("{\"KV_SET\":{\"keys\":{\"v\":" + value + "}}}"), "KV_SET_RSP");
        String sh = call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"v\",\"n\",\"u\"]}}");
        ok(sh, "SH_GET_RSP");
        assertThat(sh).contains("\"v\":" + compact).contains("\"n\":-12.50e+3").contains("\"u\":\"\\ud83d\\ude00\"");
        String kv = call("{\"KV_GET\":{\"keys\":[\"v\"]}}");
        ok(kv, "KV_GET_RSP");
        assertThat(kv).contains("\"v\":" + compact);
    }

    @Test
    void keysAreWrittenInCanonicalForm() {
        Token t = newSession();
        // a key spelled with escapes: quote, backslash, escaped slash, é, U+0001, newline, unpaired surrogate
        String spelled = "q\\\"b\\\\s\\/\\u00e9\\u0001\\n\\ud800";
        String canonical = "q\\\"b\\\\s/\u00e9\\u0001\\n\\ud800";
        ok(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"" + spelled + "\":1}}}"), "SH_SET_RSP");
        String keys = call("{\"SH_KEYS\":{\"tkn\":" + t + "}}");
        ok(keys, "SH_KEYS_RSP");
        assertThat(keys).contains("\"keys\":[\"" + canonical + "\"]");
        String get = call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"" + canonical + "\"]}}");
        assertThat(get).contains("\"keys\":{\"" + canonical + "\":1}");
        String contains = call("{\"SH_CONTAINS\":{\"tkn\":" + t + ",\"keys\":[\"" + spelled + "\"]}}");
        assertThat(contains).contains("\"contains\":[\"" + canonical + "\"]");
    }

    // ---- section 8: server info ----

    @Test
    void svInfoSuccessShape() {
        ok(call("{\"SH_END_ALL\":{}}"), "SH_END_ALL_RSP");
        ok(call("{\"KV_CLEAR\":{}}"), "KV_CLEAR_RSP");
        Token t = newSession();
        ok(call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":2}}}"), "SH_SET_RSP");
        ok(call("{\"KV_SET\":{\"keys\":{\"a\":1,\"b\":2,\"c\":3}}}"), "KV_SET_RSP");
        JsonNode info = ok(call("{\"SV_INFO\":{}}"), "SV_INFO_RSP");
        assertThat(fieldNames(info)).containsExactlyInAnyOrder("st", "serverVersion", "persistEnabled",
                "tokenFormat", "uptimeSeconds", "sessions", "sessionKeys", "kvKeys");
        assertThat(info.get("serverVersion").isTextual()).isTrue();
        assertThat(info.get("serverVersion").asText()).isNotBlank();
        assertThat(info.get("persistEnabled").isBoolean()).isTrue();
        assertThat(info.get("persistEnabled").asBoolean()).isFalse();
        assertThat(info.get("tokenFormat").asText()).isEqualTo(tokenFormat().configName());
        assertThat(info.get("uptimeSeconds").isIntegralNumber()).isTrue();
        assertThat(info.get("uptimeSeconds").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(info.get("sessions").asInt()).isEqualTo(1);
        assertThat(info.get("sessionKeys").asInt()).isEqualTo(2);
        assertThat(info.get("kvKeys").asInt()).isEqualTo(3);
    }
}
