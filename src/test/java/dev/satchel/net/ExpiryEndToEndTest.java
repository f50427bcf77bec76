package dev.satchel.net;

import static dev.satchel.net.Wire.call;
import static dev.satchel.net.Wire.error;
import static dev.satchel.net.Wire.ok;
import static dev.satchel.net.Wire.okExactly;
import static dev.satchel.net.Wire.parse;
import static dev.satchel.net.Wire.token;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.Token;
import dev.satchel.engine.Clock;
import dev.satchel.engine.ManualClock;
import dev.satchel.testing.TestServer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Section 7 end to end. One test runs on real time (a 1-second session); the others drive a server's
 * {@link ManualClock} so that expiry is exact and nothing sleeps.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoThreadLeaks.class)
class ExpiryEndToEndTest {
    private TestServer realTime;
    private TestServer manual;
    private ManualClock clock;
    private SatchelClient c;

    @BeforeAll
    void start() {
        realTime = TestServer.start(TestServer.config(Map.of()), Clock.system());
        manual = TestServer.start(TestServer.config(Map.of()), new ManualClock(1_000_000L));
        clock = manual.clock();
        c = manual.connect();
    }

    @AfterAll
    void stop() {
        if (realTime != null) {
            realTime.close();
        }
        if (manual != null) {
            manual.close();
        }
    }

    private String sh(String command, Token t, String params) {
        return call(c, "{\"" + command + "\":{\"tkn\":" + t + (params.isEmpty() ? "" : "," + params) + "}}");
    }

    private Token newSession(String expiry) {
        return token(call(c, "{\"SH_NEW\":{\"expiry\":" + expiry + "}}"), "SH_NEW_RSP");
    }

    private JsonNode expiryInfo(Token t) {
        return ok(sh("SH_INFO", t, ""), "SH_INFO_RSP").get("expiry");
    }

    @Test
    void realTimeSessionEndsAfterItsDuration() throws InterruptedException {
        SatchelClient rc = realTime.connect();
        long start = System.nanoTime();
        Token t = token(call(rc, "{\"SH_NEW\":{\"expiry\":{\"duration\":1,\"deleteSession\":true}}}"), "SH_NEW_RSP");
        ok(call(rc, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"soon\":\"gone\"}}}"), "SH_SET_RSP");
        okExactly(call(rc, "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"soon\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"soon\":\"gone\"}}");
        String get = "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"soon\"]}}";
        String last;
        long elapsedMillis;
        while (true) {
            last = call(rc, get);
            elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (Wire.inner(last, "SH_GET_RSP").get("st").asInt() != 1 || elapsedMillis > 5000) {
                break;
            }
            // while live, the data is intact
            okExactly(last, "SH_GET_RSP", "{\"st\":1,\"keys\":{\"soon\":\"gone\"}}");
            Thread.sleep(50);
        }
        error(last, "SH_GET_RSP", 100);
        assertThat(elapsedMillis).as("ended after its 1 s duration, within the 5 s bound").isBetween(990L, 5000L);
        error(call(rc, "{\"SH_INFO\":{\"tkn\":" + t + "}}"), "SH_INFO_RSP", 100);
        okExactly(call(rc, "{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}"), "SH_EXISTS_RSP", "{\"st\":1,\"exist\":[]}");
    }

    @Test
    void dataOnlyExpiryClearsKeysButKeepsTheTokenValid() {
        Token t = newSession("{\"duration\":10,\"deleteSession\":false}");
        ok(sh("SH_SET", t, "\"keys\":{\"a\":1,\"b\":2}"), "SH_SET_RSP");
        clock.advanceMillis(9_999);
        okExactly(sh("SH_GET", t, "\"keys\":[\"a\",\"b\"]"), "SH_GET_RSP", "{\"st\":1,\"keys\":{\"a\":1,\"b\":2}}");
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(1);
        clock.advanceMillis(1);
        // at the deadline the keys are gone, the session lives on and a new period starts
        okExactly(sh("SH_GET", t, "\"keys\":[\"a\",\"b\"]"), "SH_GET_RSP", "{\"st\":1,\"keys\":{}}");
        okExactly(sh("SH_COUNT", t, ""), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":0}");
        okExactly(call(c, "{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}"), "SH_EXISTS_RSP", "{\"st\":1,\"exist\":[" + t + "]}");
        JsonNode info = ok(sh("SH_INFO", t, ""), "SH_INFO_RSP");
        assertThat(info).isEqualTo(parse("{\"st\":1,\"tkn\":" + t + ",\"keyCnt\":0,\"shared\":false,\"expires\":true,"
                + "\"expiry\":{\"duration\":10,\"remaining\":10,\"deleteSession\":false,\"extendOnSetAdd\":false,"
                + "\"extendOnGet\":false}}"));
        // the session is usable in its new period
        ok(sh("SH_SET", t, "\"keys\":{\"c\":3}"), "SH_SET_RSP");
        okExactly(sh("SH_KEYS", t, ""), "SH_KEYS_RSP", "{\"st\":1,\"keys\":[\"c\"]}");
    }

    @Test
    void unobservedPeriodsEndOnTheFirstDeadlineAfterNow() {
        Token t = newSession("{\"duration\":10}");
        ok(sh("SH_SET", t, "\"keys\":{\"a\":1}"), "SH_SET_RSP");
        clock.advanceMillis(35_000); // deadlines at +10, +20, +30 passed; next is +40
        okExactly(sh("SH_COUNT", t, ""), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":0}");
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(5);
    }

    @Test
    void deleteSessionExpiryEndsTheSession() {
        Token t = newSession("{\"duration\":5,\"deleteSession\":true}");
        ok(sh("SH_SET", t, "\"keys\":{\"a\":1}"), "SH_SET_RSP");
        clock.advanceMillis(4_999);
        okExactly(sh("SH_COUNT", t, ""), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":1}");
        clock.advanceMillis(1);
        error(sh("SH_GET", t, "\"keys\":[\"a\"]"), "SH_GET_RSP", 100);
        error(sh("SH_SET", t, "\"keys\":{\"a\":2}"), "SH_SET_RSP", 100); // cannot be resurrected
        error(sh("SH_END", t, ""), "SH_END_RSP", 100);
    }

    @Test
    void remainingIsRoundedUpWholeSeconds() {
        Token t = newSession("{\"duration\":60}");
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(60);
        clock.advanceMillis(500);
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(60);
        clock.advanceMillis(500);
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(59);
        clock.advanceMillis(58_999);
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(1);
    }

    @Test
    void slidingExpiryMovesOnlyWithItsCommands() {
        Token onSet = newSession("{\"duration\":10,\"extendOnSetAdd\":true,\"deleteSession\":true}");
        Token onGet = newSession("{\"duration\":10,\"extendOnGet\":true,\"deleteSession\":true}");
        clock.advanceSeconds(8);
        ok(sh("SH_ADD", onSet, "\"keys\":{}"), "SH_ADD_RSP"); // even an ADD that adds nothing
        ok(sh("SH_GET", onGet, "\"keys\":[\"missing\"]"), "SH_GET_RSP"); // even a GET that finds nothing
        assertThat(expiryInfo(onSet).get("remaining").asLong()).isEqualTo(10);
        assertThat(expiryInfo(onGet).get("remaining").asLong()).isEqualTo(10);
        clock.advanceSeconds(8);
        // no other command moves the deadline
        for (Token t : new Token[] {onSet, onGet}) {
            ok(sh("SH_RMV", t, "\"keys\":[\"nothing\"]"), "SH_RMV_RSP");
            ok(sh("SH_CONTAINS", t, "\"keys\":[\"x\"]"), "SH_CONTAINS_RSP");
            ok(sh("SH_COUNT", t, ""), "SH_COUNT_RSP");
            ok(sh("SH_KEYS", t, ""), "SH_KEYS_RSP");
            ok(sh("SH_CLEAR", t, ""), "SH_CLEAR_RSP");
            ok(sh("SH_INFO", t, ""), "SH_INFO_RSP");
            ok(call(c, "{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}"), "SH_EXISTS_RSP");
        }
        ok(sh("SH_GET", onSet, "\"keys\":[]"), "SH_GET_RSP");
        ok(sh("SH_SET", onGet, "\"keys\":{\"x\":1}"), "SH_SET_RSP");
        ok(sh("SH_ADD", onGet, "\"keys\":{\"y\":1}"), "SH_ADD_RSP");
        ok(sh("SH_CLEAR_SET", onGet, "\"keys\":{\"z\":1}"), "SH_CLEAR_SET_RSP");
        assertThat(expiryInfo(onSet).get("remaining").asLong()).isEqualTo(2);
        assertThat(expiryInfo(onGet).get("remaining").asLong()).isEqualTo(2);
        clock.advanceSeconds(2);
        error(sh("SH_INFO", onSet, ""), "SH_INFO_RSP", 100);
        error(sh("SH_INFO", onGet, ""), "SH_INFO_RSP", 100);
    }

    @Test
    void clearSetAndSetExtendOnSetAdd() {
        Token t = newSession("{\"duration\":10,\"extendOnSetAdd\":true}");
        clock.advanceSeconds(6);
        okExactly(sh("SH_CLEAR_SET", t, "\"keys\":{\"a\":1}"), "SH_CLEAR_SET_RSP", "{\"st\":1,\"cnt\":0}");
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(10);
        clock.advanceSeconds(6);
        ok(sh("SH_SET", t, "\"keys\":{\"b\":2}"), "SH_SET_RSP");
        assertThat(expiryInfo(t).get("remaining").asLong()).isEqualTo(10);
        clock.advanceSeconds(9);
        okExactly(sh("SH_GET", t, "\"keys\":[\"a\",\"b\"]"), "SH_GET_RSP", "{\"st\":1,\"keys\":{\"a\":1,\"b\":2}}");
    }

    @Test
    void aResetAfterTheDeadlineCannotResurrectData() {
        Token onGet = newSession("{\"duration\":10,\"extendOnGet\":true}");
        Token onSet = newSession("{\"duration\":10,\"extendOnSetAdd\":true}");
        ok(sh("SH_SET", onGet, "\"keys\":{\"old\":1}"), "SH_SET_RSP");
        ok(sh("SH_SET", onSet, "\"keys\":{\"old\":1}"), "SH_SET_RSP");
        clock.advanceSeconds(10);
        okExactly(sh("SH_GET", onGet, "\"keys\":[\"old\"]"), "SH_GET_RSP", "{\"st\":1,\"keys\":{}}");
        ok(sh("SH_ADD", onSet, "\"keys\":{\"new\":2}"), "SH_ADD_RSP");
        okExactly(sh("SH_KEYS", onSet, ""), "SH_KEYS_RSP", "{\"st\":1,\"keys\":[\"new\"]}");
        okExactly(sh("SH_KEYS", onGet, ""), "SH_KEYS_RSP", "{\"st\":1,\"keys\":[]}");
    }

    @Test
    void expiredSharedSessionCannotBeOpenedAndItsNameIsFreeAgain() {
        String create = "{\"SH_NEW\":{\"name\":\"short-lived\",\"shared\":true,"
                + "\"expiry\":{\"duration\":5,\"deleteSession\":true}}}";
        Token t = token(call(c, create), "SH_NEW_RSP");
        ok(call(c, "{\"SH_OPEN\":{\"name\":\"short-lived\"}}"), "SH_OPEN_RSP");
        error(call(c, create), "SH_NEW_RSP", 103);
        clock.advanceSeconds(5);
        error(call(c, "{\"SH_OPEN\":{\"name\":\"short-lived\"}}"), "SH_OPEN_RSP", 102);
        assertThat(token(call(c, create), "SH_NEW_RSP")).isEqualTo(t);
        ok(call(c, "{\"SH_END\":{\"tkn\":" + t + "}}"), "SH_END_RSP");
    }

    @Test
    void dataClearingSharedSessionStaysOpenable() {
        Token t = token(call(c, "{\"SH_NEW\":{\"name\":\"periodic\",\"shared\":true,\"expiry\":{\"duration\":5}}}"),
                "SH_NEW_RSP");
        ok(sh("SH_SET", t, "\"keys\":{\"a\":1}"), "SH_SET_RSP");
        clock.advanceSeconds(7);
        JsonNode open = ok(call(c, "{\"SH_OPEN\":{\"name\":\"periodic\"}}"), "SH_OPEN_RSP");
        assertThat(open.get("tkn")).isEqualTo(t.toJson());
        okExactly(sh("SH_COUNT", t, ""), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":0}");
        ok(sh("SH_END", t, ""), "SH_END_RSP");
    }

    @Test
    void countsNeverIncludeExpiredSessionsOrData() {
        ok(call(c, "{\"SH_END_ALL\":{}}"), "SH_END_ALL_RSP");
        Token gone = newSession("{\"duration\":3,\"deleteSession\":true}");
        Token cleared = newSession("{\"duration\":3}");
        Token forever = token(call(c, "{\"SH_NEW\":{}}"), "SH_NEW_RSP");
        for (Token t : new Token[] {gone, cleared, forever}) {
            ok(sh("SH_SET", t, "\"keys\":{\"a\":1,\"b\":2}"), "SH_SET_RSP");
        }
        okExactly(call(c, "{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP", "{\"st\":1,\"totalSessions\":3,\"totalKeys\":6}");
        clock.advanceSeconds(3);
        okExactly(call(c, "{\"SH_INFO_ALL\":{}}"), "SH_INFO_ALL_RSP", "{\"st\":1,\"totalSessions\":2,\"totalKeys\":2}");
        JsonNode sv = ok(call(c, "{\"SV_INFO\":{}}"), "SV_INFO_RSP");
        assertThat(sv.get("sessions").asInt()).isEqualTo(2);
        assertThat(sv.get("sessionKeys").asInt()).isEqualTo(2);
        okExactly(call(c, "{\"SH_END_ALL\":{}}"), "SH_END_ALL_RSP", "{\"st\":1,\"cnt\":2}");
    }

    @Test
    void zeroDurationNeverExpires() {
        Token t = newSession("{\"duration\":0,\"deleteSession\":true,\"extendOnGet\":true}");
        ok(sh("SH_SET", t, "\"keys\":{\"a\":1}"), "SH_SET_RSP");
        clock.advanceSeconds(1_000_000);
        okExactly(sh("SH_GET", t, "\"keys\":[\"a\"]"), "SH_GET_RSP", "{\"st\":1,\"keys\":{\"a\":1}}");
        JsonNode info = ok(sh("SH_INFO", t, ""), "SH_INFO_RSP");
        assertThat(info.get("expires").asBoolean()).isFalse();
        assertThat(info.has("expiry")).isFalse();
    }
}
