package dev.satchel.ops;

import dev.satchel.engine.CommandLoop;
import dev.satchel.net.NetStats;
import dev.satchel.protocol.Status;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.util.internal.PlatformDependent;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The {@code /metrics} registry: Micrometer's Prometheus registry with the JVM, process and Netty allocator
 * binders, plus Satchel's own metrics ({@code satchel_*}). Those that the command loop owns are read from a
 * {@link LoopSnapshot} that a task on the loop takes at each scrape; the HTTP thread renders the text from
 * that immutable copy and from thread-safe connection counters, and never reads engine data.
 */
public final class Metrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CommandLoop loop;
    private final NetStats net;
    private final Health health;
    private final Labels info;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private volatile LoopSnapshot latest = LoopSnapshot.EMPTY;
    private volatile boolean loopAnswered = true;

    /**
     * @param info labels of {@code satchel_info} (version, token format...), as name-value pairs
     */
    public Metrics(CommandLoop loop, NetStats net, Health health, String... info) {
        this.loop = loop;
        this.net = net;
        this.health = health;
        this.info = Labels.of(info);
        registry.getPrometheusRegistry().register(new SatchelCollector());
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider p) {
            new NettyAllocatorMetrics(p).bindTo(registry);
        }
        if (PlatformDependent.usedDirectMemory() >= 0) {
            Gauge.builder("netty.direct.memory.used", PlatformDependent::usedDirectMemory).baseUnit("bytes")
                    .description("direct memory reserved by Netty's own counter (io.netty.maxDirectMemory)")
                    .register(registry);
        }
        Gauge.builder("netty.direct.memory.max", PlatformDependent::maxDirectMemory).baseUnit("bytes")
                .description("the most direct memory Netty may reserve").register(registry);
    }

    /** Micrometer's registry, to add meters that do not belong to the loop. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Takes a fresh snapshot on the loop, then renders the Prometheus text on {@code executor}. If the loop
     * does not answer within {@link Health#LOOP_TIMEOUT_MILLIS} the previous snapshot is shown with
     * {@code satchel_loop_responding 0}.
     */
    public CompletableFuture<String> scrape(Executor executor) {
        return loop.call(LoopSnapshot::take)
                .orTimeout(Health.LOOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .handleAsync((snapshot, failure) -> {
                    if (snapshot != null) {
                        latest = snapshot;
                    }
                    loopAnswered = snapshot != null;
                    return registry.scrape();
                }, executor);
    }

    /** The last snapshot taken by {@link #scrape}. */
    public LoopSnapshot latest() {
        return latest;
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static CounterSnapshot counter(String name, String help, double value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    /** Satchel's own metrics, from the latest loop snapshot and the connection counters. */
    private final class SatchelCollector implements MultiCollector {
        @Override
        public MetricSnapshots collect() {
            LoopSnapshot s = latest;
            CommandStats.Snapshot c = s.commands();
            List<MetricSnapshot> m = new ArrayList<>();
            m.add(GaugeSnapshot.builder().name("satchel_info").help("Satchel version and settings (always 1)")
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(info).value(1).build()).build());
            m.add(gauge("satchel_ready", "1 when /health/ready would answer 200 (started, not shutting down)",
                    health.state() == Health.State.READY && loopAnswered ? 1 : 0));
            m.add(gauge("satchel_loop_responding", "1 if the command loop answered this scrape in time",
                    loopAnswered ? 1 : 0));
            m.add(gauge("satchel_sessions_active", "live sessions", s.sessionsActive()));
            m.add(counter("satchel_sessions_created", "sessions created (SH_NEW, SH_OPEN, SH_LOAD)",
                    s.sessionsCreated()));
            m.add(counter("satchel_sessions_ended",
                    "sessions ended, by SH_END / SH_END_ALL or by expiry", s.sessionsEnded()));
            m.add(CounterSnapshot.builder().name("satchel_sessions_expired")
                    .help("expiries by kind: end (the session ended) or clear (its keys were removed)")
                    .dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("kind", "end"))
                            .value(s.sessionsExpiredEnded()).build())
                    .dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("kind", "clear"))
                            .value(s.sessionsExpiredCleared()).build())
                    .build());
            m.add(GaugeSnapshot.builder().name("satchel_keys").help("stored keys, in sessions and in the global space")
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("space", "session"))
                            .value(s.sessionKeys()).build())
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("space", "global"))
                            .value(s.globalKeys()).build())
                    .build());
            m.add(GaugeSnapshot.builder().name("satchel_stored_bytes")
                    .help("bytes of stored keys and values as stored (compact JSON), by key space")
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("space", "session"))
                            .value(s.sessionBytes()).build())
                    .dataPoint(GaugeDataPointSnapshot.builder().labels(Labels.of("space", "global"))
                            .value(s.globalBytes()).build())
                    .build());
            CounterSnapshot.Builder commands = CounterSnapshot.builder().name("satchel_commands")
                    .help("responses by command and status (command ERR: requests that named no known command)");
            for (CommandStats.Snapshot.Count x : c.counts()) {
                String status = x.status() < 0 ? "other" : Integer.toString(x.status());
                String name = x.status() < 0 ? "Other" : Status.name(x.status());
                commands.dataPoint(CounterDataPointSnapshot.builder()
                        .labels(Labels.of("command", x.command(), "status", status, "status_name", name))
                        .value(x.count()).build());
            }
            m.add(commands.build());
            long[] buckets = c.buckets();
            ClassicHistogramBuckets.Builder hb = ClassicHistogramBuckets.builder();
            for (int i = 0; i < buckets.length; i++) {
                hb.bucket(i < CommandStats.BOUNDS_SECONDS.length ? CommandStats.BOUNDS_SECONDS[i]
                        : Double.POSITIVE_INFINITY, buckets[i]);
            }
            m.add(HistogramSnapshot.builder().name("satchel_command_duration_seconds")
                    .help("command-loop service time per command, measured per group of batches and divided"
                            + " evenly among its commands")
                    .dataPoint(HistogramDataPointSnapshot.builder().classicHistogramBuckets(hb.build())
                            .sum(c.serviceNanos() / 1e9).build())
                    .build());
            m.add(counter("satchel_loop_busy_seconds", "command-loop time spent running commands",
                    c.serviceNanos() / 1e9));
            m.add(counter("satchel_loop_batches", "groups of batches the command loop ran", c.groups()));
            m.add(gauge("satchel_expiry_lag_seconds",
                    "longest delay between a session's deadline and its expiry by the wheel, since the last scrape",
                    s.expiryLagMaxMillis() / 1e3));
            m.add(gauge("satchel_connections_active", "open client connections", net.active()));
            m.add(counter("satchel_connections_opened", "client connections accepted", net.opened()));
            Map<String, Long> rejected = new TreeMap<>(net.rejected());
            rejected.merge("limit_exceeded", c.withStatus(Status.LIMIT_EXCEEDED), Long::sum);
            rejected.putIfAbsent(NetStats.MESSAGE_TOO_BIG, 0L);
            CounterSnapshot.Builder r = CounterSnapshot.builder().name("satchel_messages_rejected")
                    .help("requests refused by a limit: limit_exceeded = answered with status 170, message_too_big"
                            + " = closed with 1009 (limits.maxMessageBytes), others as named");
            rejected.forEach((reason, n) -> r.dataPoint(CounterDataPointSnapshot.builder()
                    .labels(Labels.of("reason", reason)).value(n).build()));
            m.add(r.build());
            return new MetricSnapshots(m);
        }
    }
}
