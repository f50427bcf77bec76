package dev.satchel.cluster;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRouter;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Limits;
import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Request;
import dev.satchel.engine.StoreCommand;
import dev.satchel.engine.Tokens;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.infinispan.commons.TimeoutException;
import org.infinispan.functional.FunctionalMap;
import org.infinispan.partitionhandling.AvailabilityException;
import org.infinispan.remoting.transport.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving member's side of cluster mode: the command loop hands it every request
 * ({@link CommandRouter#route}); it sends each to the owner of its data as a {@link ClusterCommand} and defers
 * the response until the owner answers. It never waits: {@code eval} returns a future, its completion completes
 * the deferred response (the connection writes responses strictly in request order, see OutboundFlow).
 *
 * <p>Order: two commands on one session sent by this member one after the other must run in that order, but
 * Infinispan runs remote commands on a thread pool, so two in-flight commands on one key may overtake each
 * other. So at most one command per key is in flight from this member; later ones queue behind it and go out
 * when it completes. Commands on the whole table (SH_END_ALL, SH_INFO_ALL, SV_INFO, saves and loads) wait for
 * every command in flight and hold back every later one until they are done.
 *
 * <p>Failures: a command the owners did not answer within the remote timeout is sent once more with the same id
 * (the owners' ring makes that safe: a command that was applied is answered from the ring); if that fails too,
 * the answer is status 1000 saying the outcome is unknown. A member on the minority side of a partition answers
 * 1000 "cluster unavailable".
 *
 * <p>Batching: the commands a member sends go in units and batches, never more than one unit per key in
 * flight. A key's unit is formed when it is sent: every command then waiting on the key, reads and writes (at
 * most {@link #MAX_TRAIN}), run on the owner one after the other in their order, so a client pipelining on one
 * session gets one round trip per unit; SH_OPEN, commands a batch bounced, and SH_NEW unless every member has
 * room ({@link Headroom}) go alone, by {@code eval}.
 * Limits in a batch: a batch reaches the backups before the primary runs it, so it cannot carry the primary's
 * limit verdict ({@code ClusterCommand#verdict}); its commands run {@code OwnerExecutor.BATCHED} on every copy
 * alike: a write that would grow the data (the only kind a limit can refuse) is not run, nor anything after it
 * in its unit, and is answered "bounced"; {@code sendBack} then sends it alone by {@code eval} (its primary
 * decides, the backups replay) and the rest of the unit after it; the writes that were waiting on the key then
 * go alone too ({@code KeyQueue#growing}), later ones are batched again. Units ready to go (a key's first command, the next
 * one after a completion, a retry) wait in {@code ready}; ONE loop task per burst ({@link #flush}) sends them
 * all, grouped by the primary owner of their keys, as one {@code ReadWriteManyEntriesCommand} per owner
 * ({@link ManyEval}; at most {@link #MAX_BATCH} keys each): one Infinispan command, one JGroups message to the
 * owner and one answer for the group instead of one of each per command, and one loop wake-up for all the
 * completions that arrive together. A unit of one command alone for its owner goes as {@code eval}. Answers
 * are matched to their commands by id. A batch that timed out is sent again with the same units (same ids:
 * the ring answers what was applied); a batch that failed otherwise is sent again command by command
 * ({@code eval}, in order per key), so one command's failure does not become its batch's.
 *
 * <p>Threads: {@link #route} and {@link #flush} run on the command loop; completions arrive on Infinispan's and
 * JGroups' threads and queue what goes next in {@code ready}.
 */
public final class ClusterRouter implements CommandRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterRouter.class);
    private static final byte[] F_EXIST = field("exist");
    private static final byte[] ERR = ResponseWriter.prefix("ERR");

    private final ClusterMember member;
    private final CommandLoop loop;
    private final Tokens tokens;
    private final TokenFormat tokenFormat;
    private final ClusterOps ops;
    /** This member's limits, for the response size of a GET or KEYS merged from several buckets. */
    private final Limits limits;
    /** Keys with a command in flight from this member, and what waits behind it (guarded by itself). */
    private final HashMap<SessionKey, KeyQueue> inFlight = new HashMap<>();
    /** Loop only: a table-wide command is running; requests wait here until it is done. */
    private boolean barrier;
    private final ArrayDeque<Runnable> behindBarrier = new ArrayDeque<>();
    /** Loop only: for drawing and deriving tokens. */
    private final long[] tokenScratch = new long[2];
    /** Commands to send with the next {@link #flush} (any thread in, the loop out). */
    private final ConcurrentLinkedQueue<Unit> ready = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final CommandLoop.Task flush = this::flush;
    /** Loop only: the batched eval of each cache (made on first use: the caches exist once joined). */
    private ManyEval sessionsMany;
    private ManyEval globalsMany;
    /** Most keys in one batch (bounds a message's size and how many keys one command locks at once). */
    static final int MAX_BATCH = 128;
    /**
     * Most commands on one key in one unit: well under the ring of 32 answers a box keeps, so a unit sent again
     * after a timeout finds every command it applied still in the ring.
     */
    static final int MAX_TRAIN = 16;

    ClusterRouter(ClusterMember member, CommandLoop loop, Tokens tokens, TokenFormat tokenFormat) {
        this.member = member;
        this.loop = loop;
        this.tokens = tokens;
        this.tokenFormat = tokenFormat;
        this.ops = new ClusterOps(member, this);
        var l = member.config().limits();
        this.limits = new Limits(l.maxSessions(), l.maxKeysPerSession(), l.maxStoredBytes(),
                l.maxResponseBytes());
    }

    @Override
    public boolean route(Request r, ResponseWriter out) {
        CompletableFuture<byte[]> promise = new CompletableFuture<>();
        out.defer(promise);
        if (barrier) {
            behindBarrier.add(() -> dispatch(r, promise));
        } else {
            dispatch(r, promise);
        }
        return true;
    }

    /** Loop: sends one request on its way. */
    private void dispatch(Request r, CompletableFuture<byte[]> promise) {
        Command c = r.command();
        if (r.rawMessage() == null) {
            promise.complete(error(c.responsePrefix(), Status.UNKNOWN, "internal error (logged by the server)"));
            LOG.error("cluster mode got {} without its message", c.name());
            return;
        }
        switch (c.kind()) {
            case STORE -> {
                boolean session = ((StoreCommand) c).onSession();
                if (session) {
                    send(new SessionKey(r.tokenHi(), r.tokenLo()), false, ClusterCommand.RUN, member.nextId(), r.rawMessage(), c,
                            promise::complete);
                } else {
                    global(r, c, promise);
                }
            }
            case SESSION -> send(new SessionKey(r.tokenHi(), r.tokenLo()), false, ClusterCommand.RUN, member.nextId(),
                    r.rawMessage(), c, promise::complete);
            case TABLE -> table(r, c, promise);
        }
    }

    private void table(Request r, Command c, CompletableFuture<byte[]> promise) {
        switch (c.name()) {
            case "SH_NEW" -> create(r, c, promise);
            case "SH_OPEN" -> {
                long[] t = tokenScratch;
                tokens.shared(((Request.Named) r).name(), t);
                send(new SessionKey(t[0], t[1]), false, ClusterCommand.OPEN, member.nextId(), r.rawMessage(), c,
                        promise::complete);
            }
            case "SH_EXISTS" -> exists(r, c, promise);
            case "SH_END_ALL", "SH_INFO_ALL", "SV_INFO", "SH_SAVE", "SH_LOAD", "KV_SAVE", "KV_LOAD" ->
                    tableWide(e -> ops.run(e, r, c), promise);
            default -> promise.complete(error(c.responsePrefix(), Status.UNKNOWN, c.name()
                    + " is not available in cluster mode"));
        }
    }

    /** SH_NEW: the token is chosen here (random, or derived from the name), the session made by its owner. */
    private void create(Request r, Command c, CompletableFuture<byte[]> promise) {
        boolean shared = r instanceof Request.NewSession n && n.shared();
        long hi = r.tokenHi();
        long lo = r.tokenLo();
        if (!shared) {
            long[] t = tokenScratch;
            tokens.random(t);
            hi = t[0];
            lo = t[1];
        }
        send(new SessionKey(hi, lo), false, ClusterCommand.NEW, member.nextId(), r.rawMessage(), c, bytes -> {
                    if (bytes.length == 0) { // a random token that is taken: draw another, on the loop
                        loop.submit((e, o) -> create(r, c, promise));
                    } else {
                        promise.complete(bytes);
                    }
                });
    }

    /** SH_EXISTS: each token asked of its owner (in order behind this member's commands on it), answered in order. */
    private void exists(Request r, Command c, CompletableFuture<byte[]> promise) {
        Request.Tokens t = (Request.Tokens) r;
        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (int i = 0; i < t.count(); i++) {
            CompletableFuture<byte[]> a = new CompletableFuture<>();
            answers.add(a);
            if (t.valid(i)) {
                send(new SessionKey(t.hi(i), t.lo(i)), false, ClusterCommand.EXISTS, member.nextId(), null, c,
                        a::complete); // an id of its own: a batch's answers are matched by id
            } else {
                a.complete(ClusterCommand.NO);
            }
        }
        CompletableFuture.allOf(answers.toArray(new CompletableFuture<?>[0])).whenComplete((v, err) -> {
            ResponseWriter out = new ResponseWriter(tokenFormat);
            for (CompletableFuture<byte[]> a : answers) {
                byte[] b = a.join();
                if (b.length != 1) { // an error answer (timeout, partition): the whole request fails with it
                    promise.complete(b);
                    return;
                }
            }
            out.begin(c.responsePrefix(), Status.OK).raw(F_EXIST).rawByte('[');
            boolean first = true;
            for (int i = 0; i < answers.size(); i++) {
                if (answers.get(i).join()[0] == 1) {
                    if (!first) {
                        out.rawByte(',');
                    }
                    out.raw(t.text(i));
                    first = false;
                }
            }
            out.rawByte(']').end();
            promise.complete(out.toByteArray());
        });
    }

    // ---- the global key space, in buckets ----

    /** The last stamp handed out (see {@link #stamps}). */
    private long lastStamp;

    /**
     * Stamps for {@code n} keys inserted by one request: the first of {@code n} consecutive numbers, rising with
     * the wall clock ({@code ms << 20}) and never below those this member handed out before. Stamps order the keys
     * of the buckets into one insertion order (KV_KEYS, KV_SAVE): exact for the requests of one member, by the
     * members' clocks across members.
     */
    synchronized long stamps(int n) {
        long base = Math.max(lastStamp, System.currentTimeMillis() << 20);
        lastStamp = base + Math.max(1, n);
        return base;
    }

    /**
     * Loop: a KV_* command. Keys all in one bucket (the common case): the request goes whole to that bucket, as
     * one command of its queue, batched like a session's. Otherwise it is split per bucket ({@link GlobalParts}),
     * each part queued on its bucket in this order (so later requests of this member queue behind them), and the
     * answers merged once all are in. A write over several buckets is checked against the limits first.
     */
    private void global(Request r, Command c, CompletableFuture<byte[]> promise) {
        int b = r instanceof Request.Refused ? 0 : GlobalParts.single(r);
        if (b >= 0) {
            Pending p = new Pending(ClusterCommand.GLOBAL, member.nextId(), r.rawMessage(), c, promise::complete);
            if (c.mutates() && !(r instanceof Request.Refused)) {
                p.stamp = stamps(GlobalParts.itemCount(r));
            }
            send(Buckets.key(b), true, p);
            return;
        }
        GlobalParts parts = GlobalParts.split(r);
        if (parts.grows()) {
            checkedWrite(parts, promise);
        } else {
            sendParts(parts, OwnerExecutor.UNDECIDED, promise);
        }
    }

    /**
     * Loop: a write over several buckets. A standalone server refuses such a write whole or applies it whole; here
     * each bucket has its own primary, which could decide otherwise than the others, so the write is checked up
     * front against every member that would hold a copy of a part (as loads are, {@code MemberTask.BUDGET}), and
     * then runs {@code ADMITTED} on every copy of every part. Later requests wait (as behind a table-wide command)
     * until the parts are queued, so none overtakes them.
     */
    private void checkedWrite(GlobalParts parts, CompletableFuture<byte[]> promise) {
        barrier = true;
        CompletableFuture<String> check;
        try {
            check = ops.writeProblem(parts);
        } catch (RuntimeException e) {
            check = CompletableFuture.failedFuture(e);
        }
        check.whenComplete((problem, err) -> {
            try {
                if (err != null) { // as a table-wide command's failure: the check's cause, nothing done
                    promise.complete(error(parts.command.responsePrefix(), Status.UNKNOWN, "cluster: "
                            + ClusterMember.rootMessage(unwrap(err))));
                } else if (problem != null) {
                    promise.complete(error(parts.command.responsePrefix(), Status.LIMIT_EXCEEDED, problem));
                } else {
                    sendParts(parts, OwnerExecutor.ADMITTED, promise);
                }
            } finally {
                loop.submit((e, o) -> releaseBarrier());
            }
        });
    }

    /** Any thread: queues every part of a split request on its bucket; the merged answer completes {@code promise}. */
    private void sendParts(GlobalParts parts, byte fixed, CompletableFuture<byte[]> promise) {
        int n = parts.buckets.length;
        byte[][] answers = new byte[n][];
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(n);
        long stamp = parts.grows() ? stamps(GlobalParts.itemCount(parts.request)) : 0;
        for (int k = 0; k < n; k++) {
            int part = k;
            java.util.function.Consumer<byte[]> done = bytes -> {
                answers[part] = bytes;
                if (left.decrementAndGet() == 0) {
                    merged(parts, answers, promise);
                }
            };
            Pending p;
            if (parts.kind == GlobalParts.Kind.KEYS) {
                p = new Pending(ClusterCommand.SNAPSHOT, member.nextId(), ClusterCommand.KEYS_ONLY, parts.command, done);
            } else {
                p = new Pending(ClusterCommand.GLOBAL, member.nextId(), parts.messages[k], parts.command, done);
                p.stamp = stamp;
                p.order = parts.items[k];
            }
            p.fixed = fixed;
            send(Buckets.key(parts.buckets[k]), true, p);
        }
    }

    private void merged(GlobalParts parts, byte[][] answers, CompletableFuture<byte[]> promise) {
        try {
            promise.complete(parts.merge(answers, limits, tokenFormat));
        } catch (RuntimeException e) {
            LOG.error("merging the buckets' answers to {} failed", parts.command.name(), e);
            promise.complete(error(parts.command.responsePrefix(), Status.UNKNOWN,
                    "internal error (logged by the server)"));
        }
    }

    /**
     * For table-wide commands run by {@link ClusterOps}: one command on bucket {@code bucket}, queued behind this
     * member's commands on it and batched per owner with the others ready at the same time.
     */
    CompletableFuture<byte[]> sendBucket(int bucket, int op, byte[] message, Command client) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        send(Buckets.key(bucket), true, new Pending(op, member.nextId(), message, client, f::complete));
        return f;
    }

    // ---- commands on one key, in order per key, sent in batches ----

    /** One command waiting for, or in, its owner. */
    private static final class Pending {
        final int op;
        final long id;
        final byte[] message;
        final Command client;
        final java.util.function.Consumer<byte[]> done;
        /** Set when first sent: the time then (a command queued behind another must not run in the past). */
        long now;
        boolean stamped;
        /**
         * It goes alone, by {@code eval}, for its primary to decide: a batch did not run it (it would have grown
         * the data), or it is a write on a key whose writes grow ({@link KeyQueue#growing}).
         */
        boolean alone;
        /** The command sent for it by {@code eval}, and in a batch: made on first use, then the same (same id). */
        private ClusterCommand byEval;
        private ClusterCommand inBatch;
        /** {@link ClusterCommand#GLOBAL}: the stamp of its first key and the indexes of its keys in the request. */
        long stamp;
        int[] order;
        /**
         * The verdict every copy applies, decided here beforehand ({@code OwnerExecutor.ADMITTED} for the parts of a
         * write over several buckets, checked up front), or {@code UNDECIDED}: batched, or decided by its primary.
         */
        byte fixed = OwnerExecutor.UNDECIDED;

        Pending(int op, long id, byte[] message, Command client, java.util.function.Consumer<byte[]> done) {
            this.op = op;
            this.id = id;
            this.message = message;
            this.client = client;
            this.done = done;
        }

        /**
         * Whether it may go in a train or a batch: a command on a session or the global key space, reads and
         * writes, unless a batch sent it back. A many-entries command is marshalled to the backups before the
         * primary runs it, so it cannot carry the primary's limit verdict; its commands run
         * {@code OwnerExecutor.BATCHED} instead, where a write that could be refused is not run but bounced, and
         * then goes alone ({@link #alone}). SH_NEW goes in a batch while every member has room ({@code roomy},
         * {@link Headroom}), else alone; SH_OPEN and the rest always go alone.
         */
        boolean batchable(boolean roomy) {
            return !alone
                    && (op == ClusterCommand.RUN || op == ClusterCommand.GLOBAL || op == ClusterCommand.EXISTS
                            || op == ClusterCommand.SNAPSHOT || op == ClusterCommand.PUT_ALL
                            || op == ClusterCommand.NEW && roomy);
        }

        /**
         * The command to send: in a batch (run {@code BATCHED}, or {@code ROOMY} if {@code roomy}: see
         * {@link Headroom}) or alone by eval (its primary decides); with its {@link #fixed} verdict either way when
         * it has one (the same on every copy, so it may go in a batch). The first send fixes which.
         */
        ClusterCommand command(boolean batched, boolean roomy) {
            if (fixed != OwnerExecutor.UNDECIDED) {
                if (byEval == null) {
                    byEval = new ClusterCommand(op, id, now, message, fixed, stamp, order);
                }
                return byEval;
            }
            if (batched) {
                if (inBatch == null) {
                    inBatch = new ClusterCommand(op, id, now, message,
                            roomy ? OwnerExecutor.ROOMY : OwnerExecutor.BATCHED, stamp, order);
                }
                return inBatch;
            }
            if (byEval == null) {
                byEval = new ClusterCommand(op, id, now, message, OwnerExecutor.UNDECIDED, stamp, order);
            }
            return byEval;
        }

        /** Any thread: hands the answer on (completes the deferred response, or what waits on it). */
        void complete(byte[] bytes) {
            try {
                done.accept(bytes);
            } catch (RuntimeException e) {
                LOG.error("completing a cluster command failed", e);
            }
        }
    }

    /**
     * This member's commands on one key that wait to go (guarded by {@code inFlight}). The key is in
     * {@code inFlight} while a {@link Unit} of it is ready or with its owner; commands arriving meanwhile wait
     * here, and join that unit if it has not gone yet.
     */
    private static final class KeyQueue {
        final SessionKey key;
        final boolean global;
        final ArrayDeque<Pending> waiting = new ArrayDeque<>(4);
        /**
         * How many of the first commands in {@link #waiting} came before a batch bounced a write on this key: the
         * writes among them go alone (a client adding keys would otherwise pay a bounced batch and an
         * {@code eval} for each write of its backlog); later commands are batched again.
         */
        int growing;

        KeyQueue(SessionKey key, boolean global) {
            this.key = key;
            this.global = global;
        }
    }

    /** What goes to a key's owner at once: up to {@link #MAX_TRAIN} of its waiting commands, run there in order. */
    private static final class Unit {
        final KeyQueue queue;
        /** Taken from the queue by the flush that sends the unit first; the same commands (ids) on a retry. */
        Pending[] commands;
        int attempts;
        long startedNanos;
        /** Its batch failed other than by a timeout: its commands go by {@code eval}, one after the other. */
        boolean alone;

        Unit(KeyQueue queue) {
            this.queue = queue;
        }
    }

    /** Sends {@code command} to the owner of {@code key}, after this member's earlier commands on that key. */
    private void send(SessionKey key, boolean global, int op, long id, byte[] message, Command client,
            java.util.function.Consumer<byte[]> done) {
        send(key, global, new Pending(op, id, message, client, done));
    }

    /** Any thread: queues {@code p} for the owner of {@code key}, after this member's earlier commands on it. */
    private void send(SessionKey key, boolean global, Pending p) {
        KeyQueue q;
        synchronized (inFlight) {
            q = inFlight.get(key);
            if (q != null) {
                q.waiting.add(p);
                return;
            }
            q = new KeyQueue(key, global);
            q.waiting.add(p);
            inFlight.put(key, q);
        }
        start(new Unit(q));
    }

    /** Any thread: {@code u} goes with the next flush (one loop task for all that become ready until it runs). */
    private void start(Unit u) {
        ready.offer(u);
        if (flushScheduled.compareAndSet(false, true)) {
            loop.submit(flush);
        }
    }

    /** Loop: sends every ready unit; the units of session keys batched per primary owner. */
    private void flush(Engine engine, ResponseWriter unused) {
        flushScheduled.set(false); // what becomes ready from now on schedules another flush
        HashMap<Address, ArrayList<Unit>> byOwner = null;
        HashMap<Address, ArrayList<Unit>> byOwnerGlobal = null;
        long now = System.currentTimeMillis();
        boolean roomy = member.headroom().roomy();
        Unit u;
        while ((u = ready.poll()) != null) {
            if (u.commands == null) {
                synchronized (inFlight) {
                    ArrayDeque<Pending> w = u.queue.waiting;
                    KeyQueue q = u.queue;
                    Pending first = w.poll();
                    if (q.growing > 0) {
                        q.growing--;
                        if (first.client.mutates()) {
                            first.alone = true;
                        }
                    }
                    if (!first.batchable(roomy)) {
                        u.commands = new Pending[] {first};
                    } else {
                        ArrayList<Pending> train = new ArrayList<>(Math.min(MAX_TRAIN, w.size() + 1));
                        train.add(first);
                        while (train.size() < MAX_TRAIN && w.peek() != null && w.peek().batchable(roomy)
                                && !(q.growing > 0 && w.peek().client.mutates())) {
                            train.add(w.poll());
                            if (q.growing > 0) {
                                q.growing--;
                            }
                        }
                        u.commands = train.toArray(new Pending[0]);
                    }
                }
            }
            for (Pending p : u.commands) {
                if (!p.stamped) {
                    p.now = now;
                    p.stamped = true;
                }
            }
            if (u.alone) {
                evalAlone(u, 0);
                continue;
            }
            if (!u.commands[0].batchable(roomy)) { // by itself, so its backups get the primary's verdict
                evalOne(u);
                continue;
            }
            boolean global = u.queue.global;
            Address owner = primary(u.queue.key, global);
            if (owner == null) {
                evalAlone(u, 0);
                continue;
            }
            HashMap<Address, ArrayList<Unit>> groups;
            if (global) { // buckets of the global key space: batched per owner like sessions, in their own cache
                groups = byOwnerGlobal == null ? byOwnerGlobal = new HashMap<>() : byOwnerGlobal;
            } else {
                groups = byOwner == null ? byOwner = new HashMap<>() : byOwner;
            }
            ArrayList<Unit> group = groups.computeIfAbsent(owner, a -> new ArrayList<>());
            group.add(u);
            if (group.size() == MAX_BATCH) {
                evalBatch(group, roomy);
                groups.remove(owner);
            }
        }
        for (HashMap<Address, ArrayList<Unit>> groups : java.util.Arrays.asList(byOwner, byOwnerGlobal)) {
            if (groups == null) {
                continue;
            }
            for (ArrayList<Unit> group : groups.values()) {
                if (group.size() == 1 && group.get(0).commands.length == 1) {
                    evalOne(group.get(0));
                } else {
                    evalBatch(group, roomy);
                }
            }
        }
    }

    /** Loop: the primary owner of a key, or null when unknown (then its commands go by {@code eval}). */
    private Address primary(SessionKey key, boolean global) {
        try {
            return many(global).primary(key);
        } catch (RuntimeException e) { // not joined or stopping: eval reports that as it should
            return null;
        }
    }

    private ManyEval many(boolean global) {
        if (global) {
            if (globalsMany == null) {
                globalsMany = new ManyEval(member.globalsCache());
            }
            return globalsMany;
        }
        if (sessionsMany == null) {
            sessionsMany = new ManyEval(member.sessionsCache());
        }
        return sessionsMany;
    }

    /** Loop: sends a unit of one command as {@code eval}. */
    private void evalOne(Unit u) {
        u.attempts++;
        u.startedNanos = System.nanoTime();
        Pending p = u.commands[0];
        FunctionalMap.ReadWriteMap<SessionKey, Box> rw = u.queue.global ? member.globalsRw() : member.sessionsRw();
        CompletableFuture<byte[]> f;
        try {
            f = rw.eval(u.queue.key, p.command(false, false));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((bytes, err) -> {
            if (err != null) {
                failed(List.of(u), err);
            } else {
                answer(u, p, bytes);
                unitDone(u);
            }
        });
    }

    /**
     * Loop: sends units on different keys of one cache with the same primary owner as one Infinispan command, run
     * ROOMY if {@code roomy} (the flush's one look at {@link Headroom}, by which it also chose what to batch).
     */
    private void evalBatch(List<Unit> batch, boolean roomy) {
        long started = System.nanoTime();
        Map<SessionKey, ManyEval.Train> trains = new HashMap<>(batch.size() * 2);
        int commands = 0;
        for (Unit u : batch) {
            u.attempts++;
            u.startedNanos = started;
            ClusterCommand[] train = new ClusterCommand[u.commands.length];
            for (int i = 0; i < train.length; i++) {
                train[i] = u.commands[i].command(true, roomy);
            }
            commands += train.length;
            trains.put(u.queue.key, new ManyEval.Train(train));
        }
        member.stats().batch(commands);
        int expected = commands;
        CompletableFuture<List<byte[]>> f;
        try {
            f = many(batch.get(0).queue.global).evalMany(trains);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((answers, err) -> {
            if (err != null) {
                failed(batch, err);
                return;
            }
            HashMap<Long, byte[]> byId = new HashMap<>(expected * 2);
            for (byte[] a : answers) {
                ManyEval.answers(a, byId);
            }
            for (Unit u : batch) {
                int bounced = -1;
                for (int i = 0; i < u.commands.length && bounced < 0; i++) {
                    Pending p = u.commands[i];
                    byte[] bytes = byId.get(p.id);
                    if (bytes == ClusterCommand.BOUNCED) {
                        bounced = i;
                        continue;
                    }
                    if (bytes == null) {
                        LOG.error("the owner's answer to a batch lacks command {} ({})", p.id, p.client.name());
                        bytes = error(p.client.responsePrefix(), Status.UNKNOWN, "internal error (logged by the server)");
                    }
                    answer(u, p, bytes);
                }
                if (bounced >= 0) {
                    sendBack(u, bounced);
                } else {
                    unitDone(u);
                }
            }
        });
    }

    /**
     * Any thread: the owner ran {@code u}'s commands before {@code from} (answered) and none from it on: the
     * bounced one goes next, alone by {@code eval} (its primary decides its limits, the backups replay that), then
     * the rest as a new unit, ahead of whatever arrived meanwhile. The key stays in flight throughout, so nothing
     * overtakes them and their responses keep their order.
     */
    private void sendBack(Unit u, int from) {
        member.stats().bounce();
        KeyQueue q = u.queue;
        synchronized (inFlight) {
            u.commands[from].alone = true;
            for (int i = u.commands.length - 1; i >= from; i--) {
                q.waiting.addFirst(u.commands[i]);
            }
            q.growing = q.waiting.size(); // the bounced write and the backlog behind it
        }
        start(new Unit(q));
    }

    /**
     * Loop, then the thread of each answer: a unit whose batch failed other than by a timeout goes command by
     * command, each with {@code eval} and its own retry after a timeout, in order.
     */
    private void evalAlone(Unit u, int index) {
        Pending p = u.commands[index];
        FunctionalMap.ReadWriteMap<SessionKey, Box> rw = u.queue.global ? member.globalsRw() : member.sessionsRw();
        long started = System.nanoTime();
        evalWithRetry(rw, u.queue.key, p, 1).whenComplete((bytes, err) -> {
            member.stats().latency(System.nanoTime() - started);
            p.complete(bytes);
            if (index + 1 < u.commands.length) {
                evalAlone(u, index + 1);
            } else {
                unitDone(u);
            }
        });
    }

    /** One command by {@code eval}, sent once more with the same id after a timeout; completes with its answer. */
    private CompletableFuture<byte[]> evalWithRetry(FunctionalMap.ReadWriteMap<SessionKey, Box> rw, SessionKey key,
            Pending p, int attempt) {
        CompletableFuture<byte[]> f;
        try {
            f = rw.eval(key, p.command(false, false));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((bytes, err) -> {
            if (err == null) {
                return CompletableFuture.completedFuture(bytes);
            }
            Throwable cause = unwrap(err);
            if (cause instanceof TimeoutException && attempt < 2) {
                member.stats().retry();
                return evalWithRetry(rw, key, p, attempt + 1);
            }
            return CompletableFuture.completedFuture(failure(p.client, cause));
        }).thenCompose(x -> x);
    }

    /** Any thread: a unit's command or batch failed (see the class comment). */
    private void failed(List<Unit> units, Throwable err) {
        Throwable cause = unwrap(err);
        if (cause instanceof TimeoutException) {
            for (Unit u : units) {
                if (u.attempts < 2) { // same ids: an owner that applied a command answers it from its ring
                    for (int i = 0; i < u.commands.length; i++) {
                        member.stats().retry();
                    }
                    start(u);
                } else {
                    for (Pending p : u.commands) {
                        answer(u, p, failure(p.client, cause));
                    }
                    unitDone(u);
                }
            }
            return;
        }
        boolean again = units.size() > 1 || units.get(0).commands.length > 1;
        if (again && !(cause instanceof AvailabilityException
                || cause instanceof org.infinispan.commons.IllegalLifecycleStateException)) {
            LOG.debug("a batch of {} cluster units failed; sending their commands one by one", units.size(), cause);
            for (Unit u : units) {
                u.alone = true;
                start(u);
            }
            return;
        }
        for (Unit u : units) {
            for (Pending p : u.commands) {
                answer(u, p, failure(p.client, cause));
            }
            unitDone(u);
        }
    }

    /** Any thread: completes one command of a unit with its answer. */
    private void answer(Unit u, Pending p, byte[] bytes) {
        member.stats().latency(System.nanoTime() - u.startedNanos);
        p.complete(bytes);
    }

    /** Any thread: every command of {@code u} is answered; the key's next commands go, or the key is free. */
    private void unitDone(Unit u) {
        Unit next = null;
        synchronized (inFlight) {
            KeyQueue q = u.queue;
            if (q.waiting.isEmpty()) {
                inFlight.remove(q.key);
                if (inFlight.isEmpty()) {
                    inFlight.notifyAll();
                }
            } else {
                next = new Unit(q);
            }
        }
        if (next != null) {
            start(next);
        } else if (drainWaiter != null) {
            CompletableFuture<Void> w = drainWaiter;
            boolean empty;
            synchronized (inFlight) {
                empty = inFlight.isEmpty();
            }
            if (empty) {
                w.complete(null);
            }
        }
    }

    private byte[] failure(Command c, Throwable cause) {
        if (cause instanceof TimeoutException) {
            member.stats().timeout();
            return error(c.responsePrefix(), Status.UNKNOWN, "cluster: the members holding this data did not answer"
                    + " in time; the command may or may not have been applied");
        }
        if (cause instanceof AvailabilityException) {
            return error(c.responsePrefix(), Status.UNKNOWN, "cluster unavailable: this member is in a partition"
                    + " without enough members; try another member");
        }
        if (cause instanceof org.infinispan.commons.IllegalLifecycleStateException
                || cause instanceof IllegalStateException && member.notReadyReason() != null) {
            return error(c.responsePrefix(), Status.UNKNOWN, "cluster: this member is leaving; try another member");
        }
        LOG.error("cluster command {} failed", c.name(), cause);
        return error(c.responsePrefix(), Status.UNKNOWN, "internal error (logged by the server)");
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t instanceof org.infinispan.remoting.RemoteException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    byte[] error(byte[] prefix, Status status, String message) {
        ResponseWriter out = new ResponseWriter(tokenFormat);
        out.error(prefix == null ? ERR : prefix, status, message);
        return out.toByteArray();
    }

    // ---- table-wide commands ----

    /** Completes when nothing is in flight from this member (set only while a barrier waits). */
    private volatile CompletableFuture<Void> drainWaiter;

    /**
     * Loop: runs a table-wide command once every command in flight from this member is done, holding back every
     * later request until it is done.
     */
    private void tableWide(java.util.function.Function<Engine, CompletableFuture<byte[]>> command,
            CompletableFuture<byte[]> promise) {
        barrier = true;
        CompletableFuture<Void> drained = new CompletableFuture<>();
        drainWaiter = drained;
        synchronized (inFlight) {
            if (inFlight.isEmpty()) {
                drained.complete(null);
            }
        }
        drained.thenRun(() -> loop.submit((e, o) -> {
            drainWaiter = null;
            CompletableFuture<byte[]> f;
            try {
                f = command.apply(e);
            } catch (RuntimeException ex) {
                f = CompletableFuture.failedFuture(ex);
            }
            f.whenComplete((bytes, err) -> {
                promise.complete(err == null ? bytes : error(null, Status.UNKNOWN, "cluster: " 
                        + ClusterMember.rootMessage(unwrap(err))));
                loop.submit((e2, o2) -> releaseBarrier());
            });
        }));
    }

    /** Loop: the table-wide command is done; what waited behind it goes on (up to the next table-wide one). */
    private void releaseBarrier() {
        barrier = false;
        Runnable next;
        while (!barrier && (next = behindBarrier.poll()) != null) {
            next.run();
        }
    }

    /** The table-wide commands (tests set the save's chunk bound through it). */
    ClusterOps ops() {
        return ops;
    }

    /** For table-wide commands run by {@link ClusterOps}: sends one command to the owner of {@code key}. */
    CompletableFuture<byte[]> sendOne(SessionKey key, boolean global, ClusterCommand command, Command client) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        FunctionalMap.ReadWriteMap<SessionKey, Box> rw = global ? member.globalsRw() : member.sessionsRw();
        try {
            rw.eval(key, command).whenComplete((bytes, err) -> {
                if (err == null) {
                    f.complete(bytes);
                } else if (unwrap(err) instanceof TimeoutException) {
                    member.stats().retry();
                    rw.eval(key, command).whenComplete((b2, e2) -> f.complete(e2 == null ? b2
                            : failure(client, unwrap(e2))));
                } else {
                    f.complete(failure(client, unwrap(err)));
                }
            });
        } catch (RuntimeException e) {
            f.complete(failure(client, e));
        }
        return f;
    }
}
