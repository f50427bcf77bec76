package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.engine.ManualClock;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The review's observed case over a real server and real dataset files: sessions past their deadline that the
 * expiry wheel (a 60 s tick, which never runs during the test) has not reached yet must not hold
 * {@code limits.maxStoredBytes} or {@code limits.maxSessions} against KV_SET, SH_LOAD or KV_LOAD. The server's
 * clock is a {@link ManualClock}, so "wait 1.5 s" is exact.
 */
class ExpiredDataLimitsTest {
    private static final String V1500 = "\"" + "x".repeat(1498) + "\"";

    @TempDir
    Path dir;

    @Test
    void expiredDataHoldsNoBudgetForWritesAndLoads() {
        ManualClock clock = new ManualClock(5_000_000);
        var config = PersistFixture.config(Map.of("--persist-path", dir.toString(), "--expiry-tick-ms", "60000",
                "--max-stored-bytes", "2k", "--max-sessions", "3"));
        try (PersistFixture s = PersistFixture.start(config, clock)) {
            // datasets: two sessions, and a key space of ~1.5 KB
            String a = s.newSession("{}");
            String b = s.newSession("{}");
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"two\",\"tkns\":[" + a + "," + b + "]}}").get("st").asInt())
                    .isEqualTo(121);
            assertThat(s.call("{\"KV_SET\":{\"keys\":{\"big\":" + V1500 + "}}}").get("st").asInt()).isEqualTo(1);
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"kv\"}}").get("st").asInt()).isEqualTo(121);
            s.call("{\"KV_CLEAR\":{}}");
            s.call("{\"SH_END_ALL\":{}}");

            // KV_SET, with either deleteSession value (the first observation)
            for (boolean deleteSession : new boolean[] {true, false}) {
                String t = s.newSession("{\"expiry\":{\"duration\":1,\"deleteSession\":" + deleteSession + "}}");
                assertThat(s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"v\":" + V1500 + "}}}").get("st").asInt())
                        .isEqualTo(1);
                clock.advanceMillis(1500);
                assertThat(s.raw("{\"KV_SET\":{\"keys\":{\"k\":" + V1500 + "}}}"))
                        .as("KV_SET with deleteSession %s", deleteSession).isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
                s.call("{\"KV_CLEAR\":{}}");
                s.call("{\"SH_END_ALL\":{}}");
            }

            // SH_LOAD of two sessions while three sessions past their deadline fill limits.maxSessions
            for (int i = 0; i < 3; i++) {
                String t = s.newSession("{\"expiry\":{\"duration\":1,\"deleteSession\":true}}");
                if (i == 0) {
                    s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"v\":" + V1500 + "}}}");
                }
            }
            clock.advanceMillis(1500);
            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"two\"}}");
            assertThat(load.get("st").asInt()).as("%s", load).isEqualTo(141);
            assertThat(load.get("sessions").asInt()).isEqualTo(2);

            // KV_LOAD of ~1.5 KB while only expired data holds the byte budget
            String t = s.newSession("{\"expiry\":{\"duration\":1}}");
            s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"v\":" + V1500 + "}}}");
            clock.advanceMillis(1500);
            JsonNode kvLoad = s.call("{\"KV_LOAD\":{\"name\":\"kv\"}}");
            assertThat(kvLoad.get("st").asInt()).as("%s", kvLoad).isEqualTo(141);
            assertThat(kvLoad.get("keys").asInt()).isEqualTo(1);

            // limits still hold for live data
            assertThat(s.call("{\"KV_SET\":{\"keys\":{\"more\":" + V1500 + "}}}").get("st").asInt()).isEqualTo(170);
            assertThat(s.call("{\"SH_NEW\":{}}").get("st").asInt()).isEqualTo(170); // 2 loaded + t
        }
    }
}
