package dev.satchel.ops;

import dev.satchel.cluster.ClusterMember;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The metrics of cluster mode (README "Cluster mode"), on the server's Micrometer registry. */
final class ClusterMetrics {
    private ClusterMetrics() {
    }

    static void bind(ClusterMember cluster, MeterRegistry registry) {
        Gauge.builder("satchel.cluster.members", () -> cluster.members().size())
                .description("members in this member's view of the cluster").register(registry);
        Gauge.builder("satchel.cluster.rebalancing", () -> cluster.rebalancing() ? 1 : 0)
                .description("1 while data moves between members after a join or a leave").register(registry);
        Gauge.builder("satchel.cluster.ready", () -> cluster.ready() ? 1 : 0)
                .description("1 while this member serves (joined, data received, not in a minority partition)")
                .register(registry);
        Gauge.builder("satchel.cluster.write.headroom", () -> cluster.writeHeadroom() ? 1 : 0)
                .description("1 while every member holds less than limits.maxStoredBytes and limits.maxSessions less"
                        + " a reserve (an eighth, at least 64 MiB and 65,536 sessions): writes that add keys and"
                        + " SH_NEW then run in batches instead of alone")
                .register(registry);
        Gauge.builder("satchel.cluster.local.entries", cluster::localEntries)
                .description("session copies held by this member (primary and backup), tombstones included")
                .register(registry);
        ClusterMember.Stats stats = cluster.statistics();
        FunctionCounter.builder("satchel.cluster.duplicates", stats, ClusterMember.Stats::duplicates)
                .description("commands run again after a topology change or a retry, answered from the"
                        + " session's ring of applied commands instead of being applied twice").register(registry);
        FunctionCounter.builder("satchel.cluster.timeouts", stats, ClusterMember.Stats::timeouts)
                .description("commands answered 1000 because the owners did not answer in time (outcome unknown)")
                .register(registry);
        FunctionCounter.builder("satchel.cluster.retries", stats, ClusterMember.Stats::retries)
                .description("commands sent again, with the same id, after the owners did not answer in time")
                .register(registry);
        FunctionCounter.builder("satchel.cluster.batches", stats, ClusterMember.Stats::batches)
                .description("batches sent: the ready commands for one primary owner as one Infinispan command")
                .register(registry);
        FunctionCounter.builder("satchel.cluster.batched.commands", stats, ClusterMember.Stats::batchedCommands)
                .description("commands sent in batches (the others went one by one)").register(registry);
        FunctionCounter.builder("satchel.cluster.bounced.commands", stats, ClusterMember.Stats::bounced)
                .description("writes a batch did not run because they would grow the data (a limit could refuse"
                        + " them): each was sent again alone, for its primary to decide").register(registry);
        FunctionCounter.builder("satchel.cluster.save.chunks", stats, ClusterMember.Stats::saveChunks)
                .description("answers this member received for the cluster saves (SH_SAVE) it ran, each a bounded"
                        + " chunk of one member's sessions").register(registry);
        Gauge.builder("satchel.cluster.save.chunk.max.bytes", stats, ClusterMember.Stats::saveChunkMaxBytes)
                .description("the largest of those answers, in bytes").register(registry);
        Timer remote = Timer.builder("satchel.cluster.execution")
                .description("time from sending a command to its session's owner until its answer arrived")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        stats.latencySink(nanos -> remote.record(nanos, TimeUnit.NANOSECONDS));
    }
}
