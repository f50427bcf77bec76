package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.json.TokenFormat;
import dev.satchel.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits in cluster mode, through two real members in this JVM (owners 2: each holds a copy of every
 * session) whose member-wide limits differ: member A admits 8 sessions and 3,000 stored bytes, member B far
 * more. A command's limits are decided by its primary against what the primary's member holds, and every copy
 * replays that decision: so a SH_NEW or a write whose primary is A is refused with the standalone status and
 * message once A is full, one whose primary is B goes through, and A's copy of it is made too (A's own limits,
 * already reached, would have refused it). After B leaves, A (its backup copies promoted) holds exactly the
 * acknowledged data.
 */
@Tag("cluster")
class ClusterLimitsTest {
    static final String SECRET = "cluster-limits-secret-0123456789";
    static final String BIG = "x".repeat(600);
    static final String VALUE = "v".repeat(200);
    static TestServer a;
    static TestServer b;
    static SatchelClient ca;
    static SatchelClient cb;
    @TempDir
    static Path dataRoot;

    @BeforeAll
    static void startCluster() throws Exception {
        String name = "limits-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        TestServer[] two = ClusterModeTest.startTwo((i, port, list) -> i == 0
                ? flags(name, port, list, "8", "3000") : flags(name, port, list, "100000", "10m"));
        a = two[0];
        b = two[1];
        ca = a.connect();
        cb = b.connect();
        assertThat(a.server().cluster().members()).hasSize(2);
    }

    static String[] flags(String name, int port, String list, String maxSessions, String maxStoredBytes)
            throws Exception {
        return new String[] {"--cluster", "true", "--cluster-name", name, "--cluster-port", Integer.toString(port),
                "--cluster-members", list, "--cluster-secret", SECRET, "--admin-port", "0",
                "--persist-path", Files.createTempDirectory(dataRoot, "member").toString(),
                "--max-sessions", maxSessions, "--max-stored-bytes", maxStoredBytes,
                "--max-keys-per-session", "4", "--max-response-bytes", "1024"};
    }

    @AfterAll
    static void stopCluster() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    static JsonNode ask(SatchelClient c, String json) throws Exception {
        return ClusterModeTest.body(ClusterModeTest.ask(c, json));
    }

    /**
     * Asks until the answer is not the transient status 1000 a member gives while the view changes under a
     * cluster-wide command (docs/protocol.md: the client retries); any other error fails the test.
     */
    static JsonNode afterViewChange(SatchelClient c, String json) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            JsonNode r = ask(c, json);
            if (r.get("st").asInt() != 1000 || System.nanoTime() > deadline) {
                assertThat(r.get("st").asInt()).as(r.toString()).isEqualTo(1);
                return r;
            }
            Thread.sleep(100);
        }
    }

    /** Whether member A holds the primary copy of the session {@code token}. */
    static boolean primaryOnA(String token) {
        long[] t = new long[2];
        byte[] text = token.getBytes(StandardCharsets.US_ASCII);
        assertThat(TokenFormat.parseBase64(text, 0, text.length, t)).isTrue();
        ClusterMember m = a.server().cluster();
        return m.isPrimary(m.sessionsCache(), new SessionKey(t[0], t[1]));
    }

    static void assertLimit(JsonNode answer, String message) {
        assertThat(answer.get("st").asInt()).as(answer.toString()).isEqualTo(170);
        assertThat(answer.get("m").asText()).isEqualTo(message);
    }

    @Test
    void thePrimaryDecidesEveryCopyFollowsAndAFailoverKeepsExactlyTheAcknowledgedData() throws Exception {
        // limits.maxSessions: A holds every session (a copy of each), so once 8 live, A's primaries are refused
        List<String> sessions = new ArrayList<>();
        int refused = 0;
        for (int i = 0; i < 40; i++) {
            JsonNode r = ask(i % 2 == 0 ? ca : cb, "{\"SH_NEW\":{}}");
            if (r.get("st").asInt() == 1) {
                sessions.add(r.get("tkn").asText());
            } else {
                assertLimit(r, "live sessions at limits.maxSessions (8)");
                refused++;
            }
        }
        assertThat(refused).as("SH_NEWs whose primary was A, once A held 8 sessions").isGreaterThan(0);
        assertThat(sessions.size()).isGreaterThanOrEqualTo(8);
        for (String t : sessions.subList(8, sessions.size())) {
            assertThat(primaryOnA(t)).as("a session admitted past 8 has its primary on B").isFalse();
        }
        for (SatchelClient c : List.of(ca, cb)) {
            assertThat(ask(c, "{\"SH_INFO_ALL\":{}}").get("totalSessions").asLong()).isEqualTo(sessions.size());
        }
        // every copy followed its primary: A, full, still took the copies of what B admitted as primary
        assertThat(a.server().cluster().localEntries()).isEqualTo(sessions.size());
        assertThat(b.server().cluster().localEntries()).isEqualTo(sessions.size());
        Map<String, Map<String, String>> acked = new LinkedHashMap<>();
        sessions.forEach(t -> acked.put(t, new TreeMap<>()));

        // limits.maxKeysPerSession (4 on both): refused whole, nothing written
        String first = sessions.get(0);
        assertLimit(ask(ca, "{\"SH_SET\":{\"tkn\":\"" + first + "\",\"keys\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}}}"),
                "session would hold more than limits.maxKeysPerSession (4) keys");
        assertThat(ask(cb, "{\"SH_COUNT\":{\"tkn\":\"" + first + "\"}}").get("cnt").asInt()).isZero();

        // limits.maxResponseBytes (1,024 on both): a GET whose answer would be larger is 170
        String big = sessions.get(1);
        assertThat(ask(cb, "{\"SH_SET\":{\"tkn\":\"" + big + "\",\"keys\":{\"a\":\"" + BIG + "\",\"b\":\"" + BIG
                + "\"}}}").get("st").asInt()).isEqualTo(1);
        acked.get(big).put("a", BIG);
        acked.get(big).put("b", BIG);
        assertLimit(ask(ca, "{\"SH_GET\":{\"tkn\":\"" + big + "\",\"keys\":[\"a\",\"b\"]}}"),
                "response larger than limits.maxResponseBytes (1024)");

        // limits.maxStoredBytes: A's 3,000 bytes fill up; then writes whose primary is A are refused, B's go on
        int refusedWrites = 0;
        int writesOnBAfterFull = 0;
        for (int k = 0; k < 4; k++) {
            for (String t : sessions) {
                if (t.equals(big) && k < 2) {
                    continue;
                }
                String key = "k" + k;
                JsonNode r = ask(k % 2 == 0 ? ca : cb, "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"" + key
                        + "\":\"" + VALUE + "\"}}}");
                if (r.get("st").asInt() == 1) {
                    acked.get(t).put(key, VALUE);
                    if (refusedWrites > 0 && !primaryOnA(t)) {
                        writesOnBAfterFull++;
                    }
                } else {
                    assertLimit(r, "stored data would exceed limits.maxStoredBytes (3000 bytes)");
                    assertThat(primaryOnA(t)).as("only A's budget is small").isTrue();
                    refusedWrites++;
                }
            }
        }
        assertThat(refusedWrites).isGreaterThan(0);
        assertThat(writesOnBAfterFull).as("B's primaries are not bound by A's budget").isGreaterThan(0);
        assertThat(a.server().cluster().budget().storedBytes()).as("A's copies hold what B's copies hold")
                .isEqualTo(b.server().cluster().budget().storedBytes()).isGreaterThan(3000);

        // a load is checked against every member that would hold a copy: refused whole before anything changes
        assertThat(ask(cb, "{\"SH_SAVE\":{\"name\":\"all\"}}").get("st").asInt()).isEqualTo(121);
        JsonNode load = ask(cb, "{\"SH_LOAD\":{\"name\":\"all\"}}");
        assertThat(load.get("st").asInt()).as(load.toString()).isEqualTo(170);
        assertThat(load.get("m").asText()).isEqualTo("loading " + sessions.size()
                + " sessions would pass limits.maxSessions (8)");
        assertThat(ask(cb, "{\"SH_INFO_ALL\":{}}").get("totalSessions").asLong()).isEqualTo(sessions.size());

        // B leaves: A serves every session from its own copies (the backups of B's primaries, admitted by B
        // while A itself was full), which hold exactly what was acknowledged
        b.close();
        b = null;
        assertThat(afterViewChange(ca, "{\"SH_INFO_ALL\":{}}").get("totalSessions").asLong())
                .isEqualTo(sessions.size());
        for (Map.Entry<String, Map<String, String>> e : acked.entrySet()) {
            JsonNode keys = ask(ca, "{\"SH_KEYS\":{\"tkn\":\"" + e.getKey() + "\"}}").get("keys");
            List<String> names = new ArrayList<>();
            keys.forEach(n -> names.add(n.asText()));
            assertThat(names).as("keys of %s", e.getKey()).containsExactlyInAnyOrderElementsOf(e.getValue().keySet());
            for (Map.Entry<String, String> kv : e.getValue().entrySet()) {
                assertThat(ask(ca, "{\"SH_GET\":{\"tkn\":\"" + e.getKey() + "\",\"keys\":[\"" + kv.getKey() + "\"]}}")
                        .get("keys").get(kv.getKey()).asText()).isEqualTo(kv.getValue());
            }
        }
    }
}
