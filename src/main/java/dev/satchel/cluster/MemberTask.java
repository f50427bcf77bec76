package dev.satchel.cluster;

import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Session;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.infinispan.AdvancedCache;
import org.infinispan.commons.util.IntSets;
import org.infinispan.container.DataContainer;
import org.infinispan.container.impl.InternalDataContainer;
import org.infinispan.container.entries.InternalCacheEntry;
import org.infinispan.context.Flag;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.manager.EmbeddedCacheManager;

/**
 * Work every member does on the sessions it is the PRIMARY owner of, sent through Infinispan's clustered
 * executor by the member that received a table-wide command (SH_INFO_ALL, SV_INFO, SH_END_ALL to every member;
 * one chunk of an SH_SAVE to one member, see {@link #SAVE_CHUNK}); the receiving member merges the answers.
 * Counting primaries only counts each session once.
 */
final class MemberTask implements Function<EmbeddedCacheManager, byte[]> {
    /** Live sessions, their keys, and the global keys of the buckets this member is the primary of. */
    static final int INFO = 1;
    /** Ends every live session held here as primary, each through the owner path; answers how many. */
    static final int END_ALL = 2;
    /**
     * One bounded chunk of an SH_SAVE ({@link #args}: {@link #saveChunkArgs}): the sessions of the requested
     * segments that this member is the primary owner of, in token order from each segment's cursor on, until
     * the answer holds {@code maxBytes} (at least one session); see {@link #saveChunk} for the answer.
     */
    static final int SAVE_CHUNK = 5;
    // 6 was one chunk of a KV_SAVE from the single global entry (before the buckets): not reused

    /** Answer record of {@link #SAVE_CHUNK}: a session in {@link OwnerExecutor#write} form follows. */
    static final byte CHUNK_SESSION = 1;
    /** Answer record: segment (int) complete: every session of it after the cursor is in this answer. */
    static final byte CHUNK_DONE = 2;
    /**
     * Answer record: segment (int) not answered: this member is not (or stopped being, while it read) its
     * primary owner. Nothing of it is in the answer; ask its primary again.
     */
    static final byte CHUNK_MOVED = 3;
    /**
     * Answer record, the last one: the answer is full; segment (int) continues after token (long, long). The
     * requested segments after it are not answered.
     */
    static final byte CHUNK_FULL = 4;
    /** Answer record, the last one: every requested segment was answered (done or moved). */
    static final byte CHUNK_END = 0;
    /**
     * What this member holds and may hold, for the limit check of a load: its address (UTF), live sessions,
     * stored bytes (primary and backup copies), limits.maxSessions, limits.maxKeysPerSession and
     * limits.maxStoredBytes.
     */
    static final int BUDGET = 4;

    final int op;
    final long now;
    /** The op's arguments (null for most). */
    final byte[] args;

    MemberTask(int op, long now) {
        this(op, now, null);
    }

    MemberTask(int op, long now, byte[] args) {
        this.op = op;
        this.now = now;
        this.args = args;
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
                case SAVE_CHUNK -> saveChunk(m);
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

    /**
     * The arguments of {@link #SAVE_CHUNK}: the answer's byte bound, then per requested segment (ascending) its
     * number and its cursor (the last token already saved of it, or none: from its start).
     */
    static byte[] saveChunkArgs(int maxBytes, int[] segments, SessionKey[] cursors, int count) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(8 + count * 21);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeInt(maxBytes);
            out.writeInt(count);
            for (int i = 0; i < count; i++) {
                out.writeInt(segments[i]);
                SessionKey c = cursors[i];
                out.writeBoolean(c != null);
                if (c != null) {
                    out.writeLong(c.hi);
                    out.writeLong(c.lo);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Token order of the save's cursors (any total order works; this one is cheap). */
    static int compare(SessionKey a, SessionKey b) {
        int c = Long.compare(a.hi, b.hi);
        return c != 0 ? c : Long.compare(a.lo, b.lo);
    }

    /**
     * One chunk of a save. Per requested segment: if this member is its primary owner (a read owner: it holds
     * every session of the segment), its sessions after the cursor are sorted by token and each is written whole
     * under its box's lock (the owner's lock, as every command on it runs), until the answer reaches
     * {@code maxBytes}; then the answer ends with {@link #CHUNK_FULL} and the last token written. If the cache
     * topology changed while the segment was read, what was written of it is dropped and it is answered
     * {@link #CHUNK_MOVED}: the member that sent the task asks the segment's primary owner again from the same
     * cursor, so a session is never lost or written twice when segments move during a save. Memory here: the
     * answer (bounded) and the references to one segment's entries.
     */
    private byte[] saveChunk(ClusterMember m) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(args));
        int maxBytes = in.readInt();
        int n = in.readInt();
        AdvancedCache<SessionKey, Box> c = m.sessionsCache();
        // sized for a full answer up front (plus a typical last session): no doubling copies per chunk
        Answer bytes = new Answer(maxBytes + 16 * 1024);
        DataOutputStream out = new DataOutputStream(bytes);
        for (int i = 0; i < n; i++) {
            int segment = in.readInt();
            SessionKey cursor = in.readBoolean() ? new SessionKey(in.readLong(), in.readLong()) : null;
            LocalizedCacheTopology t = c.getDistributionManager().getCacheTopology();
            if (!t.getSegmentDistribution(segment).isPrimary()) {
                out.writeByte(CHUNK_MOVED);
                out.writeInt(segment);
                continue;
            }
            List<InternalCacheEntry<SessionKey, Box>> entries = new ArrayList<>();
            Iterator<InternalCacheEntry<SessionKey, Box>> it = segmentEntries(c, t, segment);
            while (it.hasNext()) {
                InternalCacheEntry<SessionKey, Box> e = it.next();
                if (e.getValue() != null && e.getValue().session != null
                        && (cursor == null || compare(e.getKey(), cursor) > 0)) {
                    entries.add(e);
                }
            }
            entries.sort((a, b) -> compare(a.getKey(), b.getKey()));
            int mark = bytes.size();
            SessionKey last = null;
            boolean full = false;
            for (InternalCacheEntry<SessionKey, Box> e : entries) {
                Box b = e.getValue();
                synchronized (b) {
                    Session s = b.session;
                    if (s != null) {
                        out.writeByte(CHUNK_SESSION);
                        OwnerExecutor.write(s, out);
                    }
                }
                last = e.getKey();
                if (bytes.size() >= maxBytes) {
                    full = true;
                    break;
                }
            }
            if (c.getDistributionManager().getCacheTopology().getTopologyId() != t.getTopologyId()) {
                bytes.truncate(mark); // read while the segment may have moved: not trusted, asked again
                out.writeByte(CHUNK_MOVED);
                out.writeInt(segment);
                continue;
            }
            if (full) {
                out.writeByte(CHUNK_FULL);
                out.writeInt(segment);
                out.writeLong(last.hi);
                out.writeLong(last.lo);
                out.flush();
                return bytes.toByteArray();
            }
            out.writeByte(CHUNK_DONE);
            out.writeInt(segment);
        }
        out.writeByte(CHUNK_END);
        out.flush();
        return bytes.toByteArray();
    }

    /** This member's entries of one segment (from the segmented data container; a scan if it is not one). */
    @SuppressWarnings("unchecked")
    private static Iterator<InternalCacheEntry<SessionKey, Box>> segmentEntries(AdvancedCache<SessionKey, Box> c,
            LocalizedCacheTopology t, int segment) {
        DataContainer<SessionKey, Box> d = c.withFlags(Flag.CACHE_MODE_LOCAL).getDataContainer();
        if (d instanceof InternalDataContainer<?, ?> segmented) {
            return ((InternalDataContainer<SessionKey, Box>) segmented).iterator(IntSets.immutableSet(segment));
        }
        List<InternalCacheEntry<SessionKey, Box>> out = new ArrayList<>();
        for (InternalCacheEntry<SessionKey, Box> e : d) {
            if (t.getSegment(e.getKey()) == segment) {
                out.add(e);
            }
        }
        return out.iterator();
    }

    /** A byte array stream that can drop what was written after a mark. */
    private static final class Answer extends ByteArrayOutputStream {
        Answer(int size) {
            super(size);
        }

        void truncate(int size) {
            count = size;
        }
    }
}
