package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.ClusterJvms;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11 "Semantics": a 3-member cluster (separate JVMs, owners 2) answers exactly like a standalone server.
 * One script of requests covering every command family (session and global data, session life cycle, shared
 * sessions by name, the error statuses, the cluster-wide commands, saving disabled, real-time expiry: data-only,
 * end, sliding) runs against a standalone server and against the cluster, where each request goes through the
 * next member in turn, so consecutive requests on one session always cross members. The responses must be
 * identical text, after tokens (random, or from a different shared-session secret) are replaced by the
 * script's names for them and {@code remaining} by a placeholder.
 *
 * <p>Also readiness: the first member, started alone, answers {@code /health/ready} 503 until the others are
 * there; every member answers 503 before 200; SV_INFO names the cluster's members on every member.
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ClusterJvms.LogsOnFailure.class)
class CrossMemberConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long the first member is watched alone once its admin port answers. */
    private static final long ALONE_MILLIS = 5000;

    private ClusterJvms cluster;
    private TestServer standalone;
    /** /health/ready statuses of member 0 while it was the only process of the cluster. */
    private final List<Integer> aloneReadiness = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        standalone = TestServer.start();
        cluster = ClusterJvms.builder(3).create();
        ClusterJvms.Member first = cluster.member(0);
        first.start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ClusterJvms.READY_TIMEOUT_MILLIS);
        int status;
        while ((status = first.readyStatus()) == -1) {
            assertThat(first.isAlive()).as("member 0 runs; log:\n%s", first.tail(60)).isTrue();
            assertThat(System.nanoTime()).as("member 0's admin port opens").isLessThan(deadline);
            Thread.sleep(50);
        }
        aloneReadiness.add(status);
        long aloneUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ALONE_MILLIS);
        while (System.nanoTime() < aloneUntil) {
            Thread.sleep(250);
            aloneReadiness.add(first.readyStatus());
        }
        cluster.member(1).start();
        cluster.member(2).start();
        cluster.awaitAllReady(); // polls all three in turn: each one's answers from its start are recorded
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (standalone != null) {
            standalone.close();
        }
    }

    @Test
    void readinessIs503UntilJoinedThen200() {
        assertThat(aloneReadiness).as("member 0 alone (its peers not started) for %d ms", ALONE_MILLIS)
                .isNotEmpty().containsOnly(503);
        for (ClusterJvms.Member m : cluster.members()) {
            List<Integer> seen = new ArrayList<>(m.readinessSeen());
            seen.remove(Integer.valueOf(-1)); // before the admin port opened
            assertThat(seen).as("/health/ready answers of %s from its start", m).endsWith(200);
            if (m.index() > 0) {
                assertThat(seen).as("/health/ready answers of %s: 503 before joining", m).containsExactly(503, 200);
            }
            assertThat(m.readyStatus()).isEqualTo(200);
            assertThat(m.httpStatus("/health/live")).isEqualTo(200);
        }
    }

    @Test
    void svInfoShowsTheClusterOnEveryMember() throws Exception {
        JsonNode alone;
        try (SatchelClient c = standalone.connect()) {
            alone = inner(c.sendRaw("{\"SV_INFO\":{}}").get(10, TimeUnit.SECONDS), "SV_INFO_RSP");
        }
        for (ClusterJvms.Member m : cluster.members()) {
            try (SatchelClient c = SatchelClient.connect(m.uri())) {
                JsonNode info = inner(c.sendRaw("{\"SV_INFO\":{}}").get(10, TimeUnit.SECONDS), "SV_INFO_RSP");
                assertThat(info.path("st").asInt()).as("%s", info).isEqualTo(1);
                List<String> names = fieldNames(info);
                assertThat(names).as("SV_INFO of %s: the standalone members plus cluster", m)
                        .containsAll(fieldNames(alone)).contains("cluster");
                JsonNode cl = info.get("cluster");
                // docs/protocol.md section 8: {"members":["host:port",...],"owners":2,"member":"host:port"}
                assertThat(fieldNames(cl)).as("%s", info).containsExactly("members", "owners", "member");
                List<String> members = new ArrayList<>();
                cl.get("members").forEach(n -> members.add(n.asText()));
                assertThat(members).as("cluster.members through %s", m)
                        .containsExactlyInAnyOrder(cluster.membersList().split(","));
                assertThat(cl.get("owners").asInt()).as("%s", info).isEqualTo(2);
                assertThat(cl.get("member").asText()).as("cluster.member through %s", m)
                        .isEqualTo("127.0.0.1:" + m.clusterPort());
            }
        }
    }

    @Test
    void everyCommandFamilyAnswersLikeStandaloneThroughEveryMember() throws Exception {
        Script script = script();
        List<SatchelClient> memberClients = new ArrayList<>();
        try (SatchelClient alone = standalone.connect()) {
            for (ClusterJvms.Member m : cluster.members()) {
                memberClients.add(SatchelClient.connect(m.uri()));
            }
            // both at once: the expiry steps sleep, and the two runs need not wait for each other
            CompletableFuture<List<String>> expected =
                    CompletableFuture.supplyAsync(() -> script.run(List.of(alone)));
            List<String> actual = script.run(memberClients);
            List<String> want = expected.get(180, TimeUnit.SECONDS);
            List<String> differences = new ArrayList<>();
            for (int i = 0; i < script.steps.size(); i++) {
                Step s = script.steps.get(i);
                if (s.checked && !want.get(i).equals(actual.get(i))) {
                    differences.add("step " + i + " through member " + script.clientIndex(i, memberClients.size()) + ": "
                            + s.request + "\n    standalone: " + want.get(i) + "\n    cluster:    " + actual.get(i));
                }
            }
            assertThat(differences).as("responses that differ from standalone (%d steps)", script.steps.size())
                    .isEmpty();
        } finally {
            for (SatchelClient c : memberClients) {
                c.close();
            }
        }
    }

    // ---- the script ----

    private static final String UNKNOWN = "\"AAAAAAAAAAAAAAAAAAAAAA\"";

    private static Script script() {
        Script s = new Script();
        s.unchecked("{\"SH_END_ALL\":{}}");
        s.unchecked("{\"KV_CLEAR\":{}}");
        // session data, every data command, through alternating members
        s.bind("$a", "{\"SH_NEW\":{}}");
        dataCommands(s, "SH_", "\"tkn\":$a,");
        dataCommands(s, "KV_", "");
        s.req("{\"SH_INFO\":{\"tkn\":$a}}");
        // a bigger session: order of keys kept through removals on other members
        StringBuilder set = new StringBuilder();
        StringBuilder rmv = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            set.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
            if (i < 150 && i % 10 != 0) {
                rmv.append(rmv.length() == 0 ? "" : ",").append("\"k").append(i).append("\"");
            }
        }
        s.req("{\"SH_SET\":{\"tkn\":$a,\"keys\":{" + set + "}}}");
        s.req("{\"SH_RMV\":{\"tkn\":$a,\"keys\":[" + rmv + "]}}");
        s.req("{\"SH_SET\":{\"tkn\":$a,\"keys\":{\"k5\":\"back\",\"k10\":\"kept place\"}}}");
        s.req("{\"SH_KEYS\":{\"tkn\":$a}}");
        s.req("{\"SH_COUNT\":{\"tkn\":$a}}");
        // values byte for byte, canonical keys
        String value = "{ \"b\" : 1 , \"a\" : [ 1.0 , 1E+30 , -0.0 , 1234567890123456789012345678901234567890 ,"
                + " 1e-7 ] , \"s\" : \"\\u00e9 \\n x\" , \"t\" : [ true , false , null , { } , [ ] ] }";
        s.req("{\"SH_SET\":{\"tkn\":$a,\"keys\":{\"v\":" + value + ",\"n\":\t-12.50e+3 ,\"u\":\"\\ud83d\\ude00\","
                + "\"q\\\"b\\\\s\\/\\u00e9\\u0001\\n\\ud800\":1}}}");
        s.req("{\"SH_GET\":{\"tkn\":$a,\"keys\":[\"v\",\"n\",\"u\"]}}");
        s.req("{\"SH_CONTAINS\":{\"tkn\":$a,\"keys\":[\"q\\\"b\\\\s/\u00e9\\u0001\\n\\ud800\"]}}");
        // sessions are separate from each other and from the global keys
        s.bind("$b", "{\"SH_NEW\":{}}");
        s.req("{\"SH_SET\":{\"tkn\":$b,\"keys\":{\"iso\":\"b\"}}}");
        s.req("{\"KV_SET\":{\"keys\":{\"iso\":\"global\"}}}");
        s.req("{\"SH_GET\":{\"tkn\":$a,\"keys\":[\"iso\"]}}");
        s.req("{\"SH_GET\":{\"tkn\":$b,\"keys\":[\"iso\"]}}");
        s.req("{\"KV_GET\":{\"keys\":[\"iso\"]}}");
        // life cycle
        s.req("{\"SH_EXISTS\":{\"tkns\":[$a,$b," + UNKNOWN + ",\"bad\",5,$a]}}");
        s.req("{\"SH_INFO_ALL\":{}}");
        s.req("{\"SH_END\":{\"tkn\":$b}}");
        s.req("{\"SH_END\":{\"tkn\":$b}}");
        s.req("{\"SH_GET\":{\"tkn\":$b,\"keys\":[\"iso\"]}}");
        s.req("{\"SH_SET\":{\"tkn\":$b,\"keys\":{\"again\":1}}}");
        s.req("{\"SH_EXISTS\":{\"tkns\":[$a,$b]}}");
        // named and shared sessions: the shared token is the same whichever member computes it
        s.bind("$n", "{\"SH_NEW\":{\"name\":\"not shared\"}}");
        s.req("{\"SH_INFO\":{\"tkn\":$n}}");
        s.req("{\"SH_OPEN\":{\"name\":\"not shared\"}}");
        s.bind("$s", "{\"SH_NEW\":{\"name\":\"cart of ada\",\"shared\":true}}");
        s.req("{\"SH_OPEN\":{\"name\":\"cart of ada\"}}");
        s.req("{\"SH_OPEN\":{\"name\":\"cart of ada\"}}");
        s.req("{\"SH_SET\":{\"tkn\":$s,\"keys\":{\"item\":\"book\"}}}");
        s.req("{\"SH_GET\":{\"tkn\":$s,\"keys\":[\"item\"]}}");
        s.req("{\"SH_NEW\":{\"name\":\"cart of ada\",\"shared\":true}}");
        s.req("{\"SH_INFO\":{\"tkn\":$s}}");
        s.req("{\"SH_OPEN\":{\"name\":\"cart of bob\"}}");
        s.bind("$s2", "{\"SH_NEW\":{\"name\":\"cart of bob\",\"shared\":true,\"expiry\":{\"duration\":600,"
                + "\"deleteSession\":true,\"extendOnGet\":true}}}");
        s.req("{\"SH_INFO\":{\"tkn\":$s2}}");
        s.req("{\"SH_END\":{\"tkn\":$s}}");
        s.req("{\"SH_OPEN\":{\"name\":\"cart of ada\"}}");
        s.req("{\"SH_EXISTS\":{\"tkns\":[$s,$s2,$n]}}");
        // errors, decided on the front end or by the command
        s.req("{\"SH_GET\":{\"tkn\":" + UNKNOWN + ",\"keys\":[\"a\"]}}");
        s.req("{\"SH_SET\":{\"tkn\":\"abc\",\"keys\":{\"a\":1}}}");
        s.req("{\"SH_SET\":{\"tkn\":12345,\"keys\":{\"a\":1}}}");
        s.req("{\"SH_SET\":{\"tkn\":$a}}");
        s.req("{\"SH_GET\":{\"tkn\":$a,\"keys\":{}}}");
        s.req("{\"SH_RMV\":{\"tkn\":$a,\"keys\":[]}}");
        s.req("{\"SH_SET\":{\"tkn\":$a,\"keys\":{\"k\":1,\"k\":2}}}");
        s.req("{\"KV_SET\":{\"keys\":{\"dup\":1},\"k\\u0065ys\":{\"dup\":2}}}");
        s.req("{\"SH_NEW\":{\"expiry\":{\"duration\":-1}}}");
        s.req("{\"SH_NEW\":{\"expiry\":{\"duration\":2305843009213694}}}");
        s.req("{\"SH_NEW\":{\"name\":\"\"}}");
        s.req("{\"NOPE\":{}}");
        s.req("{\"SV_INFO\":{},\"SH_INFO_ALL\":{}}");
        s.req("{\"KV_SET\":{\"keys\":{\"a\":01}}}");
        s.req("not json");
        s.req("{\"SH_END_ALL\":[]}");
        // saving is off on both: 14
        s.req("{\"SH_SAVE\":{\"name\":\"x\"}}");
        s.req("{\"KV_SAVE\":{\"name\":\"x\"}}");
        s.req("{\"SH_LOAD\":{\"name\":\"x\"}}");
        s.req("{\"KV_LOAD\":{\"name\":\"x\"}}");
        // cluster-wide counts and SH_END_ALL
        s.req("{\"SH_INFO_ALL\":{}}");
        s.req("{\"KV_COUNT\":{}}");
        s.req("{\"SH_END_ALL\":{}}");
        s.req("{\"SH_INFO_ALL\":{}}");
        s.req("{\"SH_EXISTS\":{\"tkns\":[$a,$n,$s2]}}");
        s.req("{\"SH_OPEN\":{\"name\":\"cart of bob\"}}");
        s.req("{\"KV_KEYS\":{}}");
        // real-time expiry: 8 s periods, every check at least ~1 s away from every deadline, and the script fails
        // (rather than misjudging) when the machine stalls it beyond that; each read through another member
        s.mark();
        s.bind("$end", "{\"SH_NEW\":{\"expiry\":{\"duration\":8,\"deleteSession\":true}}}");
        s.req("{\"SH_SET\":{\"tkn\":$end,\"keys\":{\"k\":1}}}");
        s.bind("$data", "{\"SH_NEW\":{\"expiry\":{\"duration\":8,\"deleteSession\":false}}}");
        s.req("{\"SH_SET\":{\"tkn\":$data,\"keys\":{\"k\":1}}}");
        s.bind("$slideGet", "{\"SH_NEW\":{\"expiry\":{\"duration\":8,\"deleteSession\":true,\"extendOnGet\":true}}}");
        s.req("{\"SH_SET\":{\"tkn\":$slideGet,\"keys\":{\"k\":1}}}");
        s.bind("$slideSet", "{\"SH_NEW\":{\"expiry\":{\"duration\":8,\"deleteSession\":false,"
                + "\"extendOnSetAdd\":true}}}");
        s.req("{\"SH_SET\":{\"tkn\":$slideSet,\"keys\":{\"k\":1}}}");
        s.req("{\"SH_INFO\":{\"tkn\":$data}}");
        s.by(1000); // first deadlines between 8 and 9 s
        s.at(4000, 1000);
        s.req("{\"SH_GET\":{\"tkn\":$slideGet,\"keys\":[\"k\"]}}"); // deadline moves to 12-13 s
        s.req("{\"SH_ADD\":{\"tkn\":$slideSet,\"keys\":{\"k2\":2}}}"); // same
        s.req("{\"SH_GET\":{\"tkn\":$end,\"keys\":[\"k\"]}}");
        s.by(5200);
        s.at(10000, 800);
        for (int i = 0; i < 3; i++) { // once through each member
            s.req("{\"SH_GET\":{\"tkn\":$end,\"keys\":[\"k\"]}}");
            s.req("{\"SH_GET\":{\"tkn\":$data,\"keys\":[\"k\"]}}");
            s.req("{\"SH_COUNT\":{\"tkn\":$slideGet}}");
            s.req("{\"SH_KEYS\":{\"tkn\":$slideSet}}");
        }
        s.req("{\"SH_EXISTS\":{\"tkns\":[$end,$data,$slideGet,$slideSet]}}");
        s.req("{\"SH_INFO\":{\"tkn\":$data}}");
        s.req("{\"SH_INFO_ALL\":{}}");
        s.by(11800);
        s.at(14500, 1000);
        for (int i = 0; i < 3; i++) {
            s.req("{\"SH_GET\":{\"tkn\":$slideGet,\"keys\":[\"k\"]}}");
            s.req("{\"SH_KEYS\":{\"tkn\":$slideSet}}");
            s.req("{\"SH_GET\":{\"tkn\":$data,\"keys\":[\"k\"]}}");
        }
        s.req("{\"SH_EXISTS\":{\"tkns\":[$end,$data,$slideGet,$slideSet]}}");
        s.req("{\"SH_INFO_ALL\":{}}");
        s.by(15800); // the data-only sessions' second period ends at 16-17 s
        return s;
    }

    /** docs/protocol.md section 6 for SH_ (with the session's tkn) and KV_: one request per step. */
    private static void dataCommands(Script s, String p, String tkn) {
        String tknOnly = tkn.isEmpty() ? "" : tkn.substring(0, tkn.length() - 1);
        s.req("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"a\":1,\"b\":\"x\",\"c\":{\"n\":[1,2]}}}}");
        s.req("{\"" + p + "ADD\":{" + tkn + "\"keys\":{\"a\":99,\"d\":true}}}");
        s.req("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"c\",\"zz\",\"a\",\"c\",5,null,\"d\"]}}");
        s.req("{\"" + p + "CONTAINS\":{" + tkn + "\"keys\":[\"a\",\"zz\",\"a\",7,\"d\"]}}");
        s.req("{\"" + p + "COUNT\":{" + tknOnly + "}}");
        s.req("{\"" + p + "KEYS\":{" + tknOnly + "}}");
        s.req("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"a\":2}}}");
        s.req("{\"" + p + "RMV\":{" + tkn + "\"keys\":[\"b\",3,\"nope\"]}}");
        s.req("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"b\":0}}}");
        s.req("{\"" + p + "KEYS\":{" + tknOnly + "}}");
        s.req("{\"" + p + "CLEAR_SET\":{" + tkn + "\"keys\":{\"x\":1,\"y\":2}}}");
        s.req("{\"" + p + "KEYS\":{" + tknOnly + "}}");
        s.req("{\"" + p + "ADD\":{" + tkn + "\"keys\":{\"m\":1,\"\\u006d\":2}}}");
        s.req("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"\\u0061\":5,\"\":\"empty\"}}}");
        s.req("{\"" + p + "GET\":{" + tkn + "\"keys\":[\"a\",\"\",\"m\"]}}");
        s.req("{\"" + p + "CLEAR\":{" + tknOnly + "}}");
        s.req("{\"" + p + "CLEAR\":{" + tknOnly + "}}");
        s.req("{\"" + p + "COUNT\":{" + tknOnly + "}}");
        s.req("{\"" + p + "SET\":{" + tkn + "\"keys\":{\"kept\":[1,{\"x\":null}]}}}");
    }

    /** What a step does. */
    private enum Kind { REQUEST, UNCHECKED, MARK, AT, BY }

    /** One request, or a point on the timeline that starts at the last {@link Script#mark()}. */
    private static final class Step {
        final Kind kind;
        final String request;
        final String bindAs;
        final boolean checked;
        final long millis;
        final long slackMillis;

        Step(Kind kind, String request, String bindAs, long millis, long slackMillis) {
            this.kind = kind;
            this.request = request;
            this.bindAs = bindAs;
            this.checked = kind == Kind.REQUEST;
            this.millis = millis;
            this.slackMillis = slackMillis;
        }
    }

    /**
     * Requests with {@code $name} placeholders for tokens bound by earlier SH_NEW steps. Run against a list of
     * clients, the requests go through the clients in turn. Each response is normalised: every bound
     * token's text becomes its name and every {@code "remaining":N} becomes {@code "remaining":"R"}.
     */
    private static final class Script {
        private static final Pattern REMAINING = Pattern.compile("\"remaining\":(\\d+)");
        final List<Step> steps = new ArrayList<>();

        void req(String request) {
            steps.add(new Step(Kind.REQUEST, request, null, 0, 0));
        }

        void unchecked(String request) {
            steps.add(new Step(Kind.UNCHECKED, request, null, 0, 0));
        }

        /** A request answered with a {@code tkn} that later steps call {@code name}. */
        void bind(String name, String request) {
            steps.add(new Step(Kind.REQUEST, request, name, 0, 0));
        }

        /** Starts the timeline. */
        void mark() {
            steps.add(new Step(Kind.MARK, null, null, 0, 0));
        }

        /** Waits until {@code millis} after the mark; fails when already later than that plus {@code slack}. */
        void at(long millis, long slack) {
            steps.add(new Step(Kind.AT, null, null, millis, slack));
        }

        /** Fails when more than {@code millis} passed since the mark (the steps before must have happened by then). */
        void by(long millis) {
            steps.add(new Step(Kind.BY, null, null, millis, 0));
        }

        /** The client of request step {@code step}: the requests (only they) take the clients in turn. */
        int clientIndex(int step, int clients) {
            int requests = 0;
            for (int i = 0; i < step; i++) {
                if (steps.get(i).request != null) {
                    requests++;
                }
            }
            return requests % clients;
        }

        List<String> run(List<SatchelClient> clients) {
            Map<String, String> tokens = new LinkedHashMap<>();
            List<String> out = new ArrayList<>();
            long mark = System.nanoTime();
            for (int i = 0; i < steps.size(); i++) {
                Step step = steps.get(i);
                if (step.kind == Kind.MARK || step.kind == Kind.AT || step.kind == Kind.BY) {
                    long late = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - mark) - step.millis;
                    if (step.kind == Kind.MARK) {
                        mark = System.nanoTime();
                    } else {
                        assertThat(late).as("step %d: the script is %d ms behind its timeline (the machine stalled"
                                + " or a member answered slowly): its expiry checks would not be sound", i, late)
                                .isLessThanOrEqualTo(step.slackMillis);
                        if (late < 0 && step.kind == Kind.AT) {
                            sleep(-late);
                        }
                    }
                    out.add("");
                    continue;
                }
                String request = substitute(step.request, tokens);
                SatchelClient c = clients.get(clientIndex(i, clients.size()));
                String rsp;
                try {
                    rsp = c.sendRaw(request).get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError("step " + i + " through " + c.uri() + ": " + request + " failed", e);
                }
                if (step.bindAs != null) {
                    JsonNode tkn = firstInner(rsp).get("tkn");
                    assertThat(tkn).as("step %d: %s -> %s", i, request, rsp).isNotNull();
                    tokens.put(step.bindAs, tkn.toString());
                }
                out.add(normalise(rsp, tokens));
            }
            return out;
        }

        /** Tokens by name, longest name first, so that {@code $s} does not eat into {@code $s2}. */
        private static List<Map.Entry<String, String>> longestFirst(Map<String, String> tokens) {
            List<Map.Entry<String, String>> byName = new ArrayList<>(tokens.entrySet());
            byName.sort((x, y) -> y.getKey().length() - x.getKey().length());
            return byName;
        }

        private static String substitute(String request, Map<String, String> tokens) {
            String r = request;
            for (Map.Entry<String, String> t : longestFirst(tokens)) {
                r = r.replace(t.getKey(), t.getValue());
            }
            return r;
        }

        private static String normalise(String rsp, Map<String, String> tokens) {
            String r = rsp;
            for (Map.Entry<String, String> t : longestFirst(tokens)) {
                r = r.replace(t.getValue(), t.getKey());
            }
            Matcher m = REMAINING.matcher(r);
            return m.replaceAll("\"remaining\":\"R\"");
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    private static JsonNode firstInner(String rsp) {
        try {
            JsonNode root = JSON.readTree(rsp);
            return root.elements().next();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + rsp, e);
        }
    }

    private static JsonNode inner(String rsp, String name) {
        try {
            JsonNode inner = JSON.readTree(rsp).get(name);
            assertThat(inner).as("%s in %s", name, rsp).isNotNull();
            return inner;
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + rsp, e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
