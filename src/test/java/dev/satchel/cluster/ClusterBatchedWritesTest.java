package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes in batches, through two real members in this JVM (owners 2: each holds a copy of every session, so
 * what a member holds is all the data, as in one standalone server) with the same limits, next to a standalone
 * server with those limits. A batch reaches the backups before its primary runs it, so no limit verdict can
 * travel with it: writes that do not grow the data run in the batch (no limit can refuse them), a write that
 * would grow it is bounced and sent alone for its primary to decide. The answers must be the standalone
 * server's, in order; the copies equal; nothing half-applied.
 */
@Tag("cluster")
class ClusterBatchedWritesTest {
    static final String SECRET = "cluster-batched-writes-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();
    static final long MAX_STORED = 5000;
    static TestServer a;
    static TestServer b;
    static TestServer standalone;
    static SatchelClient ca;
    static SatchelClient cb;
    static SatchelClient cs;
    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void start() throws Exception {
        String name = "batched-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        TestServer[] two = ClusterModeTest.startTwo((i, port, list) -> member(name, port, list));
        a = two[0];
        b = two[1];
        standalone = TestServer.start(limits());
        ca = a.connect();
        cb = b.connect();
        cs = standalone.connect();
        assertThat(a.server().cluster().members()).hasSize(2);
    }

    static String[] limits() {
        return new String[] {"--max-stored-bytes", Long.toString(MAX_STORED), "--max-keys-per-session", "8"};
    }

    static String[] member(String name, int port, String list) throws Exception {
        List<String> f = new ArrayList<>(List.of("--cluster", "true", "--cluster-name", name, "--cluster-port",
                Integer.toString(port), "--cluster-members", list, "--cluster-secret", SECRET, "--admin-port", "0",
                "--persist-path", Files.createTempDirectory(dataRoot, "member").toString()));
        f.addAll(List.of(limits()));
        return f.toArray(new String[0]);
    }

    @AfterAll
    static void stop() {
        for (TestServer s : new TestServer[] {b, a, standalone}) {
            if (s != null) {
                s.close();
            }
        }
    }

    static JsonNode ask(SatchelClient c, String json) throws Exception {
        return ClusterModeTest.body(ClusterModeTest.ask(c, json));
    }

    static String text(char c, int length) {
        return String.valueOf(c).repeat(length);
    }

    /** Sends every request pipelined on one new connection to {@code port}; returns the responses in order. */
    static List<JsonNode> pipeline(int port, List<String> requests) throws Exception {
        List<JsonNode> answers = new ArrayList<>();
        for (String text : pipelineText(port, requests)) {
            answers.add(JSON.readTree(text));
        }
        return answers;
    }

    /**
     * Per session, pipelined: overwrites of the same size, shrinking writes, removals, reads, a growing write
     * that fits, one that passes limits.maxStoredBytes and one that passes limits.maxKeysPerSession, each unit
     * mixing them; the sessions together near the member's limit. Every refusal is certain in any order of the
     * sessions (the too-large write is larger than the room left at any point, the fitting growth smaller), so
     * the standalone server's answers are the expected ones, response by response.
     */
    @Test
    void aPipelineMixingGrowingAndNonGrowingWritesNearTheLimitAnswersAsStandaloneAndKeepsCopiesEqual()
            throws Exception {
        int sessions = 6;
        List<String> clusterTokens = new ArrayList<>();
        List<String> standaloneTokens = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            clusterTokens.add(ask(ca, "{\"SH_NEW\":{}}").get("tkn").asText());
            standaloneTokens.add(ask(cs, "{\"SH_NEW\":{}}").get("tkn").asText());
        }
        // about 3,700 of the 5,000 bytes: 6 sessions of two 300-character values
        for (int i = 0; i < sessions; i++) {
            String fill = "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"a\":\"" + text('a', 300) + "\",\"b\":\""
                    + text('b', 300) + "\"}}}";
            assertThat(ask(ca, fill.replace("$T", clusterTokens.get(i))).get("st").asInt()).isEqualTo(1);
            assertThat(ask(cs, fill.replace("$T", standaloneTokens.get(i))).get("st").asInt()).isEqualTo(1);
        }
        List<String> script = new ArrayList<>();
        List<Integer> sessionOf = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < sessions; i++) {
                char letter = (char) ('c' + round);
                String[] unit = {
                    "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"a\":\"" + text(letter, 300) + "\"}}}", // same size
                    "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"a\"]}}",
                    "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"b\":\"" + text(letter, 280 - 20 * round) + "\"}}}",
                    "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"big\":\"" + text('z', 3000) + "\"}}}", // never fits
                    "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"b\"]}}",
                    "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"b\":\"" + text(letter, 290 - 20 * round) + "\"}}}",
                    "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,"
                            + "\"k6\":6}}}", // with a and b, 9 keys: more than 8
                    "{\"SH_RMV\":{\"tkn\":\"$T\",\"keys\":[\"none\"]}}",
                    "{\"SH_ADD\":{\"tkn\":\"$T\",\"keys\":{\"a\":1}}}", // a exists: nothing added
                    "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"a\",\"b\",\"big\",\"k0\"]}}",
                };
                for (String r : unit) {
                    script.add(r);
                    sessionOf.add(i);
                }
            }
        }
        List<String> onCluster = new ArrayList<>();
        List<String> onStandalone = new ArrayList<>();
        for (int n = 0; n < script.size(); n++) {
            onCluster.add(script.get(n).replace("$T", clusterTokens.get(sessionOf.get(n))));
            onStandalone.add(script.get(n).replace("$T", standaloneTokens.get(sessionOf.get(n))));
        }
        ClusterMember.Stats stats = a.server().cluster().statistics();
        long batched = stats.batchedCommands();
        long bounced = stats.bounced();
        List<JsonNode> expected = pipeline(standalone.port(), onStandalone);
        List<JsonNode> got = pipeline(a.port(), onCluster);
        int refusedBytes = 0;
        int refusedKeys = 0;
        for (int n = 0; n < script.size(); n++) {
            assertThat(got.get(n)).as("response %d to %.90s", n, script.get(n)).isEqualTo(expected.get(n));
            JsonNode body = ClusterModeTest.body(expected.get(n));
            if (body.get("st").asInt() == 170) {
                if (body.get("m").asText().contains("maxStoredBytes")) {
                    refusedBytes++;
                } else {
                    refusedKeys++;
                }
            }
        }
        assertThat(refusedBytes).as("the too-large writes, refused").isEqualTo(3 * sessions);
        assertThat(refusedKeys).as("the too-many-keys writes, refused").isEqualTo(3 * sessions);
        assertThat(stats.batchedCommands()).as("commands sent in batches").isGreaterThan(batched);
        assertThat(stats.bounced()).as("growing writes bounced out of batches").isGreaterThan(bounced);
        // what each session holds: the standalone server's, on both copies alike
        for (int i = 0; i < sessions; i++) {
            String all = "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"a\",\"b\",\"big\",\"k0\",\"k6\"]}}";
            JsonNode want = ask(cs, all.replace("$T", standaloneTokens.get(i)));
            assertThat(ask(cb, all.replace("$T", clusterTokens.get(i)))).isEqualTo(want);
            ClusterModeTest.assertCopiesEqual(List.of(a, b), clusterTokens.get(i), want.get("keys").size());
        }
        assertThat(a.server().cluster().budget().storedBytes()).as("both members count the same data")
                .isEqualTo(b.server().cluster().budget().storedBytes()).isLessThanOrEqualTo(MAX_STORED);
        for (int i = 0; i < sessions; i++) {
            ask(ca, "{\"SH_END\":{\"tkn\":\"" + clusterTokens.get(i) + "\"}}");
            ask(cs, "{\"SH_END\":{\"tkn\":\"" + standaloneTokens.get(i) + "\"}}");
        }
    }

    /**
     * Overwrites of the same size, pipelined on many sessions: they go in batches (only writes in the burst, so
     * the batched commands are writes) and none is bounced; every answer is right, in order; copies equal.
     */
    @Test
    void pipelinedOverwritesOnManySessionsAreBatchedAndAnsweredInOrder() throws Exception {
        int sessions = 20;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            String t = ask(ca, "{\"SH_NEW\":{}}").get("tkn").asText();
            tokens.add(t);
            assertThat(ask(ca, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"n\":10000}}}").get("st").asInt())
                    .isEqualTo(1);
        }
        ClusterMember.Stats stats = a.server().cluster().statistics();
        long batches = stats.batches();
        long batched = stats.batchedCommands();
        long bounced = stats.bounced();
        List<String> writes = new ArrayList<>();
        for (int round = 1; round <= 3; round++) {
            for (int i = 0; i < sessions; i++) {
                writes.add("{\"SH_SET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":{\"n\":" + (10000 + round * 100 + i)
                        + "}}}");
            }
        }
        for (JsonNode r : pipeline(a.port(), writes)) {
            assertThat(r.toString()).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
        }
        assertThat(stats.batches()).as("batches sent").isGreaterThan(batches);
        assertThat(stats.batchedCommands() - batched).as("writes in them")
                .isGreaterThanOrEqualTo(2 * (stats.batches() - batches));
        assertThat(stats.bounced()).as("an overwrite of the same size grows nothing").isEqualTo(bounced);
        // then writes and reads interleaved: each read sees the write before it
        List<String> mixed = new ArrayList<>();
        List<Long> want = new ArrayList<>();
        for (int round = 4; round <= 5; round++) {
            for (int i = 0; i < sessions; i++) {
                long v = 10000 + round * 100 + i;
                mixed.add("{\"SH_SET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":{\"n\":" + v + "}}}");
                want.add(-1L);
                mixed.add("{\"SH_GET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":[\"n\"]}}");
                want.add(v);
            }
        }
        List<JsonNode> answers = pipeline(a.port(), mixed);
        for (int n = 0; n < mixed.size(); n++) {
            JsonNode body = ClusterModeTest.body(answers.get(n));
            assertThat(body.get("st").asInt()).as("response %d: %s", n, answers.get(n)).isEqualTo(1);
            if (want.get(n) >= 0) {
                assertThat(body.get("keys").get("n").asLong()).as("response %d", n).isEqualTo(want.get(n));
            }
        }
        assertThat(stats.bounced()).isEqualTo(bounced);
        for (String t : tokens) {
            ClusterModeTest.assertCopiesEqual(List.of(a, b), t, 1);
        }
        for (String t : tokens) {
            ask(ca, "{\"SH_END\":{\"tkn\":\"" + t + "\"}}");
        }
    }

    // ---- the global key space, partitioned into buckets (issue 11) ----

    /** Key names over many buckets, with non-ASCII keys, escapes and keys two spellings of which are one key. */
    private static final String[] GLOBAL_KEYS = buildGlobalKeys();

    private static String[] buildGlobalKeys() {
        List<String> k = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            k.add("k" + i);
        }
        k.addAll(List.of("ключ", "clé", "cl\\u00e9", "a\\\"b", "☃", "tab\\tkey", "slash\\\\", "\\ud83d\\ude00"));
        return k.toArray(new String[0]);
    }

    private static final String[] VALUES = {"1", "-2.5e3", "\"s\"", "\"}]\\\"{\"", "[1,{\"a\":[]},\"]\"]",
        "{\"x\":{\"y\":\"}\"}}", "true", "null", "\"é ☃\""};

    private static String randomKeys(java.util.Random rnd, int n, boolean withValues) {
        StringBuilder b = new StringBuilder(withValues ? "{" : "[");
        List<String> used = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = GLOBAL_KEYS[rnd.nextInt(GLOBAL_KEYS.length)];
            if (withValues && (used.contains(key) || key.equals("clé") && used.contains("cl\\u00e9")
                    || key.equals("cl\\u00e9") && used.contains("clé"))) {
                continue; // a key twice in one object is refused (42): not what this test is about
            }
            used.add(key);
            if (b.length() > 1) {
                b.append(',');
            }
            b.append('"').append(key).append('"');
            if (withValues) {
                b.append(':').append(VALUES[rnd.nextInt(VALUES.length)]);
            }
        }
        return b.append(withValues ? "}" : "]").toString();
    }

    /** A random KV_* request on a few keys (often in several buckets), or a whole-space one. */
    private static String randomGlobalRequest(java.util.Random rnd) {
        int n = 1 + rnd.nextInt(8);
        return switch (rnd.nextInt(20)) {
            case 0, 1, 2, 3, 4 -> "{\"KV_SET\":{\"keys\":" + randomKeys(rnd, n, true) + "}}";
            case 5, 6 -> "{\"KV_ADD\":{\"keys\":" + randomKeys(rnd, n, true) + "}}";
            case 7, 8, 9 -> "{\"KV_GET\":{\"keys\":" + randomKeys(rnd, n, false) + "}}";
            case 10, 11 -> "{\"KV_CONTAINS\":{\"keys\":" + randomKeys(rnd, n, false) + "}}";
            case 12, 13 -> "{\"KV_RMV\":{\"keys\":" + randomKeys(rnd, 1 + rnd.nextInt(3), false) + "}}";
            case 14, 15 -> "{\"KV_KEYS\":{}}";
            case 16 -> "{\"KV_COUNT\":{}}";
            case 17 -> "{\"KV_CLEAR_SET\":{\"keys\":" + randomKeys(rnd, n, true) + "}}";
            case 18 -> rnd.nextInt(4) == 0 ? "{\"KV_CLEAR\":{}}" : "{\"KV_COUNT\":{}}";
            default -> "{\"KV_GET\":{\"keys\":[]}}";
        };
    }

    /** Sends every request pipelined on one new connection; returns the response texts in order. */
    static List<String> pipelineText(int port, List<String> requests) throws Exception {
        List<String> answers = new ArrayList<>();
        try (RawWebSocket raw = RawWebSocket.open(port, 60_000, 0, "")) {
            for (String r : requests) {
                raw.queue(r);
            }
            raw.flush();
            for (int i = 0; i < requests.size(); i++) {
                answers.add(raw.readText());
            }
        }
        return answers;
    }

    private static String text(SatchelClient c, String json) throws Exception {
        return c.sendRaw(json).get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /**
     * Random KV_* requests over keys in many buckets (split per bucket, run on different primaries, merged), one
     * by one through both members in turn and then pipelined through one: every response is the standalone
     * server's, as text (field order, key order, counts). KV_KEYS, after keys were added, removed and re-added
     * through both members, lists them in the standalone's insertion order.
     */
    @Test
    void randomKeyValueRequestsOverManyBucketsAnswerExactlyAsStandalone() throws Exception {
        assertThat(text(ca, "{\"KV_CLEAR\":{}}")).startsWith("{\"KV_CLEAR_RSP\":{\"st\":1");
        text(cs, "{\"KV_CLEAR\":{}}");
        java.util.Random rnd = new java.util.Random(11);
        ClusterMember.Stats stats = a.server().cluster().statistics();
        long batches = stats.batches();
        int split = 0;
        for (int n = 0; n < 300; n++) {
            String r = randomGlobalRequest(rnd);
            String want = text(cs, r);
            String got = text(n % 2 == 0 ? ca : cb, r);
            assertThat(got).as("request %d: %s", n, r).isEqualTo(want);
            if (r.contains("KV_KEYS") && JSON.readTree(want).elements().next().get("keys").size() > 1) {
                split++;
            }
        }
        assertThat(split).as("KV_KEYS over several keys").isGreaterThan(10);
        List<String> script = new ArrayList<>();
        for (int n = 0; n < 200; n++) {
            script.add(randomGlobalRequest(rnd));
        }
        List<String> want = pipelineText(standalone.port(), script);
        List<String> got = pipelineText(b.port(), script);
        for (int n = 0; n < script.size(); n++) {
            assertThat(got.get(n)).as("pipelined request %d: %s", n, script.get(n)).isEqualTo(want.get(n));
        }
        assertThat(stats.batches()).as("whole-space commands go as batches per owner").isGreaterThan(batches);
        assertThat(text(cb, "{\"KV_KEYS\":{}}")).isEqualTo(text(cs, "{\"KV_KEYS\":{}}"));
        assertThat(a.server().cluster().budget().storedBytes()).as("both members hold every bucket (owners 2)")
                .isEqualTo(b.server().cluster().budget().storedBytes());
        text(ca, "{\"KV_CLEAR\":{}}");
        text(cs, "{\"KV_CLEAR\":{}}");
    }

    /** The global keys each member holds in the buckets it is the primary owner of. */
    private static long primaryGlobalKeys(TestServer m) {
        var cache = m.server().cluster().globalsCache();
        var topology = cache.getDistributionManager().getCacheTopology();
        long keys = 0;
        for (int bucket = 0; bucket < Buckets.COUNT; bucket++) {
            if (topology.getDistribution(Buckets.key(bucket)).isPrimary()) {
                Box box = cache.withFlags(org.infinispan.context.Flag.CACHE_MODE_LOCAL).get(Buckets.key(bucket));
                if (box != null && box.global != null) {
                    keys += box.global.size();
                }
            }
        }
        return keys;
    }

    /** Global keys spread over the members: each is the primary owner of some of them, none of all. */
    @Test
    void globalKeysSpreadOverThePrimariesOfEveryMember() throws Exception {
        text(ca, "{\"KV_CLEAR\":{}}");
        StringBuilder keys = new StringBuilder("{");
        for (int i = 0; i < 64; i++) {
            keys.append(i == 0 ? "" : ",").append("\"spread").append(i).append("\":").append(i);
        }
        assertThat(text(cb, "{\"KV_SET\":{\"keys\":" + keys + "}}}")).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        long onA = primaryGlobalKeys(a);
        long onB = primaryGlobalKeys(b);
        assertThat(onA + onB).isEqualTo(64);
        assertThat(onA).as("keys whose bucket's primary is member a").isBetween(8L, 56L);
        assertThat(onB).as("keys whose bucket's primary is member b").isBetween(8L, 56L);
        assertThat(text(ca, "{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":64}}");
        assertThat(text(ca, "{\"SH_INFO_ALL\":{}}")).contains("\"totalKeys\":0"); // global keys are not session keys
        text(ca, "{\"KV_CLEAR\":{}}");
    }

    /**
     * A write over several buckets that a limit refuses changes nothing, in any bucket (a standalone server
     * refuses it whole); one that fits is applied whole. Both answer as standalone.
     */
    @Test
    void aWriteOverSeveralBucketsThatALimitRefusesChangesNothing() throws Exception {
        text(ca, "{\"KV_CLEAR\":{}}");
        text(cs, "{\"KV_CLEAR\":{}}");
        String fill = "{\"KV_SET\":{\"keys\":{\"fill1\":\"" + text('f', 1400) + "\",\"fill2\":\"" + text('g', 1400)
                + "\"}}}";
        StringBuilder big = new StringBuilder("{\"KV_SET\":{\"keys\":{");
        java.util.Set<Integer> buckets = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            big.append(i == 0 ? "" : ",").append("\"big").append(i).append("\":\"").append(text('b', 250))
                    .append('"');
            buckets.add(Buckets.of(("big" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        String bigWrite = big.append("}}}").toString();
        assertThat(buckets.size()).as("buckets the refused write spans").isGreaterThan(3);
        String fits = "{\"KV_SET\":{\"keys\":{\"s1\":1,\"s2\":2,\"s3\":[3],\"s4\":\"four\"}}}";
        String keys = "{\"KV_KEYS\":{}}";
        String get = "{\"KV_GET\":{\"keys\":[\"big0\",\"s2\",\"fill1\",\"big9\",\"fill2\"]}}";
        for (String r : List.of(fill, keys, bigWrite, keys, "{\"KV_COUNT\":{}}", get, fits, keys, get, bigWrite, keys)) {
            String want = text(cs, r);
            assertThat(text(ca, r)).as(r.length() > 80 ? r.substring(0, 80) : r).isEqualTo(want);
        }
        assertThat(text(cs, bigWrite)).as("refused standalone").contains("\"st\":170").contains("maxStoredBytes");
        assertThat(text(cb, bigWrite)).as("refused through the other member too").isEqualTo(text(cs, bigWrite));
        assertThat(text(cb, "{\"KV_COUNT\":{}}")).isEqualTo("{\"KV_COUNT_RSP\":{\"st\":1,\"cnt\":6}}");
        assertThat(a.server().cluster().budget().storedBytes()).isEqualTo(b.server().cluster().budget().storedBytes())
                .isLessThanOrEqualTo(MAX_STORED);
        text(ca, "{\"KV_CLEAR\":{}}");
        text(cs, "{\"KV_CLEAR\":{}}");
    }
}
