package dev.satchel.engine;

import static dev.satchel.engine.Rsp.assertError;
import static dev.satchel.engine.Rsp.assertJson;
import static dev.satchel.engine.Rsp.body;
import static dev.satchel.engine.Rsp.st;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Session expiry (PROTOCOL.md section 7), driven by a manual clock; no sleeping. */
class ExpiryTest {
    private static final int D = 10; // seconds

    private CommandHarness h = new CommandHarness();

    static Stream<Arguments> flags() {
        List<Arguments> all = new ArrayList<>();
        for (boolean del : new boolean[] {false, true}) {
            for (boolean onGet : new boolean[] {false, true}) {
                for (boolean onSet : new boolean[] {false, true}) {
                    all.add(Arguments.of(del, onGet, onSet));
                }
            }
        }
        return all.stream();
    }

    private String create(boolean del, boolean onGet, boolean onSet) {
        return h.newSession("{\"expiry\":{\"duration\":" + D + ",\"deleteSession\":" + del + ",\"extendOnGet\":" + onGet
                + ",\"extendOnSetAdd\":" + onSet + "}}");
    }

    private String sh(String cmd, String tkn, String params) {
        return h.run("{\"SH_" + cmd + "\":{\"tkn\":" + tkn + (params.isEmpty() ? "" : "," + params) + "}}");
    }

    private long remaining(String tkn) {
        return body(sh("INFO", tkn, "")).get("expiry").get("remaining").longValue();
    }

    private void advanceMillis(long ms) {
        h.clock.advanceMillis(ms);
    }

    /** The session is gone: every command on it is 100, and SH_EXISTS leaves it out. */
    private void assertGone(String t) {
        assertError(sh("GET", t, "\"keys\":[\"a\"]"), "SH_GET_RSP", 100);
        assertError(sh("SET", t, "\"keys\":{\"a\":1}"), "SH_SET_RSP", 100);
        assertError(sh("ADD", t, "\"keys\":{\"a\":1}"), "SH_ADD_RSP", 100);
        assertError(sh("RMV", t, "\"keys\":[\"a\"]"), "SH_RMV_RSP", 100);
        assertError(sh("CONTAINS", t, "\"keys\":[\"a\"]"), "SH_CONTAINS_RSP", 100);
        assertError(sh("COUNT", t, ""), "SH_COUNT_RSP", 100);
        assertError(sh("KEYS", t, ""), "SH_KEYS_RSP", 100);
        assertError(sh("CLEAR", t, ""), "SH_CLEAR_RSP", 100);
        assertError(sh("CLEAR_SET", t, "\"keys\":{}"), "SH_CLEAR_SET_RSP", 100);
        assertError(sh("INFO", t, ""), "SH_INFO_RSP", 100);
        assertThat(st(sh("END", t, ""))).isEqualTo(100);
        assertThat(h.run("{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}")).isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[]}}");
    }

    /** The session lives on with no keys. */
    private void assertEmptyButLive(String t) {
        assertThat(sh("GET", t, "\"keys\":[\"a\",\"b\"]")).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        assertThat(sh("KEYS", t, "")).isEqualTo("{\"SH_KEYS_RSP\":{\"st\":1,\"keys\":[]}}");
        assertThat(sh("COUNT", t, "")).isEqualTo("{\"SH_COUNT_RSP\":{\"st\":1,\"cnt\":0}}");
        assertThat(sh("CONTAINS", t, "\"keys\":[\"a\",\"b\"]"))
                .isEqualTo("{\"SH_CONTAINS_RSP\":{\"st\":1,\"contains\":[]}}");
        assertThat(body(sh("INFO", t, "")).get("keyCnt").intValue()).isZero();
        assertThat(h.run("{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}"))
                .isEqualTo("{\"SH_EXISTS_RSP\":{\"st\":1,\"exist\":[" + t + "]}}");
    }

    private void assertHasA(String t) {
        assertThat(sh("CONTAINS", t, "\"keys\":[\"a\"]"))
                .isEqualTo("{\"SH_CONTAINS_RSP\":{\"st\":1,\"contains\":[\"a\"]}}");
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void dataLivesUntilTheDeadline(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1}");
        advanceMillis(D * 1000L - 1);
        assertHasA(t);
        assertThat(remaining(t)).isEqualTo(1);
        advanceMillis(1); // exactly at the deadline
        if (del) {
            assertGone(t);
        } else {
            assertEmptyButLive(t);
            assertThat(remaining(t)).isEqualTo(D);
        }
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void getExtendsOnlyWithExtendOnGet(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1}"); // at time 0: an extension (if any) changes nothing
        advanceMillis(9_000);
        assertThat(sh("GET", t, "\"keys\":[\"a\"]")).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"a\":1}}}");
        assertThat(remaining(t)).isEqualTo(onGet ? D : 1);
        advanceMillis(9_000); // 18 s after creation, 9 s after the GET
        if (onGet) {
            assertHasA(t);
            assertThat(remaining(t)).isEqualTo(1);
            advanceMillis(1_000);
            if (del) {
                assertGone(t);
            } else {
                assertEmptyButLive(t);
            }
        } else if (del) {
            assertGone(t);
        } else {
            assertEmptyButLive(t);
            assertThat(remaining(t)).isEqualTo(2); // the next period started at the old deadline (10 s)
        }
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void getOfMissingKeysAndEmptyGetStillExtend(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        advanceMillis(9_000);
        assertThat(sh("GET", t, "\"keys\":[]")).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        assertThat(remaining(t)).isEqualTo(onGet ? D : 1);
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void writesExtendOnlyWithExtendOnSetAdd(boolean del, boolean onGet, boolean onSet) {
        String[][] writes = {
            {"SET", "\"keys\":{\"b\":2}"},
            {"ADD", "\"keys\":{\"b\":2}"},
            {"ADD", "\"keys\":{\"a\":5}"}, // nothing added, still a successful ADD
            {"SET", "\"keys\":{}"},
            {"CLEAR_SET", "\"keys\":{\"a\":1}"},
        };
        for (String[] w : writes) {
            h = new CommandHarness();
            writeExtends(del, onGet, onSet, w[0], w[1]);
        }
    }

    private void writeExtends(boolean del, boolean onGet, boolean onSet, String cmd, String params) {
        String t = create(del, onGet, onSet);
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1}}}");
        advanceMillis(9_000);
        assertThat(st(sh(cmd, t, params))).isEqualTo(1);
        assertThat(remaining(t)).as("%s", cmd).isEqualTo(onSet ? D : 1);
        advanceMillis(1_000);
        if (onSet) {
            assertHasA(t);
        } else if (del) {
            assertGone(t);
        } else {
            assertEmptyButLive(t);
        }
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void otherCommandsNeverExtend(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1}");
        advanceMillis(9_000);
        assertThat(st(sh("CONTAINS", t, "\"keys\":[\"a\"]"))).isEqualTo(1);
        assertThat(st(sh("KEYS", t, ""))).isEqualTo(1);
        assertThat(st(sh("COUNT", t, ""))).isEqualTo(1);
        assertThat(st(sh("INFO", t, ""))).isEqualTo(1);
        assertThat(st(sh("RMV", t, "\"keys\":[\"nope\"]"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}"))).isEqualTo(1);
        assertThat(st(h.run("{\"SH_INFO_ALL\":{}}"))).isEqualTo(1);
        // failed reads and writes do not extend either
        assertThat(st(sh("GET", t, "\"keys\":{}"))).isEqualTo(41);
        assertThat(st(sh("SET", t, "\"keys\":[]"))).isEqualTo(41);
        assertThat(st(sh("ADD", t, ""))).isEqualTo(26);
        assertThat(st(sh("CLEAR_SET", t, "\"keys\":1"))).isEqualTo(41);
        assertThat(st(sh("GET", t, "\"keys\":[],\"keys\":[]"))).isEqualTo(13);
        assertThat(remaining(t)).isEqualTo(1);
        assertHasA(t);
        advanceMillis(1_000);
        if (del) {
            assertGone(t);
        } else {
            assertEmptyButLive(t);
        }
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void crossingSeveralPeriodsAtOnce(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1}");
        advanceMillis(35_000); // deadlines 10, 20, 30 passed; the period 30..40 contains now
        if (del) {
            assertGone(t);
            return;
        }
        assertThat(remaining(t)).isEqualTo(5);
        assertEmptyButLive(t); // its SH_GET extends to 45 s with extendOnGet
        // the new period holds data normally
        sh("SET", t, "\"keys\":{\"b\":1}"); // extends to 45 s with extendOnSetAdd
        advanceMillis(4_999);
        assertThat(sh("KEYS", t, "")).isEqualTo("{\"SH_KEYS_RSP\":{\"st\":1,\"keys\":[\"b\"]}}");
        assertThat(remaining(t)).isEqualTo(onSet || onGet ? 6 : 1);
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void crossingSeveralPeriodsThroughTheWheel(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1}");
        advanceMillis(35_000);
        h.tick();
        assertThat(h.engine.sessionCount()).isEqualTo(del ? 0 : 1);
        assertThat(h.engine.sessionKeyCount()).isZero();
        if (del) {
            assertGone(t);
        } else {
            assertThat(remaining(t)).isEqualTo(5);
            assertEmptyButLive(t);
        }
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void expiredDataIsNotResurrectedByAReset(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1,\"b\":2}");
        advanceMillis(D * 1000L + 500);
        // no tick: the first command after the deadline already sees the session expired
        String get = sh("GET", t, "\"keys\":[\"a\",\"b\"]");
        if (del) {
            assertError(get, "SH_GET_RSP", 100);
            assertError(sh("SET", t, "\"keys\":{\"c\":3}"), "SH_SET_RSP", 100);
            assertGone(t);
            return;
        }
        assertThat(get).isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{}}}");
        assertThat(sh("SET", t, "\"keys\":{\"c\":3}")).isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
        assertThat(sh("KEYS", t, "")).isEqualTo("{\"SH_KEYS_RSP\":{\"st\":1,\"keys\":[\"c\"]}}");
        assertThat(sh("GET", t, "\"keys\":[\"a\",\"b\",\"c\"]"))
                .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"c\":3}}}");
        h.tick(); // the wheel reaching the old deadline later must not clear the new period's data
        assertThat(sh("KEYS", t, "")).isEqualTo("{\"SH_KEYS_RSP\":{\"st\":1,\"keys\":[\"c\"]}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":1,\"totalKeys\":1}}");
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void wheelHonoursSlidingDeadlines(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        sh("SET", t, "\"keys\":{\"a\":1}");
        advanceMillis(9_000);
        sh("GET", t, "\"keys\":[\"a\"]");
        sh("SET", t, "\"keys\":{\"a\":1}");
        boolean extended = onGet || onSet;
        for (int i = 0; i < 90; i++) { // 9 s more, a tick every 100 ms
            advanceMillis(100);
            h.tick();
        }
        // 18 s: the wheel passed the first deadline at 10 s
        assertThat(h.engine.sessionCount()).isEqualTo(del && !extended ? 0 : 1);
        assertThat(h.engine.sessionKeyCount()).isEqualTo(extended ? 1 : 0);
        if (extended) {
            assertThat(remaining(t)).isEqualTo(1);
            advanceMillis(1_000);
            h.tick();
            assertThat(h.engine.sessionCount()).isEqualTo(del ? 0 : 1);
            assertThat(h.engine.sessionKeyCount()).isZero();
        } else if (!del) {
            assertThat(remaining(t)).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void infoAllAndEndAllDoNotCountExpiredSessions(boolean del, boolean onGet, boolean onSet) {
        String t = create(del, onGet, onSet);
        String forever = h.newSession("{}");
        String later = h.newSession("{\"expiry\":{\"duration\":100,\"deleteSession\":true}}");
        sh("SET", t, "\"keys\":{\"a\":1,\"b\":2}");
        sh("SET", forever, "\"keys\":{\"a\":1}");
        sh("SET", later, "\"keys\":{\"a\":1}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":3,\"totalKeys\":4}}");
        advanceMillis(D * 1000L);
        // no tick and no command on t: the counts still leave out its expired data
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":"
                + (del ? 2 : 3) + ",\"totalKeys\":2}}");
        assertThat(h.run("{\"SH_END_ALL\":{}}")).isEqualTo("{\"SH_END_ALL_RSP\":{\"st\":1,\"cnt\":" + (del ? 2 : 3) + "}}");
        assertJson(h.run("{\"SH_INFO_ALL\":{}}"), "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":0,\"totalKeys\":0}}");
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void endAllCountsLazilyPastDeadlineSessionsCorrectly(boolean del, boolean onGet, boolean onSet) {
        create(del, onGet, onSet);
        create(del, onGet, onSet);
        h.newSession("{}");
        advanceMillis(D * 1000L + 1);
        assertThat(h.run("{\"SH_END_ALL\":{}}")).isEqualTo("{\"SH_END_ALL_RSP\":{\"st\":1,\"cnt\":" + (del ? 1 : 3) + "}}");
    }

    @ParameterizedTest(name = "deleteSession={0} extendOnGet={1} extendOnSetAdd={2}")
    @MethodSource("flags")
    void sharedSessionNameIsFreedOnlyWhenTheSessionIsDeleted(boolean del, boolean onGet, boolean onSet) {
        String expiry = "\"expiry\":{\"duration\":" + D + ",\"deleteSession\":" + del + ",\"extendOnGet\":" + onGet
                + ",\"extendOnSetAdd\":" + onSet + "}";
        String t = h.newSession("{\"name\":\"s\",\"shared\":true," + expiry + "}");
        advanceMillis(D * 1000L);
        if (del) {
            assertError(h.run("{\"SH_OPEN\":{\"name\":\"s\"}}"), "SH_OPEN_RSP", 102);
            assertThat(h.newSession("{\"name\":\"s\",\"shared\":true}")).isEqualTo(t);
        } else {
            assertJson(h.run("{\"SH_OPEN\":{\"name\":\"s\"}}"), "{\"SH_OPEN_RSP\":{\"st\":1,\"tkn\":" + t + ",\"name\":\"s\"}}");
            assertError(h.run("{\"SH_NEW\":{\"name\":\"s\",\"shared\":true}}"), "SH_NEW_RSP", 103);
        }
    }

    @Test
    void wheelRemovesExpiredSessionsInTheBackground() {
        List<String> deleted = new ArrayList<>();
        List<String> cleared = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String del = h.newSession("{\"expiry\":{\"duration\":" + (1 + i) + ",\"deleteSession\":true}}");
            String keep = h.newSession("{\"expiry\":{\"duration\":" + (1 + i) + "}}");
            sh("SET", del, "\"keys\":{\"a\":1}");
            sh("SET", keep, "\"keys\":{\"a\":1,\"b\":2}");
            deleted.add(del);
            cleared.add(keep);
        }
        h.newSession("{}");
        assertThat(h.engine.sessionCount()).isEqualTo(41);
        assertThat(h.engine.sessionKeyCount()).isEqualTo(60);
        for (int s = 1; s <= 20; s++) {
            advanceMillis(999);
            h.tick();
            assertThat(h.engine.sessionCount()).isEqualTo(41 - (s - 1));
            advanceMillis(1);
            h.tick();
            assertThat(h.engine.sessionCount()).isEqualTo(41 - s);
            // sessions past their deadline hold no keys: 1 key per deleting session left, 2 per clearing one
            assertJson(h.run("{\"SH_INFO_ALL\":{}}"), "{\"SH_INFO_ALL_RSP\":{\"st\":1,\"totalSessions\":" + (41 - s)
                    + ",\"totalKeys\":" + (3 * (20 - s)) + "}}");
        }
        for (String t : deleted) {
            assertError(sh("INFO", t, ""), "SH_INFO_RSP", 100);
        }
        for (String t : cleared) {
            assertThat(st(sh("INFO", t, ""))).isEqualTo(1);
        }
    }

    @Test
    void durationZeroNeverExpires() {
        String t = h.newSession("{\"expiry\":{\"duration\":0,\"deleteSession\":true,\"extendOnGet\":true}}");
        String plain = h.newSession("{}");
        sh("SET", t, "\"keys\":{\"a\":1}");
        sh("SET", plain, "\"keys\":{\"a\":1}");
        for (long step : new long[] {1_000, 60_000, 3_600_000, 86_400_000L * 365 * 50}) {
            advanceMillis(step);
            h.tick();
            assertHasA(t);
            assertHasA(plain);
        }
        assertThat(body(sh("INFO", t, "")).get("expires").booleanValue()).isFalse();
        assertThat(body(sh("INFO", t, "")).has("expiry")).isFalse();
    }

    @Test
    void massExpiryIsSpreadOverSeveralWheelCalls() {
        int n = Engine.EXPIRY_BUDGET * 2 + 500;
        for (int i = 0; i < n; i++) {
            h.engine.createRandom(null, 5_000, true, false, false);
        }
        Session cleared = h.engine.createRandom(null, 5_000, false, false, false);
        h.engine.createRandom(null, 0, false, false, false);
        assertThat(h.engine.sessionCount()).isEqualTo(n + 2);
        h.clock.advanceSeconds(5);
        int calls = 0;
        while (h.engine.processExpiries(Engine.EXPIRY_BUDGET)) {
            calls++;
            assertThat(calls).isLessThan(10);
        }
        assertThat(calls).isEqualTo(2); // 10,000 + 10,000 + the rest
        assertThat(h.engine.sessionCount()).isEqualTo(2);
        assertThat(h.engine.sessionsExpired()).isEqualTo(n);
        assertThat(cleared.deadline()).isEqualTo(1_000_000L + 10_000);
        assertThat(h.engine.processExpiries(Engine.EXPIRY_BUDGET)).isFalse();
    }

    @Test
    void clockJumpOfManyRevolutions() {
        // 4096 slots x 100 ms = one revolution every 409.6 s; jump over about 100 revolutions at once
        List<Session> sessions = new ArrayList<>();
        for (int i = 1; i <= 500; i++) {
            sessions.add(h.engine.createRandom(null, i * 97_000L, true, false, false));
        }
        Session periodic = h.engine.createRandom(null, 7_000, false, false, false);
        long jump = 41_000_000L;
        h.clock.advanceMillis(jump);
        h.tick();
        long expected = sessions.stream().filter(s -> s.durationMillis() > jump).count();
        assertThat(h.engine.sessionCount()).isEqualTo(expected + 1);
        for (Session s : sessions) {
            assertThat(s.ended).as("duration %s", s.durationMillis()).isEqualTo(s.durationMillis() <= jump);
        }
        assertThat(periodic.deadline()).isEqualTo(1_000_000L + (jump / 7_000 + 1) * 7_000);
        // the rest still expire on time, one by one
        for (Session s : sessions) {
            if (s.ended) {
                continue;
            }
            long due = s.deadline() - h.clock.millis();
            h.clock.advanceMillis(due - 1);
            h.tick();
            assertThat(s.ended).isFalse();
            h.clock.advanceMillis(1);
            h.tick();
            assertThat(s.ended).isTrue();
        }
        assertThat(h.engine.sessionCount()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- ExpiryWheel on its own

    private static Session session(long lo, long deadline) {
        Session s = new Session(0, lo, null, false, 1_000, true, false, false);
        s.deadline = deadline;
        return s;
    }

    @Test
    void wheelBudgetIsRespectedAndEverySessionIsExpiredOnce() {
        ExpiryWheel wheel = new ExpiryWheel(100, 4096, 0);
        int n = 25_000;
        List<Session> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Session s = session(i + 1, 1_000 + (i % 3) * 100); // three ticks
            all.add(s);
            wheel.schedule(s);
        }
        assertThat(wheel.size()).isEqualTo(n);
        int[] calls = new int[1];
        ExpiryWheel.Expirer expirer = (s, now) -> {
            assertThat(s.ended).isFalse();
            assertThat(now).isGreaterThanOrEqualTo(s.deadline);
            s.ended = true;
            calls[0]++;
            return false;
        };
        assertThat(wheel.advance(999, 10_000, expirer)).isFalse();
        assertThat(calls[0]).isZero();
        int rounds = 0;
        while (wheel.advance(5_000, 10_000, expirer)) {
            rounds++;
            assertThat(calls[0]).isEqualTo(rounds * 10_000);
        }
        assertThat(rounds).isEqualTo(2);
        assertThat(calls[0]).isEqualTo(n);
        assertThat(wheel.size()).isZero();
        assertThat(all).allMatch(s -> s.ended);
    }

    @Test
    void wheelReschedulesPeriodicSessionsAndSkipsEndedOnes() {
        ExpiryWheel wheel = new ExpiryWheel(100, 64, 0); // small wheel: 6.4 s per revolution
        Session periodic = session(1, 1_000);
        Session ended = session(2, 1_000);
        Session far = session(3, 1_000_000);
        wheel.schedule(periodic);
        wheel.schedule(ended);
        wheel.schedule(far);
        ended.ended = true;
        List<Long> expiries = new ArrayList<>();
        ExpiryWheel.Expirer expirer = (s, now) -> {
            assertThat(s).isNotSameAs(ended);
            if (s == periodic) {
                expiries.add(now);
                s.deadline += ((now - s.deadline) / 1_000 + 1) * 1_000; // as Engine.expire does
                return true;
            }
            s.ended = true;
            return false;
        };
        for (long now = 0; now <= 10_000; now += 50) {
            while (wheel.advance(now, 3, expirer)) {
                // drain
            }
        }
        assertThat(expiries).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(expiries.get(i)).isEqualTo(1_000L * (i + 1));
        }
        expiries.clear();
        assertThat(far.ended).isFalse();
        // one jump of many revolutions
        assertThat(wheel.advance(999_999, 1_000, expirer)).isFalse();
        assertThat(far.ended).isFalse();
        assertThat(expiries).containsExactly(999_999L);
        assertThat(periodic.deadline).isEqualTo(1_000_000L);
        assertThat(wheel.advance(1_000_000, 1_000, expirer)).isFalse();
        assertThat(far.ended).isTrue();
        assertThat(expiries).containsExactly(999_999L, 1_000_000L);
        assertThat(wheel.size()).isEqualTo(1); // only the periodic session is still filed
    }

    @Test
    void clockJumpWhileAMassExpiryIsStillDraining() {
        ExpiryWheel wheel = new ExpiryWheel(100, 4096, 0);
        List<Session> due = new ArrayList<>();
        for (int i = 0; i < 15_000; i++) {
            Session s = session(i + 1, 1_000);
            due.add(s);
            wheel.schedule(s);
        }
        Session dayLater = session(100_000, 86_400_000L);
        Session twoDays = session(100_001, 2 * 86_400_000L);
        wheel.schedule(dayLater);
        wheel.schedule(twoDays);
        int[] calls = new int[1];
        ExpiryWheel.Expirer expirer = (s, now) -> {
            assertThat(now).isGreaterThanOrEqualTo(s.deadline);
            s.ended = true;
            calls[0]++;
            return false;
        };
        assertThat(wheel.advance(1_000, 10_000, expirer)).isTrue(); // budget ran out in the middle of a slot
        assertThat(calls[0]).isEqualTo(10_000);
        long now = 86_400_000L + 50; // a day later
        while (wheel.advance(now, 10_000, expirer)) {
            // drain
        }
        assertThat(due).allMatch(s -> s.ended);
        assertThat(dayLater.ended).isTrue();
        assertThat(twoDays.ended).isFalse();
        assertThat(calls[0]).isEqualTo(15_001);
        assertThat(wheel.advance(2 * 86_400_000L - 1, 10_000, expirer)).isFalse();
        assertThat(twoDays.ended).isFalse();
        assertThat(wheel.advance(2 * 86_400_000L, 10_000, expirer)).isFalse();
        assertThat(twoDays.ended).isTrue();
        assertThat(wheel.size()).isZero();
    }

    @Test
    void wheelJumpOfAYear() {
        ExpiryWheel wheel = new ExpiryWheel(100, 4096, 0);
        Session s = session(1, 1_000);
        Session later = session(2, 400L * 24 * 3600 * 1000);
        wheel.schedule(s);
        wheel.schedule(later);
        int[] calls = new int[1];
        ExpiryWheel.Expirer expirer = (x, now) -> {
            calls[0]++;
            x.ended = true;
            return false;
        };
        // one year later: both the due session and nothing else
        assertThat(wheel.advance(365L * 24 * 3600 * 1000, 10, expirer)).isFalse();
        assertThat(calls[0]).isEqualTo(1);
        assertThat(s.ended).isTrue();
        assertThat(later.ended).isFalse();
        assertThat(wheel.advance(400L * 24 * 3600 * 1000, 10, expirer)).isFalse();
        assertThat(later.ended).isTrue();
    }
}
