package dev.satchel.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLException;
import org.HdrHistogram.Histogram;

/**
 * Runs one benchmark: opens the connections on {@code threads} event loops, spread over the servers round-robin,
 * waits for their setup, sends for the warm-up, measures for {@code -n} requests or {@code -t} seconds, waits for
 * the responses still in flight, ends the sessions it created and closes.
 *
 * <p>A connection lost while the run is sending is replaced: after a jittered backoff (100 ms doubling up to
 * 5 s, as the clients do) a new connection to the next server of the list sets up its own session and takes
 * the slot's place. Its requests in flight are counted as lost (never answered; their outcome is unknown) and
 * the loss as a lost connection, so the exit status still says something went wrong.
 */
final class BenchRun {

    /** Receives a progress line about once a second. */
    interface Progress {
        void update(String line);

        void done();
    }

    private static final long SETUP_TIMEOUT_SECONDS = 60;
    private static final long DRAIN_TIMEOUT_SECONDS = 30;
    private static final long RECONNECT_MIN_DELAY_MILLIS = 100;
    private static final long RECONNECT_MAX_DELAY_MILLIS = 5000;
    /** A slot whose replacements keep failing this long after the loss gives up (the run can then end). */
    private static final long RECONNECT_GIVE_UP_SECONDS = 60;

    private final BenchSettings settings;
    private final Map<EventLoop, LoopStats> loops = new ConcurrentHashMap<>();
    private final AtomicLong budget;
    private final LongAdder responses = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final AtomicReference<String> firstSetupFailure = new AtomicReference<>();
    private final AtomicInteger lostConnections = new AtomicInteger();
    private final AtomicInteger reconnects = new AtomicInteger();
    private final AtomicInteger failedReconnects = new AtomicInteger();
    private final LongAdder lostRequests = new LongAdder();
    private final CountDownLatch ready;
    private final CountDownLatch drained;
    /** Per slot: ready / drained signalled (a slot's replacements must not count again). */
    private final AtomicIntegerArray readySlots;
    private final AtomicIntegerArray drainedSlots;
    /** The newest connection of each slot. */
    private final AtomicReferenceArray<BenchConnection> live;
    /** Per slot: when its running connection was lost (System.nanoTime). */
    private final AtomicLongArray lostAt;
    /** Every connection opened, replacements included: their counters make the result. */
    private final List<BenchConnection> all = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean sending = true;
    private volatile boolean measuring;
    private EventLoopGroup group;
    private boolean epoll;
    private SslContext ssl;
    private Templates templates;

    BenchRun(BenchSettings settings) {
        this.settings = settings;
        this.budget = settings.requests() > 0 ? new AtomicLong(settings.requests()) : null;
        this.ready = new CountDownLatch(settings.connections());
        this.drained = new CountDownLatch(settings.connections());
        this.readySlots = new AtomicIntegerArray(settings.connections());
        this.drainedSlots = new AtomicIntegerArray(settings.connections());
        this.live = new AtomicReferenceArray<>(settings.connections());
        this.lostAt = new AtomicLongArray(settings.connections());
    }

    BenchSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- called by connections

    LoopStats statsFor(EventLoop loop) {
        return loops.computeIfAbsent(loop, l -> new LoopStats());
    }

    boolean isSending() {
        return sending;
    }

    boolean isMeasuring() {
        return measuring;
    }

    /** Takes one request from the {@code -n} budget; false when it is used up. */
    boolean claimRequest() {
        if (budget == null) {
            return true;
        }
        if (budget.getAndDecrement() > 0) {
            return true;
        }
        sending = false;
        return false;
    }

    void responseReceived() {
        responses.increment();
    }

    void error(String description) {
        errors.increment();
        firstError.compareAndSet(null, description);
    }

    void slotReady(int slot) {
        if (readySlots.compareAndSet(slot, 0, 1)) {
            ready.countDown();
        }
    }

    void slotDrained(int slot) {
        if (drainedSlots.compareAndSet(slot, 0, 1)) {
            drained.countDown();
        }
    }

    /** A replacement finished its setup and runs. */
    void reconnected(BenchConnection connection) {
        reconnects.incrementAndGet();
    }

    /**
     * A connection ended during the run (on its event loop): a running one was lost, or a replacement could not
     * be set up. While the run sends, the slot gets a new connection to the next server after a backoff;
     * otherwise the slot is done.
     */
    void connectionEnded(BenchConnection connection, String reason, boolean wasRunning, int inFlight) {
        int attempt;
        if (wasRunning) {
            lostConnections.incrementAndGet();
            lostRequests.add(inFlight);
            firstError.compareAndSet(null, reason);
            lostAt.set(connection.index, System.nanoTime());
            attempt = 1;
        } else {
            failedReconnects.incrementAndGet();
            attempt = connection.attempt + 1;
            if (System.nanoTime() - lostAt.get(connection.index) > TimeUnit.SECONDS.toNanos(RECONNECT_GIVE_UP_SECONDS)) {
                firstError.compareAndSet(null, "connection " + connection.index + ": gave up reconnecting after "
                        + RECONNECT_GIVE_UP_SECONDS + " s; last attempt: " + reason);
                slotDrained(connection.index);
                return;
            }
        }
        if (!sending || live.get(connection.index) != connection) {
            slotDrained(connection.index);
            return;
        }
        long base = Math.min(RECONNECT_MAX_DELAY_MILLIS, RECONNECT_MIN_DELAY_MILLIS << Math.min(attempt - 1, 20));
        long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        int next = (connection.uriIndex + 1) % settings.uris().size();
        try {
            group.schedule(() -> {
                if (sending && live.get(connection.index) == connection) {
                    open(new BenchConnection(connection.index, next, attempt, this, templates));
                } else {
                    slotDrained(connection.index);
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            slotDrained(connection.index);
        }
    }

    void connectionFailed(String reason, boolean beforeRun) {
        if (beforeRun) {
            firstSetupFailure.compareAndSet(null, reason);
        } else {
            lostConnections.incrementAndGet();
            firstError.compareAndSet(null, reason);
        }
    }

    // ---------------------------------------------------------------- the run

    /**
     * Runs the benchmark.
     *
     * @param progress where progress lines go
     * @return the result; {@link BenchResult#failure()} is set if the run could not be done
     * @throws InterruptedException if interrupted while waiting
     */
    BenchResult execute(Progress progress) throws InterruptedException {
        epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(settings.threads(), new DefaultThreadFactory("satchel-bench", true), io);
        try {
            ssl = sslContext();
            templates = new Templates(settings.keyspace(), settings.valueSize());
            for (int i = 0; i < settings.connections(); i++) {
                open(new BenchConnection(i, i % settings.uris().size(), 0, this, templates));
            }
            if (!ready.await(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                return failed("setup did not finish within " + SETUP_TIMEOUT_SECONDS + " s", transport(epoll));
            }
            if (firstSetupFailure.get() != null) {
                return failed(firstSetupFailure.get(), transport(epoll));
            }
            return measure(progress, transport(epoll));
        } finally {
            progress.done();
            close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /** Connects one connection to its server and makes it the newest of its slot. */
    private void open(BenchConnection connection) {
        URI uri = connection.uri;
        boolean secure = "wss".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost();
        String bareHost = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int port = uri.getPort() != -1 ? uri.getPort() : secure ? 443 : 80;
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (secure) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), bareHost, port));
                        }
                        ch.pipeline().addLast(connection);
                    }
                });
        all.add(connection);
        live.set(connection.index, connection);
        ChannelFuture connect = bootstrap.connect(bareHost, port);
        connection.channel = connect.channel();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                connection.channel.eventLoop().execute(() -> connection.connectFailed(f.cause()));
            }
        });
    }

    private BenchResult measure(Progress progress, String transport) throws InterruptedException {
        Histogram[] totals = new Histogram[Op.ALL.length];
        for (int i = 0; i < totals.length; i++) {
            totals[i] = LoopStats.newHistogram();
        }
        long warmupNanos = (long) (settings.warmupSeconds() * 1e9);
        measuring = warmupNanos == 0;
        long startedAt = System.nanoTime();
        for (int i = 0; i < live.length(); i++) {
            BenchConnection connection = live.get(i);
            runOn(connection, connection::start);
        }
        Histogram interval = LoopStats.newHistogram();
        long lastTick = startedAt;
        long lastResponses = 0;
        long measureStart = measuring ? startedAt : 0;
        long deadline = Long.MAX_VALUE;
        if (measuring && settings.seconds() > 0) {
            deadline = measureStart + (long) (settings.seconds() * 1e9);
        }
        boolean stopped = false;
        while (true) {
            long now = System.nanoTime();
            long wake = Math.min(lastTick + 1_000_000_000L, stopped ? now + 1_000_000_000L : deadline);
            if (!measuring) {
                wake = Math.min(wake, startedAt + warmupNanos);
            }
            long waitNanos = Math.max(wake - now, 0);
            if (drained.await(waitNanos, TimeUnit.NANOSECONDS)) {
                break;
            }
            now = System.nanoTime();
            if (!measuring && now - startedAt >= warmupNanos) {
                measuring = true;
                measureStart = now;
                if (settings.seconds() > 0) {
                    deadline = measureStart + (long) (settings.seconds() * 1e9);
                }
            }
            if (!stopped && now >= deadline) {
                stopped = true;
                sending = false;
                for (int i = 0; i < live.length(); i++) {
                    BenchConnection connection = live.get(i);
                    runOn(connection, connection::checkDrained);
                }
            }
            if (stopped && now - deadline > TimeUnit.SECONDS.toNanos(DRAIN_TIMEOUT_SECONDS)) {
                firstError.compareAndSet(null, drained.getCount() + " connections still had requests in flight "
                        + DRAIN_TIMEOUT_SECONDS + " s after the end");
                lostConnections.addAndGet((int) drained.getCount());
                break;
            }
            if (now - lastTick >= 1_000_000_000L) {
                interval.reset();
                for (LoopStats stats : loops.values()) {
                    stats.drainInto(totals, interval);
                }
                long count = responses.sum();
                double seconds = (now - lastTick) / 1e9;
                progress.update(progressLine(now, startedAt, measureStart, (count - lastResponses) / seconds,
                        interval, totals));
                lastResponses = count;
                lastTick = now;
            }
        }
        sending = false;
        for (LoopStats stats : loops.values()) {
            stats.drainInto(totals, null);
        }
        long[] errorsByOp = new long[Op.ALL.length];
        long[] missesByOp = new long[Op.ALL.length];
        long setupErrors = 0;
        long lastMeasured = measureStart;
        List<BenchConnection> connections;
        synchronized (all) {
            connections = new ArrayList<>(all);
        }
        for (BenchConnection connection : connections) {
            for (int i = 0; i < errorsByOp.length; i++) {
                errorsByOp[i] += connection.errorsByOp[i];
                missesByOp[i] += connection.missesByOp[i];
            }
            setupErrors += connection.setupErrors;
            lastMeasured = Math.max(lastMeasured, connection.lastMeasuredNanos);
        }
        double elapsed = measureStart == 0 ? 0 : (lastMeasured - measureStart) / 1e9;
        return new BenchResult(settings, transport, elapsed, totals, errorsByOp, missesByOp, setupErrors,
                firstError.get(), null, lostConnections.get(), reconnects.get(), failedReconnects.get(),
                lostRequests.sum());
    }

    private String progressLine(long now, long startedAt, long measureStart, double rate, Histogram interval,
                                Histogram[] totals) {
        String phase;
        if (!measuring || measureStart == 0) {
            phase = String.format("warm-up %.0f/%.0f s", (now - startedAt) / 1e9, settings.warmupSeconds());
        } else if (settings.requests() > 0) {
            long done = 0;
            for (Histogram h : totals) {
                done += h.getTotalCount();
            }
            phase = String.format("%,d/%,d requests", done, settings.requests());
        } else {
            phase = String.format("%.0f/%.0f s", Math.min((now - measureStart) / 1e9, settings.seconds()),
                    settings.seconds());
        }
        String latency = interval.getTotalCount() == 0 ? "" : String.format("  p50 %.3f ms  p99 %.3f ms",
                interval.getValueAtPercentile(50) / 1000.0, interval.getValueAtPercentile(99) / 1000.0);
        int reconnected = reconnects.get();
        return String.format("%s %s: %,.0f req/s%s  errors %d%s", settings.workload().label(), phase, rate, latency,
                errors.sum(), lostConnections.get() > 0 ? "  lost " + lostConnections.get() + ", reconnected "
                        + reconnected : "");
    }

    private BenchResult failed(String why, String transport) {
        Histogram[] empty = new Histogram[Op.ALL.length];
        for (int i = 0; i < empty.length; i++) {
            empty[i] = LoopStats.newHistogram();
        }
        return new BenchResult(settings, transport, 0, empty, new long[Op.ALL.length], new long[Op.ALL.length],
                0, firstError.get(), why, lostConnections.get(), reconnects.get(), failedReconnects.get(),
                lostRequests.sum());
    }

    private static String transport(boolean epoll) {
        return epoll ? "epoll" : "nio";
    }

    private static void runOn(BenchConnection connection, Runnable task) {
        Channel channel = connection == null ? null : connection.channel;
        if (channel != null) {
            try {
                channel.eventLoop().execute(task);
            } catch (RejectedExecutionException e) {
                // the group is shutting down
            }
        }
    }

    /** Ends the created sessions, closes every connection, waiting up to 3 s for the closing handshakes. */
    private void close() {
        sending = false;
        List<BenchConnection> connections;
        synchronized (all) {
            connections = new ArrayList<>(all);
        }
        for (BenchConnection connection : connections) {
            runOn(connection, () -> connection.closeGracefully(true));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        for (BenchConnection connection : connections) {
            Channel channel = connection.channel;
            if (channel == null) {
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !channel.closeFuture().awaitUninterruptibly(left, TimeUnit.NANOSECONDS)) {
                channel.close();
            }
        }
    }

    private SslContext sslContext() {
        if (settings.uris().stream().noneMatch(u -> "wss".equalsIgnoreCase(u.getScheme()))) {
            return null;
        }
        SslContextBuilder builder = SslContextBuilder.forClient();
        if (settings.insecure()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            builder.endpointIdentificationAlgorithm("HTTPS");
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }
}
