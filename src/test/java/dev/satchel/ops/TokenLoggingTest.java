package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testing.RawWebSocket;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Session tokens and secrets never reach the logs, at any level; ordinary commands log nothing at INFO. */
class TokenLoggingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private Logger root;
    private Level rootLevel;
    private Logger satchel;
    private Level satchelLevel;

    @BeforeEach
    void capture() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        satchel = ctx.getLogger("dev.satchel");
        rootLevel = root.getLevel();
        satchelLevel = satchel.getLevel();
        events.setContext(ctx);
        events.start();
        root.addAppender(events);
    }

    @AfterEach
    void restore() {
        root.detachAppender(events);
        events.stop();
        root.setLevel(rootLevel);
        satchel.setLevel(satchelLevel);
    }

    private static String text(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(e.getFormattedMessage());
        if (e.getArgumentArray() != null) {
            for (Object a : e.getArgumentArray()) {
                b.append(' ').append(a);
            }
        }
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            b.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
        }
        return b.toString();
    }

    private static String call(RawWebSocket c, String json) throws IOException {
        c.sendText(json);
        return c.readText();
    }

    @ParameterizedTest
    @ValueSource(strings = {"string", "uint64"})
    void noTokenOrSecretIsLoggedEvenAtTrace(String format) throws Exception {
        satchel.setLevel(Level.TRACE);
        String secret = "the-client-auth-secret-0123456789";
        String shared = "the-shared-session-secret-987654";
        List<String> tokens = new ArrayList<>();
        try (OpsFixture s = OpsFixture.start("--token-format", format, "--persist-path", dir.toString(),
                "--save-on-shutdown", "final", "--auth-secret", secret, "--shared-secret", shared,
                "--max-message-bytes", "1024")) {
            try (RawWebSocket wrong = RawWebSocket.open(s.port(), 5000, 0, "Authorization: Bearer not-" + secret + "\r\n")) {
                throw new AssertionError("a wrong secret was accepted");
            } catch (IOException refused) {
                // 401
            }
            try (RawWebSocket c = RawWebSocket.open(s.port(), 10_000, 0, "Authorization: Bearer " + secret + "\r\n")) {
                JsonNode n = JSON.readTree(call(c, "{\"SH_NEW\":{\"expiry\":{\"duration\":600}}}"));
                String tkn = n.get("SH_NEW_RSP").get("tkn").toString(); // JSON: "abc" or 123
                tokens.add(n.get("SH_NEW_RSP").get("tkn").asText());
                call(c, "{\"SH_NEW\":{\"name\":\"cart\",\"shared\":true}}");
                JsonNode o = JSON.readTree(call(c, "{\"SH_OPEN\":{\"name\":\"cart\"}}"));
                String opened = o.get("SH_OPEN_RSP").get("tkn").toString();
                tokens.add(o.get("SH_OPEN_RSP").get("tkn").asText());
                call(c, "{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"a\":1}}}");
                call(c, "{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"a\"]}}");
                call(c, "{\"SH_INFO\":{\"tkn\":" + opened + "}}");
                call(c, "{\"SH_EXISTS\":{\"tkns\":[" + tkn + "," + opened + "]}}");
                call(c, "{\"SH_SAVE\":{\"name\":\"some\",\"tkns\":[" + tkn + "]}}");
                call(c, "{\"SH_LOAD\":{\"name\":\"some\"}}");
                call(c, "{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"a\"],\"extra\":[}}"); // invalid JSON
                call(c, "{\"SH_END\":{\"tkn\":" + tkn + "}}");
                call(c, "{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"a\"]}}"); // ended
                // too big: closed with 1009, after the earlier answers
                c.sendText("{\"SH_SET\":{\"tkn\":" + opened + ",\"keys\":{\"x\":\"" + "y".repeat(2000) + "\"}}}");
                assertThat(c.readFrame().closeCode()).isEqualTo(1009);
            }
        } // shutdown with a save of every session
        assertThat(events.list).isNotEmpty();
        for (ILoggingEvent e : events.list) {
            String t = text(e);
            for (String tkn : tokens) {
                assertThat(t).as("log line").doesNotContain(tkn);
            }
            assertThat(t).doesNotContain(secret).doesNotContain(shared);
        }
    }

    @Test
    void ordinaryCommandsLogNothingAtInfo() throws Exception {
        satchel.setLevel(Level.INFO);
        try (OpsFixture s = OpsFixture.start(); RawWebSocket c = s.connect()) {
            int before = events.list.size();
            String tkn = JSON.readTree(call(c, "{\"SH_NEW\":{}}")).get("SH_NEW_RSP").get("tkn").toString();
            for (int i = 0; i < 500; i++) {
                c.queue("{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"k" + i + "\":" + i + "}}}");
                c.queue("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"k" + i + "\"]}}");
                c.queue("{\"KV_SET\":{\"keys\":{\"g\":" + i + "}}}");
                c.queue("{\"SH_GET\":{\"tkn\":\"nope\",\"keys\":[\"a\"]}}");
                c.queue("{\"NOPE\":{}}");
            }
            c.flush();
            for (int i = 0; i < 2500; i++) {
                c.readText();
            }
            call(c, "{\"SH_END\":{\"tkn\":" + tkn + "}}");
            assertThat(events.list.subList(before, events.list.size())).as("log events of ordinary commands")
                    .isEmpty();
        }
    }

    @Test
    void logSafeRendersAShortStableHash() {
        String t = "q3Vw0sZr9W4hcbh0o1xY2w";
        assertThat(LogSafe.token(t)).matches("tkn#[0-9a-f]{8}").isEqualTo(LogSafe.token(t))
                .isNotEqualTo(LogSafe.token("q3Vw0sZr9W4hcbh0o1xY2x")).doesNotContain(t);
        assertThat(LogSafe.token(0, 1234567890123L)).matches("tkn#[0-9a-f]{8}").doesNotContain("1234567890123");
        assertThat(LogSafe.token(null)).isEqualTo("tkn#-");
        assertThat(LogSafe.secret("")).isEqualTo("not set");
        assertThat(LogSafe.secret("x")).isEqualTo("set");
    }
}
