package dev.satchel.engine;

import dev.satchel.protocol.Request;
import dev.satchel.protocol.ResponseWriter;
import dev.satchel.protocol.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All data of one server: the session table, the global key space and the expiry wheel. Owned by the
 * command loop thread: every method must be called on it (the data-structure classes have no locks).
 *
 * <p>Expiry is enforced in two places with one rule ({@link #expire}): lazily whenever a command finds a
 * session past its deadline, and in the background by the wheel. So expired data is never visible, even
 * between wheel ticks, and never resurrected.
 */
public final class Engine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** Sessions the wheel may expire per call, so a mass expiry is spread over several loop turns. */
    public static final int EXPIRY_BUDGET = 10_000;

    private final Clock clock;
    private final Tokens tokens;
    private final SessionTable sessions = new SessionTable();
    private final KeyValues global = new KeyValues();
    private final ExpiryWheel wheel;
    private final long startedAt;
    private final String version;
    private final boolean persistEnabled;
    private final long[] tokenScratch = new long[2];
    private long sessionKeys;
    private long sessionsCreated;
    private long sessionsEnded;
    private long sessionsExpired;
    private long sessionsCleared;

    public Engine(Clock clock, Tokens tokens, long wheelTickMillis, String version, boolean persistEnabled) {
        this.clock = clock;
        this.tokens = tokens;
        this.wheel = new ExpiryWheel(wheelTickMillis, 4096, clock.millis());
        this.startedAt = clock.millis();
        this.version = version;
        this.persistEnabled = persistEnabled;
    }

    public long now() {
        return clock.millis();
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
        if (r.errorStatus != 0) {
            out.error(r.errorName, r.errorStatus, r.errorMessage);
            return;
        }
        try {
            r.command.execute(this, r, out);
        } catch (RuntimeException e) {
            LOG.error("internal error in {}", r.command.name(), e);
            out.reset();
            out.error(r.command.responsePrefix(), Status.UNKNOWN, "internal error (logged by the server)");
        }
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
        if (s.deleteSession) {
            end(s);
            sessionsExpired++;
            return false;
        }
        clearData(s);
        long d = s.durationMillis;
        s.deadline += ((now - s.deadline) / d + 1) * d;
        sessionsCleared++;
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

    /** Creates a session with a given token, which must not be in use (see {@link #exists}). */
    public Session create(long hi, long lo, String name, boolean shared, long durationMillis, boolean deleteSession,
            boolean extendOnSetAdd, boolean extendOnGet) {
        Session s = new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
        if (durationMillis > 0) {
            s.deadline = clock.millis() + durationMillis;
            wheel.schedule(s);
        }
        sessions.add(s);
        sessionsCreated++;
        return s;
    }

    /** True if a live session has this token (expiring it first if it is past its deadline). */
    public boolean exists(long hi, long lo) {
        return find(hi, lo) != null;
    }

    public void end(Session s) {
        sessions.remove(s);
        s.ended = true;
        sessionKeys -= s.keyCount();
        s.data = null;
        sessionsEnded++;
    }

    /** Ends every session; returns how many there were. */
    public int endAll() {
        processExpiries(Integer.MAX_VALUE); // sessions past their deadline are not counted as ended here
        int n = sessions.size();
        sessions.forEach(s -> s.ended = true);
        sessions.clear();
        wheel.clear(clock.millis());
        sessionKeys = 0;
        sessionsEnded += n;
        return n;
    }

    /** Removes every key of a session; returns how many. */
    public int clearData(Session s) {
        if (s.data == null) {
            return 0;
        }
        int n = s.data.clear();
        sessionKeys -= n;
        s.data = null;
        return n;
    }

    /** Records a change in the number of keys held by sessions. */
    void sessionKeysChanged(long delta) {
        sessionKeys += delta;
    }

    /** Restarts a sliding session's period after a qualifying command. */
    void extend(Session s) {
        s.deadline = clock.millis() + s.durationMillis;
    }

    /** Seconds left in the session's period, rounded up; never negative. */
    public long remainingSeconds(Session s) {
        long left = s.deadline - clock.millis();
        return left <= 0 ? 0 : (left + 999) / 1000;
    }

    /** Runs the expiry wheel up to now; returns true if due work remains (call again). */
    public boolean processExpiries(int budget) {
        return wheel.advance(clock.millis(), budget, this::expire);
    }

    public long wheelTickMillis() {
        return wheel.tickMillis();
    }

    // ---- global key space ----

    public KeyValues global() {
        return global;
    }

    /** Thread-confined scratch for a token pair. */
    long[] tokenScratch() {
        return tokenScratch;
    }

    /** Writes a session's token in the configured format. */
    static void writeToken(ResponseWriter out, Session s) {
        out.token(s.tokenHi, s.tokenLo);
    }
}
