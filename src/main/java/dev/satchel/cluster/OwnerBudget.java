package dev.satchel.cluster;

import dev.satchel.engine.OwnerExecutor;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLongArray;
import org.infinispan.AdvancedCache;
import org.infinispan.commons.util.IntSet;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.context.Flag;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.topology.CacheTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one member holds, for the member-wide limits in cluster mode (limits.maxSessions, limits.maxStoredBytes):
 * the live sessions and the key and value bytes of every copy it holds, primary and backup, plus its copy of
 * the global key space. That is the data in this process's heap, which is what the limits bound standalone.
 *
 * <p>Kept per segment: every command that changes a box adds its change to the box's segment ({@link #add});
 * the totals are the sums over the segments this member owns now. When the topology changes
 * ({@link #topologyChanged}), a segment this member lost stops counting, and a segment it gained is counted by
 * a scan of its boxes once the rebalance is over (until then only the commands run on it count, not the boxes
 * the state transfer brings). A segment counted incrementally is exact; a scan races only with commands on the
 * segments it scans, so the figures are approximate only for segments just gained.
 *
 * <p>Thread-safe: commands on different keys run concurrently on Infinispan's threads.
 */
final class OwnerBudget implements OwnerExecutor.Holdings {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerBudget.class);

    private final ClusterMember member;
    private final AtomicLongArray sessions = new AtomicLongArray(ClusterMember.SEGMENTS);
    private final AtomicLongArray bytes = new AtomicLongArray(ClusterMember.SEGMENTS);
    /** The segments this member owns (read and write), as of the last topology change. */
    private volatile int[] owned = new int[0];
    /** Owned segments whose counts are complete (guarded by this). */
    private final BitSet counted = new BitSet(ClusterMember.SEGMENTS);
    /** Key and value bytes of this member's copy of each bucket of the global key space (0 when it holds none). */
    private final AtomicLongArray bucketBytes = new AtomicLongArray(Buckets.COUNT);

    OwnerBudget(ClusterMember member) {
        this.member = member;
    }

    /** Live sessions held here (primary and backup copies). */
    @Override
    public long sessions() {
        return sum(sessions);
    }

    /** Key and value bytes held here: session copies and the copy of the global key space. */
    @Override
    public long storedBytes() {
        long total = sum(bytes);
        for (int b = 0; b < Buckets.COUNT; b++) {
            total += bucketBytes.get(b);
        }
        return total;
    }

    private long sum(AtomicLongArray perSegment) {
        long total = 0;
        for (int s : owned) {
            total += perSegment.get(s);
        }
        return total;
    }

    /** A command changed the session box under {@code key} by {@code sessions} live sessions and {@code bytes}. */
    void add(SessionKey key, long sessions, long bytes) {
        int segment = member.started() ? member.sessionsCache().getDistributionManager().getCacheTopology()
                .getSegment(key) : 0; // before the start (tests run commands by hand): no segments yet
        if (sessions != 0) {
            this.sessions.addAndGet(segment, sessions);
        }
        if (bytes != 0) {
            this.bytes.addAndGet(segment, bytes);
        }
    }

    /** A command left this member's copy of the bucket {@code key} of the global key space holding {@code bytes}. */
    void global(SessionKey key, long bytes) {
        int b = Buckets.index(key);
        if (b >= 0) {
            bucketBytes.set(b, bytes);
        }
    }

    /**
     * The topology changed (and once at the start): segments lost stop counting; once no rebalance is in
     * progress, segments gained are counted by a scan of the boxes held in them.
     */
    synchronized void topologyChanged() {
        try {
            AdvancedCache<SessionKey, Box> c = member.sessionsCache();
            LocalizedCacheTopology t = c.getDistributionManager().getCacheTopology();
            IntSet writable = t.getLocalWriteSegments();
            int[] now = new int[writable.size()];
            int n = 0;
            BitSet scan = new BitSet(ClusterMember.SEGMENTS);
            boolean settled = t.getPhase() == CacheTopology.Phase.NO_REBALANCE;
            for (int i = 0; i < ClusterMember.SEGMENTS; i++) {
                if (!writable.contains(i)) {
                    counted.clear(i);
                } else {
                    now[n++] = i;
                    if (settled && !counted.get(i)) {
                        scan.set(i);
                    }
                }
            }
            if (!scan.isEmpty()) {
                long[] s = new long[ClusterMember.SEGMENTS];
                long[] b = new long[ClusterMember.SEGMENTS];
                for (InternalCacheEntry<SessionKey, Box> e : c.withFlags(Flag.CACHE_MODE_LOCAL).getDataContainer()) {
                    Box box = e.getValue();
                    int segment = t.getSegment(e.getKey());
                    if (box == null || !scan.get(segment)) {
                        continue;
                    }
                    synchronized (box) {
                        s[segment] += box.heldSessions();
                        b[segment] += box.heldBytes();
                    }
                }
                for (int i = scan.nextSetBit(0); i >= 0; i = scan.nextSetBit(i + 1)) {
                    sessions.set(i, s[i]);
                    bytes.set(i, b[i]);
                }
                counted.or(scan);
            }
            owned = java.util.Arrays.copyOf(now, n);
            for (int i = 0; i < ClusterMember.SEGMENTS; i++) {
                if (!writable.contains(i)) {
                    sessions.set(i, 0);
                    bytes.set(i, 0);
                }
            }
            AdvancedCache<SessionKey, Box> globals = member.globalsCache().withFlags(Flag.CACHE_MODE_LOCAL);
            for (int k = 0; k < Buckets.COUNT; k++) {
                Box g = globals.get(Buckets.key(k));
                long gb = 0;
                if (g != null) {
                    synchronized (g) {
                        gb = g.heldBytes();
                    }
                }
                bucketBytes.set(k, gb);
            }
        } catch (RuntimeException e) {
            LOG.warn("counting the data this member holds failed (limits use the last count): {}", e.toString());
        }
    }
}
