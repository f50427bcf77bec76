package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.config.ServerConfig;
import dev.satchel.config.ServerConfig.HostPort;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The default of cluster.minMembers: the view a starting member needs before it serves. */
class MinMembersTest {
    private static ServerConfig.Cluster cluster(int port, List<HostPort> members, String dns, int minMembers) {
        return new ServerConfig.Cluster(true, "satchel", "127.0.0.1", port, members, dns, null, "0123456789abcdef-x",
                2, minMembers);
    }

    private static HostPort local(int port) {
        return new HostPort("127.0.0.1", port);
    }

    @Test
    void aMajorityOfTheListedMembersCountingThisOneOnce() {
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7800)), "", 0))).as("alone by design").isEqualTo(1);
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7800), local(7801)), "", 0))).isEqualTo(2);
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7800), local(7801), local(7802)), "", 0)))
                .isEqualTo(2);
        assertThat(ClusterMember.minMembers(cluster(7800,
                List.of(local(7800), local(7801), local(7802), local(7803)), "", 0))).isEqualTo(3);
        assertThat(ClusterMember.minMembers(cluster(7800,
                List.of(local(7800), local(7801), local(7802), local(7803), local(7804)), "", 0))).isEqualTo(3);
        // this member not listed: it counts too
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7801), local(7802)), "", 0))).isEqualTo(2);
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7801)), "", 0))).as("2 members").isEqualTo(2);
        // listed by name: "localhost" is 127.0.0.1
        assertThat(ClusterMember.minMembers(cluster(7800,
                List.of(new HostPort("localhost", 7800), local(7801), local(7802)), "", 0))).isEqualTo(2);
        // the same member twice counts once
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7800), local(7800), local(7801)), "", 0)))
                .isEqualTo(2);
    }

    @Test
    void dnsDiscoveryNeedsTwoAndASettingWins() {
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(), "satchel.ns.svc.cluster.local", 0))).isEqualTo(2);
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(), "satchel.ns.svc.cluster.local", 1))).isEqualTo(1);
        assertThat(ClusterMember.minMembers(cluster(7800, List.of(local(7800), local(7801), local(7802)), "", 3)))
                .isEqualTo(3);
    }
}
