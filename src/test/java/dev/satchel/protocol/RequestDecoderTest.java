package dev.satchel.protocol;

import static dev.satchel.engine.Rsp.assertError;
import static dev.satchel.engine.Rsp.assertJson;
import static dev.satchel.engine.Rsp.body;
import static dev.satchel.engine.Rsp.j;
import static dev.satchel.engine.Rsp.st;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.engine.CommandHarness;
import dev.satchel.engine.Request;
import dev.satchel.engine.Rsp;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The request envelope (PROTOCOL.md section 2), decoded and answered through the real engine. */
public class RequestDecoderTest {
    private final CommandHarness h = new CommandHarness();

    private void assertNothingCreated() {
        assertThat(h.engine.sessionCount()).isZero();
        assertThat(h.engine.global().size()).isZero();
    }

    // ---------------------------------------------------------------- invalid JSON: ERR 3

    /** Each is invalid JSON (also for a strict standard parser); the server must answer ERR 3. */
    public static final String[] INVALID = {
        "", " ", "\n\t", "{", "}", "{\"SH_NEW\":{}", "{\"SH_NEW\":{}}}", "{\"SH_NEW\":{}} x", "{\"SH_NEW\":{}}{}",
        "{\"SH_NEW\":{}} {\"SH_NEW\":{}}", "{\"SH_NEW\":{}},", "{\"SH_NEW\" {}}", "{\"SH_NEW\":}", "{\"SH_NEW\"}",
        "{SH_NEW:{}}", "{'SH_NEW':{}}", "{\"SH_NEW\":{},}", "{,\"SH_NEW\":{}}", "{\"SH_NEW\":{}}]",
        "{\"SH_NEW\":{\"name\":\"x\",}}", "{\"SH_NEW\":{\"name\":\"x\" \"shared\":true}}", "{\"SH_NEW\":{,}}",
        // strings: unterminated, bad escapes, raw control characters
        "{\"SH_NEW\":{\"name\":\"x}}", "{\"SH_NEW\":{\"name\":\"x\\\"}}", "{\"KV_SET\":{\"keys\":{\"a\":\"\\x\"}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":\"\\u12\"}}}", "{\"KV_SET\":{\"keys\":{\"a\":\"\\u12G4\"}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":\"\\U0041\"}}}", "{\"KV_SET\":{\"keys\":{\"a\":\"\\'\"}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":\"\\ \"}}}", "{\"KV_SET\":{\"keys\":{\"a\":\"\\0\"}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":\"\\u\"}}}", "{\"KV_SET\":{\"keys\":{\"\\q\":1}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":\"x\u0001y\"}}}", "{\"KV_SET\":{\"keys\":{\"a\":\"tab\there\"}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":\"nl\nhere\"}}}", "{\"KV_SET\":{\"keys\":{\"a\":\"\u001f\"}}}",
        "{\"KV_SET\":{\"keys\":{\"k\u0000\":1}}}", "{\"SH_\nNEW\":{}}", "{\"KV_GET\":{\"keys\":[\"\u0007\"]}}",
        "{\"SH_NEW\":{\"n\u0002ame\":1}}", "{\"SH_INFO\":{\"tkn\":\"\u0000\"}}",
        // numbers
        "{\"KV_SET\":{\"keys\":{\"a\":01}}}", "{\"KV_SET\":{\"keys\":{\"a\":-01}}}", "{\"KV_SET\":{\"keys\":{\"a\":00}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":-}}}", "{\"KV_SET\":{\"keys\":{\"a\":-a}}}", "{\"KV_SET\":{\"keys\":{\"a\":1.}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":.5}}}", "{\"KV_SET\":{\"keys\":{\"a\":1e}}}", "{\"KV_SET\":{\"keys\":{\"a\":1e+}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":+1}}}", "{\"KV_SET\":{\"keys\":{\"a\":1.e5}}}", "{\"KV_SET\":{\"keys\":{\"a\":0x10}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":NaN}}}", "{\"KV_SET\":{\"keys\":{\"a\":Infinity}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":-Infinity}}}", "{\"KV_SET\":{\"keys\":{\"a\":1..2}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":1.2.3}}}", "{\"KV_SET\":{\"keys\":{\"a\":1e5e5}}}", "{\"KV_SET\":{\"keys\":{\"a\":--1}}}",
        "{\"SH_NEW\":{\"expiry\":{\"duration\":-}}}", "{\"SH_NEW\":{\"expiry\":{\"duration\":01}}}",
        "{\"SH_NEW\":{\"expiry\":{\"duration\":1.}}}", "{\"SH_INFO\":{\"tkn\":-}}", "{\"SH_INFO\":{\"tkn\":012}}",
        "{\"SH_EXISTS\":{\"tkns\":[-]}}", "{\"SH_EXISTS\":{\"tkns\":[01]}}", "-", "01", "1.",
        // literals
        "{\"KV_SET\":{\"keys\":{\"a\":tru}}}", "{\"KV_SET\":{\"keys\":{\"a\":nul}}}", "{\"KV_SET\":{\"keys\":{\"a\":fals}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":True}}}", "{\"KV_SET\":{\"keys\":{\"a\":NULL}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":truee}}}", "{\"KV_SET\":{\"keys\":{\"a\":undefined}}}",
        "{\"SH_NEW\":{\"shared\":tru}}", "{\"SH_NEW\":{\"shared\":t}}", "{\"SH_NEW\":{\"expiry\":{\"duration\":1,"
            + "\"deleteSession\":fals}}}", "{\"SH_NEW\":{\"expiry\":{\"duration\":nul}}}", "{\"SH_INFO\":{\"tkn\":nul}}",
        "tru", "nul", "nulll",
        // trailing commas and missing separators everywhere
        "{\"KV_SET\":{\"keys\":{\"a\":1,}}}", "{\"KV_SET\":{\"keys\":{\"a\":[1,]}}}",
        "{\"KV_SET\":{\"keys\":{\"a\":{\"b\":1,}}}}", "{\"KV_GET\":{\"keys\":[\"a\",]}}", "{\"KV_GET\":{\"keys\":[,\"a\"]}}",
        "{\"KV_GET\":{\"keys\":[\"a\" \"b\"]}}", "{\"KV_GET\":{\"keys\":[\"a\",,\"b\"]}}", "{\"KV_GET\":{\"keys\":[}}",
        "{\"SH_EXISTS\":{\"tkns\":[1,]}}", "{\"SH_EXISTS\":{\"tkns\":[\"a\",]}}", "{\"SH_EXISTS\":{\"tkns\":[1 2]}}",
        "{\"SH_NEW\":{\"expiry\":{\"duration\":1,}}}", "{\"SH_NEW\":{\"expiry\":{\"duration\":1 \"x\":1}}}",
        "{\"SH_NEW\":{\"expiry\":{,}}}", "{\"SH_NEW\":{\"x\":[1,],\"y\":1}}", "{\"SH_NEW\":{},\"X\":{},}",
        "{\"KV_SET\":{\"keys\":{\"a\" 1}}}", "{\"KV_SET\":{\"keys\":{\"a\":}}}", "{\"KV_SET\":{\"keys\":{1:1}}}",
        "[1,]", "[1 2]", "{\"a\":1,}",
        // other non-JSON
        "{\"SH_NEW\":{}} // comment", "/* c */{\"SH_NEW\":{}}", "{\"SH_NEW\":{/* c */}}", "{\"SH_NEW\":{}}\u0000",
        "\u0000{\"SH_NEW\":{}}", "\uFEFF{\"SH_NEW\":{}}", "{\"SH_NEW\":{\"name\":'x'}}", "{\"SH_NEW\":{\"x\":[}}",
        "{\"SH_NEW\":{\"x\":{\"a\"}}}", "{\"NOPE\":{\"a\":}}", "{\"NOPE\":[1,]}", "{\"SH_NEW\":{},\"x\":tru}",
        "{\"KV_SET\":{\"keys\":{},\"keys\":{},}}", "{\"SH_NEW\":{\"name\":\"a\",\"name\":\"b\"}} x",
        "{\"SH_NEW\":{}}\u00a0", "{\"SH_NEW\":{}\u000b}", "{\"SH_NEW\":{\f}}",
    };

    @Test
    void invalidJsonIsErr3() {
        for (String bad : INVALID) {
            String rsp = h.run(bad);
            assertError(rsp, "ERR", 3);
        }
        assertNothingCreated();
    }

    @Test
    void invalidListIsReallyInvalidJson() {
        for (String bad : INVALID) {
            if (bad.startsWith("\uFEFF") || bad.isBlank()) {
                continue; // Jackson skips a byte order mark (RFC 8259 allows that) and reads no input as "missing"
            }
            assertThatCode(() -> Rsp.LENIENT.readTree(bad.getBytes(StandardCharsets.UTF_8)))
                    .as("Jackson should reject %s", bad).isInstanceOf(Exception.class);
        }
    }

    // ---------------------------------------------------------------- envelope: ERR 13

    @ParameterizedTest
    @ValueSource(strings = {"[]", "[{'SH_NEW':{}}]", "1", "-1.5e3", "'SH_NEW'", "null", "true", "false", " [ ] ",
        "{}", " { } ", "{'SH_NEW':{},'SH_END_ALL':{}}", "{'SH_NEW':{},'SH_NEW':{}}", "{'X':1,'Y':2}",
        "{'SH_NEW':{},'x':1,'y':[{}]}", "{'NOPE':{},'SH_NEW':{}}", "{'SH_NEW':1,'SH_NEW':2}"})
    void topLevelNotAnObjectWithOneMemberIsErr13(String req) {
        assertError(h.run(j(req)), "ERR", 13);
        assertNothingCreated();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "[{}]", "null", "1", "'x'", "true", "false"})
    void commandValueNotAnObjectIs13(String v) {
        assertError(h.run(j("{'SH_NEW':" + v + "}")), "SH_NEW_RSP", 13);
        assertError(h.run(j("{'KV_SET':" + v + "}")), "KV_SET_RSP", 13);
        assertError(h.run(j("{'SH_END_ALL':" + v + "}")), "SH_END_ALL_RSP", 13);
        assertNothingCreated();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tkn", "keys", "name", "shared", "expiry", "tkns"})
    void duplicateParameterIs13(String p) {
        String v = switch (p) {
            case "tkn" -> "'AAAAAAAAAAAAAAAAAAAAAA'";
            case "keys" -> "{}";
            case "name" -> "'n'";
            case "shared" -> "true";
            case "expiry" -> "{'duration':1}";
            default -> "[]";
        };
        for (String cmd : new String[] {"SH_NEW", "SH_SET", "KV_SET", "SH_EXISTS", "SH_OPEN", "KV_COUNT"}) {
            assertError(h.run(j("{'" + cmd + "':{'" + p + "':" + v + ",'" + p + "':" + v + "}}")), cmd + "_RSP", 13);
            // also when one of the two is spelled with an escape
            assertError(h.run("{\"" + cmd + "\":{\"" + p + "\":" + j(v) + ",\"\\u00" + Integer.toHexString(p.charAt(0))
                    + p.substring(1) + "\":" + j(v) + "}}"), cmd + "_RSP", 13);
        }
        assertNothingCreated();
    }

    @Test
    void duplicateUnknownParametersAre13Too() {
        // duplicate member names are refused at every level (docs/protocol.md section 2)
        assertError(h.run(j("{'SH_NEW':{'x':1,'x':2,'Name':3,'Name':4}}")), "SH_NEW_RSP", 13);
        assertError(h.run(j("{'SH_NEW':{'x':{'a':1,'a':2}}}")), "SH_NEW_RSP", 13);
        assertNothingCreated();
    }

    @Test
    void unknownExtraParametersAreIgnored() {
        assertThat(h.run(j("{'KV_SET':{'extra':{'deep':[1,2,{'x':null}]},'keys':{'a':1},'Keys':5,'KEYS':[],'tkns':7}}")))
                .isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        assertThat(h.run(j("{'KV_GET':{'keys':['a'],'more':'x'}}")))
                .isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"a\":1}}}");
        assertThat(st(h.run(j("{'SH_NEW':{'tkn':'garbage','keys':5,'unknown':{}}}")))).isEqualTo(1);
        assertThat(h.run(j("{'SH_END_ALL':{'x':1}}"))).isEqualTo("{\"SH_END_ALL_RSP\":{\"st\":1,\"cnt\":1}}");
    }

    @Test
    void parameterNamesAreCaseSensitiveAndMayBeEscaped() {
        assertError(h.run(j("{'KV_SET':{'Keys':{'a':1}}}")), "KV_SET_RSP", 26);
        assertThat(h.run("{\"KV_SET\":{\"k\\u0065ys\":{\"a\":1}}}")).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":1}}");
    }

    @Test
    void whitespaceEverywhereIsFine() {
        String req = " \r\n\t{ \"KV_SET\" :\n{ \"keys\" : { \"a\" : [ 1 , 2 ] , \"b\" : { } } } }\n ";
        assertThat(h.run(req)).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"KV_GET\":{\"keys\":[\"a\",\"b\"]}}"))
                .isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"a\":[1,2],\"b\":{}}}}");
    }

    // ---------------------------------------------------------------- unknown commands: <CMD>_RSP 10

    @Test
    void unknownCommandIsEchoedWith10() {
        assertError(h.run(j("{'NOPE':{}}")), "NOPE_RSP", 10);
        assertError(h.run(j("{'sh_new':{}}")), "sh_new_RSP", 10);
        assertError(h.run(j("{'SH_NEW ':{}}")), "SH_NEW _RSP", 10);
        assertError(h.run(j("{'':{}}")), "_RSP", 10);
        assertError(h.run(j("{'SH_SAVE_RSP':{}}")), "SH_SAVE_RSP_RSP", 10);
        // any value: unknown wins over "not an object"
        assertError(h.run(j("{'NOPE':1}")), "NOPE_RSP", 10);
        assertError(h.run(j("{'NOPE':[{'x':1}]}")), "NOPE_RSP", 10);
        assertNothingCreated();
    }

    @Test
    void unknownCommandNameIsEchoedAsValidJson() {
        String[][] cases = {
            {"{\"A\\\"B\":{}}", "A\"B_RSP"},
            {"{\"A\\\\B\":{}}", "A\\B_RSP"},
            {"{\"\\\"}\\\"\":{}}", "\"}\"_RSP"},
            {"{\"x\\ny\\u0001\":{}}", "x\ny\u0001_RSP"},
            {"{\"\u00e9\uD83D\uDE00\":{}}", "\u00e9\uD83D\uDE00_RSP"},
            {"{\"\\u00e9\\ud83d\\ude00\":{}}", "\u00e9\uD83D\uDE00_RSP"},
            {"{\"a\\/b\":{}}", "a/b_RSP"},
            {"{\"\\u0022,\\\"st\\\":1,\\\"x\\\":{\\\"\":{}}", "\",\"st\":1,\"x\":{\"_RSP"},
        };
        for (String[] c : cases) {
            String rsp = h.run(c[0]);
            assertThat(Rsp.name(rsp)).as(rsp).isEqualTo(c[1]);
            assertError(rsp, c[1], 10);
        }
    }

    @Test
    void knownCommandMaySpellItsNameWithEscapes() {
        assertThat(st(h.run("{\"\\u0053H_NEW\":{}}"))).isEqualTo(1);
        assertThat(Rsp.name(h.run("{\"\\u0053H_NEW\":{}}"))).isEqualTo("SH_NEW_RSP");
        assertThat(h.run("{\"KV\\u005fCOUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
    }

    @Test
    void veryLongUnknownNameIsErr10() {
        String name64 = "N".repeat(RequestDecoder.MAX_ECHOED_NAME);
        assertError(h.run("{\"" + name64 + "\":{}}"), name64 + "_RSP", 10);
        assertError(h.run("{\"" + name64 + "X\":{}}"), "ERR", 10);
        assertError(h.run("{\"" + "N".repeat(100_000) + "\":{}}"), "ERR", 10);
        // the limit is on the echoed (canonical) bytes: 32 two-byte characters fit, escapes shrink
        assertError(h.run("{\"" + "\u00e9".repeat(32) + "\":{}}"), "\u00e9".repeat(32) + "_RSP", 10);
        assertError(h.run("{\"" + "\u00e9".repeat(33) + "\":{}}"), "ERR", 10);
        assertError(h.run("{\"" + "\\u0041".repeat(64) + "\":{}}"), "A".repeat(64) + "_RSP", 10);
    }

    // ---------------------------------------------------------------- parameter rows 26 / 41 / 42

    @Test
    void parameterRows() {
        assertError(h.run(j("{'KV_SET':{}}")), "KV_SET_RSP", 26);
        assertError(h.run(j("{'KV_SET':{'keys':[]}}")), "KV_SET_RSP", 41);
        assertError(h.run(j("{'KV_RMV':{'keys':[]}}")), "KV_RMV_RSP", 42);
        assertError(h.run(j("{'SH_OPEN':{'name':''}}")), "SH_OPEN_RSP", 42);
        assertNothingCreated();
    }

    @Test
    void successResponsesCarryNoMessage() {
        for (String req : new String[] {"{'SH_NEW':{}}", "{'KV_SET':{'keys':{'a':1}}}", "{'KV_GET':{'keys':['a']}}",
            "{'KV_COUNT':{}}", "{'SH_INFO_ALL':{}}", "{'SV_INFO':{}}"}) {
            String rsp = h.run(j(req));
            assertThat(st(rsp)).as(rsp).isEqualTo(1);
            assertThat(body(rsp).has("m")).as(rsp).isFalse();
        }
    }

    @Test
    void serverInfo() {
        h.run(j("{'KV_SET':{'keys':{'a':1,'b':2}}}"));
        JsonNode b = body(h.run(j("{'SV_INFO':{}}")));
        assertThat(b.get("serverVersion").textValue()).isEqualTo("test");
        assertThat(b.get("persistEnabled").booleanValue()).isFalse();
        assertThat(b.get("kvKeys").intValue()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- nesting limit: 170

    /** Nesting {@code n} levels of arrays around 1. */
    private static String nest(int n) {
        return "[".repeat(n) + "1" + "]".repeat(n);
    }

    @Test
    void nestingDeeperThanTheLimitIs170InEveryPosition() {
        int max = 6;
        CommandHarness small = new CommandHarness(TokenFormat.STRING, "s", 100, max);
        // {prefix, suffix, depth of the first '[' of the nested value, status when within the limit}
        Object[][] places = {
            {"{\"KV_SET\":{\"keys\":{\"a\":", "}}}", 4, 1},
            {"{\"KV_COUNT\":{\"x\":", "}}", 3, 1},
            {"", "", 1, 13},
            {"{\"NOPE\":{\"a\":", "}}", 3, 10},
            {"{\"KV_COUNT\":", "}", 2, 13},
            {"{\"KV_COUNT\":{},\"x\":", "}", 2, 13},
            {"{\"KV_GET\":{\"keys\":[", "]}}", 4, 1},
            {"{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"x\":", "}}}", 4, 1},
            {"{\"SH_EXISTS\":{\"tkns\":[", "]}}", 4, 1},
            {"{\"SH_INFO\":{\"tkn\":", "}}", 3, 101},
            {"{\"SH_NEW\":{\"name\":", "}}", 3, 41},
            {"{\"SH_NEW\":{\"shared\":", "}}", 3, 41},
            {"{\"SH_NEW\":{\"expiry\":", "}}", 3, 41},
            {"{\"KV_SET\":{\"keys\":", "}}", 3, 41},
        };
        for (Object[] p : places) {
            int first = (Integer) p[2];
            int fits = max - first + 1; // levels that still fit
            String ok = p[0] + nest(fits) + p[1];
            String rsp = small.run(ok);
            assertThat(st(rsp)).as("%s -> %s", ok, rsp).isEqualTo((Integer) p[3]);
            String deep = p[0] + nest(fits + 1) + p[1];
            rsp = small.run(deep);
            assertError(rsp, "ERR", 170);
            assertThat(body(rsp).get("m").textValue()).as(rsp).contains("maxDepth");
        }
        // the parameters object itself is at depth 2, the keys object at 3
        CommandHarness two = new CommandHarness(TokenFormat.STRING, "s", 100, 2);
        assertThat(two.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
        for (String req : new String[] {"{\"KV_SET\":{\"keys\":{}}}", "{\"KV_GET\":{\"keys\":[]}}",
            "{\"SH_NEW\":{\"expiry\":{}}}", "{\"SH_EXISTS\":{\"tkns\":[]}}", "{\"KV_COUNT\":{\"x\":[]}}",
            "{\"SH_INFO\":{\"tkn\":{}}}", "{\"SH_NEW\":{\"name\":[]}}", "{\"NOPE\":{\"x\":{}}}",
            "{\"KV_COUNT\":[[]]}", "[[[]]]"}) {
            assertError(two.run(req), "ERR", 170);
        }
    }

    /**
     * As implemented: the scanner stops at the first problem in text order, so whichever of "too deep" (170)
     * and a syntax error (3) comes first is the answer. (docs/protocol.md says a syntax error anywhere is 3
     * "even when the message has other problems too"; the depth limit is the one exception.)
     */
    @Test
    void depthLimitAndSyntaxErrorFirstOneInTextOrderWins() {
        CommandHarness small = new CommandHarness(TokenFormat.STRING, "s", 100, 4);
        assertError(small.run("{\"KV_SET\":{\"keys\":{\"a\":[[1]]}}} trailing"), "ERR", 170);
        assertError(small.run("{\"KV_SET\":{\"keys\":{\"b\":01,\"a\":[[1]]}}}"), "ERR", 3);
    }

    @Test
    void deepNestingWithinTheDefaultLimitIsStoredAndHugeNestingIsRejectedWithoutStackOverflow() {
        String v = nest(61); // 3 enclosing containers + 61 = 64 levels
        assertThat(h.run("{\"KV_SET\":{\"keys\":{\"a\":" + v + "}}}")).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"KV_GET\":{\"keys\":[\"a\"]}}")).isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"a\":" + v + "}}}");
        assertError(h.run("{\"KV_SET\":{\"keys\":{\"a\":" + nest(62) + "}}}"), "ERR", 170);
        assertError(h.run("{\"KV_SET\":{\"keys\":{\"a\":" + "[".repeat(1_000_000) + "}}}"), "ERR", 170);
        assertError(h.run("{\"x\":" + "{\"a\":".repeat(200_000) + "}"), "ERR", 170);
    }

    // ---------------------------------------------------------------- robustness

    /** Random mutations of valid requests: never an exception, always one valid JSON response. */
    @Test
    void mutatedRequestsAlwaysGetOneValidResponse() {
        String[] seeds = {
            "{\"KV_SET\":{\"keys\":{\"a\":[1,2.5e-3,{\"b\":null}],\"c\\n\":\"x\\u00e9\"}}}",
            "{\"SH_NEW\":{\"name\":\"n\",\"shared\":true,\"expiry\":{\"duration\":5,\"deleteSession\":false}}}",
            "{\"SH_EXISTS\":{\"tkns\":[\"AAAAAAAAAAAAAAAAAAAAAA\",1,true]}}",
            "{\"KV_GET\":{\"keys\":[\"a\",\"c\\n\",3]}}",
            "{\"NOPE\":{\"x\":-0}}",
        };
        String alphabet = "{}[]\",:\\ -+.0123456789eEtrufalsn\u00e9\u0001uAx";
        Random rnd = new Random(99);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder(seeds[rnd.nextInt(seeds.length)]);
            int edits = 1 + rnd.nextInt(3);
            for (int e = 0; e < edits && sb.length() > 0; e++) {
                int at = rnd.nextInt(sb.length());
                char c = alphabet.charAt(rnd.nextInt(alphabet.length()));
                switch (rnd.nextInt(3)) {
                    case 0 -> sb.insert(at, c);
                    case 1 -> sb.deleteCharAt(at);
                    default -> sb.setCharAt(at, c);
                }
            }
            String req = sb.toString();
            String rsp = h.run(req);
            int st = st(rsp);
            boolean jacksonValid;
            try {
                Rsp.LENIENT.readTree(req.getBytes(StandardCharsets.UTF_8));
                jacksonValid = true;
            } catch (Exception ex) {
                jacksonValid = false;
            }
            assertThat(st == 3).as("valid JSON %s; request %s -> %s", jacksonValid, req, rsp).isEqualTo(!jacksonValid);
            if (st == 3) {
                assertThat(Rsp.name(rsp)).isEqualTo("ERR");
            }
        }
    }

    @Test
    void decodeUsesOnlyTheGivenLength() {
        byte[] buf = "{\"KV_COUNT\":{}}GARBAGE".getBytes(StandardCharsets.UTF_8);
        dev.satchel.engine.CommandRegistry reg = new dev.satchel.engine.CommandRegistry(
                dev.satchel.engine.DataCommands.all());
        RequestDecoder d = new RequestDecoder(reg, TokenFormat.STRING, 64);
        Request r = d.decode(buf, 15);
        assertThat(r).isInstanceOf(Request.Plain.class);
        assertThat(r.command().name()).isEqualTo("KV_COUNT");
        assertThat(r.messageBytes()).isEqualTo(15);
        Request bad = d.decode(buf, 16);
        assertThat(((Request.Refused) bad).status()).isEqualTo(Status.JSON_INVALID);
        // the decoder is reusable after an error
        Request again = d.decode(buf, 15);
        assertThat(again).isInstanceOf(Request.Plain.class);
    }

    @Test
    void decodedEntriesArePrivateCopies() {
        byte[] buf = "{\"KV_SET\":{\"keys\":{\"k\":\"v\"}}}".getBytes(StandardCharsets.UTF_8);
        dev.satchel.engine.CommandRegistry reg = new dev.satchel.engine.CommandRegistry(
                dev.satchel.engine.DataCommands.all());
        Request r = new RequestDecoder(reg, TokenFormat.STRING, 64).decode(buf, buf.length);
        java.util.Arrays.fill(buf, (byte) 'X');
        Request.Entries entries = (Request.Entries) r;
        assertThat(entries.count()).isEqualTo(1);
        byte[] e = entries.entry(0);
        assertThat(new String(dev.satchel.store.Entry.key(e), StandardCharsets.UTF_8)).isEqualTo("k");
        assertThat(new String(dev.satchel.store.Entry.value(e), StandardCharsets.UTF_8)).isEqualTo("\"v\"");
    }

    @Test
    void errorsFromOneRequestDoNotLeakIntoTheNext() {
        assertError(h.run("{\"NOPE\":{}}"), "NOPE_RSP", 10);
        assertThat(h.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
        assertError(h.run("{"), "ERR", 3);
        assertThat(h.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
        assertError(h.run(j("{'KV_SET':{'keys':1}}")), "KV_SET_RSP", 41);
        assertThat(h.run("{\"KV_SET\":{\"keys\":{\"a\":1}}}")).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        assertJson(h.run("{\"KV_COUNT\":{}}"), "{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":1}}");
    }
}
