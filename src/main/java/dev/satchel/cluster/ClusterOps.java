package dev.satchel.cluster;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.engine.Command;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Limits;
import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Request;
import dev.satchel.engine.ServerCommands;
import dev.satchel.engine.Session;
import dev.satchel.json.ResponseWriter;
import dev.satchel.persist.Dataset;
import dev.satchel.persist.DatasetJobs;
import dev.satchel.persist.Format;
import dev.satchel.persist.KeySnapshot;
import dev.satchel.persist.PersistException;
import dev.satchel.persist.Persistence;
import dev.satchel.persist.SessionSnapshot;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import dev.satchel.store.KeyValues;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.remoting.transport.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The table-wide commands in cluster mode, run by the member that received them once nothing else of its own is
 * in flight ({@link ClusterRouter}): counts and SH_END_ALL through every member's primary sessions
 * ({@link MemberTask}), and the saves and loads.
 *
 * <p>What a save means in cluster mode: the dataset is written by the member that received the command, to its
 * own persist.path, and holds every session of the cluster (SH_SAVE) or the global key space (KV_SAVE). Each
 * session is copied whole under its owner's lock, so it is consistent by itself; the copies of different
 * sessions are taken one after the other, not at one instant across the cluster; every session that lives
 * through the save is in the file once, whatever moves between members meanwhile ({@link SessionSave}); the
 * sessions are pulled in chunks of at most {@link #SAVE_CHUNK_BYTES}, never a member's whole share in one
 * message. The global key space is saved bucket by bucket ({@code ClusterCommand.SNAPSHOT}, each bucket copied
 * whole under its owner's lock, so one answer is one bucket: about 1/{@link Buckets#COUNT} of the key space), and
 * the entries of all buckets are sorted back into insertion order by their stamps. A load through any member
 * inserts each session at its owner (a session whose token is live is skipped, as standalone).
 */
final class ClusterOps {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterOps.class);
    private static final byte[] F_TOTAL_SESSIONS = field("totalSessions");
    private static final byte[] F_TOTAL_KEYS = field("totalKeys");
    private static final byte[] F_CNT = field("cnt");
    private static final byte[] F_SESSIONS = field("sessions");
    private static final byte[] F_CLUSTER = field("cluster");
    private static final byte[] F_MEMBERS_FIRST = "\"members\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] F_OWNERS = field("owners");
    private static final byte[] F_MEMBER = field("member");
    private static final byte[] F_NAME = field("name");
    private static final byte[] F_DURATION = field("duration");
    private static final byte[] F_KEYS = field("keys");
    /** Sessions a load sends to their owners at once. */
    private static final int LOAD_WINDOW = 256;
    private static final long TASK_TIMEOUT_MILLIS = 120_000;
    /** The bound of one answer of a cluster SH_SAVE: what a save holds besides its snapshot (one chunk at a time). */
    static final int SAVE_CHUNK_BYTES = 512 * 1024;
    /** How long a save waits before it asks again for segments that moved (a rebalance is under way). */
    private static final long RETRY_MILLIS = 50;

    private final ClusterMember member;
    private final ClusterRouter router;
    /** {@link #SAVE_CHUNK_BYTES}; tests set a smaller bound to make many chunks of a small data set. */
    volatile int saveChunkBytes = SAVE_CHUNK_BYTES;
    /**
     * Tests only (null otherwise): called before a save sends its chunk number {@code n} (from 0); the chunk is
     * sent when the returned future completes, so a test can change the cluster between two chunks.
     */
    volatile java.util.function.IntFunction<CompletableFuture<?>> beforeChunk;

    ClusterOps(ClusterMember member, ClusterRouter router) {
        this.member = member;
        this.router = router;
    }

    /** On the loop: starts the command; the future completes with its response. */
    CompletableFuture<byte[]> run(Engine engine, Request r, Command c) {
        long now = System.currentTimeMillis();
        if (!member.ready()) {
            // e.g. the minority side of a partition (degraded caches): its members would count, end, save or load
            // only the sessions whose primaries they still are, a partial answer given as a whole; refuse it as
            // a command on one session is refused there
            return CompletableFuture.completedFuture(router.error(c.responsePrefix(), Status.UNKNOWN,
                    "cluster unavailable: " + member.notReadyReason() + "; try another member"));
        }
        return switch (c.name()) {
            case "SH_INFO_ALL" -> allMembers(MemberTask.INFO, now).thenApply(answers -> {
                long[] t = sum(answers, 3);
                ResponseWriter out = writer();
                out.begin(c.responsePrefix(), Status.OK).raw(F_TOTAL_SESSIONS).number(t[0])
                        .raw(F_TOTAL_KEYS).number(t[1]).end();
                return out.toByteArray();
            });
            case "SV_INFO" -> {
                ServerCommands.InfoFields fields = ServerCommands.InfoFields.of(engine); // on the loop
                yield allMembers(MemberTask.INFO, now).thenApply(answers -> {
                    long[] t = sum(answers, 3);
                    ResponseWriter out = writer();
                    ServerCommands.writeInfo(c, fields, t[0], t[1], t[2], this::writeCluster, out);
                    return out.toByteArray();
                });
            }
            case "SH_END_ALL" -> allMembers(MemberTask.END_ALL, now).thenApply(answers -> {
                long[] t = sum(answers, 1);
                ResponseWriter out = writer();
                out.begin(c.responsePrefix(), Status.OK).raw(F_CNT).number(t[0]).end();
                return out.toByteArray();
            });
            case "SH_SAVE" -> saveSessions(r, c, now);
            case "KV_SAVE" -> saveKeys(r, c);
            case "SH_LOAD" -> load(r, c, Format.KIND_SESSIONS);
            case "KV_LOAD" -> load(r, c, Format.KIND_KEYS);
            default -> CompletableFuture.completedFuture(router.error(c.responsePrefix(), Status.UNKNOWN,
                    c.name() + " is not available in cluster mode"));
        };
    }

    /** SV_INFO's {@code cluster} member: the members in the view, the owners per session, this member. */
    private void writeCluster(ResponseWriter out) {
        out.raw(F_CLUSTER).rawByte('{').raw(F_MEMBERS_FIRST).rawByte('[');
        List<String> members = member.members();
        for (int i = 0; i < members.size(); i++) {
            if (i > 0) {
                out.rawByte(',');
            }
            out.string(members.get(i));
        }
        out.rawByte(']').raw(F_OWNERS).number(member.config().cluster().owners())
                .raw(F_MEMBER).string(member.self()).rawByte('}');
    }

    private ResponseWriter writer() {
        return new ResponseWriter(member.config().tokenFormat());
    }

    /** Runs a task on every member; completes with their answers (fails if one fails). */
    private CompletableFuture<List<byte[]>> allMembers(int op, long now) {
        List<byte[]> answers = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        return member.cacheManager().executor().timeout(TASK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .submitConsumer(new MemberTask(op, now), (address, value, err) -> {
                    synchronized (answers) {
                        if (err != null) {
                            failures.add(err);
                        } else if (value != null) {
                            answers.add(value);
                        }
                    }
                }).thenApply(v -> {
                    synchronized (answers) {
                        if (!failures.isEmpty()) {
                            throw new IllegalStateException(ClusterMember.rootMessage(failures.get(0)));
                        }
                        return answers;
                    }
                });
    }

    /** Sums the first {@code n} longs of each answer. */
    private static long[] sum(List<byte[]> answers, int n) {
        long[] t = new long[n];
        for (byte[] a : answers) {
            if (a.length < 8 * n) {
                continue; // a member that holds nothing
            }
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(a));
            try {
                for (int i = 0; i < n; i++) {
                    t[i] += in.readLong();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return t;
    }

    // ---- saves and loads ----

    private Persistence persistence() {
        return member.persistence();
    }

    private byte[] failure(Command c, Throwable t) {
        PersistException e = Persistence.cause(t);
        if (e.status() == Status.UNKNOWN) {
            LOG.error("{} failed", c.name(), e.getCause());
        } else {
            LOG.warn("{} failed: {}", c.name(), e.getMessage());
        }
        return router.error(c.responsePrefix(), e.status(), e.getMessage());
    }

    /** The dataset name of a save or load. */
    private static String datasetName(Request r) {
        return r instanceof Request.Tokens t ? t.name() : ((Request.Named) r).name();
    }

    private CompletableFuture<byte[]> saveSessions(Request r, Command c, long now) {
        Persistence p = persistence();
        String name = datasetName(r);
        if (!p.tryBeginSave(name)) {
            return CompletableFuture.completedFuture(router.error(c.responsePrefix(), Status.SAVE_ERROR,
                    "a save of dataset '" + name + "' is already in progress"));
        }
        long t0 = System.nanoTime();
        Set<SessionKey> only = null;
        if (r instanceof Request.Tokens t && t.listed()) {
            only = new HashSet<>();
            for (int i = 0; i < t.count(); i++) {
                if (t.valid(i)) {
                    only.add(new SessionKey(t.hi(i), t.lo(i)));
                }
            }
        }
        SessionSave save = new SessionSave(only, now);
        CompletableFuture<byte[]> result = save.run().thenCompose(snap -> {
            return p.saveSessions(name, snap, System.currentTimeMillis()).thenApply(saved -> {
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                LOG.info("saved dataset '{}' from the cluster: {} sessions, {} keys, {} bytes in {} ms to {} ({} chunks;"
                        + " segments asked again after they moved: {}, chunks that failed and were asked again: {})",
                        name, snap.count(), snap.keys(), saved.bytes(), ms, saved.file(), save.chunks, save.moved,
                        save.failed);
                ResponseWriter out = writer();
                out.begin(c.responsePrefix(), Status.SAVE_COMPLETE).raw(F_NAME).string(name)
                        .raw(F_DURATION).number(ms).end();
                return out.toByteArray();
            });
        });
        return result.handle((bytes, err) -> {
            if (err != null) {
                p.cancelSave(name);
                return failure(c, err);
            }
            return bytes;
        });
    }

    /**
     * Collects every session of the cluster (or the listed ones) into a {@link SessionSnapshot}, the standalone
     * save's in-memory form, in bounded chunks: segment by segment in ascending order, each asked of its primary
     * owner ({@link MemberTask#SAVE_CHUNK}) from a cursor (the last token saved of it) until the member answers
     * it done. One task is in flight at a time, never on the command loop or a Netty thread: each answer is
     * decoded into the snapshot on a pool thread, then the next chunk is sent. The heap this adds to the snapshot is one
     * answer ({@link #SAVE_CHUNK_BYTES} plus at most one session), whatever the data set's size.
     *
     * <p>A rebalance during the save: a segment's chunks come in token order from whichever member is its
     * primary owner when each is asked, and a member answers a segment only while it is its primary owner (a
     * read owner, which holds all of it) for the whole read; a segment that moved is asked again of its new
     * primary from the same cursor. So every session that lives through the save is written exactly once, and a
     * session created or ended during it is written at most once. A member that fails or leaves mid-chunk is
     * retried the same way; the save fails only when no chunk made progress for {@link #TASK_TIMEOUT_MILLIS}.
     */
    private final class SessionSave {
        final SessionSnapshot snap = new SessionSnapshot();
        final Set<SessionKey> wanted;
        final long now;
        /** Segments still to ask (ascending), with their cursors (null: from the start). */
        final java.util.TreeMap<Integer, SessionKey> pending = new java.util.TreeMap<>();
        final CompletableFuture<SessionSnapshot> done = new CompletableFuture<>();
        long lastProgress = System.nanoTime();
        int sent;
        /** Answers taken, segments answered "moved", chunks that failed (each asked again). */
        int chunks;
        int moved;
        int failed;
        final int[] segments = new int[ClusterMember.SEGMENTS];
        final SessionKey[] cursors = new SessionKey[ClusterMember.SEGMENTS];

        SessionSave(Set<SessionKey> wanted, long now) {
            this.wanted = wanted;
            this.now = now;
            LocalizedCacheTopology t = member.sessionsCache().getDistributionManager().getCacheTopology();
            if (wanted == null) {
                for (int s = 0; s < ClusterMember.SEGMENTS; s++) {
                    pending.put(s, null);
                }
            } else {
                for (SessionKey k : wanted) {
                    pending.put(t.getSegment(k), null); // only the segments that may hold a listed session
                }
            }
        }

        /** Starts the save off the calling thread (the command loop). */
        CompletableFuture<SessionSnapshot> run() {
            CompletableFuture.runAsync(this::next);
            return done;
        }

        /** Asks the primary owner of the first pending segment for it and every other pending segment it owns. */
        void next() {
            if (pending.isEmpty()) {
                done.complete(snap);
                return;
            }
            java.util.function.IntFunction<CompletableFuture<?>> hook = beforeChunk;
            if (hook != null) {
                hook.apply(sent++).whenComplete((v, e) -> send());
            } else {
                send();
            }
        }

        private void send() {
            try {
                sendChunk();
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
            }
        }

        private void sendChunk() {
            LocalizedCacheTopology t = member.sessionsCache().getDistributionManager().getCacheTopology();
            Address target = t.getSegmentDistribution(pending.firstKey()).primary();
            int n = 0;
            for (Map.Entry<Integer, SessionKey> e : pending.entrySet()) {
                if (target.equals(t.getSegmentDistribution(e.getKey()).primary())) {
                    segments[n] = e.getKey();
                    cursors[n++] = e.getValue();
                }
            }
            MemberTask task = new MemberTask(MemberTask.SAVE_CHUNK, now,
                    MemberTask.saveChunkArgs(saveChunkBytes, segments, cursors, n));
            CompletableFuture<byte[]> answer = new CompletableFuture<>();
            member.cacheManager().executor().filterTargets(List.of(target))
                    .timeout(ClusterMember.REMOTE_TIMEOUT_MILLIS * 4, TimeUnit.MILLISECONDS)
                    .submitConsumer(task, (address, value, err) -> {
                        if (err != null) {
                            answer.completeExceptionally(err);
                        } else {
                            answer.complete(value);
                        }
                    }).whenComplete((v, err) -> {
                        if (err != null) {
                            answer.completeExceptionally(err); // no answer at all (e.g. the target left)
                        }
                    });
            answer.whenCompleteAsync((bytes, err) -> { // decoded off Infinispan's non-blocking threads
                boolean progress;
                try {
                    progress = err == null && bytes != null && take(bytes);
                } catch (RuntimeException | Error e) {
                    done.completeExceptionally(e);
                    return;
                }
                if (progress) {
                    lastProgress = System.nanoTime();
                    next();
                    return;
                }
                long stalled = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastProgress);
                if (stalled > TASK_TIMEOUT_MILLIS) {
                    done.completeExceptionally(new IllegalStateException("the save made no progress for " + stalled
                            + " ms" + (err != null ? ": " + ClusterMember.rootMessage(err) : "")));
                    return;
                }
                if (err != null) {
                    failed++;
                    LOG.debug("a save chunk from {} failed, asking again: {}", target, ClusterMember.rootMessage(err));
                }
                // the segments moved (or the member is gone): ask again once the topology has settled a little
                CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS).execute(this::next);
            });
        }

        /** Decodes one answer into the snapshot and the pending segments; true if it moved anything on. */
        boolean take(byte[] bytes) {
            member.stats().saveChunk(bytes.length);
            chunks++;
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            boolean progress = false;
            try {
                while (true) {
                    byte tag = in.readByte();
                    switch (tag) {
                        case MemberTask.CHUNK_SESSION -> {
                            Session s = OwnerExecutor.read(in);
                            if (wanted == null || wanted.contains(new SessionKey(s.tokenHi(), s.tokenLo()))) {
                                DatasetJobs.capture(snap, s, now);
                            }
                        }
                        case MemberTask.CHUNK_DONE -> {
                            pending.remove(in.readInt());
                            progress = true;
                        }
                        case MemberTask.CHUNK_MOVED -> { // stays pending, asked of its new primary
                            in.readInt();
                            moved++;
                        }
                        case MemberTask.CHUNK_FULL -> {
                            pending.put(in.readInt(), new SessionKey(in.readLong(), in.readLong()));
                            return true;
                        }
                        case MemberTask.CHUNK_END -> {
                            return progress;
                        }
                        default -> throw new IllegalStateException("unknown save chunk record " + tag);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private CompletableFuture<byte[]> saveKeys(Request r, Command c) {
        Persistence p = persistence();
        String name = datasetName(r);
        if (!p.tryBeginSave(name)) {
            return CompletableFuture.completedFuture(router.error(c.responsePrefix(), Status.SAVE_ERROR,
                    "a save of dataset '" + name + "' is already in progress"));
        }
        long t0 = System.nanoTime();
        return allBuckets(ClusterCommand.SNAPSHOT, null, c).thenCompose(answers -> {
            List<GlobalParts.Stamped> all = new ArrayList<>();
            for (byte[] a : answers) {
                if (a.length > 0 && a[0] == '{') {
                    return CompletableFuture.completedFuture(a); // an error answer (timeout, partition)
                }
                try {
                    GlobalParts.readStamped(a, all);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            all.sort(null); // insertion order across the buckets, as a standalone server saves it
            KeyValues kv = new KeyValues();
            for (GlobalParts.Stamped e : all) {
                kv.put(e.bytes());
            }
            KeySnapshot snap = kv.size() == 0 ? new KeySnapshot(null, 0, 0)
                    : new KeySnapshot(kv.freeze(), kv.end(), kv.size());
            return p.saveKeys(name, snap, System.currentTimeMillis()).thenApply(saved -> {
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                LOG.info("saved dataset '{}' from the cluster: {} keys, {} bytes in {} ms to {}", name,
                        snap.keyCount(), saved.bytes(), ms, saved.file());
                ResponseWriter out = writer();
                out.begin(c.responsePrefix(), Status.SAVE_COMPLETE).raw(F_NAME).string(name)
                        .raw(F_DURATION).number(ms).end();
                return out.toByteArray();
            });
        }).handle((bytes, err) -> {
            if (err != null) {
                p.cancelSave(name);
                return failure(c, err);
            }
            if (bytes.length > 0 && GlobalParts.status(bytes) != Status.SAVE_COMPLETE.code()) {
                p.cancelSave(name);
            }
            return bytes;
        });
    }

    /**
     * One command per bucket of the global key space ({@code messages}: per bucket, or null for none), queued and
     * batched per primary owner by the router; completes with the answers in bucket order.
     */
    private CompletableFuture<List<byte[]>> allBuckets(int op, byte[][] messages, Command c) {
        List<CompletableFuture<byte[]>> sent = new ArrayList<>(Buckets.COUNT);
        for (int b = 0; b < Buckets.COUNT; b++) {
            if (messages != null && messages[b] == null) {
                continue;
            }
            sent.add(router.sendBucket(b, op, messages == null ? null : messages[b], c));
        }
        return CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).thenApply(v -> {
            List<byte[]> answers = new ArrayList<>(sent.size());
            for (CompletableFuture<byte[]> f : sent) {
                answers.add(f.join());
            }
            return answers;
        });
    }

    /**
     * The up-front limit check of a KV_* write over several buckets ({@code ClusterRouter}): each member that would
     * hold a copy of a part is checked, on its own limits.maxStoredBytes and holdings (its {@link MemberTask#BUDGET}
     * answer), for the key and value bytes of the parts it would hold, every key counted as new (as for loads: a
     * write that overwrites keys near the limit is refused where a standalone server, which looks the keys up,
     * could admit it). Completes with the {@code m} of the 170 that refuses the whole write, or null.
     */
    CompletableFuture<String> writeProblem(GlobalParts parts) {
        Map<String, Long> adds = new HashMap<>();
        LocalizedCacheTopology t = member.globalsCache().getDistributionManager().getCacheTopology();
        for (int p = 0; p < parts.buckets.length; p++) {
            long bytes = parts.partBytes(p);
            for (Address a : t.getDistribution(Buckets.key(parts.buckets[p])).writeOwners()) {
                adds.merge(a.toString(), bytes, Long::sum);
            }
        }
        return allMembers(MemberTask.BUDGET, 0).thenApply(held -> {
            for (byte[] answer : held) {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer));
                try {
                    Long add = adds.get(in.readUTF());
                    in.readLong(); // sessions
                    long storedNow = in.readLong();
                    int maxSessions = (int) in.readLong();
                    int maxKeys = (int) in.readLong();
                    long maxStored = in.readLong();
                    if (add != null && add > 0 && add > maxStored - storedNow) {
                        return new Limits(maxSessions, maxKeys, maxStored, Integer.MAX_VALUE).storedBytes.message();
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return null;
        });
    }

    private CompletableFuture<byte[]> load(Request r, Command c, int kind) {
        String name = datasetName(r);
        long t0 = System.nanoTime();
        return persistence().load(name, kind).thenCompose(d -> allMembers(MemberTask.BUDGET, 0).thenCompose(held -> {
            String problem = limitProblem(d, held);
            if (problem != null) {
                d.release(0, d.count());
                return CompletableFuture.completedFuture(router.error(c.responsePrefix(), Status.LIMIT_EXCEEDED,
                        problem));
            }
            return kind == Format.KIND_SESSIONS ? loadSessions(d, c, name, t0) : loadKeys(d, c, name, t0);
        })).handle((bytes, err) -> err != null ? failure(c, err) : bytes);
    }

    /**
     * The limits of a load, per member as for commands (limits.maxSessions and limits.maxStoredBytes bound what
     * one member holds, primary and backup copies): every member that would hold a copy of a loaded session (or
     * of the global key space) is checked, as a standalone server checks a load, on what the load would add to it
     * ({@code held}: each member's {@link MemberTask#BUDGET} answer). Conservative as standalone: tokens in use and
     * keys that would be overwritten count as new. Returns the {@code m} of the 170 that refuses the whole load
     * before anything is inserted, or null.
     */
    private String limitProblem(Dataset d, List<byte[]> held) {
        Map<String, long[]> adds = new HashMap<>(); // address -> {sessions, bytes, largest}
        LocalizedCacheTopology sessions = member.sessionsCache()
                .getDistributionManager().getCacheTopology();
        if (d.holdsSessions()) {
            for (int i = 0; i < d.count(); i++) {
                KeyValues store = d.store(i);
                long bytes = store == null ? 0 : store.storedBytes();
                long keys = store == null ? 0 : store.size();
                for (Address a : sessions.getDistribution(
                        new SessionKey(d.tokenHi(i), d.tokenLo(i))).writeOwners()) {
                    long[] t = adds.computeIfAbsent(a.toString(), k -> new long[3]);
                    t[0]++;
                    t[1] += bytes;
                    t[2] = Math.max(t[2], keys);
                }
            }
        } else {
            long[] bytes = new long[Buckets.COUNT];
            for (int i = 0; i < d.count(); i++) {
                byte[] e = d.entry(i);
                bytes[Buckets.of(Entry.key(e))] += e.length;
            }
            LocalizedCacheTopology globals = member.globalsCache().getDistributionManager().getCacheTopology();
            for (int b = 0; b < Buckets.COUNT; b++) {
                if (bytes[b] == 0) {
                    continue;
                }
                for (Address a : globals.getDistribution(Buckets.key(b)).writeOwners()) {
                    adds.computeIfAbsent(a.toString(), k -> new long[3])[1] += bytes[b];
                }
            }
        }
        for (byte[] answer : held) {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer));
            try {
                long[] add = adds.get(in.readUTF());
                long sessionsNow = in.readLong();
                long storedNow = in.readLong();
                Limits limits = new Limits((int) in.readLong(),
                        (int) in.readLong(), in.readLong(), Integer.MAX_VALUE);
                if (add != null) {
                    String problem = limits.loadProblem(add[0], sessionsNow, add[1], storedNow, add[2]);
                    if (problem != null) {
                        return problem;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return null;
    }

    private CompletableFuture<byte[]> loadSessions(Dataset d, Command c, String name, long t0) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        long[] counts = new long[2];
        loadWindow(d, c, 0, counts, result, name, t0);
        return result;
    }

    /** Sends sessions {@code [from, from + LOAD_WINDOW)} to their owners, then the next window. */
    private void loadWindow(Dataset d, Command c, int from, long[] counts, CompletableFuture<byte[]> result,
            String name, long t0) {
        int to = Math.min(d.count(), from + LOAD_WINDOW);
        if (from >= to) {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            LOG.info("loaded dataset '{}' into the cluster: {} sessions, {} keys in {} ms{}", name, counts[0],
                    counts[1], ms, counts[0] < d.count() ? " (" + (d.count() - counts[0]) + " skipped: token in use)"
                            : "");
            ResponseWriter out = writer();
            out.begin(c.responsePrefix(), Status.LOAD_COMPLETE).raw(F_NAME).string(name)
                    .raw(F_SESSIONS).number(counts[0]).raw(F_KEYS).number(counts[1]).end();
            result.complete(out.toByteArray());
            return;
        }
        long now = System.currentTimeMillis();
        List<CompletableFuture<byte[]>> sent = new ArrayList<>();
        int[] keys = new int[to - from];
        for (int i = from; i < to; i++) {
            int f = d.flags(i);
            KeyValues store = d.store(i);
            keys[i - from] = store == null ? 0 : store.size();
            Session s = OwnerExecutor.loadedSession(d.tokenHi(i), d.tokenLo(i), d.name(i), (f & Format.SHARED) != 0,
                    d.durationMillis(i), (f & Format.DELETE_SESSION) != 0, (f & Format.EXTEND_ON_SET_ADD) != 0,
                    (f & Format.EXTEND_ON_GET) != 0, d.remainingMillis(i), store, now);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                OwnerExecutor.write(s, new DataOutputStream(bytes));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sent.add(router.sendOne(new SessionKey(d.tokenHi(i), d.tokenLo(i)), false,
                    new ClusterCommand(ClusterCommand.LOAD, member.nextId(), now, bytes.toByteArray()), c));
        }
        d.release(from, to);
        CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) -> {
            for (int i = 0; i < sent.size(); i++) {
                byte[] b = sent.get(i).join();
                if (b.length != 1) {
                    result.complete(b); // an error answer (timeout, partition): the load stops with it
                    return;
                }
                if (b[0] == 1) {
                    counts[0]++;
                    counts[1] += keys[i];
                }
            }
            loadWindow(d, c, to, counts, result, name, t0);
        });
    }

    /**
     * KV_LOAD: the dataset's entries go to their buckets, one PUT_ALL per bucket (batched per primary owner), each
     * entry stamped in file order so that the loaded keys keep the dataset's order (KV_KEYS, a later KV_SAVE).
     */
    private CompletableFuture<byte[]> loadKeys(Dataset d, Command c, String name, long t0) {
        int n = d.count();
        long stamp = router.stamps(n);
        ByteArrayOutputStream[] bytes = new ByteArrayOutputStream[Buckets.COUNT];
        DataOutputStream[] outs = new DataOutputStream[Buckets.COUNT];
        int[] counts = new int[Buckets.COUNT];
        try {
            for (int i = 0; i < n; i++) {
                byte[] e = d.entry(i);
                int b = Buckets.of(Entry.key(e));
                if (outs[b] == null) {
                    bytes[b] = new ByteArrayOutputStream();
                    outs[b] = new DataOutputStream(bytes[b]);
                    outs[b].writeInt(0); // the count, set below
                }
                counts[b]++;
                outs[b].writeLong(stamp + i);
                outs[b].writeInt(e.length);
                outs[b].write(e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        d.release(0, n);
        byte[][] messages = new byte[Buckets.COUNT][];
        for (int b = 0; b < Buckets.COUNT; b++) {
            if (outs[b] != null) {
                messages[b] = bytes[b].toByteArray();
                java.nio.ByteBuffer.wrap(messages[b]).putInt(0, counts[b]);
            }
        }
        return allBuckets(ClusterCommand.PUT_ALL, messages, c).thenApply(answers -> {
            for (byte[] b : answers) {
                if (b.length != 1) {
                    return b; // an error answer (timeout, partition)
                }
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            LOG.info("loaded dataset '{}' into the cluster: {} keys in {} ms", name, n, ms);
            ResponseWriter out = writer();
            out.begin(c.responsePrefix(), Status.LOAD_COMPLETE).raw(F_NAME).string(name)
                    .raw(F_KEYS).number(n).raw(F_SESSIONS).number(0).raw(F_DURATION).number(ms).end();
            return out.toByteArray();
        });
    }
}
