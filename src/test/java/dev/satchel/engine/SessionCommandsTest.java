package dev.satchel.engine;

import static dev.satchel.engine.Rsp.assertError;
import static dev.satchel.engine.Rsp.assertJson;
import static dev.satchel.engine.Rsp.body;
import static dev.satchel.engine.Rsp.fieldNames;
import static dev.satchel.engine.Rsp.j;
import static dev.satchel.engine.Rsp.st;
import static dev.satchel.engine.Rsp.tree;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.protocol.TokenFormat;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SH_NEW, SH_OPEN, SH_END, SH_END_ALL, SH_EXISTS, SH_INFO, SH_INFO_ALL and both token formats. */
class SessionCommandsTest {
    private static final String STRING_TOKEN = "[A-Za-z0-9_-]{21}[AQgw]";

    private final CommandHarness h = new CommandHarness();

    private String info(String tkn) {
        return h.run("{\"SH_INFO\":{\"tkn\":" + tkn + "}}");
    }

    private static String quoted(String s) {
        try {
            return Rsp.MAPPER.writeValueAsString(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- SH_NEW

    @Test
    void newPlainReturnsOnlyStAndAStringToken() {
        String rsp = h.run("{\"SH_NEW\":{}}");
        JsonNode b = body(rsp);
        assertThat(Rsp.name(rsp)).isEqualTo("SH_NEW_RSP");
        assertThat(fieldNames(b)).containsExactlyInAnyOrder("st", "tkn");
        assertThat(b.get("st").intValue()).isEqualTo(1);
        assertThat(b.get("tkn").isTextual()).isTrue();
        assertThat(b.get("tkn").textValue()).matches(STRING_TOKEN);
        assertThat(Base64.getUrlDecoder().decode(b.get("tkn").textValue())).hasSize(16);
    }

    @Test
    void newTokensAreDistinct() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 200; i++) {
            assertThat(seen.add(h.newSession("{}"))).isTrue();
        }
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':200,'totalKeys':0}}"));
    }

    @Test
    void newWithNameEchoesNameAndIsNotShared() {
        String rsp = h.run(j("{'SH_NEW':{'name':'cart'}}"));
        JsonNode b = body(rsp);
        assertThat(fieldNames(b)).containsExactlyInAnyOrder("st", "tkn", "name");
        assertThat(b.get("st").intValue()).isEqualTo(1);
        assertThat(b.get("name").textValue()).isEqualTo("cart");
        String t = b.get("tkn").toString();
        assertJson(info(t), "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t
                + ",\"keyCnt\":0,\"shared\":false,\"expires\":false,\"name\":\"cart\"}}");
    }

    @Test
    void newNameWithSpecialCharactersRoundTrips() {
        String name = "q\"b\\s/\n\t\u0001 \u00e9 \uD83D\uDE00";
        String rsp = h.run("{\"SH_NEW\":{\"name\":" + quoted(name) + ",\"shared\":true}}");
        assertThat(body(rsp).get("name").textValue()).isEqualTo(name);
        String t = body(rsp).get("tkn").toString();
        assertThat(body(info(t)).get("name").textValue()).isEqualTo(name);
        // spelled with escapes only: the same name, so the same shared session
        String escaped = "\"q\\\"b\\\\s\\/\\n\\t\\u0001 \\u00E9 \\ud83d\\ude00\"";
        String open = h.run("{\"SH_OPEN\":{\"name\":" + escaped + "}}");
        assertJson(open, "{\"SH_OPEN_RSP\":{\"st\":1,\"tkn\":" + t + ",\"name\":" + quoted(name) + "}}");
    }

    @Test
    void newSharedIsDeterministicPerSecretAndNameTakenIs103() {
        String rsp = h.run(j("{'SH_NEW':{'name':'room','shared':true}}"));
        JsonNode b = body(rsp);
        assertThat(fieldNames(b)).containsExactlyInAnyOrder("st", "tkn", "name");
        String t = b.get("tkn").toString();
        assertJson(rsp, "{\"SH_NEW_RSP\":{\"st\":1,\"tkn\":" + t + ",\"name\":\"room\"}}");
        assertError(h.run(j("{'SH_NEW':{'name':'room','shared':true}}")), "SH_NEW_RSP", 103);
        assertJson(info(t), "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t
                + ",\"keyCnt\":0,\"shared\":true,\"expires\":false,\"name\":\"room\"}}");

        // the same name and secret give the same token on another server; another secret does not
        CommandHarness same = new CommandHarness(TokenFormat.STRING, "test-secret", 100, 64);
        CommandHarness other = new CommandHarness(TokenFormat.STRING, "other-secret", 100, 64);
        assertThat(same.newSession(j("{'name':'room','shared':true}"))).isEqualTo(t);
        assertThat(other.newSession(j("{'name':'room','shared':true}"))).isNotEqualTo(t);
        assertThat(h.newSession(j("{'name':'room2','shared':true}"))).isNotEqualTo(t);

        // a non-shared session of that name does not take the shared name, and is not the shared session
        String plain = h.newSession(j("{'name':'room'}"));
        assertThat(plain).isNotEqualTo(t);

        // ended: the name is free again and gives the same token
        assertJson(h.run("{\"SH_END\":{\"tkn\":" + t + "}}"), "{\"SH_END_RSP\":{\"st\":1,\"tkn\":" + t + "}}");
        assertThat(h.newSession(j("{'name':'room','shared':true}"))).isEqualTo(t);
    }

    @Test
    void newSharedFalseWithNameIsAPlainNamedSession() {
        String rsp = h.run(j("{'SH_NEW':{'name':'x','shared':false}}"));
        assertThat(st(rsp)).isEqualTo(1);
        String rsp2 = h.run(j("{'SH_NEW':{'name':'x','shared':false}}"));
        assertThat(st(rsp2)).isEqualTo(1);
        assertThat(body(rsp).get("tkn")).isNotEqualTo(body(rsp2).get("tkn"));
        assertThat(st(h.run(j("{'SH_NEW':{'shared':false}}")))).isEqualTo(1);
    }

    @Test
    void newSharedWithoutNameIs26() {
        assertError(h.run(j("{'SH_NEW':{'shared':true}}")), "SH_NEW_RSP", 26);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "null", "'true'", "[]", "{}"})
    void newSharedOfWrongTypeIs41(String v) {
        assertError(h.run(j("{'SH_NEW':{'name':'a','shared':" + v + "}}")), "SH_NEW_RSP", 41);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "null", "true", "[]", "{}", "['a']"})
    void newNameOfWrongTypeIs41(String v) {
        assertError(h.run(j("{'SH_NEW':{'name':" + v + "}}")), "SH_NEW_RSP", 41);
        assertError(h.run(j("{'SH_NEW':{'name':" + v + ",'shared':true}}")), "SH_NEW_RSP", 41);
    }

    @Test
    void newEmptyNameIs42() {
        assertError(h.run(j("{'SH_NEW':{'name':''}}")), "SH_NEW_RSP", 42);
        assertError(h.run(j("{'SH_NEW':{'name':'','shared':true}}")), "SH_NEW_RSP", 42);
    }

    @Test
    void newNameLimitIs1024Bytes() {
        String ok = "n".repeat(SessionCommands.MAX_NAME_BYTES);
        assertThat(st(h.run("{\"SH_NEW\":{\"name\":\"" + ok + "\",\"shared\":true}}"))).isEqualTo(1);
        assertError(h.run("{\"SH_NEW\":{\"name\":\"" + ok + "x\"}}"), "SH_NEW_RSP", 42);
        // counted in UTF-8 bytes: 512 two-byte characters fit, 513 do not
        assertThat(st(h.run("{\"SH_NEW\":{\"name\":\"" + "\u00e9".repeat(512) + "\"}}"))).isEqualTo(1);
        assertError(h.run("{\"SH_NEW\":{\"name\":\"" + "\u00e9".repeat(513) + "\"}}"), "SH_NEW_RSP", 42);
    }

    @Test
    void newExpiryDefaultsFlagsToFalse() {
        String t = h.newSession(j("{'expiry':{'duration':10}}"));
        assertJson(info(t), "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t + ",\"keyCnt\":0,\"shared\":false,"
                + "\"expires\":true,\"expiry\":{\"duration\":10,\"remaining\":10,\"deleteSession\":false,"
                + "\"extendOnSetAdd\":false,\"extendOnGet\":false}}}");
    }

    @Test
    void newExpiryWithAllFlagsAndExtraMembers() {
        String t = h.newSession(j("{'name':'n','expiry':{'extendOnGet':true,'duration':3600,'deleteSession':true,"
                + "'extendOnSetAdd':true,'other':[1,{'x':null}]}}"));
        assertJson(info(t), "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t + ",\"keyCnt\":0,\"shared\":false,"
                + "\"expires\":true,\"name\":\"n\",\"expiry\":{\"duration\":3600,\"remaining\":3600,"
                + "\"deleteSession\":true,\"extendOnSetAdd\":true,\"extendOnGet\":true}}}");
        String t2 = h.newSession(j("{'expiry':{'duration':5,'deleteSession':false,'extendOnSetAdd':true,"
                + "'extendOnGet':false}}"));
        assertJson(info(t2), "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t2 + ",\"keyCnt\":0,\"shared\":false,"
                + "\"expires\":true,\"expiry\":{\"duration\":5,\"remaining\":5,"
                + "\"deleteSession\":false,\"extendOnSetAdd\":true,\"extendOnGet\":false}}}");
    }

    @Test
    void newExpiryWithEscapedMemberNames() {
        String t = h.newSession("{\"expiry\":{\"d\\u0075ration\":7,\"deleteSessio\\u006e\":true}}");
        JsonNode e = body(info(t)).get("expiry");
        assertThat(e.get("duration").intValue()).isEqualTo(7);
        assertThat(e.get("deleteSession").booleanValue()).isTrue();
    }

    @Test
    void newDurationZeroNeverExpiresAndIgnoresFlags() {
        String t = h.newSession(j("{'expiry':{'duration':0,'deleteSession':true,'extendOnGet':true}}"));
        assertJson(info(t), "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t
                + ",\"keyCnt\":0,\"shared\":false,\"expires\":false}}");
        h.clock.advanceSeconds(10L * 365 * 24 * 3600);
        h.tick();
        assertThat(st(info(t))).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"5", "'x'", "[]", "[{'duration':1}]", "null", "true"})
    void newExpiryNotAnObjectIs41(String v) {
        assertError(h.run(j("{'SH_NEW':{'expiry':" + v + "}}")), "SH_NEW_RSP", 41);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{'deleteSession':true}", "{'Duration':5}", "{'extendOnGet':false,'x':1}"})
    void newExpiryWithoutDurationIs26(String v) {
        assertError(h.run(j("{'SH_NEW':{'expiry':" + v + "}}")), "SH_NEW_RSP", 26);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-0.0", "-9999999999999999999999", "1.5", "10.0", "1e3", "1E+1", "0.0",
        "'10'", "null", "true", "[10]", "{}"})
    void newExpiryDurationNotAWholeNumberIs41(String v) {
        assertError(h.run(j("{'SH_NEW':{'expiry':{'duration':" + v + "}}}")), "SH_NEW_RSP", 41);
    }

    @Test
    void newExpiryDurationTooLargeIs42() {
        long max = RequestDecoder.MAX_DURATION_SECONDS;
        String t = h.newSession("{\"expiry\":{\"duration\":" + max + "}}");
        JsonNode e = body(info(t)).get("expiry");
        assertThat(e.get("duration").longValue()).isEqualTo(max);
        assertThat(e.get("remaining").longValue()).isEqualTo(max);
        assertError(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":" + (max + 1) + "}}}"), "SH_NEW_RSP", 42);
        assertError(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":" + Long.MAX_VALUE + "}}}"), "SH_NEW_RSP", 42);
        assertError(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":99999999999999999999999999999}}}"),
                "SH_NEW_RSP", 42);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deleteSession", "extendOnSetAdd", "extendOnGet"})
    void newExpiryFlagNotBooleanIs41(String flag) {
        for (String v : new String[] {"1", "0", "'true'", "null", "[]", "{}"}) {
            assertError(h.run(j("{'SH_NEW':{'expiry':{'duration':5,'" + flag + "':" + v + "}}}")), "SH_NEW_RSP", 41);
        }
    }

    @Test
    void newExpiryDuplicateMemberIs13() {
        assertError(h.run(j("{'SH_NEW':{'expiry':{'duration':5,'duration':6}}}")), "SH_NEW_RSP", 13);
        assertError(h.run(j("{'SH_NEW':{'expiry':{'duration':5,'extendOnGet':true,'extendOnGet':true}}}")),
                "SH_NEW_RSP", 13);
    }

    @Test
    void newErrorsCreateNothing() {
        h.run(j("{'SH_NEW':{'expiry':{'duration':-1}}}"));
        h.run(j("{'SH_NEW':{'name':''}}"));
        h.run(j("{'SH_NEW':{'shared':true}}"));
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':0,'totalKeys':0}}"));
    }

    /**
     * Two different names must not map to the same shared session. A lone surrogate escape has no UTF-8
     * form (Java would encode it as '?'), so such names are refused instead of colliding with "?".
     */
    @Test
    void namesWithLoneSurrogatesAreRefusedSoTheyCannotCollide() {
        assertError(h.run("{\"SH_NEW\":{\"name\":\"\\ud800\",\"shared\":true}}"), "SH_NEW_RSP", 42);
        assertError(h.run("{\"SH_NEW\":{\"name\":\"a\\udc00\"}}"), "SH_NEW_RSP", 42);
        assertError(h.run("{\"SH_OPEN\":{\"name\":\"\\ud800\"}}"), "SH_OPEN_RSP", 42);
        String second = h.run("{\"SH_NEW\":{\"name\":\"?\",\"shared\":true}}");
        assertThat(st(second)).as("name '?' is not taken: %s", second).isEqualTo(1);
        // a proper surrogate pair (an emoji) is fine
        String pair = h.run("{\"SH_NEW\":{\"name\":\"\\ud83d\\ude00\",\"shared\":true}}");
        assertThat(st(pair)).as(pair).isEqualTo(1);
    }

    // ---------------------------------------------------------------- SH_OPEN

    @Test
    void openFindsSharedSession() {
        String t = h.newSession(j("{'name':'lobby','shared':true}"));
        assertJson(h.run(j("{'SH_OPEN':{'name':'lobby'}}")),
                "{\"SH_OPEN_RSP\":{\"st\":1,\"tkn\":" + t + ",\"name\":\"lobby\"}}");
    }

    @Test
    void openUnknownNameIs102() {
        assertError(h.run(j("{'SH_OPEN':{'name':'nobody'}}")), "SH_OPEN_RSP", 102);
        h.newSession(j("{'name':'plain'}"));
        h.newSession(j("{'name':'plain2','shared':false}"));
        assertError(h.run(j("{'SH_OPEN':{'name':'plain'}}")), "SH_OPEN_RSP", 102);
        assertError(h.run(j("{'SH_OPEN':{'name':'plain2'}}")), "SH_OPEN_RSP", 102);
        String t = h.newSession(j("{'name':'gone','shared':true}"));
        h.run("{\"SH_END\":{\"tkn\":" + t + "}}");
        assertError(h.run(j("{'SH_OPEN':{'name':'gone'}}")), "SH_OPEN_RSP", 102);
    }

    @Test
    void openParameterErrors() {
        assertError(h.run(j("{'SH_OPEN':{}}")), "SH_OPEN_RSP", 26);
        assertError(h.run(j("{'SH_OPEN':{'tkn':'x'}}")), "SH_OPEN_RSP", 26);
        assertError(h.run(j("{'SH_OPEN':{'name':''}}")), "SH_OPEN_RSP", 42);
        assertError(h.run(j("{'SH_OPEN':{'name':1}}")), "SH_OPEN_RSP", 41);
        assertError(h.run(j("{'SH_OPEN':{'name':null}}")), "SH_OPEN_RSP", 41);
        assertError(h.run(j("{'SH_OPEN':{'name':['a']}}")), "SH_OPEN_RSP", 41);
    }

    // ---------------------------------------------------------------- SH_END

    @Test
    void endEchoesTokenAndEndsTheSession() {
        String t = h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1}}}");
        assertThat(h.run("{\"SH_END\":{\"tkn\":" + t + "}}")).isEqualTo("{\"SH_END_RSP\":{\"st\":1,\"tkn\":" + t + "}}");
        assertError(info(t), "SH_INFO_RSP", 100);
        JsonNode again = body(h.run("{\"SH_END\":{\"tkn\":" + t + "}}"));
        assertThat(fieldNames(again)).containsExactlyInAnyOrder("st", "m", "tkn");
        assertThat(again.get("st").intValue()).isEqualTo(100);
        assertThat(again.get("tkn")).isEqualTo(tree(t));
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':0,'totalKeys':0}}"));
    }

    @Test
    void endUnknownTokenIs100AndEchoesIt() {
        String unknown = "\"AAAAAAAAAAAAAAAAAAAAAA\"";
        JsonNode b = body(h.run("{\"SH_END\":{\"tkn\":" + unknown + "}}"));
        assertThat(fieldNames(b)).containsExactlyInAnyOrder("st", "m", "tkn");
        assertThat(b.get("st").intValue()).isEqualTo(100);
        assertThat(b.get("m").textValue()).isNotEmpty();
        assertThat(b.get("tkn").textValue()).isEqualTo("AAAAAAAAAAAAAAAAAAAAAA");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{'tkn':'short'}", "{'tkn':1}", "{'tkn':null}", "{'tkn':['AAAAAAAAAAAAAAAAAAAAAA']}",
        "{'tkn':'AAAAAAAAAAAAAAAAAAAAAB'}", "{'name':'x'}"})
    void endMissingOrMalformedTokenIs101(String params) {
        assertError(h.run(j("{'SH_END':" + params + "}")), "SH_END_RSP", 101);
    }

    // ---------------------------------------------------------------- SH_END_ALL

    @Test
    void endAllCountsAndEndsEverySession() {
        assertThat(h.run("{\"SH_END_ALL\":{}}")).isEqualTo("{\"SH_END_ALL_RSP\":{\"st\":1,\"cnt\":0}}");
        String a = h.newSession("{}");
        String b = h.newSession(j("{'name':'s','shared':true}"));
        String c = h.newSession(j("{'expiry':{'duration':100}}"));
        h.run("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"k\":1}}}");
        h.run(j("{'KV_SET':{'keys':{'global':1}}}"));
        assertThat(h.run("{\"SH_END_ALL\":{}}")).isEqualTo("{\"SH_END_ALL_RSP\":{\"st\":1,\"cnt\":3}}");
        for (String t : List.of(a, b, c)) {
            assertError(info(t), "SH_INFO_RSP", 100);
        }
        assertJson(h.run("{\"SH_EXISTS\":{\"tkns\":[" + a + "," + b + "," + c + "]}}"),
                j("{'SH_EXISTS_RSP':{'st':1,'exist':[]}}"));
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':0,'totalKeys':0}}"));
        assertThat(h.run("{\"SH_END_ALL\":{}}")).isEqualTo("{\"SH_END_ALL_RSP\":{\"st\":1,\"cnt\":0}}");
        // the global key space is not sessions' data
        assertJson(h.run(j("{'KV_COUNT':{}}")), j("{'KV_COUNT_RSP':{'st':1,'cnt':1}}"));
        // new sessions work after END_ALL, also expiring ones
        String d = h.newSession(j("{'expiry':{'duration':1,'deleteSession':true}}"));
        h.clock.advanceSeconds(1);
        h.tick();
        assertError(info(d), "SH_INFO_RSP", 100);
        assertThat(h.engine.sessionCount()).isZero();
    }

    // ---------------------------------------------------------------- SH_EXISTS

    @Test
    void existsListsLiveTokensInRequestOrderWithDuplicates() {
        String a = h.newSession("{}");
        String b = h.newSession("{}");
        String ended = h.newSession("{}");
        h.run("{\"SH_END\":{\"tkn\":" + ended + "}}");
        String unknown = "\"AAAAAAAAAAAAAAAAAAAAAA\"";
        String rsp = h.run("{\"SH_EXISTS\":{\"tkns\":[" + b + "," + unknown + "," + a + "," + ended + "," + b
                + ",1,null,true,{\"tkn\":" + a + "},[" + a + "],\"bad\",\"AAAAAAAAAAAAAAAAAAAAAB\"," + a + "]}}");
        assertThat(rsp).isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[" + b + "," + a + "," + b + "," + a + "]}}");
    }

    @Test
    void existsEmptyAndErrors() {
        assertThat(h.run(j("{'SH_EXISTS':{'tkns':[]}}"))).isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[]}}");
        assertError(h.run(j("{'SH_EXISTS':{}}")), "SH_EXISTS_RSP", 26);
        assertError(h.run(j("{'SH_EXISTS':{'tkn':'AAAAAAAAAAAAAAAAAAAAAA'}}")), "SH_EXISTS_RSP", 26);
        for (String v : new String[] {"'AAAAAAAAAAAAAAAAAAAAAA'", "{}", "null", "1", "true"}) {
            assertError(h.run(j("{'SH_EXISTS':{'tkns':" + v + "}}")), "SH_EXISTS_RSP", 41);
        }
    }

    @Test
    void existsAfterChurnOfManySessions() {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            tokens.add(h.newSession("{}"));
        }
        Random rnd = new Random(7);
        List<String> live = new ArrayList<>();
        for (String t : tokens) {
            if (rnd.nextInt(3) == 0) {
                live.add(t);
            } else {
                assertThat(st(h.run("{\"SH_END\":{\"tkn\":" + t + "}}"))).isEqualTo(1);
            }
        }
        String rsp = h.run("{\"SH_EXISTS\":{\"tkns\":[" + String.join(",", tokens) + "]}}");
        assertThat(rsp).isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[" + String.join(",", live) + "]}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"),
                "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":" + live.size() + ",\"totalKeys\":0}}");
        for (String t : live) {
            assertThat(st(info(t))).isEqualTo(1);
        }
    }

    // ---------------------------------------------------------------- SH_INFO

    @Test
    void infoWithAllMembers() {
        String t = h.newSession(j("{'name':'full','shared':true,'expiry':{'duration':60,'extendOnGet':true}}"));
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":2}}}");
        String rsp = info(t);
        assertJson(rsp, "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t + ",\"keyCnt\":2,\"shared\":true,"
                + "\"expires\":true,\"name\":\"full\",\"expiry\":{\"duration\":60,\"remaining\":60,"
                + "\"deleteSession\":false,\"extendOnSetAdd\":false,\"extendOnGet\":true}}}");
        assertThat(body(rsp).has("m")).isFalse();
    }

    @Test
    void infoRemainingRoundsUp() {
        String t = h.newSession(j("{'expiry':{'duration':10}}"));
        long[][] cases = {{1, 10}, {998, 10}, {1, 9}, {999, 9}, {1, 8}, {7_998, 1}, {1, 1}};
        for (long[] c : cases) {
            h.clock.advanceMillis(c[0]);
            assertThat(body(info(t)).get("expiry").get("remaining").longValue()).isEqualTo(c[1]);
        }
        // 9.999 s elapsed: still 1; at 10 s a new period starts (deleteSession false)
        h.clock.advanceMillis(1);
        assertThat(body(info(t)).get("expiry").get("remaining").longValue()).isEqualTo(10);
    }

    @Test
    void remainingIsNeverNegative() {
        Session s = h.engine.create(0, 42, null, false, 1000, false, false, false);
        h.clock.advanceSeconds(5);
        assertThat(h.engine.remainingSeconds(s)).isZero();
        h.clock.advanceMillis(-4_999);
        assertThat(h.engine.remainingSeconds(s)).isEqualTo(1);
    }

    @Test
    void infoErrors() {
        assertError(info("\"AAAAAAAAAAAAAAAAAAAAAA\""), "SH_INFO_RSP", 100);
        assertError(info("\"nope\""), "SH_INFO_RSP", 101);
        assertError(h.run(j("{'SH_INFO':{}}")), "SH_INFO_RSP", 101);
    }

    // ---------------------------------------------------------------- SH_INFO_ALL

    @Test
    void infoAllTotals() {
        assertThat(h.run("{\"SH_INFO_ALL\":{}}"))
                .isEqualTo("{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":0,\"totalKeys\":0}}");
        String a = h.newSession("{}");
        String b = h.newSession("{}");
        h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"x\":1,\"y\":2,\"z\":3}}}");
        h.run("{\"SH_SET\":{\"tkn\":" + b + ",\"keys\":{\"x\":1}}}");
        h.run(j("{'KV_SET':{'keys':{'x':1,'y':2}}}"));
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':3,'totalKeys':4}}"));
        h.run("{\"SH_RMV\":{\"tkn\":" + a + ",\"keys\":[\"x\",\"nope\"]}}");
        h.run("{\"SH_ADD\":{\"tkn\":" + b + ",\"keys\":{\"x\":5,\"w\":6}}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':3,'totalKeys':4}}"));
        h.run("{\"SH_CLEAR_SET\":{\"tkn\":" + a + ",\"keys\":{\"q\":1}}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':3,'totalKeys':3}}"));
        h.run("{\"SH_END\":{\"tkn\":" + b + "}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':2,'totalKeys':1}}"));
        h.run("{\"SH_CLEAR\":{\"tkn\":" + a + "}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), j("{'SH_INFO_ALL_RSP':{'st':1,'totalSessions':2,'totalKeys':0}}"));
    }

    // ---------------------------------------------------------------- string tokens

    @Nested
    class StringTokens {
        @Test
        void escapedSpellingOfATokenIsTheSameToken() {
            String t = h.newSession("{}");
            String raw = t.substring(1, t.length() - 1);
            StringBuilder esc = new StringBuilder("\"");
            for (char c : raw.toCharArray()) {
                esc.append(String.format("\\u%04x", (int) c));
            }
            esc.append('"');
            assertThat(st(info(esc.toString()))).isEqualTo(1);
            assertThat(body(info(esc.toString())).get("tkn").textValue()).isEqualTo(raw);
        }

        @Test
        void nonZeroPaddingBitsAre101() {
            String t = h.newSession("{}");
            String raw = t.substring(1, t.length() - 1);
            char last = raw.charAt(21);
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            int v = alphabet.indexOf(last);
            assertThat(v & 15).isZero();
            for (int bits = 1; bits < 16; bits++) {
                String bad = "\"" + raw.substring(0, 21) + alphabet.charAt(v | bits) + "\"";
                assertError(info(bad), "SH_INFO_RSP", 101);
            }
        }

        @ParameterizedTest
        @ValueSource(strings = {"12345", "0", "1.5", "-1", "''", "'AAAAAAAAAAAAAAAAAAAAA'",
            "'AAAAAAAAAAAAAAAAAAAAAAA'", "'AAAAAAAAAAAAAAAAAAAAA='", "'AAAAAAAAAAAAAAAAAAAA+A'",
            "'AAAAAAAAAAAAAAAAAAAA/A'", "'AAAAAAAAAAAAAAAAAAAA A'", "' AAAAAAAAAAAAAAAAAAAAAA'",
            "'AAAAAAAAAAAAAAAAAAAA\\u00e9'", "true", "null", "{}", "[]"})
        void malformedTokensAre101(String tkn) {
            assertError(h.run(j("{'SH_INFO':{'tkn':" + tkn + "}}")), "SH_INFO_RSP", 101);
            assertError(h.run(j("{'SH_GET':{'tkn':" + tkn + ",'keys':[]}}")), "SH_GET_RSP", 101);
        }

        @Test
        void wellFormedUnknownTokenIs100() {
            assertError(info("\"AAAAAAAAAAAAAAAAAAAAAA\""), "SH_INFO_RSP", 100);
            assertError(info("\"____________________-w\""), "SH_INFO_RSP", 100);
        }
    }

    // ---------------------------------------------------------------- uint64 tokens

    @Nested
    class Uint64Tokens {
        private final CommandHarness u = new CommandHarness(TokenFormat.UINT64);

        private String uinfo(String tkn) {
            return u.run("{\"SH_INFO\":{\"tkn\":" + tkn + "}}");
        }

        @Test
        void tokensAreJsonNumbersInRange() {
            for (int i = 0; i < 100; i++) {
                String rsp = u.run("{\"SH_NEW\":{}}");
                JsonNode tkn = body(rsp).get("tkn");
                assertThat(tkn.isIntegralNumber()).as(rsp).isTrue();
                BigInteger v = tkn.bigIntegerValue();
                assertThat(v.signum()).isPositive();
                assertThat(v.bitLength()).isLessThanOrEqualTo(64);
                assertThat(st(uinfo(tkn.toString()))).isEqualTo(1);
            }
        }

        @Test
        void decimalStringIsAcceptedAndTokenIsEchoedAsANumber() {
            String t = u.newSession("{}");
            assertThat(t).matches("[1-9][0-9]*");
            String rsp = uinfo("\"" + t + "\"");
            assertJson(rsp, "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + t
                    + ",\"keyCnt\":0,\"shared\":false,\"expires\":false}}");
            assertThat(u.run("{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"a\":1}}}"))
                    .isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
            assertThat(u.run("{\"SH_END\":{\"tkn\":\"" + t + "\"}}"))
                    .isEqualTo("{\"SH_END_RSP\":{\"st\":1,\"tkn\":" + t + "}}");
        }

        @Test
        void largestTokenWorksAsNumberAndString() {
            u.engine.create(0, -1L, null, false, 0, false, false, false);
            String max = "18446744073709551615";
            String expected = "{\"SH_INFO_RSP\":{\"st\":1,\"tkn\":" + max
                    + ",\"keyCnt\":0,\"shared\":false,\"expires\":false}}";
            assertThat(uinfo(max)).isEqualTo(expected);
            assertThat(uinfo("\"" + max + "\"")).isEqualTo(expected);
            assertThat(u.run("{\"SH_EXISTS\":{\"tkns\":[" + max + ",\"" + max + "\",18446744073709551614]}}"))
                    .isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[" + max + ",\"" + max + "\"]}}");
        }

        @Test
        void sharedTokensAreNumbersToo() {
            String rsp = u.run(j("{'SH_NEW':{'name':'n','shared':true}}"));
            JsonNode tkn = body(rsp).get("tkn");
            assertThat(tkn.isIntegralNumber()).isTrue();
            assertJson(u.run(j("{'SH_OPEN':{'name':'n'}}")),
                    "{\"SH_OPEN_RSP\":{\"st\":1,\"tkn\":" + tkn + ",\"name\":\"n\"}}");
        }

        @ParameterizedTest
        @ValueSource(strings = {"0", "'0'", "-1", "'-1'", "-0", "1.5", "1.0", "1e3", "'1e3'",
            "18446744073709551616", "'18446744073709551616'", "99999999999999999999999", "' 1'", "'1 '", "'+1'",
            "''", "'abc'", "'AAAAAAAAAAAAAAAAAAAAAA'", "'000000000000000000001'", "true", "null", "[1]", "{}"})
        void malformedTokensAre101(String tkn) {
            assertError(u.run(j("{'SH_INFO':{'tkn':" + tkn + "}}")), "SH_INFO_RSP", 101);
            assertError(u.run(j("{'SH_END':{'tkn':" + tkn + "}}")), "SH_END_RSP", 101);
        }

        @Test
        void wellFormedUnknownTokensAre100() {
            assertError(uinfo("12345"), "SH_INFO_RSP", 100);
            assertError(uinfo("\"12345\""), "SH_INFO_RSP", 100);
            // leading zeros in the string form are accepted as implemented (up to 20 digits)
            assertError(uinfo("\"00012345\""), "SH_INFO_RSP", 100);
            JsonNode end = body(u.run("{\"SH_END\":{\"tkn\":\"0012345\"}}"));
            assertThat(end.get("st").intValue()).isEqualTo(100);
            assertThat(end.get("tkn").longValue()).isEqualTo(12345);
            assertThat(end.get("tkn").isNumber()).isTrue();
        }

        @Test
        void existsSkipsMalformedItems() {
            String t = u.newSession("{}");
            String rsp = u.run("{\"SH_EXISTS\":{\"tkns\":[" + t + ",0,-" + t + ",\"" + t + "\"," + t
                    + ".5,\"x\",null,18446744073709551616," + t + "]}}");
            assertThat(rsp).isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[" + t + ",\"" + t + "\"," + t + "]}}");
        }
    }
}
