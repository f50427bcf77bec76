package dev.satchel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.store.Entry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every change the loop makes reaches the {@link Changes} sink, in order, and nothing else does: what a journal
 * or a cluster executor will rely on. Runs real requests through the decoder and engine ({@link CommandHarness}).
 */
class ChangesTest {
    private CommandHarness h;
    private final List<String> log = new ArrayList<>();

    /** Records each change as one line; sessions by name ("-" for none, "global" for the key space). */
    private final class Recorder implements Changes {
        private String who(Session s) {
            return s == null ? "global" : s.name() == null ? "-" : s.name();
        }

        private String text(byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }

        @Override
        public void sessionCreated(Session s) {
            log.add("created " + who(s) + " keys=" + s.keyCount());
        }

        @Override
        public void sessionEnded(Session s) {
            log.add("ended " + who(s));
        }

        @Override
        public void allSessionsEnded() {
            log.add("all ended");
        }

        @Override
        public void sessionExpiredData(Session s) {
            log.add("expired data " + who(s) + " deadline=" + s.deadline());
        }

        @Override
        public void deadlineMoved(Session s) {
            log.add("deadline " + who(s) + " " + s.deadline());
        }

        @Override
        public void put(Session s, byte[] entry) {
            log.add("put " + who(s) + " " + text(Entry.key(entry)) + "=" + text(Entry.value(entry)));
        }

        @Override
        public void removed(Session s, byte[] key) {
            log.add("removed " + who(s) + " " + text(key));
        }

        @Override
        public void storeCleared(Session s) {
            log.add("cleared " + who(s));
        }
    }

    @BeforeEach
    void setUp() {
        h = new CommandHarness();
        h.engine.changes(new Recorder());
    }

    @Test
    void keyValueCommandsReportWhatTheyChangeAndReadsReportNothing() {
        h.run("{\"KV_SET\":{\"keys\":{\"a\":1,\"b\":[2]}}}");
        h.run("{\"KV_ADD\":{\"keys\":{\"a\":9,\"c\":3}}}"); // a exists: only c is added
        h.run("{\"KV_GET\":{\"keys\":[\"a\",\"c\"]}}");
        h.run("{\"KV_CONTAINS\":{\"keys\":[\"a\"]}}");
        h.run("{\"KV_COUNT\":{}}");
        h.run("{\"KV_KEYS\":{}}");
        h.run("{\"KV_RMV\":{\"keys\":[\"b\",\"missing\"]}}"); // only b existed
        h.run("{\"KV_CLEAR_SET\":{\"keys\":{\"z\":\"x\"}}}");
        h.run("{\"KV_CLEAR\":{}}");
        h.run("{\"KV_CLEAR\":{}}"); // already empty: nothing changes
        assertThat(log).containsExactly(
                "put global a=1", "put global b=[2]",
                "put global c=3",
                "removed global b",
                "cleared global", "put global z=\"x\"",
                "cleared global");
    }

    @Test
    void sessionLifeIsReportedByTheExecutor() {
        String t = h.newSession("{\"name\":\"cart\",\"expiry\":{\"duration\":10,\"extendOnSetAdd\":true}}");
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":1}}}");
        h.run("{\"SH_INFO\":{\"tkn\":" + t + "}}");
        h.run("{\"SH_END\":{\"tkn\":" + t + "}}");
        h.run("{\"SH_END\":{\"tkn\":" + t + "}}"); // already gone: nothing
        h.newSession("{}");
        h.run("{\"SH_END_ALL\":{}}");
        long created = 1_000_000L + 10_000;
        assertThat(log).containsExactly(
                "created cart keys=0",
                "put cart k=1", "deadline cart " + created,
                "ended cart",
                "created - keys=0",
                "all ended"); // SH_END_ALL: one report, not one per session
    }

    @Test
    void refusedAndInvalidRequestsChangeNothing() {
        h.engine.limits(10, 1, Long.MAX_VALUE, Integer.MAX_VALUE);
        String t = h.newSession("{}");
        log.clear();
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":2}}}"); // 170: more than 1 key per session
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":[1]}}");              // 41
        h.run("{\"SH_SET\":{\"tkn\":\"nope\",\"keys\":{}}}");                 // 101
        assertThat(log).isEmpty();
    }

    @Test
    void expiryReportsTheEndOrTheClearedDataWithTheNewDeadline() {
        String keep = h.newSession("{\"name\":\"keep\",\"expiry\":{\"duration\":5}}");
        h.newSession("{\"name\":\"gone\",\"expiry\":{\"duration\":5,\"deleteSession\":true}}");
        h.run("{\"SH_SET\":{\"tkn\":" + keep + ",\"keys\":{\"k\":1}}}");
        log.clear();
        h.clock.advanceSeconds(6);
        h.tick();
        assertThat(log).containsExactlyInAnyOrder("expired data keep deadline=" + (1_000_000L + 10_000),
                "ended gone");
    }
}
