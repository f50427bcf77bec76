package dev.satchel.cluster;

import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Session;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.infinispan.AdvancedCache;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.context.Flag;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.manager.EmbeddedCacheManager;

/**
 * Work every member does on the sessions it is the PRIMARY owner of, sent to all members through Infinispan's
 * clustered executor by the member that received a table-wide command (SH_INFO_ALL, SV_INFO, SH_END_ALL,
 * SH_SAVE); the receiving member merges the answers. Counting primaries only counts each session once.
 */
final class MemberTask implements Function<EmbeddedCacheManager, byte[]> {
    /** Live sessions, their keys, and the global keys of the buckets this member is the primary of. */
    static final int INFO = 1;
    /** Ends every live session held here as primary, each through the owner path; answers how many. */
    static final int END_ALL = 2;
    /** Every live session held here as primary, in its binary form (for SH_SAVE). */
    static final int SNAPSHOT = 3;
    /**
     * What this member holds and may hold, for the limit check of a load: its address (UTF), live sessions,
     * stored bytes (primary and backup copies), limits.maxSessions, limits.maxKeysPerSession and
     * limits.maxStoredBytes.
     */
    static final int BUDGET = 4;

    final int op;
    final long now;

    MemberTask(int op, long now) {
        this.op = op;
        this.now = now;
    }

    @Override
    public byte[] apply(EmbeddedCacheManager cm) {
        ClusterMember m = ClusterMember.of(cm);
        if (m == null) {
            throw new IllegalStateException("this cache manager is not (or no longer) a Satchel member");
        }
        try {
            return switch (op) {
                case INFO -> info(m);
                case END_ALL -> endAll(m);
                case SNAPSHOT -> snapshot(m);
                case BUDGET -> budget(m, cm);
                default -> throw new IllegalArgumentException("unknown member task " + op);
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The live sessions held here as primary (each read under its box's lock). */
    private List<Box> primaries(ClusterMember m) {
        AdvancedCache<SessionKey, Box> c = m.sessionsCache();
        LocalizedCacheTopology t = c.getDistributionManager().getCacheTopology();
        List<Box> out = new ArrayList<>();
        for (InternalCacheEntry<SessionKey, Box> e : c.withFlags(Flag.CACHE_MODE_LOCAL).getDataContainer()) {
            if (t.getDistribution(e.getKey()).isPrimary() && e.getValue() != null && e.getValue().session != null) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    private static boolean live(Session s, long now) {
        return !s.expires() || now < s.deadline() || !s.deleteSession();
    }

    private static boolean dataVisible(Session s, long now) {
        return !s.expires() || now < s.deadline();
    }

    private byte[] info(ClusterMember m) throws IOException {
        long sessions = 0;
        long keys = 0;
        for (Box b : primaries(m)) {
            synchronized (b) {
                Session s = b.session;
                if (s != null && live(s, now)) {
                    sessions++;
                    if (dataVisible(s, now)) {
                        keys += s.keyCount();
                    }
                }
            }
        }
        long kv = 0;
        AdvancedCache<SessionKey, Box> g = m.globalsCache();
        LocalizedCacheTopology gt = g.getDistributionManager().getCacheTopology();
        for (int k = 0; k < Buckets.COUNT; k++) {
            if (gt.getDistribution(Buckets.key(k)).isPrimary()) {
                Box b = g.withFlags(Flag.CACHE_MODE_LOCAL).get(Buckets.key(k));
                if (b != null) {
                    synchronized (b) {
                        kv += b.global == null ? 0 : b.global.size();
                    }
                }
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(sessions);
        out.writeLong(keys);
        out.writeLong(kv);
        return bytes.toByteArray();
    }

    private byte[] endAll(ClusterMember m) throws IOException {
        List<CompletableFuture<byte[]>> ends = new ArrayList<>();
        AdvancedCache<SessionKey, Box> c = m.sessionsCache();
        LocalizedCacheTopology t = c.getDistributionManager().getCacheTopology();
        List<SessionKey> keys = new ArrayList<>();
        for (InternalCacheEntry<SessionKey, Box> e : c.withFlags(Flag.CACHE_MODE_LOCAL).getDataContainer()) {
            if (t.getDistribution(e.getKey()).isPrimary() && e.getValue() != null && e.getValue().session != null) {
                keys.add(e.getKey());
            }
        }
        for (SessionKey k : keys) {
            ends.add(m.sessionsRw().eval(k, new ClusterCommand(ClusterCommand.END, m.nextId(), now, null)));
        }
        long n = 0;
        for (CompletableFuture<byte[]> f : ends) {
            try {
                byte[] b = f.get(ClusterMember.REMOTE_TIMEOUT_MILLIS * 4, TimeUnit.MILLISECONDS);
                if (b.length == 1 && b[0] == 1) {
                    n++;
                }
            } catch (Exception e) {
                throw new IllegalStateException("ending a session failed: " + ClusterMember.rootMessage(e), e);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DataOutputStream(bytes).writeLong(n);
        return bytes.toByteArray();
    }

    private static byte[] budget(ClusterMember m, EmbeddedCacheManager cm) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeUTF(String.valueOf(cm.getAddress()));
        out.writeLong(m.budget().sessions());
        out.writeLong(m.budget().storedBytes());
        out.writeLong(m.config().limits().maxSessions());
        out.writeLong(m.config().limits().maxKeysPerSession());
        out.writeLong(m.config().limits().maxStoredBytes());
        return bytes.toByteArray();
    }

    private byte[] snapshot(ClusterMember m) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        for (Box b : primaries(m)) {
            synchronized (b) {
                Session s = b.session;
                if (s != null) {
                    out.writeBoolean(true);
                    OwnerExecutor.write(s, out);
                }
            }
        }
        out.writeBoolean(false);
        out.flush();
        return bytes.toByteArray();
    }
}
