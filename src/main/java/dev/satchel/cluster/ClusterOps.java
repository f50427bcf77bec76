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
 * sessions are taken one after the other, not at one instant across the cluster. A load through any member
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

    private final ClusterMember member;
    private final ClusterRouter router;

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
        Set<SessionKey> wanted = only;
        CompletableFuture<byte[]> result = allMembers(MemberTask.SNAPSHOT, now).thenCompose(answers -> {
            SessionSnapshot snap = new SessionSnapshot();
            for (int m = 0; m < answers.size(); m++) {
                byte[] a = answers.get(m);
                answers.set(m, null); // decoded once: the heap holds the snapshot and one member's answer at most
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(a));
                try {
                    while (a.length > 0 && in.readBoolean()) {
                        Session s = OwnerExecutor.read(in);
                        if (wanted == null || wanted.contains(new SessionKey(s.tokenHi(), s.tokenLo()))) {
                            DatasetJobs.capture(snap, s, now);
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return p.saveSessions(name, snap, System.currentTimeMillis()).thenApply(saved -> {
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                LOG.info("saved dataset '{}' from the cluster: {} sessions, {} keys, {} bytes in {} ms to {}", name,
                        snap.count(), snap.keys(), saved.bytes(), ms, saved.file());
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

    private CompletableFuture<byte[]> saveKeys(Request r, Command c) {
        Persistence p = persistence();
        String name = datasetName(r);
        if (!p.tryBeginSave(name)) {
            return CompletableFuture.completedFuture(router.error(c.responsePrefix(), Status.SAVE_ERROR,
                    "a save of dataset '" + name + "' is already in progress"));
        }
        long t0 = System.nanoTime();
        return router.sendOne(SessionKey.GLOBAL, true, new ClusterCommand(ClusterCommand.SNAPSHOT, 0,
                System.currentTimeMillis(), null), c).thenCompose(bytes -> {
                    KeyValues kv;
                    try {
                        kv = OwnerExecutor.readStore(new DataInputStream(new ByteArrayInputStream(bytes)));
                    } catch (IOException e) {
                        // an error answer from the router (timeout, partition): pass it on
                        return CompletableFuture.completedFuture(bytes);
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
                    return bytes;
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
            long bytes = 0;
            for (int i = 0; i < d.count(); i++) {
                bytes += d.entry(i).length;
            }
            for (Address a : member.globalsCache().getDistributionManager()
                    .getCacheTopology().getDistribution(SessionKey.GLOBAL).writeOwners()) {
                adds.computeIfAbsent(a.toString(), k -> new long[3])[1] += bytes;
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

    private CompletableFuture<byte[]> loadKeys(Dataset d, Command c, String name, long t0) {
        KeyValues all = new KeyValues();
        for (int i = 0; i < d.count(); i++) {
            all.put(d.entry(i));
        }
        d.release(0, d.count());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            OwnerExecutor.writeStore(all, new DataOutputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int n = d.count();
        return router.sendOne(SessionKey.GLOBAL, true, new ClusterCommand(ClusterCommand.PUT_ALL, member.nextId(),
                System.currentTimeMillis(), bytes.toByteArray()), c).thenApply(b -> {
                    if (b.length != 1) {
                        return b;
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
