package dev.satchel.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.SatchelTimeoutException;
import dev.satchel.testing.ClusterJvms;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * A write load whose every acknowledged write can be checked afterwards. Each "lane" owns one session and writes
 * an increasing counter to it ({@code SH_SET {"c": n}}), one write in flight per lane; the lanes of a
 * connection are pipelined on it, and the connections are spread over the members. A lane remembers the
 * highest value acknowledged and the highest value sent, so after any event a read-back must find
 * {@code acked <= stored <= sent}: less than acked is a lost acknowledged write.
 *
 * <p>When a connection ends (its member was killed or stopped), its lanes wait, the connection reconnects to
 * the next member that accepts, and each lane sends its unacknowledged value again (SH_SET of the same value is
 * idempotent). An error response or a request timeout is an error; a lost connection is a reconnect.
 *
 * <p>Pause: each connection records the longest time without any completion, before and after
 * {@link #markEvent()}, and the time from the event to its first completion after a reconnect.
 */
final class CounterLoad implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OK = "{\"SH_SET_RSP\":{\"st\":1}}";

    private final ClusterJvms cluster;
    private final EventLoopGroup group =
            new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("counter-load", true), NioIoHandler.newFactory());
    /**
     * Reconnection off: the load moves a lost connection to another member itself ({@link Conn#lost}). With the
     * client's own reconnection a write sent just after the Close 1001 of a stopping member waited for that
     * same member to come back (tens of seconds in a rolling restart), seen as a pause of a "survivor".
     */
    private final ClientOptions options = ClientOptions.builder().eventLoopGroup(group)
            .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(30)).reconnect(false).build();
    private final ExecutorService reconnector = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "counter-load-reconnect");
        t.setDaemon(true);
        return t;
    });
    private final List<Conn> conns = new ArrayList<>();
    private final List<String> idleSessions = new ArrayList<>();
    /** The first 100 errors; {@link #errorCount} counts all. */
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong errorCount = new AtomicLong();
    private final ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(120), 3);
    private final AtomicLong acknowledged = new AtomicLong();
    private volatile boolean running;
    private volatile long eventNanos = Long.MAX_VALUE;

    /**
     * {@code connectionsPerMember} connections on each running member, {@code lanesPerConnection} lanes (sessions)
     * each; the sessions are created, nothing is written yet.
     */
    static CounterLoad open(ClusterJvms cluster, int connectionsPerMember, int lanesPerConnection) {
        CounterLoad load = new CounterLoad(cluster);
        try {
            load.connect(connectionsPerMember, lanesPerConnection);
        } catch (RuntimeException | Error e) {
            load.close();
            throw e;
        }
        return load;
    }

    private CounterLoad(ClusterJvms cluster) {
        this.cluster = cluster;
    }

    private void connect(int connectionsPerMember, int lanesPerConnection) {
        int n = 0;
        for (ClusterJvms.Member m : cluster.running()) {
            for (int i = 0; i < connectionsPerMember; i++) {
                Conn c = new Conn(n++, m.index());
                c.client = SatchelClient.connect(m.uri(), options);
                for (int l = 0; l < lanesPerConnection; l++) {
                    c.lanes.add(new Lane(c));
                }
                conns.add(c);
            }
        }
        // every lane's session, created through its own connection
        for (Conn c : conns) {
            List<String> news = new ArrayList<>();
            for (int l = 0; l < c.lanes.size(); l++) {
                news.add("{\"SH_NEW\":{}}");
            }
            List<CompletableFuture<String>> f = c.client.sendRawBatch(news);
            for (int l = 0; l < c.lanes.size(); l++) {
                c.lanes.get(l).token = tokenOf(f.get(l).join());
            }
        }
    }

    /**
     * {@code count} more sessions with three keys each, written through the members in turn and never touched
     * by the load: {@link #verify} reads them back too.
     */
    void addIdleSessions(int count) {
        List<Conn> byMember = conns;
        for (int i = 0; i < count; i++) {
            Conn c = byMember.get(i % byMember.size());
            String token = tokenOf(c.client.sendRaw("{\"SH_NEW\":{}}").join());
            String set = "{\"SH_SET\":{\"tkn\":" + token + ",\"keys\":{\"a\":" + i + ",\"b\":\"idle " + i
                    + "\",\"c\":[" + i + ",true]}}}";
            String rsp = c.client.sendRaw(set).join();
            if (!rsp.equals(OK)) {
                throw new AssertionError("populating idle sessions: " + set + " -> " + rsp);
            }
            idleSessions.add(token);
        }
    }

    /** Starts every lane writing. */
    void start() {
        running = true;
        for (Conn c : conns) {
            c.lastCompletion = System.nanoTime();
            for (Lane lane : c.lanes) {
                send(lane);
            }
        }
    }

    /** Marks the moment of a kill / stop: gaps and reconnect times are measured from here. */
    void markEvent() {
        for (Conn c : conns) {
            c.reconnectedAfterEvent = -1;
        }
        eventNanos = System.nanoTime();
    }

    /** Acknowledged writes so far. */
    long acknowledged() {
        return acknowledged.get();
    }

    /**
     * Waits until every connection has completed at least {@code writes} more writes than now (proof that the
     * load runs on every connection, e.g. after a reconnect), up to {@code timeoutSeconds}.
     */
    void awaitProgressOnEveryConnection(int writes, long timeoutSeconds) throws InterruptedException {
        long[] base = new long[conns.size()];
        for (int i = 0; i < base.length; i++) {
            base[i] = conns.get(i).completions.get();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        for (int i = 0; i < base.length; i++) {
            while (conns.get(i).completions.get() < base[i] + writes) {
                if (errorCount.get() > 0) {
                    throw new AssertionError("errors while waiting for the load to progress: " + summary());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("connection " + i + " (now on member " + conns.get(i).member
                            + ") completed " + (conns.get(i).completions.get() - base[i]) + " of " + writes
                            + " writes in " + timeoutSeconds + " s; " + summary());
                }
                Thread.sleep(20);
            }
        }
    }

    /** Stops sending new writes and waits (up to 60 s) until no write is in flight or waiting for a reconnect. */
    void stop() throws InterruptedException {
        running = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (inFlight() > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(inFlight() + " writes still in flight 60 s after the load stopped; "
                        + summary());
            }
            Thread.sleep(20);
        }
    }

    private int inFlight() {
        int n = 0;
        for (Conn c : conns) {
            for (Lane lane : c.lanes) {
                if (lane.busy) {
                    n++;
                }
            }
        }
        return n;
    }

    private void send(Lane lane) {
        Conn c = lane.conn;
        lane.busy = true;
        long value = lane.acked + 1;
        lane.sent = Math.max(lane.sent, value);
        SatchelClient client = c.client;
        long generation = c.generation;
        long t0 = System.nanoTime();
        client.sendRaw("{\"SH_SET\":{\"tkn\":" + lane.token + ",\"keys\":{\"c\":" + value + "}}}")
                .whenComplete((rsp, err) -> {
                    long now = System.nanoTime();
                    if (err == null && OK.equals(rsp)) {
                        lane.acked = value;
                        acknowledged.incrementAndGet();
                        c.completed(t0, now);
                        latency.recordValue(Math.min(now - t0, latency.getHighestTrackableValue()));
                        next(lane);
                    } else if (err == null) {
                        error(lane, "member " + c.member + ": " + rsp);
                    } else if (unwrap(err) instanceof SatchelTimeoutException) {
                        error(lane, "member " + c.member + ": " + unwrap(err));
                    } else {
                        c.lost(lane, generation);
                    }
                });
    }

    /** An error response or a timeout: recorded, and the lane stops (the test fails on it anyway). */
    private void error(Lane lane, String what) {
        errorCount.incrementAndGet();
        synchronized (errors) {
            if (errors.size() < 100) {
                errors.add(what);
            }
        }
        lane.busy = false;
    }

    private void next(Lane lane) {
        if (running) {
            send(lane);
        } else {
            lane.busy = false;
        }
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * Error responses and request timeouts seen so far, the first 100 (reconnects are not errors); a lane stops
     * at its first error.
     */
    List<String> errors() {
        synchronized (errors) {
            return List.copyOf(errors);
        }
    }

    long errorCount() {
        return errorCount.get();
    }

    int reconnects() {
        int n = 0;
        for (Conn c : conns) {
            n += c.reconnects;
        }
        return n;
    }

    /** Connections that had to reconnect, with the members they moved from and to. */
    List<String> moves() {
        List<String> out = new ArrayList<>();
        for (Conn c : conns) {
            synchronized (c.moves) {
                if (!c.moves.isEmpty()) {
                    out.add("connection " + c.index + ": " + String.join(" ", c.moves));
                }
            }
        }
        return out;
    }

    /**
     * What the clients saw around the last event: on connections that did not reconnect, the longest time with
     * no completion after the event (and before it, for comparison), and the latency percentiles; on those that
     * did, the time from the event to their first completion on the new member.
     */
    String pauseReport() {
        long survivorsBefore = 0;
        long survivorsAfter = 0;
        long reconnectMax = -1;
        int reconnected = 0;
        for (Conn c : conns) {
            if (c.reconnectedAfterEvent >= 0) {
                reconnected++;
                reconnectMax = Math.max(reconnectMax, c.reconnectedAfterEvent);
            } else if (c.reconnects == 0 || c.lastReconnectNanos < eventNanos) {
                survivorsBefore = Math.max(survivorsBefore, c.maxGapBefore);
                survivorsAfter = Math.max(survivorsAfter, c.maxGapAfter);
            }
        }
        Histogram h = latency.copy();
        return String.format(Locale.ROOT, "longest pause of a survivor connection after the event %d ms (before it:"
                + " %d ms); %d connection(s) reconnected, first write on the new member at most %d ms after the event;"
                + " write latency p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d writes",
                ms(survivorsAfter), ms(survivorsBefore), reconnected, ms(Math.max(reconnectMax, 0)),
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6,
                h.getTotalCount());
    }

    /** Resets the maxima so the next {@link #markEvent()} measures afresh. */
    void resetPauses() {
        for (Conn c : conns) {
            c.maxGapBefore = 0;
            c.maxGapAfter = 0;
        }
        latency.reset();
        eventNanos = Long.MAX_VALUE;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    String summary() {
        return acknowledged.get() + " acknowledged writes, " + reconnects() + " reconnects, " + errorCount.get()
                + " errors " + firstErrors() + ", moves " + moves();
    }

    private String firstErrors() {
        List<String> e = errors();
        return e.subList(0, Math.min(5, e.size())).toString();
    }

    /**
     * Reads every lane's and every idle session back, through the running members in turn; returns the
     * problems (empty when every acknowledged write is there and no session is lost).
     */
    List<String> verify() {
        List<ClusterJvms.Member> members = cluster.running();
        List<String> problems = new ArrayList<>();
        List<SatchelClient> readers = new ArrayList<>();
        try {
            for (ClusterJvms.Member m : members) {
                readers.add(SatchelClient.connect(m.uri(), options));
            }
            List<Lane> lanes = new ArrayList<>();
            for (Conn c : conns) {
                lanes.addAll(c.lanes);
            }
            int checked = 0;
            for (int i = 0; i < lanes.size(); i++) {
                Lane lane = lanes.get(i);
                SatchelClient r = readers.get(i % readers.size());
                String rsp = r.sendRaw("{\"SH_GET\":{\"tkn\":" + lane.token + ",\"keys\":[\"c\"]}}").join();
                JsonNode inner = parse(rsp).path("SH_GET_RSP");
                if (inner.path("st").asInt() != 1) {
                    problems.add("session " + lane.token + " (acked " + lane.acked + ") read through member "
                            + members.get(i % members.size()).index() + ": " + rsp);
                    continue;
                }
                long stored = inner.path("keys").path("c").asLong(0);
                if (stored < lane.acked || stored > lane.sent) {
                    problems.add("session " + lane.token + ": stored " + stored + ", acknowledged " + lane.acked
                            + ", sent " + lane.sent + " (read through member "
                            + members.get(i % members.size()).index() + ")" + (stored < lane.acked
                                    ? ": an acknowledged write was LOST" : ": a value never sent"));
                }
                checked++;
            }
            for (int i = 0; i < idleSessions.size(); i++) {
                String token = idleSessions.get(i);
                SatchelClient r = readers.get(i % readers.size());
                String rsp = r.sendRaw("{\"SH_GET\":{\"tkn\":" + token + ",\"keys\":[\"a\",\"b\",\"c\"]}}").join();
                String expected = "{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"a\":" + i + ",\"b\":\"idle " + i
                        + "\",\"c\":[" + i + ",true]}}}";
                if (!expected.equals(rsp)) {
                    problems.add("idle session " + token + " read through member "
                            + members.get(i % members.size()).index() + ": " + rsp + ", expected " + expected);
                }
            }
            if (checked == 0 && !lanes.isEmpty()) {
                problems.add("no lane could be checked");
            }
        } finally {
            for (SatchelClient r : readers) {
                r.close();
            }
        }
        return problems;
    }

    /** Lowest acknowledged count of any lane (proof that every lane wrote). */
    long minAckedPerLane() {
        long min = Long.MAX_VALUE;
        for (Conn c : conns) {
            for (Lane lane : c.lanes) {
                min = Math.min(min, lane.acked);
            }
        }
        return min;
    }

    /** The connections whose first member was {@code member}. */
    int connectionsOf(int member) {
        int n = 0;
        for (Conn c : conns) {
            if (c.home == member) {
                n++;
            }
        }
        return n;
    }

    /** Connections now on {@code member}. */
    int connectionsNowOn(int member) {
        int n = 0;
        for (Conn c : conns) {
            if (c.member == member) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        running = false;
        for (Conn c : conns) {
            SatchelClient client = c.client;
            if (client != null) {
                client.close();
            }
        }
        reconnector.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** SH_INFO_ALL (cluster-wide) gives the same totals through every running member. */
    static void assertSameTotalsOnEveryMember(ClusterJvms cluster) throws Exception {
        List<String> answers = new ArrayList<>();
        for (ClusterJvms.Member m : cluster.running()) {
            try (SatchelClient c = SatchelClient.connect(m.uri())) {
                answers.add(m.index() + ": " + c.sendRaw("{\"SH_INFO_ALL\":{}}").get(30, TimeUnit.SECONDS));
            }
        }
        org.assertj.core.api.Assertions.assertThat(answers.stream().map(a -> a.substring(a.indexOf(' ') + 1)).distinct())
                .as("SH_INFO_ALL through each running member: %s", answers).hasSize(1);
    }

    private static String tokenOf(String rsp) {
        JsonNode tkn = parse(rsp).path("SH_NEW_RSP").path("tkn");
        if (tkn.isMissingNode()) {
            throw new AssertionError("SH_NEW failed: " + rsp);
        }
        return tkn.toString();
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    private static final class Lane {
        final Conn conn;
        /** The token as JSON text. */
        volatile String token;
        volatile long acked;
        volatile long sent;
        /** A write in flight or waiting for a reconnect. */
        volatile boolean busy;

        Lane(Conn conn) {
            this.conn = conn;
        }
    }

    private final class Conn {
        final int index;
        final int home;
        final List<Lane> lanes = new ArrayList<>();
        final List<Lane> waiting = new ArrayList<>();
        final List<String> moves = new ArrayList<>();
        final AtomicLong completions = new AtomicLong();
        volatile SatchelClient client;
        volatile int member;
        /** Incremented on every reconnect: a failure of an older client does not reconnect again. */
        volatile long generation;
        volatile int reconnects;
        volatile long lastReconnectNanos;
        volatile long lastCompletion;
        volatile long maxGapBefore;
        volatile long maxGapAfter;
        /** Nanoseconds from the event to the first completion after a reconnect; -1 if none. */
        volatile long reconnectedAfterEvent = -1;
        private boolean reconnecting;
        private volatile boolean firstAfterReconnect;
        private final AtomicInteger rr = new AtomicInteger();

        Conn(int index, int member) {
            this.index = index;
            this.home = member;
            this.member = member;
        }

        /** A completion at {@code now} of a request sent at {@code t0} (I/O thread of this connection). */
        void completed(long t0, long now) {
            completions.incrementAndGet();
            long gap = now - lastCompletion;
            lastCompletion = now;
            if (firstAfterReconnect) {
                firstAfterReconnect = false;
                if (eventNanos != Long.MAX_VALUE && lastReconnectNanos >= eventNanos) {
                    reconnectedAfterEvent = now - eventNanos;
                }
                return; // the gap spans the reconnect: reported as reconnectedAfterEvent
            }
            if (now > eventNanos) {
                maxGapAfter = Math.max(maxGapAfter, gap);
            } else {
                maxGapBefore = Math.max(maxGapBefore, gap);
            }
        }

        /** The connection of {@code lane}'s write ended: queue it, reconnect once per client generation. */
        void lost(Lane lane, long failedGeneration) {
            boolean start;
            synchronized (this) {
                if (failedGeneration != generation) {
                    // the failure of an older client: the lane can go on the current one
                    start = false;
                } else {
                    waiting.add(lane);
                    start = !reconnecting;
                    reconnecting = true;
                    if (!start) {
                        return;
                    }
                }
            }
            if (!start) {
                next(lane);
                return;
            }
            reconnector.execute(this::reconnect);
        }

        private void reconnect() {
            SatchelClient old = client;
            old.close();
            List<ClusterJvms.Member> all = cluster.members();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int from = member;
            while (true) {
                ClusterJvms.Member m = all.get((from + 1 + rr.getAndIncrement()) % all.size());
                if (m.index() == from && all.size() > 1) {
                    continue;
                }
                try {
                    SatchelClient fresh = SatchelClient.connect(m.uri(), options);
                    List<Lane> resend;
                    synchronized (this) {
                        client = fresh;
                        member = m.index();
                        generation++;
                        reconnects++;
                        lastReconnectNanos = System.nanoTime();
                        firstAfterReconnect = true;
                        reconnecting = false;
                        resend = new ArrayList<>(waiting);
                        waiting.clear();
                        synchronized (moves) {
                            moves.add(from + "->" + m.index());
                        }
                    }
                    for (Lane lane : resend) {
                        send(lane); // also when stopping: settle the unacknowledged write
                    }
                    return;
                } catch (RuntimeException e) {
                    if (System.nanoTime() > deadline) {
                        errorCount.incrementAndGet();
                        errors.add("connection " + index + " found no member to reconnect to within 120 s: " + e);
                        synchronized (this) {
                            for (Lane lane : waiting) {
                                lane.busy = false;
                            }
                            waiting.clear();
                            reconnecting = false;
                        }
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }
}
