package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.ClusterJvms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11 "Availability" with members as separate JVMs on loopback: 3 members, owners 2, a pipelined write load
 * ({@link CounterLoad}) through every member while one member is killed ({@code kill -9}); then every
 * acknowledged write and every session is read back. Also a process with another secret that names the members:
 * it must not join (the members' view stays the same), must not see their data and must never report ready.
 *
 * <p>One cluster for the class (start-up is the slow part); each test begins with all three members ready
 * (restarting any that is down).
 * Pauses and latencies are printed, never asserted.
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(ClusterJvms.LogsOnFailure.class)
class MemberFailureTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Load shape: connections per member x sessions (writes in flight) per connection. */
    private static final int CONNECTIONS_PER_MEMBER = 2;
    private static final int LANES_PER_CONNECTION = 16;
    private static final int IDLE_SESSIONS = 300;

    private ClusterJvms cluster;

    @BeforeAll
    void start() throws Exception {
        cluster = ClusterJvms.builder(3).owners(2).start();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void everyMemberRunsAndIsReady() throws Exception {
        cluster.startAll();
    }

    @Test
    @Order(2) // last: the cluster is left with one member, and a restart costs tens of seconds
    void killNineOfOneMemberUnderWriteLoadLosesNoAcknowledgedWrite() throws Exception {
        try (CounterLoad load = CounterLoad.open(cluster, CONNECTIONS_PER_MEMBER, LANES_PER_CONNECTION)) {
            load.addIdleSessions(IDLE_SESSIONS);
            load.start();
            load.awaitProgressOnEveryConnection(20, 120);
            ClusterJvms.Member victim = cluster.member(0);
            long before = load.acknowledged();
            load.markEvent();
            victim.kill();
            // the survivors' clients go on; the killed member's clients reconnect to the others and go on too
            load.awaitProgressOnEveryConnection(50, 120);
            Thread.sleep(3000); // keep writing while the survivors restore two copies of everything
            load.stop();
            System.out.println("[cluster] kill -9 of " + victim + " under " + (3 * CONNECTIONS_PER_MEMBER
                    * LANES_PER_CONNECTION) + " writes in flight: " + load.pauseReport() + "; "
                    + (load.acknowledged() - before) + " writes acknowledged after the kill; " + load.summary());
            assertThat(load.connectionsNowOn(victim.index())).as("connections left on the killed member").isZero();
            assertThat(load.moves()).as("the killed member's connections moved to survivors")
                    .hasSize(load.connectionsOf(victim.index()));
            assertThat(load.errors()).as("error responses or timeouts (only reconnects are allowed)").isEmpty();
            assertThat(load.verify()).as("read back after the kill: %s", load.summary()).isEmpty();
            assertThat(load.minAckedPerLane()).as("every session was written").isPositive();
        }
        CounterLoad.assertSameTotalsOnEveryMember(cluster);
        // then a second member dies: the last one is a minority (1 of 3) and must refuse, not answer from the part
        // of the data it still holds: commands on sessions and the table-wide ones alike answer 1000, not ready
        String tkn;
        ClusterJvms.Member last = cluster.member(2);
        try (SatchelClient c = SatchelClient.connect(last.uri())) {
            tkn = tokenOf(c.sendRaw("{\"SH_NEW\":{}}").get(30, TimeUnit.SECONDS));
        }
        cluster.member(1).kill();
        ClientOptions once = ClientOptions.builder().requestTimeout(Duration.ofSeconds(30)).build();
        try (SatchelClient c = SatchelClient.connect(last.uri(), once)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            JsonNode get = JSON.readTree(c.sendRaw("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"a\"]}}")
                    .get(30, TimeUnit.SECONDS)).elements().next();
            while (get.get("st").asInt() != 1000 && System.nanoTime() < deadline) { // until failure detection
                Thread.sleep(200);
                get = JSON.readTree(c.sendRaw("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"a\"]}}")
                        .get(30, TimeUnit.SECONDS)).elements().next();
            }
            assertThat(get.get("m").asText()).as("%s", get).startsWith("cluster unavailable: this member is in a"
                    + " partition");
            JsonNode all = JSON.readTree(c.sendRaw("{\"SH_INFO_ALL\":{}}").get(30, TimeUnit.SECONDS))
                    .elements().next();
            assertThat(all.get("st").asInt()).as("SH_INFO_ALL on the minority: %s", all).isEqualTo(1000);
            assertThat(all.get("m").asText()).startsWith("cluster unavailable: cluster partitioned");
            JsonNode ended = JSON.readTree(c.sendRaw("{\"SH_END_ALL\":{}}").get(30, TimeUnit.SECONDS))
                    .elements().next();
            assertThat(ended.get("st").asInt()).as("SH_END_ALL on the minority: %s", ended).isEqualTo(1000);
        }
        assertThat(last.readyStatus()).as("/health/ready of the minority").isEqualTo(503);
    }

    @Test
    @Order(1)
    void aProcessWithAnotherSecretCannotJoinAndSeesNoData() throws Exception {
        String token;
        try (SatchelClient c = SatchelClient.connect(cluster.member(1).uri())) {
            token = tokenOf(c.sendRaw("{\"SH_NEW\":{\"name\":\"secret-test\",\"shared\":true}}").get(30,
                    TimeUnit.SECONDS));
            assertThat(c.sendRaw("{\"SH_SET\":{\"tkn\":" + token + ",\"keys\":{\"card\":\"4111-only-members\"}}}")
                    .get(30, TimeUnit.SECONDS)).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
            assertThat(c.sendRaw("{\"KV_SET\":{\"keys\":{\"global-secret\":\"only-members\"}}}")
                    .get(30, TimeUnit.SECONDS)).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
        }
        ClusterJvms.Member outsider = cluster.startOutsider("another secret, not the cluster's");
        // watch it from when its admin port answers, long enough for discovery and several join attempts; a
        // process that gives up and exits (non-zero) is also one that did not join
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ClusterJvms.READY_TIMEOUT_MILLIS);
        while (outsider.readyStatus() == -1 && outsider.isAlive()) {
            assertThat(System.nanoTime()).as("the outsider's admin port opens").isLessThan(deadline);
            Thread.sleep(100);
        }
        List<Integer> outsiderReadiness = new ArrayList<>();
        List<String> outsiderAnswers = new ArrayList<>();
        long watchUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        ClientOptions quick = ClientOptions.builder().connectTimeout(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(10)).build();
        while (System.nanoTime() < watchUntil && outsider.isAlive()) {
            outsiderReadiness.add(outsider.readyStatus());
            // if it accepts WebSocket connections at all, it must not know the members' session or keys
            try (SatchelClient c = SatchelClient.connect(outsider.uri(), quick)) {
                outsiderAnswers.add(c.sendRaw("{\"SH_GET\":{\"tkn\":" + token + ",\"keys\":[\"card\"]}}")
                        .get(15, TimeUnit.SECONDS));
                outsiderAnswers.add(c.sendRaw("{\"SH_OPEN\":{\"name\":\"secret-test\"}}").get(15, TimeUnit.SECONDS));
                outsiderAnswers.add(c.sendRaw("{\"KV_GET\":{\"keys\":[\"global-secret\"]}}").get(15, TimeUnit.SECONDS));
            } catch (Exception e) {
                outsiderAnswers.add("(no answer: " + e + ")");
            }
            Thread.sleep(1000);
        }
        String ending = outsider.isAlive() ? "still running" : "exited with " + outsider.jvm().exitCode();
        System.out.println("[cluster] outsider with another secret (" + ending + "): readiness " + outsiderReadiness
                + "; answers " + outsiderAnswers.subList(0, Math.min(6, outsiderAnswers.size())));
        assertThat(String.join("\n", outsiderAnswers)).as("what the outsider answered")
                .doesNotContain("only-members").doesNotContain("4111");
        // it can never join, so it must never report ready either: a Service would send clients to its empty,
        // separate data (cluster.minMembers: a majority of the listed members)
        assertThat(outsiderReadiness).as("/health/ready of the outsider (%s); its log:\n%s", ending, outsider.tail(20))
                .isNotEmpty().doesNotContain(200);
        // the members' view did not change and the data is where it was
        for (ClusterJvms.Member m : cluster.members()) {
            try (SatchelClient c = SatchelClient.connect(m.uri())) {
                JsonNode info = JSON.readTree(c.sendRaw("{\"SV_INFO\":{}}").get(30, TimeUnit.SECONDS))
                        .path("SV_INFO_RSP").path("cluster");
                List<String> members = new ArrayList<>();
                info.path("members").forEach(n -> members.add(n.asText()));
                assertThat(members).as("cluster of %s: %s", m, info)
                        .containsExactlyInAnyOrder(cluster.membersList().split(","));
                assertThat(c.sendRaw("{\"SH_GET\":{\"tkn\":" + token + ",\"keys\":[\"card\"]}}").get(30,
                        TimeUnit.SECONDS)).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"card\":\"4111-only-members\"}}}");
            }
            assertThat(m.readyStatus()).isEqualTo(200);
        }
        assertThat(outsider.log()).as("the outsider's log").doesNotContain("4111-only-members");
        outsider.kill(); // it would only take CPU from the next test
    }

    private static String tokenOf(String rsp) throws Exception {
        JsonNode tkn = JSON.readTree(rsp).path("SH_NEW_RSP").path("tkn");
        assertThat(tkn.isMissingNode()).as("SH_NEW: %s", rsp).isFalse();
        return tkn.toString();
    }
}
