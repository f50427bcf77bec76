package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.CommandHarness;
import dev.satchel.store.Entry;
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
