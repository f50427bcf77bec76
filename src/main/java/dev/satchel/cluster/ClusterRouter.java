package dev.satchel.cluster;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRouter;
import dev.satchel.engine.Engine;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.infinispan.commons.TimeoutException;
import org.infinispan.functional.FunctionalMap;
import org.infinispan.partitionhandling.AvailabilityException;
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
 * <p>Threads: {@link #route} runs on the command loop; completions arrive on Infinispan's and JGroups' threads
 * and come back to the loop through its queue to start what waited.
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
    /** Keys with a command in flight from this member, and what waits behind it (guarded by itself). */
    private final HashMap<SessionKey, ArrayDeque<Pending>> inFlight = new HashMap<>();
    /** Loop only: a table-wide command is running; requests wait here until it is done. */
    private boolean barrier;
    private final ArrayDeque<Runnable> behindBarrier = new ArrayDeque<>();
    /** Loop only: for drawing and deriving tokens. */
    private final long[] tokenScratch = new long[2];

    ClusterRouter(ClusterMember member, CommandLoop loop, Tokens tokens, TokenFormat tokenFormat) {
        this.member = member;
        this.loop = loop;
        this.tokens = tokens;
        this.tokenFormat = tokenFormat;
        this.ops = new ClusterOps(member, this);
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
                    send(SessionKey.GLOBAL, true, ClusterCommand.GLOBAL, member.nextId(), r.rawMessage(), c, promise::complete);
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
                send(new SessionKey(t.hi(i), t.lo(i)), false, ClusterCommand.EXISTS, 0, null, c, a::complete);
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

    // ---- one command on one key, in order per key ----

    /** One command waiting for, or in, its owner. */
    private final class Pending {
        final SessionKey key;
        final boolean global;
        final int op;
        final long id;
        final byte[] message;
        final Command client;
        final java.util.function.Consumer<byte[]> done;
        /** Made when first sent, with the time then (a command queued behind another must not run in the past). */
        ClusterCommand command;
        int attempts;
        long startedNanos;

        Pending(SessionKey key, boolean global, int op, long id, byte[] message, Command client,
                java.util.function.Consumer<byte[]> done) {
            this.key = key;
            this.global = global;
            this.op = op;
            this.id = id;
            this.message = message;
            this.client = client;
            this.done = done;
        }
    }

    /** Sends {@code command} to the owner of {@code key}, after this member's earlier commands on that key. */
    private void send(SessionKey key, boolean global, int op, long id, byte[] message, Command client,
            java.util.function.Consumer<byte[]> done) {
        Pending p = new Pending(key, global, op, id, message, client, done);
        synchronized (inFlight) {
            ArrayDeque<Pending> queue = inFlight.get(key);
            if (queue != null) {
                queue.add(p);
                return;
            }
            inFlight.put(key, new ArrayDeque<>(2));
        }
        start(p);
    }

    private void start(Pending p) {
        if (p.command == null) {
            p.command = new ClusterCommand(p.op, p.id, System.currentTimeMillis(), p.message);
        }
        p.attempts++;
        p.startedNanos = System.nanoTime();
        FunctionalMap.ReadWriteMap<SessionKey, Box> rw = p.global ? member.globalsRw() : member.sessionsRw();
        CompletableFuture<byte[]> f;
        try {
            f = rw.eval(p.key, p.command);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((bytes, err) -> finished(p, bytes, err));
    }

    /** Any thread: the owner answered (or failed). */
    private void finished(Pending p, byte[] bytes, Throwable err) {
        member.stats().latency(System.nanoTime() - p.startedNanos);
        if (err != null) {
            Throwable cause = unwrap(err);
            if (cause instanceof TimeoutException && p.attempts < 2) {
                member.stats().retry();
                loop.submit((e, o) -> start(p)); // same id: an owner that applied it answers from its ring
                return;
            }
            bytes = failure(p.client, cause);
        }
        try {
            p.done.accept(bytes);
        } catch (RuntimeException e) {
            LOG.error("completing a cluster command failed", e);
        }
        Pending next;
        synchronized (inFlight) {
            ArrayDeque<Pending> queue = inFlight.get(p.key);
            next = queue == null ? null : queue.poll();
            if (next == null) {
                inFlight.remove(p.key);
                if (inFlight.isEmpty()) {
                    inFlight.notifyAll();
                }
            }
        }
        if (next != null) {
            Pending n = next;
            loop.submit((e, o) -> start(n));
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
