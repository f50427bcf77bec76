package dev.satchel.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.infinispan.AdvancedCache;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.context.Flag;
import org.infinispan.distribution.DistributionInfo;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The expiry of cluster mode, one per member: every owner (primary or backup) files the deadline of each
 * session it holds, when a command leaves it with one; when the deadline comes, the member that is the
 * session's PRIMARY then runs the expiry rule through the owner path ({@link ClusterCommand#EXPIRE}, under the
 * key lock, re-checking the deadline, replicated to the backups with the same time), so expiry runs once per
 * session, where the data is. A backup files again (or drops the session when it no longer holds it); because
 * backups have filed too, a failover needs no scan. Sessions a member gains in a rebalance are filed by a scan
 * when the topology changes.
 *
 * <p>Expired data is never visible regardless: every command applies the rule lazily first with its own time
 * (as standalone). The wheel only reclaims sessions nobody touches, and drops tombstones.
 *
 * <p>One entry per session: a later deadline (a sliding session) does not file again; when the earlier one
 * fires, the EXPIRE finds the deadline moved, changes nothing, and files the new deadline.
 */
final class OwnerExpiry {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerExpiry.class);
    /** Sessions expired per tick at most, so a mass expiry is spread over ticks (as the standalone wheel). */
    static final int BUDGET = 10_000;

    private record Filing(long deadline, SessionKey key) implements Comparable<Filing> {
        @Override
        public int compareTo(Filing o) {
            return Long.compare(deadline, o.deadline);
        }
    }

    private final ClusterMember member;
    private final long tickMillis;
    private final ConcurrentHashMap<SessionKey, Long> filed = new ConcurrentHashMap<>();
    private final PriorityQueue<Filing> queue = new PriorityQueue<>(); // guarded by itself
    private ScheduledExecutorService timer;

    OwnerExpiry(ClusterMember member, long tickMillis) {
        this.member = member;
        this.tickMillis = tickMillis;
    }

    void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "satchel-cluster-expiry");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    }

    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Any thread (the commands, on every owner): the session under {@code key} holds this deadline now. */
    void file(SessionKey key, long deadline) {
        Long prev = filed.get(key);
        if (prev != null && prev <= deadline) {
            return; // the earlier filing fires first and files the new deadline then
        }
        filed.put(key, deadline);
        synchronized (queue) {
            queue.add(new Filing(deadline, key));
        }
    }

    /** Files every session (and tombstone) this member holds: after the start and after each topology change. */
    void fileLocalSessions() {
        try {
            AdvancedCache<SessionKey, Box> c = member.sessionsCache();
            for (InternalCacheEntry<SessionKey, Box> e : c.withFlags(Flag.CACHE_MODE_LOCAL).getDataContainer()) {
                Box b = e.getValue();
                if (b == null || filed.containsKey(e.getKey())) {
                    continue;
                }
                long d;
                synchronized (b) {
                    d = b.session != null ? (b.session.expires() ? b.session.deadline() : Long.MAX_VALUE) : b.keepUntil;
                }
                if (d != Long.MAX_VALUE) {
                    file(e.getKey(), d);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("filing this member's sessions for expiry failed: {}", e.toString());
        }
    }

    /** The timer thread: fires what is due, up to {@link #BUDGET}. */
    private void tick() {
        try {
            long now = System.currentTimeMillis();
            List<Filing> due = new ArrayList<>();
            synchronized (queue) {
                Filing f;
                while (due.size() < BUDGET && (f = queue.peek()) != null && f.deadline <= now) {
                    queue.poll();
                    due.add(f);
                }
            }
            if (due.isEmpty()) {
                return;
            }
            AdvancedCache<SessionKey, Box> c = member.sessionsCache();
            LocalizedCacheTopology t = c.getDistributionManager().getCacheTopology();
            for (Filing f : due) {
                if (!filed.remove(f.key, f.deadline)) {
                    continue; // an earlier filing replaced it and has fired already
                }
                DistributionInfo d = t.getDistribution(f.key);
                if (d.isPrimary()) {
                    member.sessionsRw().eval(f.key, new ClusterCommand(ClusterCommand.EXPIRE, 0, now, null))
                            .whenComplete((r, err) -> {
                                if (err != null) {
                                    file(f.key, now + 1000); // try again; the lazy rule hides the data meanwhile
                                }
                            });
                } else if (d.isWriteBackup()) {
                    Box b = c.withFlags(Flag.CACHE_MODE_LOCAL, Flag.SKIP_OWNERSHIP_CHECK).get(f.key);
                    if (b != null) {
                        // the primary expires it; look again a little later in case this member becomes primary
                        long next;
                        synchronized (b) {
                            next = b.session != null ? (b.session.expires() ? b.session.deadline() : Long.MAX_VALUE)
                                    : b.keepUntil;
                        }
                        if (next != Long.MAX_VALUE) {
                            file(f.key, Math.max(next, now + 1000));
                        }
                    }
                } // no longer an owner: dropped
            }
        } catch (RuntimeException e) {
            LOG.warn("cluster expiry tick failed: {}", e.toString());
        }
    }
}
