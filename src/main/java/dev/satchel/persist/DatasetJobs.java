package dev.satchel.persist;

import dev.satchel.json.ResponseWriter;

import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Request;
import dev.satchel.engine.Session;
import dev.satchel.engine.Snapshots;
import dev.satchel.spec.Status;
import dev.satchel.store.KeyValues;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saving and loading datasets with the command loop: the one path behind SH_SAVE, SH_LOAD, KV_SAVE, KV_LOAD
 * ({@link PersistCommands}), the start-up load and the shutdown save (file format in docs/persistence.md).
 *
 * <p>A save takes a consistent snapshot on the loop: per session a small record and a reference to its
 * store's entry array, which {@link KeyValues#freeze} makes copy-on-write; nothing is copied per key. A snapshot
 * of every session is taken in slices of at most {@link #CAPTURE_SLICE_NANOS} ({@link Snapshots}). The
 * {@link Persistence} threads encode, write and fsync, while the loop serves everyone else.
 *
 * <p>A load reads, verifies and decodes the file off the loop (session stores are built there too); the loop
 * then inserts the decoded records in slices of at most {@link #APPLY_SLICE_NANOS}, re-queueing itself
 * between slices so other clients' commands run in between.
 */
public final class DatasetJobs {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetJobs.class);
    /** Longest a load keeps the loop busy in one go before letting other work run. */
    static final long APPLY_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Longest a save's snapshot keeps the loop busy in one go. */
    static final long CAPTURE_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private DatasetJobs() {
    }


    /** What a load inserted. */
    public record Loaded(boolean sessions, long count, long keys, long millis) {
    }

    /** A durable save: sessions (0 for a key dataset), keys, file size, time, and the longest snapshot slice. */
    public record Saved(long sessions, long keys, long bytes, long millis, double longestSliceMillis) {
    }

    /**
     * Saves every session as dataset {@code name} (the shutdown save), through the same path as SH_SAVE.
     * Call off the loop; waits for a running save of the same dataset first.
     */
    public static CompletableFuture<Saved> saveAllSessions(Persistence persistence, CommandLoop loop, String name) {
        persistence.awaitSave(name);
        CompletableFuture<Saved> result = new CompletableFuture<>();
        loop.submit((engine, out) -> {
            if (!persistence.tryBeginSave(name)) {
                result.completeExceptionally(new PersistException(Status.SAVE_ERROR,
                        "a save of dataset '" + name + "' is already in progress"));
                return;
            }
            try {
                saveSessions(engine, persistence, loop, name, null).whenComplete((s, e) -> {
                    if (e != null) {
                        result.completeExceptionally(Persistence.cause(e));
                    } else {
                        result.complete(s);
                    }
                });
            } catch (RuntimeException | Error e) {
                result.completeExceptionally(e);
                throw e;
            }
        });
        return result;
    }

    /**
     * Loads dataset {@code name} of either kind (the start-up load) through the same path as SH_LOAD and
     * KV_LOAD. Completes when every record is inserted, or exceptionally with a {@link PersistException}.
     */
    public static CompletableFuture<Loaded> load(Persistence persistence, CommandLoop loop, String name) {
        return loadAndApply(persistence, loop, name, 0);
    }

    /**
     * On the loop, after {@link Persistence#tryBeginSave}: snapshots the sessions (the live ones among
     * {@code listed}'s tokens, or all of them when it is null) and then writes them. The snapshot of all sessions is taken in slices of
     * at most {@link #CAPTURE_SLICE_NANOS} (see {@link Snapshots}); it stands for this instant.
     */
    static CompletableFuture<Saved> saveSessions(Engine engine, Persistence persistence, CommandLoop loop,
            String name, Request.Tokens listed) {
        long t0 = System.nanoTime();
        long savedAt = System.currentTimeMillis();
        CompletableFuture<SessionSnapshot> captured;
        SliceTimes times = new SliceTimes();
        try {
            if (listed != null) {
                captured = CompletableFuture.completedFuture(snapshotSome(engine, listed)); // bounded by the request
                times.add(System.nanoTime() - t0);
            } else {
                captured = snapshotAll(engine, loop, t0, times);
            }
        } catch (RuntimeException | Error e) {
            persistence.cancelSave(name);
            throw e;
        }
        captured.whenComplete((snap, e) -> {
            if (e != null) {
                persistence.cancelSave(name); // the snapshot failed (logged by the loop): nothing to write
            }
        });
        return captured.thenCompose(snap -> persistence.saveSessions(name, snap, savedAt).thenApply(s -> {
            Saved saved = new Saved(snap.count(), snap.keys(), s.bytes(), elapsedMillis(t0), times.longest / 1e6);
            LOG.info("saved dataset '{}': {} sessions, {} keys, {} bytes in {} ms (snapshot: {} ms on the loop in {}"
                    + " slices, first {} ms, longest {} ms) to {}", name, saved.sessions(), saved.keys(), saved.bytes(),
                    saved.millis(), String.format("%.1f", times.total / 1e6), times.slices,
                    String.format("%.1f", times.first / 1e6), String.format("%.1f", times.longest / 1e6), s.file());
            return saved;
        }));
    }

    /** Loop time spent on one snapshot. */
    static final class SliceTimes {
        long total;
        long longest;
        long first;
        int slices;

        void add(long nanos) {
            if (slices == 0) {
                first = nanos;
            }
            total += nanos;
            longest = Math.max(longest, nanos);
            slices++;
        }
    }

    /** On the loop, after {@link Persistence#tryBeginSave}: snapshots the global key space and writes it. */
    static CompletableFuture<Saved> saveKeys(Engine engine, Persistence persistence, String name) {
        long t0 = System.nanoTime();
        KeyValues global = engine.global();
        KeySnapshot snap = global.size() == 0 ? new KeySnapshot(null, 0, 0)
                : new KeySnapshot(global.freeze(), global.end(), global.size());
        double snapMillis = (System.nanoTime() - t0) / 1e6;
        return persistence.saveKeys(name, snap, System.currentTimeMillis()).thenApply(s -> {
            Saved saved = new Saved(0, snap.keyCount(), s.bytes(), elapsedMillis(t0), snapMillis);
            LOG.info("saved dataset '{}': {} keys, {} bytes in {} ms to {}", name, saved.keys(), saved.bytes(),
                    saved.millis(), s.file());
            return saved;
        });
    }

    private static long elapsedMillis(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /**
     * Every session as of now: the first slice runs here, later ones as loop tasks queued behind whatever
     * else is waiting. Sessions past their deadline are handled as if expired.
     */
    static CompletableFuture<SessionSnapshot> snapshotAll(Engine engine, CommandLoop loop, long t0,
            SliceTimes times) {
        SessionSnapshot snap = new SessionSnapshot();
        long now = engine.now();
        Snapshots.Capture capture = engine.snapshots().beginCapture(s -> capture(snap, s, now));
        CaptureSlices slices = new CaptureSlices(capture, loop, snap, times);
        slices.slice(engine, t0); // the reference pass above counts towards the first slice
        return slices.done;
    }

    /** Continues a snapshot one slice per loop turn until it is complete. */
    private static final class CaptureSlices implements CommandLoop.Task {
        final Snapshots.Capture capture;
        final CommandLoop loop;
        final SessionSnapshot snap;
        final SliceTimes times;
        final CompletableFuture<SessionSnapshot> done = new CompletableFuture<>();

        CaptureSlices(Snapshots.Capture capture, CommandLoop loop, SessionSnapshot snap, SliceTimes times) {
            this.capture = capture;
            this.loop = loop;
            this.snap = snap;
            this.times = times;
        }

        @Override
        public void run(Engine engine, ResponseWriter out) {
            slice(engine, System.nanoTime());
        }

        void slice(Engine engine, long start) {
            boolean complete;
            try {
                complete = engine.snapshots().continueCapture(capture, start + CAPTURE_SLICE_NANOS);
            } catch (RuntimeException | Error e) {
                engine.snapshots().abandonCapture(capture);
                done.completeExceptionally(e);
                throw e;
            }
            times.add(System.nanoTime() - start);
            if (complete) {
                done.complete(snap);
            } else {
                loop.submit(this); // let queued commands run, then go on
            }
        }
    }

    /** The live sessions among {@code r}'s tokens, each once; tokens of no live session are left out. */
    static SessionSnapshot snapshotSome(Engine engine, Request.Tokens r) {
        SessionSnapshot snap = new SessionSnapshot();
        Set<Session> seen = r.count() > 1 ? Collections.newSetFromMap(new IdentityHashMap<>()) : null;
        for (int i = 0; i < r.count(); i++) {
            Session s = engine.find(r.hi(i), r.lo(i)); // expires it first if its deadline has passed
            if (s != null && (seen == null || seen.add(s))) {
                capture(snap, s, engine.now());
            }
        }
        return snap;
    }

    /**
     * Adds one session to a snapshot without changing it (a snapshot may be taken while the table is
     * iterated, and must not depend on {@code ended}: see {@link Snapshots}). A session past its
     * deadline is what expiry would make of it: left out if expiry ends it, else saved without data and with
     * the time left in its current period. Cluster mode's saves use the same rule.
     */
    public static void capture(SessionSnapshot snap, Session s, long now) {
        KeyValues kv = s.data();
        long remaining = 0;
        int flags = s.shared() ? Format.SHARED : 0;
        long d = s.durationMillis();
        if (d > 0) {
            long deadline = s.deadline();
            long left = deadline - now;
            if (left <= 0) {
                if (s.deleteSession()) {
                    return;
                }
                kv = null;
                left = deadline + ((now - deadline) / d + 1) * d - now;
            }
            remaining = left;
            flags |= Format.EXPIRES | (s.deleteSession() ? Format.DELETE_SESSION : 0)
                    | (s.extendOnSetAdd() ? Format.EXTEND_ON_SET_ADD : 0)
                    | (s.extendOnGet() ? Format.EXTEND_ON_GET : 0);
        }
        if (kv == null || kv.size() == 0) {
            snap.add(s.tokenHi(), s.tokenLo(), s.name(), flags, d, remaining, null, 0, 0);
        } else {
            snap.add(s.tokenHi(), s.tokenLo(), s.name(), flags, d, remaining, kv.freeze(), kv.end(), kv.size());
        }
    }

    /** Reads off the loop, then inserts on the loop in slices. {@code kind} 0 accepts either kind. */
    static CompletableFuture<Loaded> loadAndApply(Persistence persistence, CommandLoop loop, String name, int kind) {
        long t0 = System.nanoTime();
        CompletableFuture<Loaded> result = new CompletableFuture<>();
        persistence.load(name, kind).whenComplete((dataset, e) -> {
            if (e != null) {
                result.completeExceptionally(Persistence.cause(e));
                return;
            }
            long readMillis = elapsedMillis(t0);
            CompletableFuture<long[]> applied = new CompletableFuture<>();
            loop.submit(withinLimits(dataset, new Apply(dataset, loop, applied), result));
            applied.whenComplete((counts, failure) -> {
                if (failure != null) {
                    LOG.error("inserting dataset '{}' failed", name, failure);
                    result.completeExceptionally(new PersistException(Status.UNKNOWN,
                            "internal error (logged by the server)", failure));
                    return;
                }
                long sessions = counts[0];
                long keys = counts[1];
                Loaded loaded = new Loaded(dataset.holdsSessions(), sessions, keys, elapsedMillis(t0));
                LOG.info("loaded dataset '{}' from {}: {} {}{} in {} ms ({} ms reading and decoding)", name,
                        dataset.file(), dataset.holdsSessions() ? sessions : keys,
                        dataset.holdsSessions() ? "sessions, " + keys + " keys" : "keys",
                        dataset.holdsSessions() && sessions < dataset.count()
                                ? " (" + (dataset.count() - sessions) + " skipped: token or shared name in use)" : "",
                        loaded.millis(), readMillis);
                result.complete(loaded);
            });
        });
        return result;
    }

    /**
     * Off the loop: the dataset's totals; on the loop: refuses the whole load with 170 if the server's limits
     * (sessions, keys per session, stored bytes) could not hold it on top of the current data, else applies it.
     */
    private static CommandLoop.Task withinLimits(Dataset d, Apply apply, CompletableFuture<Loaded> result) {
        long bytes = 0;
        long largest = 0;
        for (int i = 0, n = d.count(); i < n; i++) {
            if (d.holdsSessions()) {
                KeyValues store = d.store(i);
                if (store != null) {
                    bytes += store.storedBytes();
                    largest = Math.max(largest, store.size());
                }
            } else {
                bytes += d.entry(i).length;
            }
        }
        long sessions = d.holdsSessions() ? d.count() : 0;
        long totalBytes = bytes;
        long largestStore = largest;
        return (engine, out) -> {
            String problem = engine.loadProblem(sessions, totalBytes, largestStore);
            if (problem != null) {
                result.completeExceptionally(new PersistException(Status.LIMIT_EXCEEDED, problem));
                return;
            }
            apply.run(engine, out);
        };
    }

    /** Inserts a decoded dataset on the loop, one time slice per turn. */
    private static final class Apply implements CommandLoop.Task {
        private final Dataset d;
        private final CommandLoop loop;
        private final CompletableFuture<long[]> done;
        private int next;
        private long sessions;
        private long keys;

        Apply(Dataset d, CommandLoop loop, CompletableFuture<long[]> done) {
            this.d = d;
            this.loop = loop;
            this.done = done;
        }

        @Override
        public void run(Engine engine, ResponseWriter out) {
            try {
                slice(engine);
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e); // never leave the client waiting
                throw e;
            }
        }

        private void slice(Engine engine) {
            long stopAt = System.nanoTime() + APPLY_SLICE_NANOS;
            int n = d.count();
            while (next < n) {
                int from = next;
                int to = Math.min(n, from + 512);
                if (d.holdsSessions()) {
                    for (int i = from; i < to; i++) {
                        int f = d.flags(i);
                        Session s = engine.restore(d.tokenHi(i), d.tokenLo(i), d.name(i), (f & Format.SHARED) != 0,
                                d.durationMillis(i), (f & Format.DELETE_SESSION) != 0,
                                (f & Format.EXTEND_ON_SET_ADD) != 0, (f & Format.EXTEND_ON_GET) != 0,
                                d.remainingMillis(i), d.store(i));
                        if (s != null) {
                            sessions++;
                            keys += s.keyCount();
                        }
                    }
                } else {
                    KeyValues global = engine.global();
                    for (int i = from; i < to; i++) {
                        global.put(d.entry(i));
                        engine.changes().put(null, d.entry(i));
                    }
                    keys += to - from;
                }
                d.release(from, to);
                next = to;
                if (System.nanoTime() - stopAt >= 0) {
                    break;
                }
            }
            if (next < n) {
                loop.submit(this); // let queued commands run, then go on
            } else {
                done.complete(new long[] {sessions, keys});
            }
        }
    }
}
