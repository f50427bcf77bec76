package dev.satchel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The executor's journal hooks: every request is bracketed by beginRequest/endRequest with its changes inside,
 * and while the sink refuses, mutating commands answer 1000 with its message (changing nothing) and reads go on.
 */
class RequestBoundariesTest {
    private final CommandHarness h = new CommandHarness();
    private final List<String> log = new ArrayList<>();
    private String refusal;

    private final Changes sink = new Changes() {
        @Override
        public void beginRequest() {
            log.add("[");
        }

        @Override
        public void endRequest() {
            log.add("]");
        }

        @Override
        public void put(Session s, byte[] entry) {
            log.add("put");
        }

        @Override
        public void sessionCreated(Session s) {
            log.add("created");
        }

        @Override
        public String refusal() {
            return refusal;
        }
    };

    @Test
    void eachRequestIsOneBracketHoldingItsChanges() {
        h.engine.changes(sink);
        String t = h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":2}}}");
        h.run("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\"]}}");
        assertThat(log).containsExactly("[", "created", "]", "[", "put", "put", "]", "[", "]");
    }

    @Test
    void whileTheSinkRefusesWritesAre1000AndReadsGoOn() {
        h.engine.changes(sink);
        String t = h.newSession("{}");
        h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1}}}");
        refusal = "journal write failed: IOException: No space left on device";
        log.clear();
        assertThat(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"b\":2}}}"))
                .isEqualTo("{\"SH_SET_RSP\":{\"st\":1000,\"m\":\"" + refusal + "\"}}");
        assertThat(h.run("{\"SH_NEW\":{}}")).contains("\"st\":1000");
        assertThat(h.run("{\"KV_CLEAR\":{}}")).contains("\"st\":1000");
        assertThat(h.run("{\"SH_END_ALL\":{}}")).contains("\"st\":1000");
        assertThat(log).isEmpty(); // refused before anything ran
        assertThat(h.run("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\",\"b\"]}}")).contains("\"keys\":{\"a\":1}");
        refusal = null;
        assertThat(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"b\":2}}}")).contains("\"st\":1");
    }

    @Test
    void withoutASinkNothingIsBracketedOrRefused() {
        String t = h.newSession("{}");
        assertThat(h.run("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1}}}")).contains("\"st\":1");
        assertThat(log).isEmpty();
        Runnable[] ran = new Runnable[1];
        h.engine.whenDurable(() -> ran[0] = () -> { });
        assertThat(ran[0]).isNotNull(); // at once
    }
}
