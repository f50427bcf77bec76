package dev.satchel.cluster;

import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Request;
import dev.satchel.engine.Session;
import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.Status;
import java.util.function.Function;
import org.infinispan.commands.functional.functions.InjectableComponent;
import org.infinispan.factories.ComponentRegistry;
import org.infinispan.functional.EntryView.ReadWriteEntryView;

/**
 * One command on one key of a distributed cache, run by Infinispan where the key's primary copy lives, under
 * its key lock ({@code ReadWriteMap.eval}), and run again on each backup copy in the primary's order. It
 * carries the request as the client sent it ({@link #message}, decoded again on the owner with the same
 * decoder), the time chosen by the member that received it ({@link #now}) and a cluster-unique id
 * ({@link #id}); it returns the response bytes. It must be deterministic: every copy runs it and the copies
 * must stay equal, so nothing here reads a clock, a random source or member state that differs between owners.
 *
 * <p>Idempotent: a command that changed the value records its id and response in the value's ring
 * ({@link Box}); run again (Infinispan retries writes caught in a topology change, and the receiving member
 * retries a command that timed out) it answers the recorded response, changes nothing, and still writes the
 * value so that a backup that missed the first run catches up.
 */
final class ClusterCommand implements Function<ReadWriteEntryView<SessionKey, Box>, byte[]>, InjectableComponent {
    /** A store or session command on a session (SH_*), by {@link #message}. */
    static final int RUN = 1;
    /**
     * A KV_* command on one bucket of the global key space (a whole request, or the part of one that falls in the
     * bucket, {@code ClusterRouter}); keys it inserts are stamped {@link #stamp} + their index in the request
     * ({@link #order}).
     */
    static final int GLOBAL = 2;
    /** SH_NEW with the token in the key; answers nothing (empty) when a random token is taken. */
    static final int NEW = 3;
    /** SH_OPEN: the key is the token derived from the name. */
    static final int OPEN = 4;
    /** Is the session live? Answers {@link #YES} or {@link #NO}. */
    static final int EXISTS = 5;
    /** Background expiry from the owner's wheel: applies the expiry rule if due, drops an old tombstone. */
    static final int EXPIRE = 6;
    /** SH_END_ALL on one session: ends it if live; answers {@link #YES} or {@link #NO}. */
    static final int END = 7;
    /** SH_LOAD of one session ({@link #message}: its binary form); answers YES if added, NO if the token is live. */
    static final int LOAD = 8;
    /** Reads or sets the cluster's shared-session secret ({@link #message}: the candidate); answers the secret. */
    static final int SECRET = 9;
    /**
     * A bucket's entries with their stamps as {@code Box.writeStamped} writes them (KV_SAVE), or only its keys when
     * {@link #message} is {@link #KEYS_ONLY} (KV_KEYS).
     */
    static final int SNAPSHOT = 10;
    /** KV_LOAD: stores every entry of {@link #message} ({@code Box.writeStamped}'s form) in the bucket. */
    static final int PUT_ALL = 11;
    static final byte[] KEYS_ONLY = {1};

    static final byte[] YES = {1};
    static final byte[] NO = {0};
    static final byte[] NOTHING = {};
    /**
     * The answer (compared by identity, never sent as such) of a command run {@code OwnerExecutor.BATCHED} that
     * would have grown the data: it was not run and is to be sent again alone ({@code ManyEval.Apply}).
     */
    static final byte[] BOUNCED = new byte[0];
    /** How long an ended session's ring is kept, to answer a retried SH_END (a few remote timeouts). */
    static final long TOMBSTONE_MILLIS = 60_000;

    final int op;
    final long id;
    final long now;
    final byte[] message;
    /**
     * The verdict of the limit checks ({@code OwnerExecutor.UNDECIDED} until decided). The first copy that runs
     * the command, the primary, decides against what its member holds and sets it here; Infinispan marshals the
     * command to the backups after the primary ran it, so they replay the primary's verdict instead of deciding
     * by their own holdings and limits, and every copy stays equal. {@code OwnerExecutor.BATCHED} for a command in
     * a batch ({@link ManyEval}), which reaches the backups before the primary runs it: no copy decides, what a
     * limit could refuse is answered {@link #BOUNCED}, and the field is never overwritten (the primary's instance
     * may be the one a backup is sent). {@code OwnerExecutor.ROOMY} likewise, for a batch formed while every
     * member had room ({@link Headroom}): a write that grows the data runs, refused only by the key limit.
     */
    byte verdict;
    /**
     * {@link #GLOBAL}: the stamp of the request's first key (chosen by the receiving member, rising with time), so
     * that the buckets' keys can be merged back into insertion order (KV_KEYS, KV_SAVE).
     */
    final long stamp;
    /** {@link #GLOBAL}: the index in the whole request of each key of {@link #message}; null when it is whole. */
    final int[] order;
    private transient ClusterMember member;

    ClusterCommand(int op, long id, long now, byte[] message) {
        this(op, id, now, message, OwnerExecutor.UNDECIDED);
    }

    ClusterCommand(int op, long id, long now, byte[] message, byte verdict) {
        this(op, id, now, message, verdict, 0, null);
    }

    ClusterCommand(int op, long id, long now, byte[] message, byte verdict, long stamp, int[] order) {
        this.op = op;
        this.id = id;
        this.now = now;
        this.message = message;
        this.verdict = verdict;
        this.stamp = stamp;
        this.order = order;
    }

    @Override
    public void inject(ComponentRegistry registry) {
        member = ClusterMember.of(registry.getGlobalComponentRegistry());
    }

    /** The member this command runs on (Infinispan injects it; tests set it). */
    void member(ClusterMember m) {
        this.member = m;
    }

    private boolean mutates(Request r) {
        return switch (op) {
            case RUN, GLOBAL -> !(r instanceof Request.Refused) && r.command().mutates();
            case NEW, END, LOAD, SECRET, PUT_ALL -> true;
            default -> false;
        };
    }

    @Override
    public byte[] apply(ReadWriteEntryView<SessionKey, Box> view) {
        ClusterMember m = member != null ? member : ClusterMember.only();
        Box found = view.find().orElse(null);
        Box box = found != null ? found : new Box();
        synchronized (box) {
            long sessions = box.heldSessions();
            long bytes = box.heldBytes();
            byte[] response = applyLocked(m, view, found, box);
            if (box.global != null) {
                m.budget().global(view.key(), box.heldBytes());
            } else if (box.heldSessions() != sessions || box.heldBytes() != bytes) {
                m.budget().add(view.key(), box.heldSessions() - sessions, box.heldBytes() - bytes);
            }
            return response;
        }
    }

    private byte[] applyLocked(ClusterMember m, ReadWriteEntryView<SessionKey, Box> view, Box found, Box box) {
        ClusterMember.Tools t = m.tools();
        Request r = op == RUN || op == GLOBAL || op == NEW || op == OPEN ? t.decode(message) : null;
        boolean mutating = mutates(r);
        boolean batched = verdict == OwnerExecutor.BATCHED || verdict == OwnerExecutor.ROOMY;
        if (mutating && found != null) {
            byte[] done = found.recall(id);
            if (done != null) {
                m.stats().duplicate();
                if (!batched) {
                    verdict = Box.verdict(done); // a backup that missed the first run replays its verdict
                }
                view.set(found); // still a write: a backup that missed the first run applies it now
                return Box.response(done);
            }
        }
        ResponseWriter out = t.out();
        out.reset();
        OwnerExecutor x = t.executor();
        boolean deciding = verdict == OwnerExecutor.UNDECIDED;
        if (batched) {
            x.batched(verdict == OwnerExecutor.ROOMY);
        } else if (deciding) {
            x.decide(m.budget());
        } else {
            x.replay(verdict);
        }
        try {
            return run(m, t, x, r, mutating, view, found, box, out);
        } finally {
            if (deciding) {
                verdict = x.verdict();
            }
        }
    }

    private byte[] run(ClusterMember m, ClusterMember.Tools t, OwnerExecutor x, Request r, boolean mutating,
            ReadWriteEntryView<SessionKey, Box> view, Box found, Box box, ResponseWriter out) {
        boolean changed;
        byte[] response;
        SessionKey key = view.key();
        switch (op) {
            case RUN -> {
                if (r instanceof Request.Refused f) { // the members' limits differ: answer as the owner decodes it
                    out.error(f.responsePrefix(), f.status(), f.message());
                    return out.toByteArray();
                }
                box.session = x.run(box.session, r, now, out);
                changed = x.changed(); // bounced: only lazy expiry, which every copy applies alike
                response = x.bounced() ? BOUNCED : out.toByteArray();
            }
            case GLOBAL -> {
                if (r instanceof Request.Refused f) {
                    out.error(f.responsePrefix(), f.status(), f.message());
                    return out.toByteArray();
                }
                if (box.global == null) {
                    box.global = Box.bucketStore();
                }
                box.global.stampNext(stamp, order);
                x.runGlobal(box.global, r, now, out);
                changed = x.changed();
                response = x.bounced() ? BOUNCED : out.toByteArray();
            }
            case NEW -> {
                if (!(r instanceof Request.NewSession n)) {
                    return refusedOrInternal(r, out);
                }
                Session s = x.create(box.session, n, key.hi, key.lo, now, out);
                if (s != null) {
                    box.session = s;
                    changed = true;
                    response = out.toByteArray();
                } else {
                    // the token is live: 103 for a shared session, nothing for a random one (drawn again); or
                    // 170 at limits.maxSessions (the session holding the token may have expired just now); or,
                    // run BATCHED (not ROOMY), not run: its primary decides it alone
                    if (box.session != null && box.session.ended()) {
                        box.session = null;
                    }
                    changed = x.changed();
                    response = x.bounced() ? BOUNCED : out.length() > 0 ? out.toByteArray() : NOTHING;
                    if (!changed) {
                        return response;
                    }
                }
            }
            case OPEN -> {
                if (!(r instanceof Request.Named n)) {
                    return refusedOrInternal(r, out);
                }
                box.session = x.open(box.session, n, now, out);
                changed = x.changed();
                response = out.toByteArray();
            }
            case EXISTS -> {
                if (box.session != null && !x.expireIfDue(box.session, now)) {
                    box.session = null;
                }
                changed = x.changed();
                response = box.session != null ? YES : NO;
            }
            case END -> {
                boolean ended = box.session != null && x.end(box.session, now);
                changed = x.changed();
                if (box.session != null && (ended || box.session.ended())) {
                    box.session = null;
                }
                response = ended ? YES : NO;
            }
            case EXPIRE -> {
                if (box.session != null) {
                    if (!x.expireIfDue(box.session, now)) {
                        box.session = null;
                    }
                    changed = x.changed();
                } else if (found != null && box.isTombstone() && now >= box.keepUntil) {
                    view.remove();
                    return NOTHING;
                } else {
                    changed = false;
                }
                response = NOTHING;
            }
            case LOAD -> {
                if (box.session != null && !x.expireIfDue(box.session, now)) {
                    box.session = null;
                }
                if (box.session != null) {
                    changed = x.changed();
                    response = NO;
                } else {
                    box.session = t.loadSession(message);
                    changed = true;
                    response = YES;
                }
            }
            case SNAPSHOT -> {
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                try {
                    java.io.DataOutputStream data = new java.io.DataOutputStream(bytes);
                    Box.writeStamped(box.global, message != null, data);
                    data.flush();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return bytes.toByteArray();
            }
            case PUT_ALL -> {
                if (box.global == null) {
                    box.global = Box.bucketStore();
                }
                int n;
                try {
                    java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(message));
                    n = in.readInt();
                    for (int i = 0; i < n; i++) {
                        long st = in.readLong();
                        byte[] e = new byte[in.readInt()];
                        in.readFully(e);
                        box.global.putStamped(e, st);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                changed = n > 0;
                response = YES;
            }
            case SECRET -> {
                if (box.secret == null) {
                    box.secret = message;
                    changed = true;
                } else {
                    changed = false;
                }
                response = box.secret;
            }
            default -> {
                out.error(RESPONSE_ERR, Status.UNKNOWN, "unknown cluster operation " + op);
                return out.toByteArray();
            }
        }
        if (!changed) {
            if (box.session != null && box.session.expires()) {
                m.expiry().file(key, box.session.deadline());
            }
            return response;
        }
        if (mutating && response != BOUNCED) { // a bounced command is not applied: its retry must run it
            box.remember(id, x.verdict(), response);
        }
        if (box.isTombstone()) {
            if (!box.remembersAnything()) {
                if (found != null) {
                    view.remove();
                }
                return response;
            }
            box.keepUntil = Math.max(box.keepUntil, now + TOMBSTONE_MILLIS);
            m.expiry().file(key, box.keepUntil);
        } else if (box.session != null && box.session.expires()) {
            m.expiry().file(key, box.session.deadline());
        }
        view.set(box);
        return response;
    }

    private static final byte[] RESPONSE_ERR = ResponseWriter.prefix("ERR");

    /** The owner decoded the message otherwise than the receiving member (their limits differ): its answer. */
    private static byte[] refusedOrInternal(Request r, ResponseWriter out) {
        if (r instanceof Request.Refused f) {
            out.error(f.responsePrefix(), f.status(), f.message());
        } else {
            out.error(r.command() != null ? r.command().responsePrefix() : RESPONSE_ERR, Status.UNKNOWN,
                    "internal error (logged by the server)");
        }
        return out.toByteArray();
    }
}
