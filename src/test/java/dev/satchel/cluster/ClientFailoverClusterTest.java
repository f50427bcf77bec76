package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.ClientListener;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.testing.TestServer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client given every member of a three-member cluster: when the member it is connected to stops, it
 * reconnects to the next one, where its session is still there (standalone failover loses sessions; cluster
 * failover does not).
 */
@Tag("cluster")
class ClientFailoverClusterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataRoot;

    @Test
    void aClientOfAStoppedMemberMovesToTheNextAndFindsItsSessionThere() throws Exception {
        String name = "failover-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        int[] clusterPorts = new int[3];
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clusterPorts[i] = ClusterModeTest.freeClusterPort();
            hosts.add("127.0.0.1:" + clusterPorts[i]);
        }
        List<TestServer> members = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        SatchelClient client = null;
        try {
            List<Future<TestServer>> starting = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String[] flags = {"--cluster", "true", "--cluster-name", name, "--cluster-port",
                        Integer.toString(clusterPorts[i]), "--cluster-members", String.join(",", hosts),
                        "--cluster-secret", ClusterModeTest.SECRET, "--admin-port", "0",
                        "--persist-path", Files.createTempDirectory(dataRoot, "member").toString()};
                starting.add(pool.submit(() -> TestServer.start(flags)));
            }
            for (Future<TestServer> f : starting) {
                members.add(f.get(180, TimeUnit.SECONDS));
            }
            List<URI> uris = members.stream().map(TestServer::uri).toList();
            BlockingQueue<URI> connected = new LinkedBlockingQueue<>();
            client = SatchelClient.connect(uris, ClientOptions.builder()
                    .requestTimeout(Duration.ofSeconds(30))
                    .reconnectDelay(Duration.ofMillis(10), Duration.ofMillis(500))
                    .listener(new ClientListener() {
                        @Override
                        public void connected(URI uri) {
                            connected.add(uri);
                        }
                    })
                    .build());
            assertThat(connected.poll(30, TimeUnit.SECONDS)).isEqualTo(uris.get(0));

            JsonNode created = JSON.readTree(client.sendRaw("{\"SH_NEW\":{}}").get(30, TimeUnit.SECONDS));
            String token = created.get("SH_NEW_RSP").get("tkn").asText();
            String set = client.sendRaw("{\"SH_SET\":{\"tkn\":\"" + token + "\",\"keys\":{\"cart\":\"3 apples\"}}}")
                    .get(30, TimeUnit.SECONDS);
            assertThat(set).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");

            members.get(0).close(); // SIGTERM's path: drain, Close 1001, hand the data to the others, leave

            assertThat(connected.poll(60, TimeUnit.SECONDS)).as("reconnected to the next member")
                    .isEqualTo(uris.get(1));
            String got = client.sendRaw("{\"SH_GET\":{\"tkn\":\"" + token + "\",\"keys\":[\"cart\"]}}")
                    .get(30, TimeUnit.SECONDS);
            assertThat(got).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"cart\":\"3 apples\"}}}");
            assertThat(client.uri()).isEqualTo(uris.get(1));
        } finally {
            if (client != null) {
                client.close();
            }
            List<Future<?>> stopping = new ArrayList<>();
            for (TestServer m : members) {
                stopping.add(pool.submit(m::close));
            }
            for (Future<?> f : stopping) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
    }
}
