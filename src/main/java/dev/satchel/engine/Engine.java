package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import dev.satchel.store.KeyValues;
import java.util.HashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All data of one server, the session table, the global key space and the expiry wheel, and the executor
 * that runs commands on them for the command loop. Owned by the command loop thread: every method must be
 * called on it (the data-structure classes have no locks).
 *
 * <p>As executor, the engine finds what a command works on and hands it over with itself as the
 * {@link CommandContext}: a {@link StoreCommand} gets one store, a {@link SessionCommand} one session, and only
 * a {@link TableCommand} sees the engine. Every change is reported to the {@link Changes} sink.
 *
 * <p>Expiry is enforced in two places with one rule ({@link #expire}): lazily whenever a command finds a
 * session past its deadline, and in the background by the wheel. So expired data is never visible, even
 * between wheel ticks, and never resurrected.
 */
public final class Engine implements CommandContext {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** Sessions the wheel may expire per call, so a mass expiry is spread over several loop turns. */
    public static final int EXPIRY_BUDGET = 10_000;

    private final Clock clock;
    private final Tokens tokens;
    private final SessionTable sessions = new SessionTable();
    /**
     * Live shared sessions by name. SH_OPEN looks names up here rather than recomputing the HMAC, so a shared
     * session loaded from a dataset opens by name even when the loading server's sessions.sharedSecret differs
     * from the one that derived its token; and a name is never held by two shared sessions.
     */
    private final HashMap<String, Session> sharedByName = new HashMap<>();
    private final KeyValues global = new KeyValues();
    private final ExpiryWheel wheel;
    private final Snapshots snapshots = new Snapshots(sessions);
    private final long startedAt;
    private final String version;
    private final boolean persistEnabled;
    private final long[] tokenScratch = new long[2];
    private Changes changes = Changes.NONE;
    /** True when a sink is installed: then requests are bracketed and mutations checked (one branch otherwise). */
    private boolean journalled;
    private long sessionKeys;
    private long sessionsCreated;
    private long sessionsEnded;
    private long sessionsExpired;
    private long sessionsCleared;
    /** Bytes of the entries stored in sessions (keys and values as stored), kept like sessionKeys. */
    private long sessionBytes;
    /** Longest delay between a deadline and the wheel expiring it, since the last take. */
    private long expiryLagMaxMillis;
    /** Watches every answer (metrics); null when nobody watches. */
    private CommandObserver observer;
    /** Cluster mode: runs commands where their data lives; null when standalone. */
    private CommandRouter router;
    private final ExpiryWheel.Expirer wheelExpirer = this::expireFromWheel;

    public Engine(Clock clock, Tokens tokens, long wheelTickMillis, String version, boolean persistEnabled) {
        this.clock = clock;
        this.tokens = tokens;
        this.wheel = new ExpiryWheel(wheelTickMillis, 4096, clock.millis());
        this.startedAt = clock.millis();
        this.version = version;
        this.persistEnabled = persistEnabled;
    }

    @Override
    public long now() {
        return clock.millis();
    }

    @Override
    public Changes changes() {
        return changes;
    }

    /** Sets the sink for every change (the journal, a cluster); call before the loop starts. */
    public void changes(Changes sink) {
        this.changes = sink == null ? Changes.NONE : sink;
        this.journalled = this.changes != Changes.NONE;
    }

    /** True when a change sink (the journal) is installed: response delivery goes through {@link #whenDurable}. */
    public boolean journalled() {
        return journalled;
    }

    /** The end of a command-loop turn: the sink hands over what the turn recorded. */
    public void endOfTurn() {
        if (journalled) {
            changes.endOfTurn();
        }
    }

    /**
     * Runs {@code action} (on the loop) once every change made so far is durable: at once without a journal or
     * with one that acknowledges before its fsync; after the fsync with {@code persist.journal = always}.
     * Actions run in call order. Response delivery goes through here.
     */
    public void whenDurable(Runnable action) {
        if (journalled) {
            changes.whenDurable(action);
        } else {
            action.run();
        }
    }

    /** Consistent snapshots of every session (for saves). */
    public Snapshots snapshots() {
        return snapshots;
    }

    public Tokens tokens() {
        return tokens;
    }

    public String version() {
        return version;
    }

    public boolean persistEnabled() {
        return persistEnabled;
    }

    public long uptimeMillis() {
        return clock.millis() - startedAt;
    }

    /** Runs one decoded request and writes its one response. */
    public void execute(Request r, ResponseWriter out) {
        if (r instanceof Request.Refused refused) {
            out.error(refused.responsePrefix(), refused.status(), refused.message());
            if (observer != null) {
                observer.count(null, refused.status()); // refused before running: counted under no command
            }
            return;
        }
        Command c = r.command();
        if (router != null && router.route(r, out)) {
            if (observer != null) {
                observer.countLater(c, out.deferred());
            }
            return;
        }
        boolean logged = journalled;
        if (logged) {
            String unrecorded = c.mutates() ? changes.refusal() : null;
            if (unrecorded != null) {
                Problem p = Problem.unrecorded(unrecorded);
                out.error(c.responsePrefix(), p.status(), p.message());
                if (observer != null) {
                    observer.count(c, p.status());
                }
                return;
            }
            changes.beginRequest();
        }
        try {
            Command.Kind kind = c.kind();
            if (kind == Command.Kind.STORE) {
                runOnStore((StoreCommand) c, r, out);
            } else if (kind == Command.Kind.SESSION) {
                runOnSession((SessionCommand) c, r, out);
            } else {
                ((TableCommand) c).execute(this, r, out);
            }
        } catch (RuntimeException e) {
            LOG.error("internal error in {}", c.name(), e);
            out.reset();
            out.error(c.responsePrefix(), Problem.INTERNAL.status(), Problem.INTERNAL.message());
        }
        if (logged) {
            changes.endRequest();
        }
        if (observer != null) {
            if (out.status() == null && out.deferred() != null) {
                observer.countLater(c, out.deferred());
            } else {
                observer.count(c, out.status());
            }
        }
    }

    /**
     * The executor's part of a store command: finds the store (the global one, or the session's), runs the
     * command on it, then keeps the counts, drops an emptied store and extends a sliding session.
     */
    private void runOnStore(StoreCommand c, Request r, ResponseWriter out) {
        storeCommandOnce(c, r, out);
        if (out.status() == Status.LIMIT_EXCEEDED && c.writes() && expireDue()) {
            // data past its deadline holds no budget: after the pass, which may have reached this very session
            // (its deadline may have passed since the lookup), run again from the lookup. A refused write
            // changed nothing, so running it again is safe.
            out.reset();
            storeCommandOnce(c, r, out);
        }
    }

    private void storeCommandOnce(StoreCommand c, Request r, ResponseWriter out) {
        if (!c.onSession()) {
            c.apply(null, global, r, this, out);
            return;
        }
        Session s = find(r.tokenHi(), r.tokenLo());
        if (s == null) {
            out.error(c.responsePrefix(), Problem.NO_SESSION.status(), Problem.NO_SESSION.message());
            return;
        }
        boolean writes = c.writes();
        KeyValues kv = writes ? s.store() : s.data != null ? s.data : KeyValues.EMPTY;
        int before = kv.size();
        long bytesBefore = kv.storedBytes();
        c.apply(s, kv, r, this, out);
        sessionKeys += kv.size() - before;
        sessionBytes += kv.storedBytes() - bytesBefore;
        if (kv.size() == 0 && s.data != null) {
            s.data = null; // an empty session holds no store
        }
        if (s.durationMillis > 0 && out.status() == Status.OK
                && (writes ? s.extendOnSetAdd : c.extendsOnGet() && s.extendOnGet)) {
            extend(s);
        }
    }

    /** The executor's part of a session command: finds the session, runs the command, carries out its outcome. */
    private void runOnSession(SessionCommand c, Request r, ResponseWriter out) {
        Session s = find(r.tokenHi(), r.tokenLo());
        if (c.apply(s, r, this, out) == SessionCommand.Outcome.END && s != null) {
            end(s);
        }
    }

    /** Routes requests to where their data lives (cluster mode); call before the loop starts. */
    public void router(CommandRouter router) {
        this.router = router;
    }

    /** Turns on the command observer (metrics); call before the loop starts (or on the loop). */
    public void observer(CommandObserver observer) {
        this.observer = observer;
    }

    /** The command observer, or null when nobody watches. */
    public CommandObserver observer() {
        return observer;
    }

    /** Bytes stored in sessions: every entry's key and value bytes as stored (see KeyValues.storedBytes). */
    public long sessionBytes() {
        return sessionBytes;
    }

    /** The longest lag of a wheel expiry (deadline to expiry, ms) since the last call, which resets it. */
    public long takeExpiryLagMaxMillis() {
        long lag = expiryLagMaxMillis;
        expiryLagMaxMillis = 0;
        return lag;
    }

    private boolean expireFromWheel(Session s, long now) {
        long lag = now - s.deadline;
        if (lag > expiryLagMaxMillis) {
            expiryLagMaxMillis = lag;
        }
        return expire(s, now);
    }

    // ---- sessions ----

    public int sessionCount() {
        return sessions.size();
    }

    public long sessionKeyCount() {
        return sessionKeys;
    }

    public long sessionsCreated() {
        return sessionsCreated;
    }

    public long sessionsEnded() {
        return sessionsEnded;
    }

    public long sessionsExpired() {
        return sessionsExpired;
    }

    public long sessionsCleared() {
        return sessionsCleared;
    }

    /** The live session with this token, or null. A session found past its deadline is expired first. */
    public Session find(long hi, long lo) {
        Session s = sessions.get(hi, lo);
        if (s == null) {
            return null;
        }
        snapshots.beforeChangeIfNeeded(s); // the caller may change it
        if (s.durationMillis > 0) {
            long now = clock.millis();
            if (now >= s.deadline && !expire(s, now)) {
                return null;
            }
        }
        return s;
    }

    /**
     * Applies expiry to a session whose deadline has passed: ends it, or clears its data and starts the
     * period that contains {@code now}. Returns true if the session lives on.
     */
    boolean expire(Session s, long now) {
        snapshots.beforeChangeIfNeeded(s);
        if (s.deleteSession) {
            end(s);
            sessionsExpired++;
            return false;
        }
        dropData(s);
        long d = s.durationMillis;
        s.deadline += ((now - s.deadline) / d + 1) * d;
        sessionsCleared++;
        changes.sessionExpiredData(s);
        return true;
    }

    /** Creates a session with a new random token. */
    public Session createRandom(String name, long durationMillis, boolean deleteSession, boolean extendOnSetAdd,
            boolean extendOnGet) {
        long[] t = tokenScratch;
        do {
            tokens.random(t);
        } while (sessions.get(t[0], t[1]) != null); // a collision is re-drawn, never reported
        return create(t[0], t[1], name, false, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
    }

    /**
     * The live shared session called {@code name}, or null (a session found past its deadline is expired
     * first, as by {@link #find}).
     */
    public Session findShared(String name) {
        Session s = sharedByName.get(name);
        return s == null ? null : find(s.tokenHi, s.tokenLo);
    }

    /**
     * Creates a session with a given token, which must not be in use (see {@link #exists}); a shared one's name
     * must not be in use by a shared session either (see {@link #findShared}).
     */
    public Session create(long hi, long lo, String name, boolean shared, long durationMillis, boolean deleteSession,
            boolean extendOnSetAdd, boolean extendOnGet) {
        Session s = admit(new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd,
                extendOnGet), durationMillis > 0 ? clock.millis() + durationMillis : 0);
        changes.sessionCreated(s);
        return s;
    }

    /**
     * Files a new session: its deadline (if it expires) on the wheel, the table, the index of shared names, the
     * count. Every way a session comes to be (created, loaded, replayed) goes through here.
     */
    private Session admit(Session s, long deadline) {
        if (s.durationMillis > 0) {
            s.deadline = deadline;
            wheel.schedule(s);
        }
        snapshots.born(s);
        sessions.add(s);
        if (s.shared) {
            sharedByName.put(s.name, s);
        }
        sessionsCreated++;
        return s;
    }

    /**
     * Adds a session read from a saved dataset (SH_LOAD), unless a live session has its token, or it is shared
     * and a live shared session has its name: then returns null and changes nothing. An expiring session's
     * period ends {@code remainingMillis} from now (the time it had left when saved). {@code data} was built
     * off the loop and handed over through the loop's queue; null or empty means no keys.
     */
    public Session restore(long hi, long lo, String name, boolean shared, long durationMillis, boolean deleteSession,
            boolean extendOnSetAdd, boolean extendOnGet, long remainingMillis, KeyValues data) {
        if (exists(hi, lo) || (shared && findShared(name) != null)) {
            return null;
        }
        Session s = new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
        if (data != null && data.size() > 0) {
            s.data = data;
            sessionKeys += data.size();
            sessionBytes += data.storedBytes();
        }
        admit(s, durationMillis > 0 ? clock.millis() + remainingMillis : 0);
        changes.sessionCreated(s);
        return s;
    }

    /** True if a live session has this token (expiring it first if it is past its deadline). */
    public boolean exists(long hi, long lo) {
        return find(hi, lo) != null;
    }

    public void end(Session s) {
        snapshots.beforeChangeIfNeeded(s);
        sessions.remove(s);
        if (s.shared) {
            sharedByName.remove(s.name, s);
        }
        s.ended = true;
        sessionKeys -= s.keyCount();
        if (s.data != null) {
            sessionBytes -= s.data.storedBytes();
        }
        s.data = null;
        sessionsEnded++;
        changes.sessionEnded(s);
    }

    /** Ends every session; returns how many there were. */
    public int endAll() {
        processExpiries(Integer.MAX_VALUE); // sessions past their deadline are not counted as ended here
        int n = sessions.size();
        if (snapshots.active()) {
            sessions.forEach(s -> {
                snapshots.beforeChangeIfNeeded(s);
                s.ended = true;
            });
        } else {
            sessions.forEach(s -> s.ended = true);
        }
        sessions.clear();
        sharedByName.clear();
        wheel.clear(clock.millis());
        sessionKeys = 0;
        sessionBytes = 0;
        sessionsEnded += n;
        changes.allSessionsEnded();
        return n;
    }

    /** Removes every key of a session, as expiry does (reported as part of the expiry); returns how many. */
    private int dropData(Session s) {
        snapshots.beforeChangeIfNeeded(s);
        if (s.data == null) {
            return 0;
        }
        sessionBytes -= s.data.storedBytes();
        int n = s.data.clear();
        sessionKeys -= n;
        s.data = null;
        return n;
    }

    /** Restarts a sliding session's period after a qualifying command. */
    void extend(Session s) {
        snapshots.beforeChangeIfNeeded(s);
        s.deadline = clock.millis() + s.durationMillis;
        changes.deadlineMoved(s);
    }

    /** Seconds left in the session's period, rounded up; never negative. */
    public long remainingSeconds(Session s) {
        long left = s.deadline - clock.millis();
        return left <= 0 ? 0 : (left + 999) / 1000;
    }

    /** Runs the expiry wheel up to now; returns true if due work remains (call again). */
    public boolean processExpiries(int budget) {
        return wheel.advance(clock.millis(), budget, wheelExpirer);
    }

    public long wheelTickMillis() {
        return wheel.tickMillis();
    }

    // ---- global key space ----

    public KeyValues global() {
        return global;
    }

    // ---- limits (README "Security and limits"): checked on the loop before anything changes ----

    private Limits limits = Limits.NONE;

    /** Sets the limits (unlimited until called); call before the loop starts. */
    public void limits(int maxSessions, int maxKeysPerSession, long maxStoredBytes, int maxResponseBytes) {
        this.limits = new Limits(maxSessions, maxKeysPerSession, maxStoredBytes, maxResponseBytes);
    }

    /** Key and value bytes stored in total, sessions and global space (what limits.maxStoredBytes bounds). */
    public long storedBytes() {
        return global.storedBytes() + sessionBytes();
    }

    public long maxStoredBytes() {
        return limits.maxStoredBytes;
    }

    /** Largest response a command may write (GET and KEYS check it as they go). */
    @Override
    public int maxResponseBytes() {
        return limits.maxResponseBytes;
    }

    /** The 170 problem of a response that would pass {@link #maxResponseBytes()}. */
    @Override
    public Problem responseTooLarge() {
        return limits.response;
    }

    /** The clock reading of the last {@link #expireDue} pass, which left nothing due at that instant. */
    private long expiredDueAt = Long.MIN_VALUE;

    /**
     * Expires every session whose deadline has passed, including those the wheel has not reached yet; returns
     * true if that changed anything. A limit check calls it before it refuses, so that data past its deadline
     * (never observable) never holds a budget either. Only the refusal path pays for it, and the pass is bounded
     * by what is due (plus one look at the wheel's next slot); within one clock millisecond a second pass is
     * skipped, since nothing new can fall due until the clock moves (every deadline set is in the future).
     */
    boolean expireDue() {
        long now = clock.millis();
        if (now == expiredDueAt) {
            return false;
        }
        long before = sessionsExpired + sessionsCleared;
        wheel.advance(now, Integer.MAX_VALUE, wheelExpirer);
        expiredDueAt = now;
        return sessionsExpired + sessionsCleared != before;
    }

    /** Null if one more session fits under limits.maxSessions, else the 170 problem. */
    public Problem newSessionProblem() {
        if (sessions.size() >= limits.maxSessions) {
            expireDue(); // sessions past their deadline do not count
            if (sessions.size() >= limits.maxSessions) {
                return limits.sessions;
            }
        }
        return null;
    }

    /**
     * Null if writing {@code r}'s entries into {@code kv} (a session's store, or the global one when {@code s} is
     * null) keeps every limit, else the 170 problem; nothing changes either way. {@code clearFirst} for CLEAR_SET,
     * {@code overwrite} false for ADD. A cheap upper bound decides almost always; only near a limit are the keys
     * looked up. A write that frees memory or adds no key is never refused.
     */
    @Override
    public Problem writeProblem(Session s, KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite) {
        return limits.writeProblem(s, kv, r, clearFirst, overwrite, storedBytes());
    }

    /**
     * Null if a dataset of {@code sessions} sessions (0 for keys), {@code bytes} key and value bytes and at most
     * {@code largestStore} keys in one session fits the limits on top of the current data (counting sessions
     * whose token is in use and keys it would overwrite as new: a load is refused whole, never half-applied).
     */
    public String loadProblem(long sessions, long bytes, long largestStore) {
        String problem = loadProblemNow(sessions, bytes, largestStore);
        if (problem != null && expireDue()) { // data past its deadline does not hold the budget
            problem = loadProblemNow(sessions, bytes, largestStore);
        }
        return problem;
    }

    private String loadProblemNow(long sessions, long bytes, long largestStore) {
        return limits.loadProblem(sessions, this.sessions.size(), bytes, storedBytes(), largestStore);
    }


    // ---- replay of a journal at start (before clients are served; nothing is reported to the sink) ----

    /**
     * Replay: a session as journalled, with its deadline on this engine's clock (may be past: see
     * {@link #expireAllPastDeadline}). A session holding the token already is replaced.
     */
    public Session replayCreate(long hi, long lo, String name, boolean shared, long durationMillis,
            boolean deleteSession, boolean extendOnSetAdd, boolean extendOnGet, long deadline) {
        Session old = sessions.get(hi, lo);
        if (old != null) {
            end(old);
        }
        if (shared) {
            Session holder = sharedByName.get(name);
            if (holder != null) {
                end(holder);
            }
        }
        Session s = new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
        if (durationMillis > 0) {
            s.journalledDeadline = deadline;
        }
        return admit(s, deadline);
    }

    /**
     * Replay of a journal base: a session as saved, with its deadline on this engine's clock (may be past) and
     * its store as read from the base (null or empty: no keys).
     */
    public Session replayRestore(long hi, long lo, String name, boolean shared, long durationMillis,
            boolean deleteSession, boolean extendOnSetAdd, boolean extendOnGet, long deadline, KeyValues data) {
        Session s = replayCreate(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet,
                deadline);
        if (data != null && data.size() > 0) {
            s.data = data;
            sessionKeys += data.size();
            sessionBytes += data.storedBytes();
        }
        return s;
    }

    /** Replay: every session ends (SH_END_ALL). */
    public void replayEndAll() {
        sessions.forEach(s -> s.ended = true);
        sessions.clear();
        sharedByName.clear();
        wheel.clear(clock.millis());
        sessionKeys = 0;
        sessionBytes = 0;
    }

    /** Replay: the session with this token, whatever its deadline (no lazy expiry), or null. */
    public Session replayFind(long hi, long lo) {
        return sessions.get(hi, lo);
    }

    /** Replay: removes a session's keys; an expiring session's deadline becomes {@code deadline} unless 0. */
    public void replayClear(Session s, long deadline) {
        dropData(s);
        if (deadline != 0 && s.durationMillis > 0) {
            replayDeadline(s, deadline);
        }
    }

    /** Replay: sets an expiring session's deadline (engine clock). */
    public void replayDeadline(Session s, long deadline) {
        if (s.durationMillis <= 0) {
            return;
        }
        // the wheel refiles a session whose deadline moved later when its slot fires; one moved earlier (a wall
        // clock stepped back) is expired by expireAllPastDeadline after the replay, or lazily when found
        s.deadline = deadline;
        s.journalledDeadline = deadline;
    }

    /** Replay: stores an entry in a session, keeping the counts. */
    public void replayPut(Session s, byte[] entry) {
        KeyValues kv = s.store();
        int before = kv.size();
        long bytes = kv.storedBytes();
        kv.put(entry);
        sessionKeys += kv.size() - before;
        sessionBytes += kv.storedBytes() - bytes;
    }

    /** Replay: removes a key from a session, keeping the counts. */
    public void replayRemove(Session s, byte[] key) {
        KeyValues kv = s.data;
        if (kv == null) {
            return;
        }
        long bytes = kv.storedBytes();
        if (kv.remove(key)) {
            sessionKeys--;
            sessionBytes += kv.storedBytes() - bytes;
            if (kv.size() == 0) {
                s.data = null;
            }
        }
    }

    /**
     * After a replay: applies expiry, by the normal rule, to every session whose deadline has passed (ended,
     * or cleared with the period that contains now); returns how many. Changes are reported to the sink.
     */
    public int expireAllPastDeadline() {
        long now = clock.millis();
        java.util.ArrayList<Session> due = new java.util.ArrayList<>();
        sessions.forEach(s -> {
            if (s.durationMillis > 0 && s.deadline <= now) {
                due.add(s);
            }
        });
        for (Session s : due) {
            expire(s, now);
        }
        return due.size();
    }
}
