package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.CommandHarness;
import dev.satchel.engine.Entry;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The limits the command loop checks before it changes anything: sessions in total, keys per session, the
 * memory budget (a running total of stored bytes that every path keeps right) and the response size.
 */
class EngineLimitsTest {
    private final CommandHarness h = new CommandHarness();

    private static long entry(String key, String value) {
        return Entry.of(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)).length;
    }

    private int st(String response) {
        return Bystander.parse(response).elements().next().get("st").asInt();
    }

    private String m(String response) {
        return Bystander.parse(response).elements().next().get("m").asText();
    }

    @Test
    void storedBytesIsARunningTotalThatEveryPathKeepsRight() {
        h.engine.limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE);
        assertThat(h.engine.storedBytes()).isZero();
        h.run("{\"KV_SET\":{\"keys\":{\"g\":\"global\"}}}");
        long g = entry("g", "\"global\"");
        assertThat(h.engine.storedBytes()).isEqualTo(g);
        String t = h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":[1,2]}}}");
        long ab = entry("a", "1") + entry("b", "[1,2]");
        assertThat(h.engine.storedBytes()).isEqualTo(g + ab);
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":12345}}}"); // overwrite
        ab += entry("a", "12345") - entry("a", "1");
        assertThat(h.engine.storedBytes()).isEqualTo(g + ab);
        h.run("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"c\":true}}}"); // a exists: untouched
        long abc = ab + entry("c", "true");
        assertThat(h.engine.storedBytes()).isEqualTo(g + abc);
        h.run("{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[\"c\",\"zz\"]}}");
        assertThat(h.engine.storedBytes()).isEqualTo(g + ab);
        h.run("{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":{\"x\":null}}}");
        assertThat(h.engine.storedBytes()).isEqualTo(g + entry("x", "null"));
        h.run("{\"SH_CLEAR\":{\"tkn\":" + t + "}}");
        assertThat(h.engine.storedBytes()).isEqualTo(g);
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"x\":null}}}");
        h.run("{\"SH_END\":{\"tkn\":" + t + "}}");
        assertThat(h.engine.storedBytes()).isEqualTo(g);
        // expiry: a data-clearing period and a deleting one
        String clears = h.newSession("{\"expiry\":{\"duration\":10}}");
        String ends = h.newSession("{\"expiry\":{\"duration\":20,\"deleteSession\":true}}");
        h.run("{\"SH_SET\":{\"tkn\":" + clears + ",\"keys\":{\"k\":1}}}");
        h.run("{\"SH_SET\":{\"tkn\":" + ends + ",\"keys\":{\"k\":2}}}");
        assertThat(h.engine.storedBytes()).isEqualTo(g + 2 * entry("k", "1"));
        h.clock.advanceSeconds(11);
        h.tick();
        assertThat(h.engine.storedBytes()).isEqualTo(g + entry("k", "1"));
        h.clock.advanceSeconds(10);
        h.tick();
        assertThat(h.engine.storedBytes()).isEqualTo(g);
        String s = h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + s + ",\"keys\":{\"k\":1}}}");
        h.run("{\"SH_END_ALL\":{}}");
        h.run("{\"KV_CLEAR\":{}}");
        assertThat(h.engine.storedBytes()).isZero();
    }

    @Test
    void writesBeyondTheBudgetAreRefusedWholeAndFreeingMemoryMakesRoom() {
        long budget = entry("a", "\"" + "x".repeat(50) + "\"") * 2;
        h.engine.limits(Integer.MAX_VALUE, Integer.MAX_VALUE, budget, Integer.MAX_VALUE);
        String v = "\"" + "x".repeat(50) + "\"";
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"a\":" + v + "}}}"))).isEqualTo(1);
        String t = h.newSession("{\"expiry\":{\"duration\":60,\"extendOnSetAdd\":true}}");
        h.clock.advanceSeconds(30);
        String refused = h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":" + v + ",\"b\":1}}}");
        assertThat(st(refused)).isEqualTo(170);
        assertThat(m(refused)).isEqualTo("stored data would exceed limits.maxStoredBytes (" + budget + " bytes)");
        assertThat(h.run("{\"SH_COUNT\":{\"tkn\":" + t + "}}")).contains("\"cnt\":0");
        assertThat(h.run("{\"SH_INFO\":{\"tkn\":" + t + "}}")).as("a refused write does not extend")
                .contains("\"remaining\":30");
        // exactly the budget fits
        assertThat(st(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":" + v + "}}}"))).isEqualTo(1);
        assertThat(h.engine.storedBytes()).isEqualTo(budget);
        // overwriting with the same size, or smaller, is never refused; a CLEAR_SET counts what it clears
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"a\":" + v + "}}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"a\":1}}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":{\"z\":" + v + "}}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"KV_ADD\":{\"keys\":{\"q\":" + v + "}}}"))).isEqualTo(170);
        h.run("{\"SH_END\":{\"tkn\":" + t + "}}");
        assertThat(st(h.run("{\"KV_ADD\":{\"keys\":{\"q\":" + v + "}}}"))).isEqualTo(1);
    }

    @Test
    void keysPerSessionCountsOnlyNewKeys() {
        h.engine.limits(Integer.MAX_VALUE, 3, Long.MAX_VALUE, Integer.MAX_VALUE);
        String t = h.newSession("{}");
        assertThat(st(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":1,\"c\":1}}}"))).isEqualTo(1);
        assertThat(m(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":2,\"d\":1}}}")))
                .isEqualTo("session would hold more than limits.maxKeysPerSession (3) keys");
        assertThat(st(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":2,\"b\":2,\"c\":2}}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"a\":3}}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":{\"x\":1,\"y\":1,\"z\":1}}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":{\"w\":1,\"x\":1,\"y\":1,\"z\":1}}}")))
                .isEqualTo(170);
        assertThat(h.run("{\"SH_KEYS\":{\"tkn\":" + t + "}}")).contains("[\"x\",\"y\",\"z\"]");
        // the global key space has no per-session limit
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"1\":1,\"2\":1,\"3\":1,\"4\":1,\"5\":1}}}"))).isEqualTo(1);
    }

    @Test
    void sessionsInTotalDoNotCountSessionsPastTheirDeadline() {
        h.engine.limits(2, Integer.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE);
        h.newSession("{\"expiry\":{\"duration\":5,\"deleteSession\":true}}");
        h.newSession("{}");
        String full = h.run("{\"SH_NEW\":{}}");
        assertThat(st(full)).isEqualTo(170);
        assertThat(m(full)).isEqualTo("live sessions at limits.maxSessions (2)");
        h.clock.advanceSeconds(6); // the wheel has not run: the limit check expires it first
        assertThat(st(h.run("{\"SH_NEW\":{\"name\":\"n\",\"shared\":true}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_NEW\":{}}"))).isEqualTo(170);
    }

    /**
     * Data past its deadline is never observable, so it must not hold a budget either, even where the wheel
     * (here: a 60 s tick, never run) has not reached it: every limit check expires what is due before it refuses.
     */
    @Test
    void dataPastItsDeadlineDoesNotCountAgainstTheStoredBytesBudget() {
        for (boolean deleteSession : new boolean[] {true, false}) {
            CommandHarness w = new CommandHarness(dev.satchel.protocol.TokenFormat.STRING, "s", 60_000, 64);
            String v = "\"" + "x".repeat(1500) + "\"";
            w.engine.limits(Integer.MAX_VALUE, Integer.MAX_VALUE, 2048, Integer.MAX_VALUE);
            String t = w.newSession("{\"expiry\":{\"duration\":1,\"deleteSession\":" + deleteSession + "}}");
            assertThat(st(w.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":" + v + "}}}"))).isEqualTo(1);
            String live = w.newSession("{}");
            assertThat(st(w.run("{\"KV_SET\":{\"keys\":{\"g\":" + v + "}}}"))).as("over budget while live")
                    .isEqualTo(170);
            w.clock.advanceMillis(1500);
            assertThat(w.run("{\"KV_SET\":{\"keys\":{\"g\":" + v + "}}}")).as("deleteSession %s", deleteSession)
                    .isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
            assertThat(w.engine.storedBytes()).isEqualTo(entry("g", v));
            // the same for a write into another session (SET, ADD, CLEAR_SET), and for KV_ADD / KV_CLEAR_SET
            w.run("{\"KV_CLEAR\":{}}");
            for (String write : new String[] {"SH_SET", "SH_ADD", "SH_CLEAR_SET", "KV_ADD", "KV_CLEAR_SET", "KV_SET"}) {
                String filler = w.newSession("{\"expiry\":{\"duration\":1,\"deleteSession\":" + deleteSession + "}}");
                assertThat(st(w.run("{\"SH_SET\":{\"tkn\":" + filler + ",\"keys\":{\"f\":" + v + "}}}")))
                        .isEqualTo(1);
                w.clock.advanceMillis(1500);
                String target = write.startsWith("SH_") ? "\"tkn\":" + live + "," : "";
                assertThat(st(w.run("{\"" + write + "\":{" + target + "\"keys\":{\"k\":" + v + "}}}")))
                        .as("%s with deleteSession %s", write, deleteSession).isEqualTo(1);
                w.run("{\"SH_CLEAR\":{\"tkn\":" + live + "}}");
                w.run("{\"KV_CLEAR\":{}}");
                assertThat(w.engine.storedBytes()).isZero();
            }
        }
    }

    @Test
    void aWriteIntoASessionThatIsItselfPastItsDeadlineCountsFromAnEmptyStore() {
        CommandHarness w = new CommandHarness(dev.satchel.protocol.TokenFormat.STRING, "s", 60_000, 64);
        w.engine.limits(Integer.MAX_VALUE, 2, 2048, Integer.MAX_VALUE);
        String t = w.newSession("{\"expiry\":{\"duration\":1}}");
        String v = "\"" + "x".repeat(1500) + "\"";
        assertThat(st(w.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":" + v + "}}}"))).isEqualTo(1);
        assertThat(st(w.run("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"c\":1}}}"))).isEqualTo(170);
        w.clock.advanceMillis(1500);
        // its old period's keys are gone: two new keys of 1500 bytes fit the key and byte limits again
        assertThat(st(w.run("{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"c\":1,\"d\":" + v + "}}}")))
                .isEqualTo(1);
        assertThat(w.run("{\"SH_KEYS\":{\"tkn\":" + t + "}}")).contains("[\"c\",\"d\"]");
    }

    @Test
    void sessionsPastTheirDeadlineDoNotCountForSessionsOrLoadsWhateverTheWheelTick() {
        CommandHarness w = new CommandHarness(dev.satchel.protocol.TokenFormat.STRING, "s", 60_000, 64);
        w.engine.limits(3, Integer.MAX_VALUE, 4096, Integer.MAX_VALUE);
        String v = "\"" + "x".repeat(1500) + "\"";
        for (int i = 0; i < 3; i++) {
            String t = w.newSession("{\"expiry\":{\"duration\":1,\"deleteSession\":true}}");
            w.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":" + v + "}}}");
        }
        assertThat(w.engine.loadProblem(2, 0, 0)).isEqualTo("loading 2 sessions would pass limits.maxSessions (3)");
        assertThat(w.engine.loadProblem(0, 1500, 0)).contains("limits.maxStoredBytes");
        w.clock.advanceMillis(1500);
        assertThat(w.engine.loadProblem(0, 1500, 0)).as("KV_LOAD of 1.5 KB: only expired data held the budget")
                .isNull();
        assertThat(w.engine.storedBytes()).isZero();
        assertThat(w.engine.loadProblem(2, 0, 0)).as("SH_LOAD of 2 sessions").isNull();
        assertThat(w.engine.sessionCount()).isZero();
        assertThat(w.engine.loadProblem(4, 0, 0)).as("still a limit").isNotNull();
        // SH_NEW, for the same state reached again
        for (int i = 0; i < 3; i++) {
            w.newSession("{\"expiry\":{\"duration\":1,\"deleteSession\":true}}");
        }
        w.clock.advanceMillis(1500);
        for (int i = 0; i < 3; i++) {
            assertThat(st(w.run("{\"SH_NEW\":{}}"))).isEqualTo(1);
        }
        assertThat(st(w.run("{\"SH_NEW\":{}}"))).isEqualTo(170);
    }

    @Test
    void minusZeroIsAZeroDuration() {
        String t = h.newSession("{\"expiry\":{\"duration\":-0,\"deleteSession\":true}}");
        assertThat(h.run("{\"SH_INFO\":{\"tkn\":" + t + "}}")).contains("\"expires\":false")
                .doesNotContain("\"expiry\"");
        assertThat(st(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":-1}}}"))).isEqualTo(41);
        assertThat(st(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":-0.0}}}"))).isEqualTo(41);
        assertThat(st(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":-0e0}}}"))).isEqualTo(41);
    }

    @Test
    void responsesLargerThanTheLimitAre170AndDoNotExtend() {
        h.engine.limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, 200);
        String t = h.newSession("{\"expiry\":{\"duration\":60,\"extendOnGet\":true}}");
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":\"" + "a".repeat(90) + "\",\"b\":\"" + "b".repeat(90)
                + "\"}}}");
        h.clock.advanceSeconds(30);
        String big = h.run("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\",\"b\"]}}");
        assertThat(st(big)).isEqualTo(170);
        assertThat(m(big)).isEqualTo("response larger than limits.maxResponseBytes (200)");
        assertThat(h.run("{\"SH_INFO\":{\"tkn\":" + t + "}}")).contains("\"remaining\":30");
        assertThat(st(h.run("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\"]}}"))).isEqualTo(1);
        assertThat(h.run("{\"SH_INFO\":{\"tkn\":" + t + "}}")).contains("\"remaining\":60");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            many.append(i == 0 ? "" : ",").append("\"key-").append(i).append("\":1");
        }
        h.run("{\"KV_SET\":{\"keys\":{" + many + "}}}");
        assertThat(m(h.run("{\"KV_KEYS\":{}}"))).contains("limits.maxResponseBytes");
        assertThat(st(h.run("{\"KV_COUNT\":{}}"))).isEqualTo(1);
    }
}
