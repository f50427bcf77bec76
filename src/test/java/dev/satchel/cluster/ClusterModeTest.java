package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.SatchelClient;
import dev.satchel.json.TokenFormat;
import dev.satchel.testing.TestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster mode end to end: three members in this JVM, each a real server on loopback ports with its own
 * Infinispan member, real WebSocket clients, each request of a scenario sent through a different member and
 * compared with the answers of a standalone server. Plus the cluster-wide commands, expiry where the data is,
 * and a member with the wrong secret that can neither join nor read.
 */
@Tag("cluster")
class ClusterModeTest {
    static final String SECRET = "cluster-test-secret-0123456789";
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<TestServer> members = new ArrayList<>();
    static final List<SatchelClient> clients = new ArrayList<>();
    static String clusterName;
    static String memberList;
    static int[] clusterPorts;
    @TempDir
    static Path dataRoot;

    /** A free port p whose p + 100 (failure detection) is free too. */
    /** A member's flags, given its index (0 or 1), its cluster port and the members list. */
    interface MemberFlags {
        String[] of(int member, int port, String list) throws Exception;
    }

    /**
     * Two in-process members on a fresh pair of cluster ports, started together (each waits for the other:
     * cluster.minMembers is a majority of two).
     */
    static TestServer[] startTwo(MemberFlags flags) throws Exception {
        int pa = freeClusterPort();
        int pb = freeClusterPort();
        while (Math.abs(pb - pa) == 100 || pb == pa) { // each member also listens on its port + 100
            pb = freeClusterPort();
        }
        String list = "127.0.0.1:" + pa + ",127.0.0.1:" + pb;
        String[] fa = flags.of(0, pa, list);
        String[] fb = flags.of(1, pb, list);
        ExecutorService starter = Executors.newFixedThreadPool(2);
        try {
            Future<TestServer> sa = starter.submit(() -> TestServer.start(fa));
            Future<TestServer> sb = starter.submit(() -> TestServer.start(fb));
            return new TestServer[] {sa.get(180, TimeUnit.SECONDS), sb.get(180, TimeUnit.SECONDS)};
        } finally {
            starter.shutdown();
        }
    }

    static int freeClusterPort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            try (ServerSocket a = new ServerSocket(); ServerSocket b = new ServerSocket()) {
                a.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
                b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p + 100));
                return p;
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new IOException("no free cluster port pair");
    }

    static String[] memberFlags(int port, String secret) throws IOException {
        return new String[] {"--cluster", "true", "--cluster-name", clusterName, "--cluster-port",
                Integer.toString(port), "--cluster-members", memberList, "--cluster-secret", secret,
                "--admin-port", "0", "--persist-path", Files.createTempDirectory(dataRoot, "member").toString()};
    }

    @BeforeAll
    static void startCluster() throws Exception {
        clusterName = "test-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        clusterPorts = new int[3];
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clusterPorts[i] = freeClusterPort();
            hosts.add("127.0.0.1:" + clusterPorts[i]);
        }
        memberList = String.join(",", hosts);
        ExecutorService starter = Executors.newFixedThreadPool(3);
        try {
            List<Future<TestServer>> started = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String[] flags = memberFlags(clusterPorts[i], SECRET);
                started.add(starter.submit(() -> TestServer.start(flags)));
            }
            for (Future<TestServer> f : started) {
                members.add(f.get(180, TimeUnit.SECONDS));
            }
        } finally {
            starter.shutdown();
        }
        for (TestServer m : members) {
            clients.add(m.connect());
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        ExecutorService stopper = Executors.newFixedThreadPool(3);
        List<Future<?>> stopped = new ArrayList<>();
        for (TestServer m : members) {
            stopped.add(stopper.submit(m::close));
        }
        for (Future<?> f : stopped) {
            f.get(120, TimeUnit.SECONDS);
        }
        stopper.shutdown();
    }

    static JsonNode ask(SatchelClient c, String json) throws Exception {
        return JSON.readTree(c.sendRaw(json).get(30, TimeUnit.SECONDS));
    }

    static JsonNode body(JsonNode response) {
        return response.elements().next();
    }

    static String token(JsonNode response) {
        return body(response).get("tkn").asText();
    }

    @Test
    void everyMemberSeesEveryMembersSessions() throws Exception {
        String tkn = token(ask(clients.get(0), "{\"SH_NEW\":{}}"));
        assertThat(body(ask(clients.get(1), "{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{\"a\":1,\"b\":\"two\"}}}"))
                .get("st").asInt()).isEqualTo(1);
        JsonNode got = body(ask(clients.get(2), "{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"a\",\"b\"]}}"));
        assertThat(got.get("keys").toString()).isEqualTo("{\"a\":1,\"b\":\"two\"}");
        assertThat(body(ask(clients.get(2), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}")).get("st").asInt()).isEqualTo(1);
        for (SatchelClient c : clients) {
            assertThat(body(ask(c, "{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"a\"]}}")).get("st").asInt())
                    .as("ended everywhere").isEqualTo(100);
        }
    }

    /** The standalone answers, request by request, with every request of the cluster run through another member. */
    @Test
    void eachRequestThroughAnotherMemberGetsTheStandaloneResponse() throws Exception {
        String shared = "conformance-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        List<String> script = List.of(
                "{\"KV_CLEAR\":{}}",
                "{\"SH_NEW\":{}}",
                "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"a\":1,\"b\":\"x\",\"c\":[1,2],\"d\":{\"e\":null}}}}",
                "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"a\",\"b\",\"zz\",\"d\"]}}",
                "{\"SH_ADD\":{\"tkn\":\"$T\",\"keys\":{\"a\":5,\"f\":true}}}",
                "{\"SH_COUNT\":{\"tkn\":\"$T\"}}",
                "{\"SH_CONTAINS\":{\"tkn\":\"$T\",\"keys\":[\"a\",\"zz\"]}}",
                "{\"SH_KEYS\":{\"tkn\":\"$T\"}}",
                "{\"SH_RMV\":{\"tkn\":\"$T\",\"keys\":[\"a\",\"nope\"]}}",
                "{\"SH_INFO\":{\"tkn\":\"$T\"}}",
                "{\"SH_CLEAR_SET\":{\"tkn\":\"$T\",\"keys\":{\"x\":1}}}",
                "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"x\",\"b\"]}}",
                "{\"SH_CLEAR\":{\"tkn\":\"$T\"}}",
                "{\"SH_COUNT\":{\"tkn\":\"$T\"}}",
                "{\"SH_EXISTS\":{\"tkns\":[\"$T\",\"AAAAAAAAAAAAAAAAAAAAAA\",5,\"$T\"]}}",
                "{\"SH_END\":{\"tkn\":\"$T\"}}",
                "{\"SH_END\":{\"tkn\":\"$T\"}}",
                "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":[\"x\"]}}",
                "{\"SH_INFO\":{\"tkn\":\"$T\"}}",
                "{\"SH_EXISTS\":{\"tkns\":[\"$T\"]}}",
                "{\"SH_SET\":{\"tkn\":\"not a token\",\"keys\":{\"a\":1}}}",
                "{\"SH_SET\":{\"keys\":{\"a\":1}}}",
                "{\"KV_SET\":{\"keys\":{\"g\":1,\"h\":[true]}}}",
                "{\"KV_ADD\":{\"keys\":{\"g\":2,\"i\":3}}}",
                "{\"KV_GET\":{\"keys\":[\"g\",\"h\",\"i\",\"j\"]}}",
                "{\"KV_COUNT\":{}}",
                "{\"KV_KEYS\":{}}",
                "{\"KV_RMV\":{\"keys\":[\"g\"]}}",
                "{\"KV_CONTAINS\":{\"keys\":[\"g\",\"h\"]}}",
                "{\"KV_CLEAR\":{}}",
                "{\"SH_NEW\":{\"name\":\"" + shared + "\",\"shared\":true}}",
                "{\"SH_OPEN\":{\"name\":\"" + shared + "\"}}",
                "{\"SH_NEW\":{\"name\":\"" + shared + "\",\"shared\":true}}",
                "{\"SH_OPEN\":{\"name\":\"" + shared + "-none\"}}",
                "{\"SH_NEW\":{\"name\":\"label\",\"expiry\":{\"duration\":100,\"deleteSession\":false,"
                        + "\"extendOnSetAdd\":true}}}",
                "{\"SH_SET\":{\"tkn\":\"$T\",\"keys\":{\"k\":1}}}",
                "{\"SH_INFO\":{\"tkn\":\"$T\"}}",
                "{\"SH_NEW\":{\"shared\":true}}",
                "{\"SH_NEW\":{\"expiry\":5}}",
                "{\"NOPE\":{}}",
                "[1,2]",
                "{\"SH_GET\":{\"tkn\":\"$T\",\"keys\":\"k\"}}");
        List<String> expected;
        try (TestServer standalone = TestServer.start()) {
            SatchelClient c = standalone.connect();
            expected = run(script, List.of(c));
        }
        List<String> actual = run(script, clients);
        for (int i = 0; i < script.size(); i++) {
            assertThat(actual.get(i)).as("request %d through member %d: %s", i, i % 3, script.get(i))
                    .isEqualTo(expected.get(i));
        }
    }

    private static final Pattern TKN = Pattern.compile("\"tkn\":\"([^\"]+)\"");

    /** Runs the script, request i through client i mod n; $T is the token of the last SH_NEW; tokens masked. */
    private static List<String> run(List<String> script, List<SatchelClient> through) throws Exception {
        List<String> out = new ArrayList<>();
        String tkn = "none";
        for (int i = 0; i < script.size(); i++) {
            String request = script.get(i).replace("$T", tkn);
            String response = through.get(i % through.size()).sendRaw(request).get(30, TimeUnit.SECONDS);
            if (request.startsWith("{\"SH_NEW\"")) {
                Matcher m = TKN.matcher(response);
                if (m.find()) {
                    tkn = m.group(1);
                }
            }
            out.add(response.replace(tkn, "$T").replaceAll("\"remaining\":\\d+", "\"remaining\":R"));
        }
        return out;
    }

    @Test
    void sharedSessionTokensAreTheSameOnEveryMember() throws Exception {
        String name = "shared-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        String tkn = token(ask(clients.get(0), "{\"SH_NEW\":{\"name\":\"" + name + "\",\"shared\":true}}"));
        for (SatchelClient c : clients) {
            assertThat(token(ask(c, "{\"SH_OPEN\":{\"name\":\"" + name + "\"}}"))).isEqualTo(tkn);
        }
        ask(clients.get(1), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
        String again = token(ask(clients.get(2), "{\"SH_NEW\":{\"name\":\"" + name + "\",\"shared\":true}}"));
        assertThat(again).as("derived from the name with the cluster's one secret").isEqualTo(tkn);
        ask(clients.get(0), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
    }

    @Test
    void pipelinedCommandsOnOneSessionRunInOrder() throws Exception {
        String tkn = token(ask(clients.get(1), "{\"SH_NEW\":{}}"));
        List<String> batch = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            batch.add("{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{\"n\":" + i + ",\"k" + i + "\":" + i + "}}}");
            if (i % 50 == 0) {
                batch.add("{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"n\"]}}");
            }
        }
        List<CompletableFuture<String>> answers = clients.get(0).sendRawBatch(batch);
        int gets = 0;
        for (int i = 0; i < batch.size(); i++) {
            String a = answers.get(i).get(60, TimeUnit.SECONDS);
            if (batch.get(i).startsWith("{\"SH_GET\"")) {
                gets++;
                assertThat(a).as("GET after SET %d sees it", gets * 50).contains("\"n\":" + (gets * 50) + "}");
            } else {
                assertThat(a).contains("\"st\":1");
            }
        }
        assertThat(body(ask(clients.get(2), "{\"SH_COUNT\":{\"tkn\":\"" + tkn + "\"}}")).get("cnt").asInt())
                .isEqualTo(201);
        ask(clients.get(2), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
    }

    @Test
    void clusterWideCommandsCountAndEndEverySession() throws Exception {
        // its own scope: end everything first, then count what this test creates
        assertThat(body(ask(clients.get(0), "{\"SH_END_ALL\":{}}")).get("st").asInt()).isEqualTo(1);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String t = token(ask(clients.get(i % 3), "{\"SH_NEW\":{}}"));
            tokens.add(t);
            ask(clients.get((i + 1) % 3), "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"a\":1,\"b\":2}}}");
        }
        for (SatchelClient c : clients) {
            JsonNode all = body(ask(c, "{\"SH_INFO_ALL\":{}}"));
            assertThat(all.get("totalSessions").asLong()).isEqualTo(30);
            assertThat(all.get("totalKeys").asLong()).isEqualTo(60);
            JsonNode info = body(ask(c, "{\"SV_INFO\":{}}"));
            assertThat(info.get("sessions").asLong()).isEqualTo(30);
            assertThat(info.get("sessionKeys").asLong()).isEqualTo(60);
            JsonNode cluster = info.get("cluster");
            assertThat(cluster.get("members")).hasSize(3);
            assertThat(cluster.get("owners").asInt()).isEqualTo(2);
            assertThat(cluster.get("member").asText()).matches("127\\.0\\.0\\.1:\\d+");
        }
        JsonNode ended = body(ask(clients.get(2), "{\"SH_END_ALL\":{}}"));
        assertThat(ended.get("cnt").asLong()).isEqualTo(30);
        for (String t : tokens) {
            assertThat(body(ask(clients.get(1), "{\"SH_GET\":{\"tkn\":\"" + t + "\",\"keys\":[\"a\"]}}"))
                    .get("st").asInt()).isEqualTo(100);
        }
        assertThat(body(ask(clients.get(1), "{\"SH_INFO_ALL\":{}}")).get("totalSessions").asLong()).isZero();
    }

    @Test
    void expiryRunsWhereTheDataIsAndIsNeverObservableAfterTheDeadline() throws Exception {
        String ends = token(ask(clients.get(0), "{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"deleteSession\":true}}}"));
        String clears = token(ask(clients.get(1), "{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"deleteSession\":false}}}"));
        ask(clients.get(2), "{\"SH_SET\":{\"tkn\":\"" + ends + "\",\"keys\":{\"a\":1}}}");
        ask(clients.get(2), "{\"SH_SET\":{\"tkn\":\"" + clears + "\",\"keys\":{\"a\":1}}}");
        // nobody touches them: the owners' wheels must expire them (lazy expiry would hide it otherwise)
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            if (localCopies(ends) == 0 && localKeys(clears) == 0) {
                break;
            }
        }
        assertThat(localCopies(ends)).as("copies of the ended session left on the members").isZero();
        assertThat(localKeys(clears)).as("keys of the cleared session left on the members").isZero();
        assertThat(body(ask(clients.get(1), "{\"SH_GET\":{\"tkn\":\"" + ends + "\",\"keys\":[\"a\"]}}"))
                .get("st").asInt()).isEqualTo(100);
        JsonNode info = body(ask(clients.get(0), "{\"SH_INFO\":{\"tkn\":\"" + clears + "\"}}"));
        assertThat(info.get("st").asInt()).isEqualTo(1);
        assertThat(info.get("keyCnt").asInt()).isZero();
        ask(clients.get(0), "{\"SH_END\":{\"tkn\":\"" + clears + "\"}}");
    }

    /** Copies of the session {@code tkn} held by the members, live sessions only (tombstones do not count). */
    private static int localCopies(String tkn) throws Exception {
        int n = 0;
        for (TestServer m : members) {
            Box b = localBox(m, tkn);
            if (b != null && b.session != null) {
                n++;
            }
        }
        return n;
    }

    private static long localKeys(String tkn) throws Exception {
        long n = 0;
        for (TestServer m : members) {
            Box b = localBox(m, tkn);
            if (b != null && b.session != null) {
                n += b.session.keyCount();
            }
        }
        return n;
    }

    static Box localBox(TestServer m, String tkn) throws Exception {
        long[] t = new long[2];
        byte[] b = tkn.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(TokenFormat.parseBase64(b, 0, b.length, t)).isTrue();
        return m.server().cluster().sessionsCache().withFlags(org.infinispan.context.Flag.CACHE_MODE_LOCAL,
                org.infinispan.context.Flag.SKIP_OWNERSHIP_CHECK).get(new SessionKey(t[0], t[1]));
    }

    @Test
    void aProcessWithAnotherSecretCannotJoinOrRead() throws Exception {
        String tkn = token(ask(clients.get(0), "{\"SH_NEW\":{}}"));
        ask(clients.get(0), "{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{\"secret\":\"data\"}}}");
        int port = freeClusterPort();
        String all = memberList + ",127.0.0.1:" + port;
        Map<String, String> flags = new java.util.LinkedHashMap<>();
        String[] f = memberFlags(port, "another-secret-9876543210");
        for (int i = 0; i < f.length; i += 2) {
            flags.put(f[i], f[i + 1]);
        }
        flags.put("--cluster-members", all);
        // forced to serve alone (by default it would wait for a majority of the listed members, never ready):
        // even then it cannot read the cluster's data
        flags.put("--cluster-min-members", "1");
        try (TestServer intruder = TestServer.start(TestServer.config(flags))) {
            SatchelClient c = intruder.connect();
            JsonNode info = body(ask(c, "{\"SV_INFO\":{}}"));
            assertThat(info.get("cluster").get("members")).as("alone in its own cluster").hasSize(1);
            assertThat(body(ask(c, "{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"secret\"]}}")).get("st").asInt())
                    .as("cannot read the cluster's session").isEqualTo(100);
            assertThat(body(ask(c, "{\"SH_INFO_ALL\":{}}")).get("totalSessions").asLong()).isZero();
            for (SatchelClient member : clients) {
                assertThat(body(ask(member, "{\"SV_INFO\":{}}")).get("cluster").get("members"))
                        .as("the cluster did not let it in").hasSize(3);
            }
        }
        assertThat(body(ask(clients.get(2), "{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"secret\"]}}"))
                .get("keys").get("secret").asText()).isEqualTo("data");
        ask(clients.get(2), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
    }

    @Test
    void saveAndLoadThroughAnyMember() throws Exception {
        ask(clients.get(0), "{\"SH_END_ALL\":{}}");
        ask(clients.get(0), "{\"KV_CLEAR\":{}}");
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String t = token(ask(clients.get(i % 3), i == 0
                    ? "{\"SH_NEW\":{\"expiry\":{\"duration\":600,\"deleteSession\":true}}}" : "{\"SH_NEW\":{}}"));
            tokens.add(t);
            ask(clients.get((i + 1) % 3), "{\"SH_SET\":{\"tkn\":\"" + t + "\",\"keys\":{\"i\":" + i
                    + ",\"s\":\"v" + i + "\"}}}");
        }
        ask(clients.get(2), "{\"KV_SET\":{\"keys\":{\"g1\":[1,2],\"g2\":{\"x\":true}}}}");
        for (int i = 0; i < 6; i++) { // 60 more keys over many buckets, through every member, some removed
            StringBuilder keys = new StringBuilder();
            for (int k = 0; k < 10; k++) {
                keys.append(k == 0 ? "" : ",").append("\"m").append(59 - i * 10 - k).append("\":").append(i);
            }
            ask(clients.get(i % 3), "{\"KV_SET\":{\"keys\":{" + keys + "}}}");
        }
        ask(clients.get(1), "{\"KV_RMV\":{\"keys\":[\"m3\",\"m33\",\"m58\"]}}");
        ask(clients.get(0), "{\"KV_SET\":{\"keys\":{\"m33\":\"back\"}}}"); // re-added: now the last key
        String keysBefore = clients.get(0).sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS);
        assertThat(JSON.readTree(keysBefore).elements().next().get("keys").size()).isEqualTo(60);
        assertThat(keysBefore).endsWith("\"m33\"]}}").contains("[\"g1\",\"g2\",\"m59\",\"m57\",");
        JsonNode saved = body(ask(clients.get(1), "{\"SH_SAVE\":{\"name\":\"snap\"}}"));
        assertThat(saved.get("st").asInt()).as(saved.toString()).isEqualTo(121);
        assertThat(body(ask(clients.get(2), "{\"KV_SAVE\":{\"name\":\"globals\"}}")).get("st").asInt())
                .isEqualTo(121);
        assertThat(body(ask(clients.get(0), "{\"SH_END_ALL\":{}}")).get("cnt").asLong()).isEqualTo(12);
        ask(clients.get(0), "{\"KV_CLEAR\":{}}");

        JsonNode loaded = body(ask(clients.get(1), "{\"SH_LOAD\":{\"name\":\"snap\"}}"));
        assertThat(loaded.get("st").asInt()).as(loaded.toString()).isEqualTo(141);
        assertThat(loaded.get("sessions").asLong()).isEqualTo(12);
        assertThat(loaded.get("keys").asLong()).isEqualTo(24);
        for (int i = 0; i < tokens.size(); i++) {
            JsonNode got = body(ask(clients.get(i % 3), "{\"SH_GET\":{\"tkn\":\"" + tokens.get(i)
                    + "\",\"keys\":[\"i\",\"s\"]}}"));
            assertThat(got.get("keys").toString()).isEqualTo("{\"i\":" + i + ",\"s\":\"v" + i + "\"}");
        }
        JsonNode info = body(ask(clients.get(2), "{\"SH_INFO\":{\"tkn\":\"" + tokens.get(0) + "\"}}"));
        assertThat(info.get("expiry").get("remaining").asLong()).as("time left restored").isBetween(500L, 600L);
        assertThat(body(ask(clients.get(0), "{\"SH_LOAD\":{\"name\":\"snap\"}}")).get("st").asInt())
                .as("the dataset is on the member that saved it").isEqualTo(142);
        assertThat(body(ask(clients.get(1), "{\"SH_LOAD\":{\"name\":\"snap\"}}")).get("sessions").asLong())
                .as("live tokens are skipped").isZero();

        JsonNode kv = body(ask(clients.get(2), "{\"KV_LOAD\":{\"name\":\"globals\"}}"));
        assertThat(kv.get("st").asInt()).as(kv.toString()).isEqualTo(141);
        assertThat(kv.get("keys").asLong()).isEqualTo(60);
        assertThat(body(ask(clients.get(0), "{\"KV_GET\":{\"keys\":[\"g1\",\"g2\"]}}")).get("keys").toString())
                .isEqualTo("{\"g1\":[1,2],\"g2\":{\"x\":true}}");
        assertThat(clients.get(1).sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS))
                .as("the saved keys, in their order, through another member").isEqualTo(keysBefore);
        // the same dataset loaded through another member (copied to its persist.path), and one a standalone
        // server saved: the dataset format is the standalone one
        ask(clients.get(1), "{\"KV_CLEAR\":{}}");
        copyDataset(members.get(2), "globals", members.get(0), "globals");
        assertThat(body(ask(clients.get(0), "{\"KV_LOAD\":{\"name\":\"globals\"}}")).get("keys").asLong())
                .isEqualTo(60);
        assertThat(clients.get(2).sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS)).isEqualTo(keysBefore);
        try (TestServer standalone = TestServer.start("--persist-path",
                Files.createTempDirectory(dataRoot, "standalone").toString())) {
            SatchelClient s = standalone.connect();
            StringBuilder keys = new StringBuilder();
            for (int k = 0; k < 40; k++) {
                keys.append(k == 0 ? "" : ",").append("\"sa").append((k * 7) % 40).append("\":\"v").append(k)
                        .append('"');
            }
            ask(s, "{\"KV_SET\":{\"keys\":{" + keys + "}}}");
            assertThat(body(ask(s, "{\"KV_SAVE\":{\"name\":\"fromStandalone\"}}")).get("st").asInt())
                    .isEqualTo(121);
            String standaloneKeys = s.sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS);
            copyDataset(standalone, "fromStandalone", members.get(1), "fromStandalone");
            ask(clients.get(1), "{\"KV_CLEAR\":{}}");
            assertThat(body(ask(clients.get(1), "{\"KV_LOAD\":{\"name\":\"fromStandalone\"}}")).get("keys")
                    .asLong()).isEqualTo(40);
            assertThat(clients.get(0).sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS))
                    .isEqualTo(standaloneKeys);
            s.close();
        }
        ask(clients.get(0), "{\"SH_END_ALL\":{}}");
        ask(clients.get(0), "{\"KV_CLEAR\":{}}");
    }

    /** {@code n} new sessions, each created through one member and given {@code value} under "v" through another. */
    static List<String> sessionsWith(int n, String value) throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int from = 0; from < n; from += 100) {
            int todo = Math.min(100, n - from);
            SatchelClient c = clients.get((from / 100) % 3);
            for (CompletableFuture<String> f : c.sendRawBatch(java.util.Collections.nCopies(todo, "{\"SH_NEW\":{}}"))) {
                tokens.add(token(JSON.readTree(f.get(30, TimeUnit.SECONDS))));
            }
            List<String> sets = new ArrayList<>();
            for (int i = from; i < from + todo; i++) {
                sets.add("{\"SH_SET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":{\"v\":\"" + value + i + "\"}}}");
            }
            for (CompletableFuture<String> f : clients.get((from / 100 + 1) % 3).sendRawBatch(sets)) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
            }
        }
        return tokens;
    }

    static long[] tokenParts(String tkn) {
        long[] t = new long[2];
        byte[] b = tkn.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(TokenFormat.parseBase64(b, 0, b.length, t)).isTrue();
        return t;
    }

    /**
     * The dataset {@code name} on member {@code m}'s disk, as the set of its tokens; fails if a token is in it
     * twice.
     */
    static java.util.Set<SessionKey> savedTokens(TestServer m, String name) throws Exception {
        dev.satchel.persist.Dataset d = new dev.satchel.persist.Persistence(m.config().persistPath(), false,
                m.config().tokenFormat()).load(name, dev.satchel.persist.Format.KIND_SESSIONS).get(60, TimeUnit.SECONDS);
        java.util.Set<SessionKey> tokens = new java.util.HashSet<>();
        for (int i = 0; i < d.count(); i++) {
            assertThat(tokens.add(new SessionKey(d.tokenHi(i), d.tokenLo(i)))).as("session %d saved once", i).isTrue();
        }
        return tokens;
    }

    /**
     * A cluster save pulls each member's sessions in answers bounded by the chunk size (never one answer per
     * member), while sessions are written and created, and the dataset holds every session once: loaded into a
     * standalone server, each has its data.
     */
    @Test
    void aClusterSaveIsPulledInBoundedChunksAndHoldsEverySessionOnce() throws Exception {
        ask(clients.get(0), "{\"SH_END_ALL\":{}}");
        String value = "x".repeat(1000);
        List<String> tokens = sessionsWith(240, value);
        ClusterOps ops = members.get(0).server().cluster().router().ops();
        ClusterMember.Stats stats = members.get(0).server().cluster().statistics();
        int bound = 16 * 1024;
        ops.saveChunkBytes = bound;
        long chunksBefore = stats.saveChunks();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> created = java.util.Collections.synchronizedList(new ArrayList<>());
        Future<?> writer = Executors.newSingleThreadExecutor().submit(() -> {
            for (int i = 0; !stop.get(); i++) { // overwrites and new sessions while the save runs
                ask(clients.get(2), "{\"SH_SET\":{\"tkn\":\"" + tokens.get(i % tokens.size())
                        + "\",\"keys\":{\"w\":" + i + "}}}");
                created.add(token(ask(clients.get(1), "{\"SH_NEW\":{}}")));
            }
            return null;
        });
        JsonNode saved;
        try {
            saved = body(ask(clients.get(0), "{\"SH_SAVE\":{\"name\":\"chunked\"}}"));
        } finally {
            stop.set(true);
            ops.saveChunkBytes = ClusterOps.SAVE_CHUNK_BYTES;
        }
        writer.get(60, TimeUnit.SECONDS);
        assertThat(saved.get("st").asInt()).as(saved.toString()).isEqualTo(121);
        long chunks = stats.saveChunks() - chunksBefore;
        assertThat(chunks).as("answers of at most %d bytes (plus one session) each", bound)
                .isGreaterThanOrEqualTo(240L * 1000 / bound);
        assertThat(stats.saveChunkMaxBytes()).isLessThanOrEqualTo(bound + 2048L);

        java.util.Set<SessionKey> inFile = savedTokens(members.get(0), "chunked");
        for (String t : tokens) {
            long[] k = tokenParts(t);
            assertThat(inFile).as("every session of before the save").contains(new SessionKey(k[0], k[1]));
        }
        assertThat(inFile.size()).as("and no other than those created meanwhile")
                .isLessThanOrEqualTo(tokens.size() + created.size());
        try (TestServer standalone = TestServer.start("--persist-path",
                members.get(0).config().persistPath().toString())) {
            SatchelClient c = standalone.connect();
            JsonNode loaded = body(ask(c, "{\"SH_LOAD\":{\"name\":\"chunked\"}}"));
            assertThat(loaded.get("sessions").asLong()).as(loaded.toString()).isEqualTo(inFile.size());
            for (int i = 0; i < tokens.size(); i++) {
                assertThat(body(ask(c, "{\"SH_GET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":[\"v\"]}}"))
                        .get("keys").get("v").asText()).isEqualTo(value + i);
            }
        }
        ask(clients.get(0), "{\"SH_END_ALL\":{}}");
    }

    /**
     * A member answers a save chunk only for segments it is the primary owner of (the others are "moved": asked
     * again of their primary).
     */
    @Test
    void aSaveChunkIsAnsweredOnlyByTheOwner() throws Exception {
        ClusterMember m = members.get(1).server().cluster();
        org.infinispan.distribution.LocalizedCacheTopology t = m.sessionsCache().getDistributionManager()
                .getCacheTopology();
        int mine = -1;
        int other = -1;
        for (int s = 0; s < ClusterMember.SEGMENTS; s++) {
            if (t.getSegmentDistribution(s).isPrimary()) {
                mine = mine < 0 ? s : mine;
            } else {
                other = other < 0 ? s : other;
            }
        }
        byte[] answer = new MemberTask(MemberTask.SAVE_CHUNK, System.currentTimeMillis(), MemberTask.saveChunkArgs(
                1024, new int[] {mine, other}, new SessionKey[2], 2)).apply(m.cacheManager());
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(answer));
        byte tag;
        while ((tag = in.readByte()) == MemberTask.CHUNK_SESSION) { // the sessions of its own segment, if any
            dev.satchel.engine.OwnerExecutor.read(in);
        }
        assertThat(tag).isEqualTo(MemberTask.CHUNK_DONE);
        assertThat(in.readInt()).isEqualTo(mine);
        assertThat(in.readByte()).isEqualTo(MemberTask.CHUNK_MOVED);
        assertThat(in.readInt()).isEqualTo(other);
        assertThat(in.readByte()).isEqualTo(MemberTask.CHUNK_END);

    }

    /**
     * A cluster KV_SAVE (one answer per bucket, merged by stamp) loads into a standalone server: every key with its
     * value, in the cluster's insertion order, whichever members held the buckets.
     */
    @Test
    void aClusterKeySaveLoadsIntoAStandaloneServer() throws Exception {
        ask(clients.get(0), "{\"KV_CLEAR\":{}}");
        StringBuilder keys = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            keys.append(i == 0 ? "" : ",").append("\"k").append((i * 37) % 200).append("\":\"")
                    .append("z".repeat(100)).append(i).append('"');
        }
        assertThat(body(ask(clients.get(1), "{\"KV_SET\":{\"keys\":{" + keys + "}}}")).get("st").asInt()).isEqualTo(1);
        ask(clients.get(0), "{\"KV_SET\":{\"keys\":{\"k1\":0,\"late\":1}}}");
        ask(clients.get(2), "{\"KV_RMV\":{\"keys\":[\"k2\"]}}");
        String clusterKeys = clients.get(0).sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS);
        JsonNode saved = body(ask(clients.get(2), "{\"KV_SAVE\":{\"name\":\"keys\"}}"));
        assertThat(saved.get("st").asInt()).as(saved.toString()).isEqualTo(121);
        try (TestServer standalone = TestServer.start("--persist-path",
                members.get(2).config().persistPath().toString())) {
            SatchelClient c = standalone.connect();
            JsonNode loaded = body(ask(c, "{\"KV_LOAD\":{\"name\":\"keys\"}}"));
            assertThat(loaded.get("keys").asLong()).as(loaded.toString()).isEqualTo(200);
            JsonNode got = body(ask(c, "{\"KV_GET\":{\"keys\":[\"k0\",\"k1\",\"k2\",\"k199\",\"late\"]}}"))
                    .get("keys");
            assertThat(got.get("k0").asText()).isEqualTo("z".repeat(100) + 0);
            assertThat(got.get("k1").asInt()).isZero();
            assertThat(got.has("k2")).isFalse();
            assertThat(got.get("k199").asText()).isEqualTo("z".repeat(100) + (199 * 173) % 200);
            assertThat(got.get("late").asInt()).isEqualTo(1);
            assertThat(c.sendRaw("{\"KV_KEYS\":{}}").get(30, TimeUnit.SECONDS)).as("insertion order")
                    .isEqualTo(clusterKeys);
        }
        ask(clients.get(0), "{\"KV_CLEAR\":{}}");
    }

    /**
     * A save during which a fourth member joins (between two chunks) and later leaves again (while the save goes
     * on): segments move to it and back, and the dataset still holds every session once.
     */
    @Test
    void aSaveWhileAMemberJoinsAndLeavesHoldsEverySessionOnce() throws Exception {
        ask(clients.get(0), "{\"SH_END_ALL\":{}}");
        List<String> tokens = sessionsWith(150, "y".repeat(200));
        ClusterOps ops = members.get(0).server().cluster().router().ops();
        ExecutorService side = Executors.newSingleThreadExecutor();
        TestServer[] fourth = new TestServer[1];
        CompletableFuture<Void> joined = new CompletableFuture<>();
        CompletableFuture<Void> left = new CompletableFuture<>();
        ops.saveChunkBytes = 2048;
        ops.beforeChunk = n -> {
            if (n == 2) { // the save has begun: a member joins, and the chunks go on once it holds its share
                side.submit(() -> {
                    try {
                        fourth[0] = TestServer.start(memberFlags(freeClusterPort(), SECRET));
                        awaitSettled(4);
                        joined.complete(null);
                    } catch (Throwable e) {
                        joined.completeExceptionally(e);
                    }
                });
                return joined;
            }
            if (n == 8) { // and leaves again, handing its segments back while the next chunks are asked for
                side.submit(() -> {
                    try {
                        fourth[0].close();
                        awaitSettled(3);
                        left.complete(null);
                    } catch (Throwable e) {
                        left.completeExceptionally(e);
                    }
                });
                return CompletableFuture.runAsync(() -> {
                    ClusterMember m = members.get(0).server().cluster();
                    while (!m.rebalancing() && m.members().size() == 4 && !left.isDone()) {
                        Thread.onSpinWait();
                    }
                });
            }
            return CompletableFuture.completedFuture(null);
        };
        JsonNode saved;
        try {
            saved = body(JSON.readTree(clients.get(0).sendRaw("{\"SH_SAVE\":{\"name\":\"moving\"}}")
                    .get(300, TimeUnit.SECONDS)));
        } finally {
            ops.beforeChunk = null;
            ops.saveChunkBytes = ClusterOps.SAVE_CHUNK_BYTES;
            side.shutdown();
        }
        assertThat(joined).as("a member joined during the save").isCompleted();
        left.get(180, TimeUnit.SECONDS); // and left during it
        assertThat(saved.get("st").asInt()).as(saved.toString()).isEqualTo(121);
        java.util.Set<SessionKey> inFile = savedTokens(members.get(0), "moving");
        assertThat(inFile).hasSize(tokens.size());
        for (String t : tokens) {
            long[] k = tokenParts(t);
            assertThat(inFile).contains(new SessionKey(k[0], k[1]));
        }
        ask(clients.get(0), "{\"SH_END_ALL\":{}}");
    }

    /** Waits until member 0 sees {@code size} members and no rebalance. */
    static void awaitSettled(int size) throws InterruptedException {
        ClusterMember m = members.get(0).server().cluster();
        long deadline = System.currentTimeMillis() + 120_000;
        while (m.members().size() != size || m.rebalancing()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the cluster did not settle at " + size + " members: " + m.members());
            }
            Thread.sleep(50);
        }
    }

    /** Copies the dataset {@code name} of {@code from} into {@code to}'s persist.path as {@code as}. */
    static void copyDataset(TestServer from, String name, TestServer to, String as) throws IOException {
        Path source = from.config().persistPath().resolve(name);
        Path target = to.config().persistPath().resolve(as);
        Files.createDirectories(target);
        try (var files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, target.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Whatever a stranger sends to the member port, it gets nothing it could read, and the cluster goes on. */
    @Test
    void aRawConnectionToTheMemberPortLearnsNothing() throws Exception {
        byte[] junk = new byte[4096];
        ThreadLocalRandom.current().nextBytes(junk);
        System.arraycopy("bela".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, junk, 0, 4); // JGroups' cookie
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), clusterPorts[0])) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(junk);
            s.getOutputStream().flush();
            byte[] buf = new byte[1024];
            int n;
            try {
                n = s.getInputStream().read(buf);
            } catch (java.net.SocketTimeoutException e) {
                n = 0; // nothing at all
            } catch (IOException e) {
                n = -1; // reset: dropped
            }
            assertThat(n).as("bytes answered to a stranger").isLessThanOrEqualTo(0);
        }
        for (SatchelClient c : clients) {
            assertThat(body(ask(c, "{\"SV_INFO\":{}}")).get("cluster").get("members")).hasSize(3);
        }
        String tkn = token(ask(clients.get(0), "{\"SH_NEW\":{}}"));
        assertThat(body(ask(clients.get(1), "{\"SH_INFO\":{\"tkn\":\"" + tkn + "\"}}")).get("st").asInt()).isEqualTo(1);
        ask(clients.get(2), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
    }

    /** Risk #3 of the design: a big session changed in place while a member joins and leaves is never torn. */
    @Test
    void aBigSessionUnderWritesStaysEqualOnEveryCopyWhileAMemberJoinsAndLeaves() throws Exception {
        String tkn = token(ask(clients.get(0), "{\"SH_NEW\":{}}"));
        for (int chunk = 0; chunk < 20; chunk++) {
            StringBuilder keys = new StringBuilder();
            for (int k = 0; k < 500; k++) {
                keys.append(k == 0 ? "" : ",").append("\"big").append(chunk * 500 + k).append("\":\"")
                        .append("v".repeat(20)).append('"');
            }
            assertThat(body(ask(clients.get(chunk % 3), "{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{" + keys
                    + "}}}")).get("st").asInt()).isEqualTo(1);
        }
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong acked = new java.util.concurrent.atomic.AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                for (long n = 1; !stop.get(); n++) {
                    List<String> batch = new ArrayList<>();
                    for (int j = 0; j < 8; j++) {
                        batch.add("{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{\"w" + j + "\":" + n + "}}}");
                    }
                    for (CompletableFuture<String> f : clients.get((int) (n % 3)).sendRawBatch(batch)) {
                        assertThat(f.get(60, TimeUnit.SECONDS)).contains("\"st\":1");
                    }
                    acked.set(n);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "big-session-writer");
        writer.start();
        int port = freeClusterPort();
        Map<String, String> flags = new java.util.LinkedHashMap<>();
        String[] f = memberFlags(port, SECRET);
        for (int i = 0; i < f.length; i += 2) {
            flags.put(f[i], f[i + 1]);
        }
        flags.put("--cluster-members", memberList + ",127.0.0.1:" + port);
        List<TestServer> all = new ArrayList<>(members);
        try (TestServer joiner = TestServer.start(TestServer.config(flags))) {
            all.add(joiner);
            Thread.sleep(500);
            stop.set(true);
            writer.join(120_000);
            assertThat(writer.isAlive()).isFalse();
            assertCopiesEqual(all, tkn, 10_008);
        }
        assertCopiesEqual(members, tkn, 10_008); // after the joiner's graceful leave
        JsonNode got = body(ask(clients.get(2), "{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"w7\"]}}"));
        assertThat(got.get("keys").get("w7").asLong()).as("the last acknowledged write").isEqualTo(acked.get());
        ask(clients.get(0), "{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
    }

    private static SessionKey key(String tkn) {
        long[] t = new long[2];
        byte[] b = tkn.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(TokenFormat.parseBase64(b, 0, b.length, t)).isTrue();
        return new SessionKey(t[0], t[1]);
    }

    /** The index in {@link #members} of the primary owner of the session now. */
    private static int primaryOf(String tkn) {
        SessionKey k = key(tkn);
        for (int i = 0; i < members.size(); i++) {
            ClusterMember m = members.get(i).server().cluster();
            if (m.isPrimary(m.sessionsCache(), k)) {
                return i;
            }
        }
        throw new AssertionError("no primary owner for " + tkn);
    }

    /**
     * Requests pipelined on one connection for sessions owned by every member: the receiving member sends what is
     * ready together, one batch per primary owner, and the answers still come back in request order, each right,
     * with the backups equal to the primaries.
     */
    @Test
    void pipelinedCommandsOnManySessionsAreBatchedPerOwnerAndAnsweredInOrder() throws Exception {
        SatchelClient c = clients.get(0);
        List<String> tokens = new ArrayList<>();
        java.util.Set<Integer> owners = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            String t = token(ask(c, "{\"SH_NEW\":{}}"));
            tokens.add(t);
            owners.add(primaryOf(t));
        }
        assertThat(owners).as("the sessions' primary owners").hasSizeGreaterThan(1);
        ClusterMember.Stats stats = members.get(0).server().cluster().statistics();
        long batches = stats.batches();
        long batched = stats.batchedCommands();
        List<String> expected = new ArrayList<>();
        try (var raw = dev.satchel.testing.RawWebSocket.open(members.get(0).port(), 60_000, 0, "")) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < tokens.size(); i++) {
                    // per session: a write, then a read of it, then (next round) another write: order per session
                    // matters, and the sessions interleave so completions of different batches interleave too
                    raw.queue("{\"SH_SET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":{\"n\":" + (round * 100 + i)
                            + "}}}");
                    expected.add("{\"SH_SET_RSP\":{\"st\":1}}");
                    raw.queue("{\"SH_GET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":[\"n\"]}}");
                    expected.add("n=" + (round * 100 + i));
                }
            }
            // then reads only: every session's first unit of this burst is a train of reads, batched per owner
            for (int i = 0; i < tokens.size(); i++) {
                for (int k = 0; k < 2; k++) {
                    raw.queue("{\"SH_GET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":[\"n\"]}}");
                    expected.add("n=" + (200 + i));
                }
            }
            raw.flush();
            for (int i = 0; i < expected.size(); i++) {
                String got = raw.readText();
                String want = expected.get(i);
                if (want.startsWith("n=")) {
                    JsonNode r = body(JSON.readTree(got));
                    assertThat(r.get("st").asInt()).as("response %d: %s", i, got).isEqualTo(1);
                    assertThat("n=" + r.get("keys").get("n").asLong()).as("response %d", i).isEqualTo(want);
                } else {
                    assertThat(got).as("response %d", i).isEqualTo(want);
                }
            }
        }
        assertThat(stats.batches()).as("batches sent").isGreaterThan(batches);
        assertThat(stats.batchedCommands() - batched).as("commands in them")
                .isGreaterThanOrEqualTo(2 * (stats.batches() - batches));
        for (String t : tokens.subList(0, 5)) {
            assertCopiesEqual(members, t, 1);
        }
        for (String t : tokens) {
            ask(c, "{\"SH_END\":{\"tkn\":\"" + t + "\"}}");
        }
    }

    /**
     * A batch whose owner does not answer in time (its thread held on one session's box) is sent again with the
     * same ids, and each command is answered once. (Reads here; a retried train of writes is answered from the ring,
     * see ClusterCommandTest.)
     */
    @Test
    void aBatchThatTimesOutIsSentAgainWithTheSameIdsAndAnsweredOnce() throws Exception {
        SatchelClient c = clients.get(0);
        List<String> onOne = new ArrayList<>();
        for (int i = 0; i < 200 && onOne.size() < 3; i++) {
            String t = token(ask(c, "{\"SH_NEW\":{}}"));
            if (primaryOf(t) == 1) {
                onOne.add(t);
            } else {
                ask(c, "{\"SH_END\":{\"tkn\":\"" + t + "\"}}");
            }
        }
        assertThat(onOne).as("sessions whose primary is member 1").hasSize(3);
        ClusterMember.Stats stats = members.get(0).server().cluster().statistics();
        long retries = stats.retries();
        long batches = stats.batches();
        for (int i = 0; i < onOne.size(); i++) {
            ask(c, "{\"SH_SET\":{\"tkn\":\"" + onOne.get(i) + "\",\"keys\":{\"k\":" + i + "}}}");
        }
        Box held = localBox(members.get(1), onOne.get(0));
        assertThat(held).isNotNull();
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread holder = new Thread(() -> {
            synchronized (held) { // the owner's command on this session waits for it: the batch times out
                holding.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (stats.retries() == retries && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "box-holder");
        holder.start();
        try (var raw = dev.satchel.testing.RawWebSocket.open(members.get(0).port(), 60_000, 0, "")) {
            assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
            // the loop waits while the three reads arrive, so that one flush sends them as one batch (on a busy
            // machine the loop could otherwise take the first before the others were decoded)
            java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
            members.get(0).server().loop().submit((engine, out) -> {
                try {
                    arrived.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < onOne.size(); i++) { // reads, batched
                raw.queue("{\"SH_GET\":{\"tkn\":\"" + onOne.get(i) + "\",\"keys\":[\"k\"]}}");
            }
            raw.flush();
            Thread.sleep(500);
            arrived.countDown();
            for (int i = 0; i < onOne.size(); i++) {
                assertThat(body(JSON.readTree(raw.readText())).get("keys").get("k").asInt()).as("answer %d", i)
                        .isEqualTo(i);
            }
        } finally {
            holder.interrupt(); // answered: it has let go already; failed: let go now
            holder.join(30_000);
        }
        assertThat(stats.batches() - batches).as("sent as a batch, then again as one").isGreaterThanOrEqualTo(2);
        assertThat(stats.retries() - retries).as("every command of the batch sent again").isEqualTo(onOne.size());
        for (String t : onOne) {
            assertCopiesEqual(members, t, 1);
            ask(c, "{\"SH_END\":{\"tkn\":\"" + t + "\"}}");
        }
    }

    /**
     * With the default limits every member has room to spare (Headroom), so pipelined SH_NEWs and writes that ADD
     * keys, the common write of a real workload, are batched like overwrites instead of each bouncing out of its
     * batch or going alone: none bounces, every answer is right and in order, every key is on both copies.
     */
    @Test
    void writesThatAddKeysAreBatchedWhileEveryMemberHasRoom() throws Exception {
        TestServer m = members.get(1);
        ClusterMember cluster = m.server().cluster();
        long deadline = System.currentTimeMillis() + 30_000;
        while (!cluster.headroom().roomy() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50); // the first poll of every member's budget
        }
        assertThat(cluster.headroom().roomy()).as("every member far below its limit").isTrue();
        SatchelClient c = clients.get(1);
        int sessions = 12;
        int rounds = 5;
        ClusterMember.Stats stats = cluster.statistics();
        long batches = stats.batches();
        long bounced = stats.bounced();
        List<String> news = new ArrayList<>();
        for (int i = 0; i < 4 * sessions; i++) {
            news.add("{\"SH_NEW\":{}}");
        }
        List<String> tokens = new ArrayList<>();
        for (JsonNode r : ClusterBatchedWritesTest.pipeline(m.port(), news)) {
            assertThat(body(r).get("st").asInt()).as("%s", r).isEqualTo(1);
            tokens.add(body(r).get("tkn").asText());
        }
        assertThat(new java.util.HashSet<>(tokens)).as("distinct tokens").hasSize(tokens.size());
        assertThat(stats.batches()).as("pipelined SH_NEWs batched").isGreaterThan(batches);
        for (String t : tokens.subList(sessions, tokens.size())) {
            ask(c, "{\"SH_END\":{\"tkn\":\"" + t + "\"}}");
        }
        tokens = new ArrayList<>(tokens.subList(0, sessions));
        batches = stats.batches();
        List<String> writes = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < sessions; i++) {
                writes.add("{\"SH_SET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":{\"k" + round + "\":" + (round * 100 + i)
                        + "}}}");
                writes.add("{\"SH_ADD\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":{\"a" + round + "\":\"v\"}}}");
            }
        }
        List<JsonNode> answers = ClusterBatchedWritesTest.pipeline(m.port(), writes);
        for (int n = 0; n < writes.size(); n++) {
            assertThat(body(answers.get(n)).get("st").asInt()).as("response %d: %s", n, answers.get(n)).isEqualTo(1);
        }
        assertThat(stats.batches()).as("batches sent").isGreaterThan(batches);
        assertThat(stats.bounced()).as("writes that add keys bounced out of their batches").isEqualTo(bounced);
        for (int i = 0; i < sessions; i++) {
            assertCopiesEqual(members, tokens.get(i), 2 * rounds);
            JsonNode got = body(ask(clients.get(2), "{\"SH_GET\":{\"tkn\":\"" + tokens.get(i) + "\",\"keys\":[\"k4\",\"a4\"]}}"));
            assertThat(got.get("keys").toString()).isEqualTo("{\"k4\":" + (400 + i) + ",\"a4\":\"v\"}");
            ask(c, "{\"SH_END\":{\"tkn\":\"" + tokens.get(i) + "\"}}");
        }
    }

    /** Every member's local copy of the session is byte-equal, there are 2 (owners), and it has {@code keys} keys. */
    static void assertCopiesEqual(List<TestServer> in, String tkn, int keys) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            List<byte[]> copies = new ArrayList<>();
            for (TestServer m : in) {
                Box b = localBox(m, tkn);
                if (b != null && b.session != null) {
                    copies.add(b.toBlob());
                }
            }
            boolean settled = copies.size() == 2 && java.util.Arrays.equals(copies.get(0), copies.get(1));
            if (settled || System.currentTimeMillis() > deadline) {
                assertThat(copies).as("copies held by the members").hasSize(2);
                assertThat(copies.get(1)).as("backup equals primary").isEqualTo(copies.get(0));
                assertThat(Box.fromBlob(copies.get(0)).session.keyCount()).isEqualTo(keys);
                return;
            }
            Thread.sleep(200); // a rebalance may still be moving the copy
        }
    }
}
