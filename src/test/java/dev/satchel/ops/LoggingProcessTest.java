package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.ServerJvm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code satchel server} in its own JVM with the production logback.xml: JSON lines when configured (by the
 * environment or by the flag), readable lines otherwise, no token in any line, and SIGTERM exits 0.
 */
class LoggingProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs a server, creates and uses a session, stops it with SIGTERM; returns stderr lines and the token. */
    private static String[] run(Map<String, String> env, String... flags) throws Exception {
        String[] args = new String[flags.length + 5];
        args[0] = "server";
        args[1] = "--port";
        args[2] = "0";
        args[3] = "--admin-port";
        args[4] = "0";
        System.arraycopy(flags, 0, args, 5, flags.length);
        try (ServerJvm jvm = ServerJvm.satchel(List.of("-Xmx128m"), env, args)) {
            int port = jvm.awaitListening();
            String tkn;
            try (RawWebSocket c = RawWebSocket.open(port)) {
                c.sendText("{\"SH_NEW\":{\"name\":\"cart\"}}");
                tkn = JSON.readTree(c.readText()).get("SH_NEW_RSP").get("tkn").asText();
                c.sendText("{\"SH_SET\":{\"tkn\":\"" + tkn + "\",\"keys\":{\"a\":1}}}");
                c.readText();
                c.sendText("{\"SH_GET\":{\"tkn\":\"" + tkn + "x\",\"keys\":[\"a\"]}}");
                c.readText();
                c.sendText("{\"SH_END\":{\"tkn\":\"" + tkn + "\"}}");
                c.readText();
            }
            assertThat(jvm.terminate()).as("exit status after SIGTERM; stderr:\n%s", jvm.stderr()).isZero();
            return new String[] {jvm.stderr(), tkn};
        }
    }

    private static void assertJsonLines(String stderr, String tkn) throws Exception {
        List<String> lines = stderr.strip().lines().toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(4);
        boolean banner = false;
        for (String line : lines) {
            JsonNode n = JSON.readTree(line); // every line is one JSON object
            assertThat(n.isObject()).as(line).isTrue();
            assertThat(n.get("timestamp").isNumber()).as(line).isTrue();
            assertThat(n.get("level").asText()).as(line).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
            assertThat(n.get("loggerName").asText()).as(line).isNotEmpty();
            String message = n.get("formattedMessage").asText();
            banner |= message.contains("listening on ws://127.0.0.1:");
            assertThat(line).doesNotContain(tkn);
        }
        assertThat(banner).as("banner among\n%s", stderr).isTrue();
        assertThat(stderr).contains("Satchel stopped");
    }

    @Test
    void jsonLinesWhenTheEnvironmentSaysSo() throws Exception {
        String[] r = run(Map.of("SATCHEL_LOG_FORMAT", "json", "SATCHEL_LOG_LEVEL", "DEBUG"));
        assertJsonLines(r[0], r[1]);
    }

    @Test
    void jsonLinesWhenTheFlagSaysSo() throws Exception {
        String[] r = run(Map.of(), "--log-format", "json");
        assertJsonLines(r[0], r[1]);
    }

    @Test
    void readableLinesByDefaultWithTheBanner() throws Exception {
        String[] r = run(Map.of("SATCHEL_LOG_LEVEL", "DEBUG"));
        List<String> lines = r[0].strip().lines().toList();
        assertThat(lines).allSatisfy(l -> assertThat(l)
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* +(TRACE|DEBUG|INFO|WARN|ERROR) +\\[.*"));
        assertThat(r[0]).doesNotContain(r[1]);
        int banner = -1;
        int stopping = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("listening on") && lines.get(i).contains("admin http")) {
                banner = i;
            } else if (lines.get(i).contains("shutting down")) {
                stopping = i;
            }
        }
        assertThat(banner).as("banner in\n%s", r[0]).isNotNegative();
        assertThat(lines.get(banner)).contains("Satchel ", "ws://127.0.0.1:", "admin http://127.0.0.1:",
                "tokens string", "persistence", "config defaults");
        // nothing per command at INFO: no INFO line between the banner and the shutdown
        assertThat(stopping).isGreaterThan(banner);
        assertThat(lines.subList(banner + 1, stopping)).noneMatch(l -> l.matches("\\S+ +(INFO|WARN|ERROR) .*"));
    }
}
