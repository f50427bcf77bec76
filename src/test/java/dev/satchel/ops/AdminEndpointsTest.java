package dev.satchel.ops;

import static dev.satchel.ops.OpsFixture.sample;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testing.RawWebSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin HTTP port over real HTTP: health, readiness through start-up and shutdown, and /metrics. */
class AdminEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void healthEndpointsAnswerOnTheirOwnPort() throws Exception {
        try (OpsFixture s = OpsFixture.start()) {
            assertThat(s.service.adminPort()).isPositive().isNotEqualTo(s.port());
            HttpResponse<String> live = s.get("/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(json(live).get("status").asText()).isEqualTo("UP");
            HttpResponse<String> ready = s.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(json(ready).get("state").asText()).isEqualTo("ready");
            assertThat(ready.headers().firstValue("content-type")).hasValue("application/json");

            assertThat(s.get("/nope").statusCode()).isEqualTo(404);
            HttpResponse<String> post = OpsFixture.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.service.adminPort() + "/health/ready"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")));
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
            HttpResponse<String> head = OpsFixture.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + s.service.adminPort() + "/health/ready"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();

            // the health subcommand of the Docker HEALTHCHECK
            assertThat(new picocli.CommandLine(new HealthCommand())
                    .execute("--port", Integer.toString(s.service.adminPort()))).isZero();
            assertThat(new picocli.CommandLine(new HealthCommand())
                    .execute("--live", "--port", Integer.toString(s.service.adminPort()))).isZero();
        }
    }

    @Test
    void theHealthCommandFailsWhenNothingAnswers() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        assertThat(new picocli.CommandLine(new HealthCommand()).execute("--port", Integer.toString(port),
                "--timeout", "2")).isEqualTo(1);
    }

    @Test
    void metricsHaveTheExpectedNamesAndMoveWithCommands() throws Exception {
        try (OpsFixture s = OpsFixture.start("--expiry-tick-ms", "10", "--max-message-bytes", "1024")) {
            String before = s.metrics();
            for (String name : new String[] {"satchel_sessions_active", "satchel_sessions_created_total",
                "satchel_sessions_ended_total", "satchel_sessions_expired_total{kind=\"end\"}",
                "satchel_sessions_expired_total{kind=\"clear\"}", "satchel_keys{space=\"session\"}",
                "satchel_keys{space=\"global\"}", "satchel_stored_bytes{space=\"session\"}",
                "satchel_stored_bytes{space=\"global\"}", "satchel_command_duration_seconds_count",
                "satchel_command_duration_seconds_bucket{le=\"+Inf\"}", "satchel_expiry_lag_seconds",
                "satchel_connections_active", "satchel_connections_opened_total",
                "satchel_messages_rejected_total{reason=\"message_too_big\"}",
                "satchel_messages_rejected_total{reason=\"limit_exceeded\"}", "satchel_loop_busy_seconds_total",
                "satchel_ready", "satchel_loop_responding"}) {
                assertThat(sample(before, name)).as(name + " in\n" + before).isNotNaN();
            }
            assertThat(before).contains("jvm_memory_used_bytes{area=\"heap\"", "jvm_gc_", "jvm_threads_live_threads",
                    "process_cpu_usage", "netty_allocator_memory_used{", "netty_direct_memory_max_bytes",
                    "jvm_buffer_memory_used_bytes{id=\"direct\"}", "satchel_info{");
            assertThat(sample(before, "satchel_sessions_created_total")).isZero();

            String tkn;
            try (RawWebSocket c = s.connect()) {
                c.sendText("{\"SH_NEW\":{}}");
                tkn = JSON.readTree(c.readText()).get("SH_NEW_RSP").get("tkn").asText();
                c.sendText("{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{\"k\":\"vvvv\",\"n\":12}}}");
                assertThat(c.readText()).contains("\"st\":1");
                c.sendText("{\"SH_GET\":{\"tkn\":\"" + tkn + "\",\"keys\":[\"k\"]}}");
                c.readText();
                c.sendText("{\"SH_GET\":{\"tkn\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"keys\":[\"k\"]}}");
                assertThat(c.readText()).contains("\"st\":100");
                c.sendText("{\"KV_SET\":{\"keys\":{\"g\":[1,2,3]}}}");
                c.readText();
                c.sendText("not json");
                c.readText();
                c.sendText("{\"NOPE\":{}}");
                c.readText();
                c.sendText("{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"deleteSession\":true}}}");
                c.readText();
                c.sendText("{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"deleteSession\":false}}}");
                String cleared = JSON.readTree(c.readText()).get("SH_NEW_RSP").get("tkn").asText();
                c.sendText("{\"SH_SET\":{\"tkn\":\"" + cleared + "\",\"keys\":{\"x\":1}}}");
                c.readText();
                String m = s.metrics();
                assertThat(sample(m, "satchel_connections_active")).isEqualTo(1);
                assertThat(sample(m, "satchel_sessions_active")).isEqualTo(3);
                assertThat(sample(m, "satchel_keys{space=\"session\"}")).isEqualTo(3);
                assertThat(sample(m, "satchel_keys{space=\"global\"}")).isEqualTo(1);
                // stored as key length + key + compact value: "k" "vvvv" = 1+1+6, "n" 12 = 1+1+2, "x" 1 = 1+1+1
                assertThat(sample(m, "satchel_stored_bytes{space=\"session\"}")).isEqualTo(15);
                assertThat(sample(m, "satchel_stored_bytes{space=\"global\"}")).isEqualTo(1 + 1 + 7);
            }
            // a message over limits.maxMessageBytes closes with 1009 and is counted
            try (RawWebSocket big = s.connect()) {
                big.sendText("{\"KV_SET\":{\"keys\":{\"big\":\"" + "x".repeat(2000) + "\"}}}");
                assertThat(big.readFrame().closeCode()).isEqualTo(1009);
            }
            // the two expiring sessions expire through the wheel (1 s, ticks of 10 ms)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            String m = s.metrics();
            while (sample(m, "satchel_sessions_expired_total{kind=\"clear\"}") < 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                m = s.metrics();
            }
            while (sample(m, "satchel_sessions_expired_total{kind=\"end\"}") < 1 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                m = s.metrics();
            }
            assertThat(sample(m, "satchel_sessions_expired_total{kind=\"end\"}")).isEqualTo(1);
            assertThat(sample(m, "satchel_sessions_expired_total{kind=\"clear\"}")).isGreaterThanOrEqualTo(1);
            assertThat(sample(m, "satchel_sessions_created_total")).isEqualTo(3);
            assertThat(sample(m, "satchel_sessions_ended_total")).isEqualTo(1); // the expired one
            assertThat(sample(m, "satchel_sessions_active")).isEqualTo(2);
            assertThat(sample(m, "satchel_keys{space=\"session\"}")).isEqualTo(2); // the cleared one lost x
            assertThat(sample(m, "satchel_stored_bytes{space=\"session\"}")).isEqualTo(12);
            assertThat(sample(m, "satchel_commands_total{command=\"SH_NEW\",status=\"1\",status_name=\"Ok\"}"))
                    .isEqualTo(3);
            assertThat(sample(m, "satchel_commands_total{command=\"SH_SET\",status=\"1\",status_name=\"Ok\"}"))
                    .isEqualTo(2);
            assertThat(sample(m,
                    "satchel_commands_total{command=\"SH_GET\",status=\"100\",status_name=\"SessionNotExist\"}"))
                    .isEqualTo(1);
            assertThat(sample(m, "satchel_commands_total{command=\"ERR\",status=\"3\",status_name=\"JsonInvalid\"}"))
                    .isEqualTo(1);
            assertThat(sample(m,
                    "satchel_commands_total{command=\"ERR\",status=\"10\",status_name=\"CommandNotExist\"}"))
                    .isEqualTo(1);
            assertThat(sample(m, "satchel_command_duration_seconds_count")).isEqualTo(10);
            assertThat(sample(m, "satchel_messages_rejected_total{reason=\"message_too_big\"}")).isEqualTo(1);
            assertThat(sample(m, "satchel_connections_opened_total")).isEqualTo(2);
            assertThat(sample(m, "satchel_connections_active")).isZero();
            assertThat(sample(m, "satchel_expiry_lag_seconds")).isGreaterThanOrEqualTo(0);
            assertThat(sample(m, "satchel_loop_busy_seconds_total")).isPositive();
        }
    }

    @Test
    void withMetricsDisabledTheLoopCountsNothingAndMetricsIs404() throws Exception {
        try (OpsFixture s = OpsFixture.start("--metrics-enabled", "false")) {
            assertThat(s.get("/metrics").statusCode()).isEqualTo(404);
            assertThat(s.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(s.service.node().loop().call(e -> e.observer() == null).get(5, TimeUnit.SECONDS))
                    .isTrue();
        }
    }

    @Test
    void notReadyWhileTheStartUpLoadRuns() throws Exception {
        try (OpsFixture first = OpsFixture.start("--persist-path", dir.toString());
                RawWebSocket c = first.connect()) {
            c.sendText("{\"SH_NEW\":{\"name\":\"boot\"}}");
            c.readText();
            c.sendText("{\"SH_SAVE\":{\"name\":\"boot\"}}");
            assertThat(c.readText()).contains("\"st\":121");
        }
        OpsFixture second = OpsFixture.create("--persist-path", dir.toString(), "--load", "boot");
        // hold the command loop: the start-up load inserts on it, so start() cannot finish until released
        CountDownLatch release = new CountDownLatch(1);
        second.service.node().loop().submit((engine, out) -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread starter = new Thread(() -> {
            try {
                second.service.start();
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "test-starter");
        starter.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (second.service.adminPort() < 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            HttpResponse<String> ready = second.get("/health/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(json(ready).get("state").asText()).isEqualTo("starting");
            assertThat(second.service.health().state()).isEqualTo(Health.State.STARTING);
            HttpResponse<String> live = second.get("/health/live"); // the loop is held: not live either
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(json(live).get("reason").asText()).contains("did not answer");
            assertThat(second.metrics()).contains("satchel_ready 0.0", "satchel_loop_responding 0.0");
        } finally {
            release.countDown();
            starter.join(30_000);
        }
        assertThat(failed.get()).isNull();
        try (second) {
            assertThat(second.get("/health/ready").statusCode()).isEqualTo(200);
            assertThat(sample(second.metrics(), "satchel_sessions_active")).isEqualTo(1);
        }
    }
}
