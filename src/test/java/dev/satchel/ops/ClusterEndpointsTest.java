package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.Clock;
import dev.satchel.testing.ServerJvm;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The admin port of a cluster member: /health/ready follows the cluster, /metrics shows it. */
@Tag("cluster")
class ClusterEndpointsTest {
    static int freeClusterPort() throws IOException {
        return ServerJvm.freePort(100); // and the failure-detection port, +100
    }

    @Test
    void notReadyUntilJoinedThenReadyWithClusterMetrics() throws Exception {
        int port = freeClusterPort();
        int other = freeClusterPort(); // the second listed member: started only after a look at the first alone
        String name = "ops-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        String members = "127.0.0.1:" + port + ",127.0.0.1:" + other;
        ManagedNode node = member(name, port, members);
        CompletableFuture<Void> started = start(node);
        ManagedNode second = null;
        CompletableFuture<Void> secondStarted = CompletableFuture.completedFuture(null);
        try {
            while (node.adminPort() <= 0 && !started.isDone()) {
                Thread.sleep(20);
            }
            // alone, it waits for a majority of the two listed members (cluster.minMembers by default): 503, and why
            long aloneUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            HttpResponse<String> joining;
            do {
                joining = OpsFixture.get(node.adminPort(), "/health/ready");
                assertThat(joining.statusCode()).as("alone: %s", joining.body()).isEqualTo(503);
                Thread.sleep(200);
            } while (System.nanoTime() < aloneUntil);
            assertThat(started).as("still waiting for the other member").isNotDone();
            assertThat(joining.body()).contains("\"state\":\"starting\"", "at least 2 members");
            second = member(name, other, members);
            secondStarted = start(second);
            started.get(120, TimeUnit.SECONDS);
            secondStarted.get(120, TimeUnit.SECONDS);
            HttpResponse<String> ready = OpsFixture.get(node.adminPort(), "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            String metrics = OpsFixture.get(node.adminPort(), "/metrics").body();
            assertThat(OpsFixture.sample(metrics, "satchel_cluster_members")).isEqualTo(2.0);
            assertThat(OpsFixture.sample(metrics, "satchel_cluster_ready")).isEqualTo(1.0);
            assertThat(OpsFixture.sample(metrics, "satchel_cluster_rebalancing")).isEqualTo(0.0);
            assertThat(metrics).contains("satchel_cluster_execution_seconds_bucket",
                    "satchel_cluster_duplicates_total", "satchel_cluster_timeouts_total");
            assertThat(node.banner()).contains("cluster '", "member 127.0.0.1:" + port, "owners 2", "secret set")
                    .doesNotContain("ops-test-secret");
        } finally {
            started.handle((v, e) -> null).get(120, TimeUnit.SECONDS);
            secondStarted.handle((v, e) -> null).get(120, TimeUnit.SECONDS);
            if (second != null) {
                second.shutdown();
            }
            node.shutdown();
        }
    }

    private static ManagedNode member(String name, int port, String members) {
        return new ManagedNode(OpsFixture.config("--cluster", "true", "--cluster-name", name, "--cluster-port",
                Integer.toString(port), "--cluster-members", members, "--cluster-secret", "ops-test-secret-0123456789"),
                Clock.system());
    }

    private static CompletableFuture<Void> start(ManagedNode node) {
        return CompletableFuture.runAsync(() -> {
            try {
                node.start();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
