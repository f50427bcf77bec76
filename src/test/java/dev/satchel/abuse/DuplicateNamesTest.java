package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.CommandHarness;
import org.junit.jupiter.api.Test;

/**
 * Duplicate member names are refused at every level of a request (13), compared after unescaping; small
 * objects are checked pair by pair, large ones through a seeded hash, both without false alarms.
 */
class DuplicateNamesTest {
    private final CommandHarness h = new CommandHarness();

    private static String keys(int n, String extra) {
        StringBuilder b = new StringBuilder("{\"KV_SET\":{\"keys\":{");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        }
        return b.append(extra).append("}}}").toString();
    }

    private int st(String rsp) {
        return Bystander.parse(rsp).elements().next().get("st").asInt();
    }

    @Test
    void manyDistinctNamesAreFine() {
        assertThat(h.run(keys(10_000, ""))).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        assertThat(h.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":10000}}");
    }

    @Test
    void aDuplicateIsFoundInSmallAndLargeObjectsAndNothingIsWritten() {
        for (int n : new int[] {1, 2, 7, 8, 9, 16, 100, 10_000}) {
            String rsp = h.run(keys(n, ",\"k0\":\"again\""));
            assertThat(rsp).as("%d keys and k0 again", n)
                    .isEqualTo("{\"KV_SET_RSP\":{\"st\":13,\"m\":\"duplicate member name \\\"k0\\\"\"}}");
            assertThat(st(h.run(keys(n, ",\"k\\u0030\":\"escaped\"")))).as("%d keys and k\\u0030", n).isEqualTo(13);
        }
        assertThat(h.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
    }

    @Test
    void sameNamesInDifferentObjectsAreNotDuplicates() {
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"a\":[{\"x\":1},{\"x\":2}],\"b\":{\"x\":{\"x\":{\"x\":1}}},"
                + "\"x\":{\"a\":1,\"b\":2}}}}"))).isEqualTo(1);
        StringBuilder wide = new StringBuilder("{\"KV_SET\":{\"keys\":{\"w\":[");
        for (int i = 0; i < 1000; i++) {
            wide.append(i == 0 ? "" : ",").append("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9}");
        }
        assertThat(st(h.run(wide.append("]}}}").toString()))).isEqualTo(1);
    }

    @Test
    void duplicatesDeepInsideValuesAndParametersAre13() {
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"a\":[1,[2,{\"deep\":{\"y\":1,\"z\":2,\"y\":3}}]]}}}"))).isEqualTo(13);
        assertThat(st(h.run("{\"KV_GET\":{\"keys\":[],\"extra\":1,\"extra\":2}}"))).isEqualTo(13);
        assertThat(st(h.run("{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"other\":1,\"other\":2}}}"))).isEqualTo(13);
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"\\ud800\":1,\"\\uD800\":2}}}"))).isEqualTo(13);
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"\u00e9\":1,\"\\u00e9\":2}}}"))).isEqualTo(13);
        assertThat(st(h.run("{\"KV_SET\":{\"keys\":{\"a/b\":1,\"a\\/b\":2}}}"))).isEqualTo(13);
        assertThat(h.run("{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
    }

    @Test
    void aMegabyteOfMembersIsCheckedQuickly() {
        StringBuilder b = new StringBuilder("{\"SV_INFO\":{\"x\":{");
        for (int i = 0; b.length() < 1 << 20; i++) {
            b.append(i == 0 ? "" : ",").append('"').append(Integer.toString(i, 36)).append("\":0");
        }
        String big = b.append("}}}").toString();
        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            assertThat(st(h.run(big))).isEqualTo(1);
        }
        assertThat((System.nanoTime() - start) / 5 / 1_000_000).as("ms per 1 MiB object").isLessThan(500);
    }
}
