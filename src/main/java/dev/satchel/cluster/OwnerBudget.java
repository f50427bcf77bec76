package dev.satchel.cluster;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.infinispan.AdvancedCache;
import org.infinispan.commons.util.IntSet;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.context.Flag;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one member holds, for the member-wide limits in cluster mode (limits.maxSessions, limits.maxStoredBytes):
 * the live sessions and the key and value bytes of every copy it holds, primary and backup, plus its copy of
 * the global key space. That is the data in this process's heap, which is what the limits bound standalone.
 *
 * <p>Kept per segment: every command that changes a box adds its change to the box's segment
 * ({@link #add}); the segments this member owns are summed. When the topology changes (segments gained by
 * state transfer, segments lost), {@link #recount} counts every held box again. Exact between topology
 * changes; a command that runs while a recount scans may be counted twice or not at all until the next
 * recount, so during a rebalance the figures are approximate (and the limits with them).
 *
 * <p>Thread-safe: commands on different keys run concurrently on Infinispan's threads.
 */
final class OwnerBudget {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerBudget.class);

    private final ClusterMember member;
    private final AtomicLongArray sessions = new AtomicLongArray(ClusterMember.SEGMENTS);
    private final AtomicLongArray bytes = new AtomicLongArray(ClusterMember.SEGMENTS);
    /** Sums over the segments this member owns (as of the last {@link #recount}, plus changes since). */
    private final AtomicLong heldSessions = new AtomicLong();
    private final AtomicLong heldBytes = new AtomicLong();
    /** Key and value bytes of this member's copy of the global key space (0 when it holds none). */
    private volatile long globalBytes;

    OwnerBudget(ClusterMember member) {
        this.member = member;
    }

    /** Live sessions held here (primary and backup copies). */
    long sessions() {
        return heldSessions.get();
    }

    /** Key and value bytes held here: session copies and the copy of the global key space. */
    long storedBytes() {
        return heldBytes.get() + globalBytes;
    }

    /** A command changed the session box under {@code key} by {@code sessions} live sessions and {@code bytes}. */
    void add(SessionKey key, long sessions, long bytes) {
        int segment = member.started() ? member.sessionsCache().getDistributionManager().getCacheTopology()
                .getSegment(key) : 0; // before the start (tests run commands by hand): no segments yet
        if (sessions != 0) {
            this.sessions.addAndGet(segment, sessions);
            heldSessions.addAndGet(sessions);
        }
        if (bytes != 0) {
            this.bytes.addAndGet(segment, bytes);
            heldBytes.addAndGet(bytes);
        }
    }

    /** A command left this member's copy of the global key space holding {@code bytes}. */
    void global(long bytes) {
        globalBytes = bytes;
    }

    /** Counts every box this member holds again, and sums the segments it owns now. */
    synchronized void recount() {
        try {
            AdvancedCache<SessionKey, Box> c = member.sessionsCache();
            LocalizedCacheTopology t = c.getDistributionManager().getCacheTopology();
            long[] s = new long[ClusterMember.SEGMENTS];
            long[] b = new long[ClusterMember.SEGMENTS];
            for (InternalCacheEntry<SessionKey, Box> e : c.withFlags(Flag.CACHE_MODE_LOCAL).getDataContainer()) {
                Box box = e.getValue();
                if (box == null) {
                    continue;
                }
                int segment = t.getSegment(e.getKey());
                synchronized (box) {
                    s[segment] += box.heldSessions();
                    b[segment] += box.heldBytes();
                }
            }
            IntSet owned = t.getLocalWriteSegments();
            long totalSessions = 0;
            long totalBytes = 0;
            for (int i = 0; i < ClusterMember.SEGMENTS; i++) {
                sessions.set(i, s[i]);
                bytes.set(i, b[i]);
                if (owned.contains(i)) {
                    totalSessions += s[i];
                    totalBytes += b[i];
                }
            }
            heldSessions.set(totalSessions);
            heldBytes.set(totalBytes);
            Box g = member.globalsCache().withFlags(Flag.CACHE_MODE_LOCAL).get(SessionKey.GLOBAL);
            long gb = 0;
            if (g != null) {
                synchronized (g) {
                    gb = g.heldBytes();
                }
            }
            globalBytes = gb;
        } catch (RuntimeException e) {
            LOG.warn("counting the data this member holds failed (limits use the last count): {}", e.toString());
        }
    }
}
