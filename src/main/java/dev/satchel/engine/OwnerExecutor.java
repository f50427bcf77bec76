package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.Status;
import dev.satchel.store.KeyValues;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The executor of cluster mode: runs one command on ONE session (or on the global store) where that data lives,
 * with the same command code ({@link StoreCommand#apply}, {@link SessionCommand#apply}) and the same executor
 * rules as the command loop's {@link Engine}: lazy expiry first ({@link #expireIfDue}), 100 when there is no
 * session, the store handed over as the engine hands it, an emptied store dropped, a sliding session extended
 * after a successful SET/ADD/CLEAR_SET or GET.
 *
 * <p>Deterministic: the time is a parameter ({@code now}, wall-clock milliseconds chosen by the member that
 * received the request), nothing reads a clock, a random source or member-local state, because every copy of a
 * session runs the same command (Infinispan's functional API re-runs it on the backups) and the copies must stay
 * equal. The limits are the one exception: the member-wide budgets (limits.maxSessions, limits.maxStoredBytes)
 * are checked against what the deciding member holds, which differs between members. So one copy decides and
 * the others replay its decision: before each command the caller either lets this executor decide
 * ({@link #decide}, with the member's holdings; then {@link #verdict()} says what it decided) or makes it replay
 * a verdict taken elsewhere ({@link #replay}): every limit check then answers as it did on the deciding copy,
 * whatever this member's own limits and holdings are. A command no copy can decide for the others (in a batch)
 * runs {@link #batched}: what a limit could refuse is not run at all and goes again alone ({@link #BATCHED}),
 * unless every member had room to spare when the batch was formed ({@link #ROOMY}).
 *
 * <p>Not thread-safe: one instance per thread; callers serialise access to a session (Infinispan's key lock).
 */
public final class OwnerExecutor implements CommandContext, Changes {
    /** No verdict yet: the copy that runs the command first decides. */
    public static final byte UNDECIDED = 0;
    /** Every limit check passed. */
    public static final byte ADMITTED = 1;
    /** Refused: limits.maxKeysPerSession. */
    public static final byte REFUSED_KEYS = 2;
    /** Refused: limits.maxStoredBytes. */
    public static final byte REFUSED_BYTES = 3;
    /** Refused: limits.maxSessions (SH_NEW). */
    public static final byte REFUSED_SESSIONS = 4;
    /** Refused: limits.maxResponseBytes (GET, KEYS). */
    public static final byte REFUSED_RESPONSE = 5;
    /**
     * Not decided, and no copy may decide by its member's holdings: the command runs in a batch, which reaches
     * the backups before the primary ran it, so no verdict can travel with it. A write that would add a key or
     * stored bytes ({@link Limits#grows}, the only writes a limit can refuse) or make a session is then not run
     * at all ({@link #bounced()}: the caller sends it again alone, for its primary to decide); every other
     * command runs admitted, which is what a deciding copy would have decided. Both outcomes depend only on the
     * session and the command, never on a member's limits or holdings, so every copy takes the same one.
     * limits.maxResponseBytes (reads) is checked against this member's setting, as when deciding.
     */
    public static final byte BATCHED = 6;
    /**
     * As {@link #BATCHED}, for a batch formed while every member of the cluster held fewer sessions and bytes
     * than its limits.maxSessions and limits.maxStoredBytes less a reserve (cluster mode: {@code Headroom}): no
     * copy would refuse a new session or a write for its bytes, so a new session is made and a write that grows
     * the data runs, admitted, instead of bouncing; only limits.maxKeysPerSession, which depends on the session
     * and the command alone ({@link Limits#keysProblem}), may refuse a write, alike on every copy.
     */
    public static final byte ROOMY = 7;

    private final Limits limits;
    private long now;
    private boolean changed;
    /** {@link #UNDECIDED} while deciding; else the verdict being replayed. */
    private byte replaying;
    private byte verdict = ADMITTED;
    /** {@link #BATCHED} only: the last command was not run (see {@link #bounced()}). */
    private boolean bounced;
    private Holdings held = Holdings.NOTHING;

    /** What the deciding member holds: read only when a limit is checked. */
    public interface Holdings {
        Holdings NOTHING = new Holdings() {
            @Override
            public long sessions() {
                return 0;
            }

            @Override
            public long storedBytes() {
                return 0;
            }
        };

        /** Live sessions held. */
        long sessions();

        /** Key and value bytes held. */
        long storedBytes();
    }

    public OwnerExecutor(Limits limits) {
        this.limits = limits;
    }

    /**
     * The next command decides its limits itself, against a member that holds {@code held};
     * {@link #verdict()} then says what it decided.
     */
    public void decide(Holdings held) {
        this.replaying = UNDECIDED;
        this.held = held;
        this.verdict = ADMITTED;
        this.bounced = false;
    }

    /** The next command's limit checks answer {@code verdict}, as they did where it was decided. */
    public void replay(byte verdict) {
        this.replaying = verdict;
        this.verdict = verdict;
        this.bounced = false;
    }

    /**
     * The next command runs in a batch: {@link #BATCHED}, admitted unless it would grow the data, and then not run
     * ({@link #bounced()}); or, {@code roomy}, {@link #ROOMY}.
     */
    public void batched(boolean roomy) {
        this.replaying = roomy ? ROOMY : BATCHED;
        this.held = Holdings.NOTHING;
        this.verdict = ADMITTED;
        this.bounced = false;
    }

    /**
     * Whether the last command, run {@link #batched()}, would have grown the data and so was not run: it changed
     * nothing (but lazy expiry, see {@link #changed()}), and the response it wrote is to be discarded.
     */
    public boolean bounced() {
        return bounced;
    }

    /** What the limit checks of the last command decided ({@link #ADMITTED} or a REFUSED_ verdict). */
    public byte verdict() {
        return verdict;
    }

    /** Whether the last {@link #run} or {@link #runGlobal} changed data, a deadline, or the session's life. */
    public boolean changed() {
        return changed;
    }

    /**
     * Runs a store or session command on the session {@code s} (null: there is none) at {@code now} and writes
     * its one response. Returns the session afterwards: {@code s} (changed in place), or null when it ended (by
     * the command or by lazy expiry) or never existed.
     */
    public Session run(Session s, Request r, long now, ResponseWriter out) {
        this.now = now;
        this.changed = false;
        if (s != null && s.durationMillis > 0 && now >= s.deadline && !expire(s, now)) {
            s = null;
        }
        Command c = r.command();
        if (c.kind() == Command.Kind.STORE) {
            StoreCommand sc = (StoreCommand) c;
            if (s == null) {
                out.error(c.responsePrefix(), Problem.NO_SESSION.status(), Problem.NO_SESSION.message());
                return null;
            }
            boolean writes = sc.writes();
            KeyValues kv = writes ? s.store() : s.data != null ? s.data : KeyValues.EMPTY;
            sc.apply(s, kv, r, this, out);
            if (kv.size() == 0 && s.data != null) {
                s.data = null;
            }
            if (s.durationMillis > 0 && out.status() == Status.OK
                    && (writes ? s.extendOnSetAdd : sc.extendsOnGet() && s.extendOnGet)) {
                long d = now + s.durationMillis;
                if (d != s.deadline) {
                    s.deadline = d;
                    changed = true;
                }
            }
            return s;
        }
        if (c.kind() == Command.Kind.SESSION) {
            if (((SessionCommand) c).apply(s, r, this, out) == SessionCommand.Outcome.END && s != null) {
                s.ended = true;
                changed = true;
                return null;
            }
            return s;
        }
        throw new IllegalArgumentException(c.name() + " is not a command on one session");
    }

    /** Runs a {@code KV_*} command on the global store {@code kv} at {@code now} and writes its one response. */
    public void runGlobal(KeyValues kv, Request r, long now, ResponseWriter out) {
        this.now = now;
        this.changed = false;
        ((StoreCommand) r.command()).apply(null, kv, r, this, out);
    }

    /**
     * Applies expiry to a session whose deadline has passed, by the engine's rule: ends it, or clears its data and
     * starts the period that contains {@code now}. Returns true if the session lives on. Changes nothing (and
     * returns true) when the deadline has not passed.
     */
    public boolean expireIfDue(Session s, long now) {
        this.changed = false;
        if (s.durationMillis <= 0 || now < s.deadline) {
            return true;
        }
        return expire(s, now);
    }

    private boolean expire(Session s, long now) {
        changed = true;
        if (s.deleteSession) {
            s.ended = true;
            s.data = null;
            return false;
        }
        if (s.data != null) {
            s.data.clear();
            s.data = null;
        }
        long d = s.durationMillis;
        s.deadline += ((now - s.deadline) / d + 1) * d;
        return true;
    }

    /**
     * SH_NEW on the owner of the token {@code (hi, lo)} the receiving member chose (drawn at random, or derived
     * from the name of a shared session): {@code existing} is the session holding that token now, or null.
     * Returns the new session and writes SH_NEW's answer; or, when a live session holds the token, returns null
     * and writes 103 for a shared session, nothing for a random token (the caller draws another); or, when the
     * member holds limits.maxSessions live sessions, returns null and writes 170 ({@code existing} may have ended
     * by expiry then: see {@link #changed()}).
     */
    public Session create(Session existing, Request.NewSession r, long hi, long lo, long now, ResponseWriter out) {
        this.now = now;
        this.changed = false;
        boolean shared = r.shared();
        if (existing != null && (existing.durationMillis <= 0 || now < existing.deadline || expire(existing, now))) {
            if (shared) {
                out.error(r.command().responsePrefix(), Status.SESSION_NEW_FAIL,
                        "a shared session with this name already exists");
            }
            return null;
        }
        if (replaying == BATCHED) { // a new session grows what the member holds: its primary decides
            bounced = true;
            return null;
        }
        if (replaying == UNDECIDED ? held.sessions() >= limits.maxSessions : replaying == REFUSED_SESSIONS) {
            verdict = REFUSED_SESSIONS;
            out.error(r.command().responsePrefix(), limits.sessions.status(), limits.sessions.message());
            return null;
        }
        Session s = newSession(hi, lo, r.name(), shared, r.durationMillis(), r.deleteSession(), r.extendOnSetAdd(),
                r.extendOnGet(), now);
        changed = true;
        SessionCommands.writeCreated(r.command(), s, out);
        return s;
    }

    /**
     * SH_OPEN on the owner of the token derived from the name: {@code s} is the session holding it (null if
     * none). Writes the answer; returns the session afterwards (null if it expired now or never existed).
     */
    public Session open(Session s, Request.Named r, long now, ResponseWriter out) {
        this.now = now;
        this.changed = false;
        if (s != null && s.durationMillis > 0 && now >= s.deadline && !expire(s, now)) {
            s = null;
        }
        if (s == null || !s.shared || !r.name().equals(s.name)) {
            out.error(r.command().responsePrefix(), Status.SESSION_OPEN_FAIL, "no shared session has this name");
        } else {
            SessionCommands.writeOpened(r.command(), s, out);
        }
        return s;
    }

    /** Ends a live session (SH_END_ALL on its owner); returns false if it was not live (after lazy expiry). */
    public boolean end(Session s, long now) {
        this.now = now;
        this.changed = false;
        if (s.durationMillis > 0 && now >= s.deadline && !expire(s, now)) {
            return false;
        }
        s.ended = true;
        s.data = null;
        changed = true;
        return true;
    }

    /** A new session as SH_NEW makes it, its first period starting at {@code now}. */
    public static Session newSession(long hi, long lo, String name, boolean shared, long durationMillis,
            boolean deleteSession, boolean extendOnSetAdd, boolean extendOnGet, long now) {
        Session s = new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
        if (durationMillis > 0) {
            s.deadline = now + durationMillis;
        }
        return s;
    }

    /**
     * A session read from a saved dataset (SH_LOAD): its period ends {@code remainingMillis} after {@code now},
     * {@code data} (may be null) becomes its store.
     */
    public static Session loadedSession(long hi, long lo, String name, boolean shared, long durationMillis,
            boolean deleteSession, boolean extendOnSetAdd, boolean extendOnGet, long remainingMillis, KeyValues data,
            long now) {
        Session s = new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
        if (durationMillis > 0) {
            s.deadline = now + remainingMillis;
        }
        if (data != null && data.size() > 0) {
            s.data = data;
        }
        return s;
    }

    // ---- CommandContext ----

    @Override
    public long now() {
        return now;
    }

    @Override
    public Changes changes() {
        return this;
    }

    @Override
    public Problem writeProblem(Session s, KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite) {
        if (replaying == ROOMY) {
            Problem p = limits.keysProblem(s, kv, r, clearFirst, overwrite);
            if (p != null) {
                verdict = REFUSED_KEYS;
            }
            return p;
        }
        if (replaying == BATCHED) {
            if (Limits.grows(kv, r, clearFirst, overwrite)) {
                bounced = true;
                return limits.storedBytes; // stops the command before it writes; the caller discards the answer
            }
            return null;
        }
        if (replaying != UNDECIDED) {
            return replaying == REFUSED_KEYS ? limits.keysPerSession
                    : replaying == REFUSED_BYTES ? limits.storedBytes : null;
        }
        Problem p = limits.writeProblem(s, kv, r, clearFirst, overwrite, held.storedBytes());
        if (p != null) {
            verdict = p == limits.keysPerSession ? REFUSED_KEYS : REFUSED_BYTES;
        }
        return p;
    }

    @Override
    public int maxResponseBytes() {
        if (replaying != UNDECIDED && replaying != BATCHED && replaying != ROOMY) {
            return replaying == REFUSED_RESPONSE ? 0 : Integer.MAX_VALUE;
        }
        return limits.maxResponseBytes;
    }

    @Override
    public Problem responseTooLarge() {
        verdict = REFUSED_RESPONSE;
        return limits.response;
    }

    // ---- Changes: only whether anything changed matters here ----

    @Override
    public void put(Session session, byte[] entry) {
        changed = true;
    }

    @Override
    public void removed(Session session, byte[] key) {
        changed = true;
    }

    @Override
    public void storeCleared(Session session) {
        changed = true;
    }

    // ---- the session's binary form (state transfer between members, and the value of a remote read) ----

    /** Writes everything the session is: token, name, shared flag, expiry settings, deadline and entries. */
    public static void write(Session s, DataOutput out) throws IOException {
        out.writeLong(s.tokenHi);
        out.writeLong(s.tokenLo);
        out.writeByte((s.name != null ? 1 : 0) | (s.shared ? 2 : 0) | (s.deleteSession ? 4 : 0)
                | (s.extendOnSetAdd ? 8 : 0) | (s.extendOnGet ? 16 : 0));
        if (s.name != null) {
            out.writeUTF(s.name);
        }
        out.writeLong(s.durationMillis);
        out.writeLong(s.deadline);
        writeStore(s.data, out);
    }

    /** Reads what {@link #write} wrote. */
    public static Session read(DataInput in) throws IOException {
        long hi = in.readLong();
        long lo = in.readLong();
        int flags = in.readByte();
        String name = (flags & 1) != 0 ? in.readUTF() : null;
        long duration = in.readLong();
        Session s = new Session(hi, lo, name, (flags & 2) != 0, duration, (flags & 4) != 0, (flags & 8) != 0,
                (flags & 16) != 0);
        s.deadline = in.readLong();
        KeyValues kv = readStore(in);
        s.data = kv.size() > 0 ? kv : null;
        return s;
    }

    /** Writes a store's entries (null: none) in position order. */
    public static void writeStore(KeyValues kv, DataOutput out) throws IOException {
        int n = kv == null ? 0 : kv.size();
        out.writeInt(n);
        if (n == 0) {
            return;
        }
        for (int p = 0, end = kv.end(); p < end; p++) {
            byte[] e = kv.entryAt(p);
            if (e != null) {
                out.writeInt(e.length);
                out.write(e);
            }
        }
    }

    /** Reads what {@link #writeStore} wrote into a new store. */
    public static KeyValues readStore(DataInput in) throws IOException {
        int n = in.readInt();
        KeyValues kv = new KeyValues();
        for (int i = 0; i < n; i++) {
            byte[] e = new byte[in.readInt()];
            in.readFully(e);
            kv.put(e);
        }
        return kv;
    }
}
