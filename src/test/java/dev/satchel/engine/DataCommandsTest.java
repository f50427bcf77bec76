package dev.satchel.engine;

import static dev.satchel.engine.Rsp.assertError;
import static dev.satchel.engine.Rsp.assertJson;
import static dev.satchel.engine.Rsp.body;
import static dev.satchel.engine.Rsp.j;
import static dev.satchel.engine.Rsp.texts;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The key-value commands in both forms: {@code KV_*} on the global key space and {@code SH_*} on a session.
 * Every parameterized test runs once with {@code "KV"} and once with {@code "SH"}.
 */
class DataCommandsTest {
    private final CommandHarness h = new CommandHarness();
    private String mode;
    private String tkn;

    private void use(String m) {
        mode = m;
        tkn = m.equals("SH") ? h.newSession("{}") : null;
    }

    /** Runs {@code <MODE>_<cmd>} with the given parameter members (single quotes allowed). */
    private String run(String cmd, String params) {
        String p = j(params);
        if (tkn != null) {
            p = "\"tkn\":" + tkn + (p.isEmpty() ? "" : "," + p);
        }
        return h.run("{\"" + mode + "_" + cmd + "\":{" + p + "}}");
    }

    /** Like {@link #run} but the parameters are used exactly as given (no quote replacement). */
    private String runRaw(String cmd, String params) {
        String p = params;
        if (tkn != null) {
            p = "\"tkn\":" + tkn + (p.isEmpty() ? "" : "," + p);
        }
        return h.run("{\"" + mode + "_" + cmd + "\":{" + p + "}}");
    }

    private String rsp(String cmd) {
        return mode + "_" + cmd + "_RSP";
    }

    private String ok(String cmd) {
        return "{\"" + rsp(cmd) + "\":{\"st\":1}}";
    }

    private List<String> keys() {
        return texts(body(run("KEYS", "")).get("keys"));
    }

    private static String quoted(String s) {
        try {
            return Rsp.MAPPER.writeValueAsString(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- SET / ADD

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void setInsertsAndOverwrites(String m) {
        use(m);
        assertThat(run("SET", "'keys':{'a':1,'b':'x'}")).isEqualTo(ok("SET"));
        assertThat(run("SET", "'keys':{'a':{'n':2},'c':[]}")).isEqualTo(ok("SET"));
        assertThat(run("GET", "'keys':['a','b','c']"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"a\":{\"n\":2},\"b\":\"x\",\"c\":[]}}}");
        assertThat(run("SET", "'keys':{}")).isEqualTo(ok("SET"));
        assertThat(run("COUNT", "")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":3}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void setWithDuplicateMembersIs13AndWritesNothing(String m) {
        use(m);
        // duplicate member names are refused at every level: in keys, and inside stored values
        assertError(run("SET", "'keys':{'a':1,'b':2,'a':3}"), rsp("SET"), 13);
        assertError(runRaw("SET", "\"keys\":{\"a\":1,\"\\u0061\":3}"), rsp("SET"), 13);
        assertError(run("SET", "'keys':{'a':{'x':1,'y':[{'z':1,'z':2}]}}"), rsp("SET"), 13);
        assertThat(keys()).isEmpty();
        assertThat(run("SET", "'keys':{'a':{'x':1,'y':[{'z':1},{'z':2}]},'b':{'a':1}}")).isEqualTo(ok("SET"));
        assertThat(keys()).containsExactly("a", "b");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void setAddAndClearSetParameterErrors(String m) {
        use(m);
        for (String cmd : new String[] {"SET", "ADD", "CLEAR_SET"}) {
            assertError(run(cmd, ""), rsp(cmd), 26);
            assertError(run(cmd, "'key':{'a':1}"), rsp(cmd), 26);
            for (String v : new String[] {"[]", "['a']", "'a'", "1", "null", "true"}) {
                assertError(run(cmd, "'keys':" + v), rsp(cmd), 41);
            }
            assertError(run(cmd, "'keys':{},'keys':{}"), rsp(cmd), 13);
        }
        assertThat(run("COUNT", "")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":0}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void addLeavesExistingKeysUntouched(String m) {
        use(m);
        run("SET", "'keys':{'a':1,'b':2}");
        assertThat(run("ADD", "'keys':{'b':20,'c':30,'a':10}")).isEqualTo(ok("ADD"));
        assertThat(run("ADD", "'keys':{}")).isEqualTo(ok("ADD"));
        assertThat(run("GET", "'keys':['a','b','c']"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"a\":1,\"b\":2,\"c\":30}}}");
        assertThat(keys()).containsExactly("a", "b", "c");
        // a duplicate member inside one ADD is 13 and adds nothing
        assertError(run("ADD", "'keys':{'d':1,'d':2}"), rsp("ADD"), 13);
        assertJson(run("GET", "'keys':['d']"), "{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{}}}");
    }

    // ---------------------------------------------------------------- GET

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void getOmitsMissingIgnoresNonStringsAndListsEachKeyOnce(String m) {
        use(m);
        run("SET", "'keys':{'a':1,'b':2,'c':3}");
        assertThat(run("GET", "'keys':[]")).isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{}}}");
        assertThat(run("GET", "'keys':['zz']")).isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{}}}");
        assertThat(runRaw("GET", "\"keys\":[\"c\",1,null,true,{\"a\":1},[\"a\"],\"zz\",\"a\",\"c\",\"\\u0061\",\"a\"]"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"c\":3,\"a\":1}}}");
        // more than 16 requested keys takes another path for the duplicate check
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            many.add(i % 3 == 0 ? "\"b\"" : i % 3 == 1 ? "\"a\"" : "\"x" + i + "\"");
        }
        assertThat(runRaw("GET", "\"keys\":[" + String.join(",", many) + "]"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"b\":2,\"a\":1}}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void getWithManyDistinctKeysAndDuplicates(String m) {
        use(m);
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            set.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        }
        runRaw("SET", "\"keys\":{" + set + "}");
        // remove some so positions have holes, then ask for every key twice in reverse order
        StringBuilder rmv = new StringBuilder();
        for (int i = 0; i < 100; i += 7) {
            rmv.append(i == 0 ? "" : ",").append("\"k").append(i).append('"');
        }
        runRaw("RMV", "\"keys\":[" + rmv + "]");
        List<String> ask = new ArrayList<>();
        StringBuilder expected = new StringBuilder();
        for (int i = 99; i >= 0; i--) {
            ask.add("\"k" + i + "\"");
            ask.add("\"k" + i + "\"");
            if (i % 7 != 0) {
                expected.append(expected.length() == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
            }
        }
        assertThat(runRaw("GET", "\"keys\":[" + String.join(",", ask) + "]"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{" + expected + "}}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void valuesComeBackByteForByte(String m) {
        use(m);
        String[][] kv = {
            {"n", "{ \"x\" : [ 1 ,\n\t2 , { \"y\" : \"a b\\n \\\" }\" } ] , \"z\":{}}", "{\"x\":[1,2,{\"y\":\"a b\\n \\\" }\"}],\"z\":{}}"},
            {"u", "\"h\u00e9llo \uD83D\uDE00 \u4e2d\"", null},
            {"e", "\"q\\\"b\\\\s\\/n\\n\\t\\u0000\\u00e9\\uD83D\\uDE00\\ud800\"", null},
            {"big", "123456789012345678901234567890", null},
            {"neg", "-123456789012345678901234567890.000000000000000000001", null},
            {"f", "1.0e+30", null},
            {"g", "-0.5E-3", null},
            {"zero", "-0", null},
            {"nul", "null", null},
            {"t", "true", null},
            {"fa", "false", null},
            {"s", "\"  spaced  \\t \"", null},
            {"arr", "[ ]", "[]"},
            {"obj", " {\r\n} ", "{}"},
            {"deep", "[[[[[[[[{\"a\":[ null ]}]]]]]]]]", "[[[[[[[[{\"a\":[null]}]]]]]]]]"},
        };
        StringBuilder set = new StringBuilder();
        StringBuilder get = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (String[] e : kv) {
            String sep = set.length() == 0 ? "" : ",";
            set.append(sep).append('"').append(e[0]).append("\":").append(e[1]);
            get.append(sep).append('"').append(e[0]).append('"');
            expected.append(sep).append('"').append(e[0]).append("\":").append(e[2] != null ? e[2] : e[1]);
        }
        assertThat(runRaw("SET", "\"keys\":{" + set + "}")).isEqualTo(ok("SET"));
        String rsp = runRaw("GET", "\"keys\":[" + get + "]");
        assertThat(rsp).isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{" + expected + "}}}");
        Rsp.tree(rsp); // and it is valid JSON
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void getParameterErrors(String m) {
        use(m);
        assertError(run("GET", ""), rsp("GET"), 26);
        for (String v : new String[] {"{}", "{'a':1}", "'a'", "1", "null", "true"}) {
            assertError(run("GET", "'keys':" + v), rsp("GET"), 41);
        }
    }

    // ---------------------------------------------------------------- RMV

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void rmvRemovesAndIgnoresAbsentKeys(String m) {
        use(m);
        run("SET", "'keys':{'a':1,'b':2,'c':3}");
        assertThat(run("RMV", "'keys':['b','nope','b',7]")).isEqualTo(ok("RMV"));
        assertThat(keys()).containsExactly("a", "c");
        assertThat(runRaw("RMV", "\"keys\":[\"\\u0061\"]")).isEqualTo(ok("RMV"));
        assertThat(keys()).containsExactly("c");
        // only non-string items: not empty, so fine, and nothing is removed
        assertThat(run("RMV", "'keys':[1,null]")).isEqualTo(ok("RMV"));
        assertThat(keys()).containsExactly("c");
        assertThat(run("RMV", "'keys':['c']")).isEqualTo(ok("RMV"));
        assertThat(keys()).isEmpty();
        assertThat(run("RMV", "'keys':['c']")).isEqualTo(ok("RMV"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void rmvParameterErrors(String m) {
        use(m);
        run("SET", "'keys':{'a':1}");
        assertError(run("RMV", "'keys':[]"), rsp("RMV"), 42);
        assertError(run("RMV", ""), rsp("RMV"), 26);
        for (String v : new String[] {"{}", "{'a':1}", "'a'", "1", "null", "true"}) {
            assertError(run("RMV", "'keys':" + v), rsp("RMV"), 41);
        }
        assertThat(keys()).containsExactly("a");
    }

    // ---------------------------------------------------------------- CONTAINS / COUNT / KEYS

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void containsListsMatchingItemsInRequestOrder(String m) {
        use(m);
        run("SET", "'keys':{'a':1,'b':2,'c':3}");
        String name = rsp("CONTAINS");
        assertThat(run("CONTAINS", "'keys':[]")).isEqualTo("{\"" + name + "\":{\"st\":1,\"contains\":[]}}");
        assertThat(run("CONTAINS", "'keys':['c','zz','a',1,null,['b']]"))
                .isEqualTo("{\"" + name + "\":{\"st\":1,\"contains\":[\"c\",\"a\"]}}");
        // as implemented: duplicates are kept (one entry per matching item), and an item is echoed in the
        // canonical spelling of the key (here "\u0061" comes back as "a")
        assertThat(runRaw("CONTAINS", "\"keys\":[\"a\",\"b\",\"a\",\"\\u0061\"]"))
                .isEqualTo("{\"" + name + "\":{\"st\":1,\"contains\":[\"a\",\"b\",\"a\",\"a\"]}}");
        assertError(run("CONTAINS", ""), name, 26);
        assertError(run("CONTAINS", "'keys':{}"), name, 41);
        assertError(run("CONTAINS", "'keys':'a'"), name, 41);
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void countAndKeysOnEmptyStore(String m) {
        use(m);
        assertThat(run("COUNT", "")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":0}}");
        assertThat(run("KEYS", "")).isEqualTo("{\"" + rsp("KEYS") + "\":{\"st\":1,\"keys\":[]}}");
        // unknown parameters are ignored
        assertThat(run("COUNT", "'keys':5,'x':[1]")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":0}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void keysAreInInsertionOrder(String m) {
        use(m);
        run("SET", "'keys':{'z':1,'a':2,'m':3}");
        run("SET", "'keys':{'b':4}");
        assertThat(keys()).containsExactly("z", "a", "m", "b");
        run("SET", "'keys':{'a':20}");             // overwrite keeps its position
        run("ADD", "'keys':{'z':10}");             // add of an existing key: nothing moves
        assertThat(keys()).containsExactly("z", "a", "m", "b");
        run("RMV", "'keys':['a']");
        run("SET", "'keys':{'a':3}");              // removed then re-added: moves to the end
        assertThat(keys()).containsExactly("z", "m", "b", "a");
        run("RMV", "'keys':['z']");
        run("ADD", "'keys':{'z':1}");
        assertThat(keys()).containsExactly("m", "b", "a", "z");
        assertThat(run("COUNT", "")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":4}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void keysOrderSurvivesHeavyChurn(String m) {
        use(m);
        List<String> model = new ArrayList<>();
        java.util.Random rnd = new java.util.Random(11);
        for (int round = 0; round < 60; round++) {
            StringBuilder set = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                String k = "k" + rnd.nextInt(40);
                if (set.indexOf("\"" + k + "\"") < 0) {
                    set.append(set.length() == 0 ? "" : ",").append('"').append(k).append("\":").append(round);
                    if (!model.contains(k)) {
                        model.add(k);
                    }
                }
            }
            runRaw("SET", "\"keys\":{" + set + "}");
            String r = "k" + rnd.nextInt(40);
            runRaw("RMV", "\"keys\":[\"" + r + "\"]");
            model.remove(r);
            assertThat(keys()).containsExactlyElementsOf(model);
        }
    }

    // ---------------------------------------------------------------- CLEAR / CLEAR_SET

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void clearReturnsCount(String m) {
        use(m);
        run("SET", "'keys':{'a':1,'b':2,'c':3}");
        assertThat(run("CLEAR", "")).isEqualTo("{\"" + rsp("CLEAR") + "\":{\"st\":1,\"cnt\":3}}");
        assertThat(run("COUNT", "")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":0}}");
        assertThat(keys()).isEmpty();
        assertThat(run("CLEAR", "")).isEqualTo("{\"" + rsp("CLEAR") + "\":{\"st\":1,\"cnt\":0}}");
        run("SET", "'keys':{'x':1}");
        assertThat(keys()).containsExactly("x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void clearSetReturnsCountRemovedBefore(String m) {
        use(m);
        assertThat(run("CLEAR_SET", "'keys':{'a':1}")).isEqualTo("{\"" + rsp("CLEAR_SET") + "\":{\"st\":1,\"cnt\":0}}");
        run("SET", "'keys':{'b':2,'c':3}");
        assertThat(run("CLEAR_SET", "'keys':{'c':30,'d':4}"))
                .isEqualTo("{\"" + rsp("CLEAR_SET") + "\":{\"st\":1,\"cnt\":3}}");
        assertThat(keys()).containsExactly("c", "d");
        assertThat(run("GET", "'keys':['a','b','c','d']"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"c\":30,\"d\":4}}}");
        assertThat(run("CLEAR_SET", "'keys':{}")).isEqualTo("{\"" + rsp("CLEAR_SET") + "\":{\"st\":1,\"cnt\":2}}");
        assertThat(keys()).isEmpty();
    }

    // ---------------------------------------------------------------- key spellings

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void escapedAndRawSpellingsAreTheSameKey(String m) {
        use(m);
        runRaw("SET", "\"keys\":{\"a\":1}");
        runRaw("SET", "\"keys\":{\"\\u0061\":2}");
        // each pair of spellings in its own request: one object naming a key twice is 13
        runRaw("SET", "\"keys\":{\"\u00e9\":3,\"\\ud83d\\ude00\":5,\"a\\/b\":7,"
                + "\"\\u001F\":9,\"\\\"\":11,\"\\\\\":13,\"\\b\":15}");
        runRaw("SET", "\"keys\":{\"\\u00E9\":4,\"\uD83D\uDE00\":6,\"a/b\":8,"
                + "\"\\u001f\":10,\"\\u0022\":12,\"\\u005C\":14,\"\\u0008\":16}");
        assertThat(run("COUNT", "")).isEqualTo("{\"" + rsp("COUNT") + "\":{\"st\":1,\"cnt\":8}}");
        String keysRsp = run("KEYS", "");
        assertThat(keysRsp).isEqualTo("{\"" + rsp("KEYS") + "\":{\"st\":1,\"keys\":[\"a\",\"\u00e9\",\"\uD83D\uDE00\","
                + "\"a/b\",\"\\u001f\",\"\\\"\",\"\\\\\",\"\\b\"]}}");
        assertThat(runRaw("GET", "\"keys\":[\"\\u0061\",\"\\u00e9\",\"\uD83D\uDE00\",\"a\\u002fb\",\"\\u001F\","
                + "\"\\\"\",\"\\u005c\",\"\\u0008\"]"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"a\":2,\"\u00e9\":4,\"\uD83D\uDE00\":6,"
                        + "\"a/b\":8,\"\\u001f\":10,\"\\\"\":12,\"\\\\\":14,\"\\b\":16}}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void unusualKeysRoundTrip(String m) {
        use(m);
        List<String> names = List.of("", " ", "q\"uote", "back\\slash", "\\\"", "ctl\u0001\u001f\u007f", "nl\n\r\t\b\f",
                "\u0000", "emoji \uD83D\uDE00\uD83C\uDF89", "\u00e9\u4e2d\uFFFF", "/", "{\"not\":\"json\"}",
                "k".repeat(300));
        StringBuilder set = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            set.append(i == 0 ? "" : ",").append(quoted(names.get(i))).append(':').append(i);
        }
        assertThat(runRaw("SET", "\"keys\":{" + set + "}")).isEqualTo(ok("SET"));
        assertThat(keys()).containsExactlyElementsOf(names);
        for (int i = 0; i < names.size(); i++) {
            String rsp = runRaw("GET", "\"keys\":[" + quoted(names.get(i)) + "]");
            assertThat(Rsp.fieldNames(body(rsp).get("keys"))).containsExactly(names.get(i));
            assertThat(body(rsp).get("keys").get(names.get(i)).intValue()).isEqualTo(i);
            assertThat(texts(body(runRaw("CONTAINS", "\"keys\":[" + quoted(names.get(i)) + "]")).get("contains")))
                    .containsExactly(names.get(i));
        }
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            all.append(i == 0 ? "" : ",").append(quoted(names.get(i)));
        }
        assertThat(runRaw("RMV", "\"keys\":[" + all + "]")).isEqualTo(ok("RMV"));
        assertThat(keys()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"KV", "SH"})
    void loneSurrogateKeysAreKeptAsEscapes(String m) {
        use(m);
        runRaw("SET", "\"keys\":{\"\\ud800x\":1,\"\\udc00\":3,\"\\ud800\\u0041\":4}");
        assertError(runRaw("SET", "\"keys\":{\"\\ud800x\":1,\"\\uD800x\":2}"), rsp("SET"), 13); // one key
        runRaw("SET", "\"keys\":{\"\\uD800x\":2}");
        assertThat(run("KEYS", "")).isEqualTo("{\"" + rsp("KEYS") + "\":{\"st\":1,\"keys\":[\"\\ud800x\",\"\\udc00\","
                + "\"\\ud800A\"]}}");
        assertThat(runRaw("GET", "\"keys\":[\"\\uD800x\",\"\\uDC00\"]"))
                .isEqualTo("{\"" + rsp("GET") + "\":{\"st\":1,\"keys\":{\"\\ud800x\":2,\"\\udc00\":3}}}");
    }

    // ---------------------------------------------------------------- isolation and session errors

    @Test
    void sessionsAndGlobalSpaceAreIsolated() {
        String a = h.newSession("{}");
        String b = h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"k\":\"a\"}}}");
        h.run("{\"SH_SET\":{\"tkn\":" + b + ",\"keys\":{\"k\":\"b\",\"only-b\":1}}}");
        h.run(j("{'KV_SET':{'keys':{'k':'global'}}}"));
        assertThat(h.run("{\"SH_GET\":{\"tkn\":" + a + ",\"keys\":[\"k\",\"only-b\"]}}"))
                .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"k\":\"a\"}}}");
        assertThat(h.run("{\"SH_GET\":{\"tkn\":" + b + ",\"keys\":[\"k\",\"only-b\"]}}"))
                .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"k\":\"b\",\"only-b\":1}}}");
        assertThat(h.run(j("{'KV_GET':{'keys':['k','only-b']}}")))
                .isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"k\":\"global\"}}}");
        assertThat(h.run("{\"SH_CLEAR\":{\"tkn\":" + a + "}}")).isEqualTo("{\"SH_CLEAR_RSP\":{\"st\":1,\"cnt\":1}}");
        assertThat(h.run("{\"SH_COUNT\":{\"tkn\":" + b + "}}")).isEqualTo("{\"SH_COUNT_RSP\":{\"st\":1,\"cnt\":2}}");
        assertThat(h.run(j("{'KV_COUNT':{}}"))).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":1}}");
        h.run("{\"SH_END\":{\"tkn\":" + b + "}}");
        assertThat(h.run(j("{'KV_KEYS':{}}"))).isEqualTo("{\"KV_KEYS_RSP\":{\"st\":1,\"keys\":[\"k\"]}}");
        assertThat(h.run("{\"SH_KEYS\":{\"tkn\":" + a + "}}")).isEqualTo("{\"SH_KEYS_RSP\":{\"st\":1,\"keys\":[]}}");
        // KV commands ignore a tkn parameter
        assertThat(h.run("{\"KV_COUNT\":{\"tkn\":" + a + "}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":1}}");
        assertThat(h.run("{\"KV_COUNT\":{\"tkn\":\"bad\"}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":1}}");
    }

    private static final String[][] SH_COMMANDS = {
        {"SET", "'keys':{'a':1}"}, {"ADD", "'keys':{'a':1}"}, {"GET", "'keys':['a']"}, {"RMV", "'keys':['a']"},
        {"CONTAINS", "'keys':['a']"}, {"COUNT", ""}, {"KEYS", ""}, {"CLEAR", ""}, {"CLEAR_SET", "'keys':{'a':1}"},
    };

    @Test
    void sessionCommandsOnUnknownOrMalformedTokens() {
        for (String[] c : SH_COMMANDS) {
            String p = c[1].isEmpty() ? "" : "," + c[1];
            assertError(h.run(j("{'SH_" + c[0] + "':{'tkn':'AAAAAAAAAAAAAAAAAAAAAA'" + p + "}}")), "SH_" + c[0] + "_RSP", 100);
            assertError(h.run(j("{'SH_" + c[0] + "':{'tkn':'nope'" + p + "}}")), "SH_" + c[0] + "_RSP", 101);
            assertError(h.run(j("{'SH_" + c[0] + "':{'tkn':7" + p + "}}")), "SH_" + c[0] + "_RSP", 101);
            assertError(h.run(j("{'SH_" + c[0] + "':{" + (c[1].isEmpty() ? "" : c[1]) + "}}")), "SH_" + c[0] + "_RSP", 101);
        }
        assertThat(h.engine.sessionCount()).isZero();
        assertThat(h.run(j("{'KV_COUNT':{}}"))).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
    }

    @Test
    void parameterValidationRunsBeforeSessionLookupButAfterTokenCheck() {
        String unknown = "'AAAAAAAAAAAAAAAAAAAAAA'";
        assertError(h.run(j("{'SH_SET':{'tkn':" + unknown + ",'keys':[]}}")), "SH_SET_RSP", 41);
        assertError(h.run(j("{'SH_ADD':{'tkn':" + unknown + "}}")), "SH_ADD_RSP", 26);
        assertError(h.run(j("{'SH_GET':{'tkn':" + unknown + ",'keys':{}}}")), "SH_GET_RSP", 41);
        assertError(h.run(j("{'SH_RMV':{'tkn':" + unknown + ",'keys':[]}}")), "SH_RMV_RSP", 42);
        assertError(h.run(j("{'SH_CONTAINS':{'tkn':" + unknown + "}}")), "SH_CONTAINS_RSP", 26);
        assertError(h.run(j("{'SH_CLEAR_SET':{'tkn':" + unknown + ",'keys':null}}")), "SH_CLEAR_SET_RSP", 41);
        // token problems come first
        assertError(h.run(j("{'SH_SET':{'tkn':'bad','keys':[]}}")), "SH_SET_RSP", 101);
        assertError(h.run(j("{'SH_SET':{'keys':[]}}")), "SH_SET_RSP", 101);
        assertError(h.run(j("{'SH_RMV':{'keys':[]}}")), "SH_RMV_RSP", 101);
        assertError(h.run(j("{'SH_GET':{'tkn':1}}")), "SH_GET_RSP", 101);
        // a duplicate parameter is a syntax problem before anything else
        assertError(h.run(j("{'SH_GET':{'tkn':'bad','tkn':'bad','keys':[]}}")), "SH_GET_RSP", 13);
    }

    @Test
    void sessionResponsesDoNotEchoTheToken() {
        String t = h.newSession("{}");
        assertThat(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1}}}")).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"a\":1}}}")).isEqualTo("{\"SH_ADD_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[\"x\"]}}")).isEqualTo("{\"SH_RMV_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"SH_KEYS\":{\"tkn\":" + t + "}}")).isEqualTo("{\"SH_KEYS_RSP\":{\"st\":1,\"keys\":[\"a\"]}}");
    }

    @Test
    void sessionKeyCountsStayExact() {
        String a = h.newSession("{}");
        String b = h.newSession("{}");
        java.util.Random rnd = new java.util.Random(3);
        java.util.Map<String, java.util.Set<String>> model = new java.util.HashMap<>();
        model.put(a, new java.util.HashSet<>());
        model.put(b, new java.util.HashSet<>());
        for (int i = 0; i < 500; i++) {
            String t = rnd.nextBoolean() ? a : b;
            String k = "k" + rnd.nextInt(20);
            java.util.Set<String> s = model.get(t);
            switch (rnd.nextInt(6)) {
                case 0, 1 -> {
                    h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"" + k + "\":1}}}");
                    s.add(k);
                }
                case 2 -> {
                    h.run("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"" + k + "\":1}}}");
                    s.add(k);
                }
                case 3 -> {
                    h.run("{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[\"" + k + "\"]}}");
                    s.remove(k);
                }
                case 4 -> {
                    if (rnd.nextInt(10) == 0) {
                        h.run("{\"SH_CLEAR\":{\"tkn\":" + t + "}}");
                        s.clear();
                    }
                }
                default -> {
                    if (rnd.nextInt(10) == 0) {
                        h.run("{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":{\"" + k + "\":2}}}");
                        s.clear();
                        s.add(k);
                    }
                }
            }
            int total = model.get(a).size() + model.get(b).size();
            assertThat(h.engine.sessionKeyCount()).isEqualTo(total);
        }
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":2,\"totalKeys\":"
                + (model.get(a).size() + model.get(b).size()) + "}}");
        assertThat(Rsp.body(h.run("{\"SH_INFO\":{\"tkn\":" + a + "}}")).get("keyCnt").intValue())
                .isEqualTo(model.get(a).size());
    }
}
