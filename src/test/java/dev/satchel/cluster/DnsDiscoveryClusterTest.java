package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.ClusterJvms;
import dev.satchel.testing.DnsStub;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11 "DNS discovery of a Kubernetes headless Service", through the real thing: member JVMs with no members
 * list, only {@code --cluster-dns-query} and {@code --cluster-dns-server} pointing at a DNS server of the test
 * ({@link DnsStub}, UDP on loopback) whose A records are the members' addresses; as with pods, every member
 * listens on the same cluster port at an address of its own (127.0.0.1, .2, .3: all loopback on Linux). They
 * must find each other, become ready, show each other in SV_INFO and share the data. A member whose DNS answer
 * lists nobody else (another name, on another server) must stay not ready (503), though it has the cluster's
 * name, secret and port; once its DNS answer lists the others it joins them (MERGE3 asks DNS again), so the
 * 503 was DNS's doing and nothing else's. One cluster start for all of it.
 */
@Tag("cluster")
@ExtendWith(ClusterJvms.LogsOnFailure.class)
class DnsDiscoveryClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NAME = "satchel-cluster.test-ns.svc.cluster.local";
    private static final String ALONE_NAME = "satchel-alone.test-ns.svc.cluster.local";

    @Test
    void membersFindEachOtherThroughDnsAloneAndAMemberDnsDoesNotListStaysNotReady() throws Exception {
        try (DnsStub dns = new DnsStub(NAME, ClusterJvms.dnsBinds(3));
                ClusterJvms cluster = ClusterJvms.builder(3).dnsDiscovery(dns.address(), NAME).start()) {
            // start() returned: all three answer /health/ready 200 (cluster.minMembers 2 by default with DNS)
            int clusterPort = cluster.member(0).clusterPort();
            List<String> expected = List.of("127.0.0.1:" + clusterPort, "127.0.0.2:" + clusterPort,
                    "127.0.0.3:" + clusterPort);
            assertThat(cluster.membersList().split(",")).containsExactlyElementsOf(expected);
            for (ClusterJvms.Member m : cluster.members()) {
                assertThat(m.serverArgs()).as("discovery through DNS only").doesNotContain("--cluster-members");
                assertThat(clusterMembers(m)).as("SV_INFO cluster.members through %s", m)
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
            assertThat(dns.questions()).as("what the members asked the DNS server").isNotEmpty()
                    .allMatch(q -> q.equals(NAME + " 1"));

            // a session written through one member is read through each of the others
            String token;
            try (SatchelClient c = SatchelClient.connect(cluster.member(0).uri())) {
                String rsp = c.sendRaw("{\"SH_NEW\":{}}").get(30, TimeUnit.SECONDS);
                JsonNode tkn = JSON.readTree(rsp).path("SH_NEW_RSP").path("tkn");
                assertThat(tkn.isMissingNode()).as("SH_NEW: %s", rsp).isFalse();
                token = tkn.toString();
                assertThat(c.sendRaw("{\"SH_SET\":{\"tkn\":" + token + ",\"keys\":{\"found\":\"by dns\"}}}")
                        .get(30, TimeUnit.SECONDS)).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
            }
            for (ClusterJvms.Member m : cluster.members().subList(1, 3)) {
                assertThat(get(m, token)).as("read through %s", m)
                        .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"found\":\"by dns\"}}}");
            }

            // the same cluster name, secret and port on 127.0.0.4, but its DNS lists only itself
            try (DnsStub alone = new DnsStub(ALONE_NAME, List.of("127.0.0.4"))) {
                ClusterJvms.Member lonely = cluster.dnsOutsider("127.0.0.4", alone.address(), ALONE_NAME);
                lonely.start();
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ClusterJvms.READY_TIMEOUT_MILLIS);
                while (lonely.readyStatus() == -1) {
                    assertThat(lonely.isAlive()).as("the lonely member runs; log:\n%s", lonely.tail(40)).isTrue();
                    assertThat(System.nanoTime()).as("its admin port opens").isLessThan(deadline);
                    Thread.sleep(100);
                }
                // watch it through its initial discovery (3 DNS lookups) and at least two MERGE3 rounds (one
                // lookup every 2 to 5 s each): never ready, and its readiness says why
                List<Integer> seen = new ArrayList<>();
                while (alone.answeredQueries() < 5) {
                    seen.add(lonely.readyStatus());
                    assertThat(lonely.isAlive()).as("the lonely member runs; log:\n%s", lonely.tail(40)).isTrue();
                    assertThat(System.nanoTime()).as("it keeps asking DNS (%s)", alone.questions())
                            .isLessThan(deadline);
                    Thread.sleep(200);
                }
                seen.add(lonely.readyStatus());
                assertThat(seen).as("/health/ready of a member DNS shows alone; log:\n%s", lonely.tail(40))
                        .containsOnly(503);
                assertThat(lonely.httpBody("/health/ready")).contains("at least 2 members");
                for (ClusterJvms.Member m : cluster.members()) {
                    assertThat(clusterMembers(m)).as("the cluster did not change").hasSize(3);
                }

                // DNS now lists it with the others (a pod that became visible): it joins and serves their data
                alone.answer(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"));
                lonely.awaitReady();
                assertThat(clusterMembers(lonely)).containsExactlyInAnyOrder("127.0.0.1:" + clusterPort,
                        "127.0.0.2:" + clusterPort, "127.0.0.3:" + clusterPort, "127.0.0.4:" + clusterPort);
                assertThat(get(lonely, token)).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"found\":\"by dns\"}}}");
            }
        }
    }

    private static List<String> clusterMembers(ClusterJvms.Member m) throws Exception {
        try (SatchelClient c = SatchelClient.connect(m.uri())) {
            JsonNode info = JSON.readTree(c.sendRaw("{\"SV_INFO\":{}}").get(30, TimeUnit.SECONDS))
                    .path("SV_INFO_RSP").path("cluster");
            List<String> members = new ArrayList<>();
            info.path("members").forEach(n -> members.add(n.asText()));
            return members;
        }
    }

    private static String get(ClusterJvms.Member m, String token) throws Exception {
        try (SatchelClient c = SatchelClient.connect(m.uri())) {
            return c.sendRaw("{\"SH_GET\":{\"tkn\":" + token + ",\"keys\":[\"found\"]}}").get(30, TimeUnit.SECONDS);
        }
    }
}
