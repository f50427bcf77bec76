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
        if (captures.length != 0 && s.snapSeq < snapshotSeq) {
            captureBeforeChange(s); // the caller may change it
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
        if (captures.length != 0 && s.snapSeq < snapshotSeq) {
            captureBeforeChange(s);
        }
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
        s.snapSeq = snapshotSeq; // not part of any snapshot begun before it existed
        sessions.add(s);
        sessionsCreated++;
        return s;
    }

    /**
     * Adds a session read from a saved dataset (SH_LOAD), unless a live session has its token: then returns
     * null and changes nothing. An expiring session's period ends {@code remainingMillis} from now (the
     * time it had left when saved). {@code data} was built off the loop and handed over through the loop's
     * queue; null or empty means no keys.
     */
    Session restore(long hi, long lo, String name, boolean shared, long durationMillis, boolean deleteSession,
            boolean extendOnSetAdd, boolean extendOnGet, long remainingMillis, KeyValues data) {
        if (exists(hi, lo)) {
            return null;
        }
        Session s = new Session(hi, lo, name, shared, durationMillis, deleteSession, extendOnSetAdd, extendOnGet);
        if (durationMillis > 0) {
            s.deadline = clock.millis() + remainingMillis;
            wheel.schedule(s);
        }
        if (data != null && data.size() > 0) {
            s.data = data;
            sessionKeys += data.size();
        }
        s.snapSeq = snapshotSeq; // not part of any snapshot begun before it existed
        sessions.add(s);
        sessionsCreated++;
        return s;
    }

    // ---- consistent snapshots of every session, taken a slice at a time (SH_SAVE, see PersistCommands) ----

    /** Records one session's state into a snapshot. Must not change the session. */
    interface Capturer {
        void capture(Session s);
    }

    /**
     * A snapshot of every session being taken. It stands for the instant it began: its members are the
     * sessions in the table then, and each is captured either by a slice ({@link #continueCapture}) or,
     * if something is about to change it first, by {@link #captureBeforeChange}. Every change to a
     * session goes through {@link #find} (commands), {@link #expire}, {@link #end}, {@link #endAll},
     * {@link #clearData} or {@link #extend}, which call it. Sessions remember in {@link Session#snapSeq}
     * the number of the newest snapshot that had begun when they were last captured (or created), so a
     * session needs capturing for snapshot {@code c} exactly when {@code snapSeq < c.seq}.
     */
    static final class Capture {
        /** Members are kept in blocks: small young arrays are cheaper to fill than one huge one. */
        private static final int BLOCK = 8192;

        final int seq;
        final Capturer capturer;
        final Session[][] members;
        int count;
        int next;

        Capture(int seq, Capturer capturer, int size) {
            this.seq = seq;
            this.capturer = capturer;
            this.members = new Session[(size + BLOCK - 1) / BLOCK][];
        }

        void add(Session s) {
            Session[] block = members[count / BLOCK];
            if (block == null) {
                block = members[count / BLOCK] = new Session[BLOCK];
            }
            block[count++ % BLOCK] = s;
        }
    }

    /** Number of the newest snapshot begun. */
    private int snapshotSeq;
    /** Snapshots being taken (usually none). */
    private Capture[] captures = new Capture[0];

    /**
     * Begins a snapshot of every session in the table: one pass copying references, no session is read.
     * Continue it with {@link #continueCapture} until that returns true. This pass is the longest loop
     * turn of a save (about 30-50 ms for a million sessions); a bulk copy of the table's slot array would
     * make it a few milliseconds.
     */
    Capture beginCapture(Capturer capturer) {
        Capture c = new Capture(++snapshotSeq, capturer, sessions.size());
        sessions.forEach(c::add);
        captures = java.util.Arrays.copyOf(captures, captures.length + 1);
        captures[captures.length - 1] = c;
        return c;
    }

    /** Captures members until {@code stopAtNanos} (System.nanoTime); returns true when the snapshot is complete. */
    boolean continueCapture(Capture c, long stopAtNanos) {
        while (c.next < c.count) {
            int end = Math.min(c.count, c.next + 256); // 256 divides the block size
            Session[] block = c.members[c.next / Capture.BLOCK];
            for (int i = c.next; i < end; i++) {
                Session s = block[i % Capture.BLOCK];
                if (s.snapSeq < c.seq) {
                    captureBeforeChange(s);
                }
            }
            if (end % Capture.BLOCK == 0 || end == c.count) {
                c.members[c.next / Capture.BLOCK] = null; // done with this block
            }
            c.next = end;
            if (System.nanoTime() - stopAtNanos >= 0) {
                break;
            }
        }
        if (c.next < c.count) {
            return false;
        }
        abandonCapture(c);
        return true;
    }

    /** Stops a snapshot (complete, or failed): it is no longer kept up to date. */
    void abandonCapture(Capture c) {
        int n = 0;
        Capture[] keep = new Capture[captures.length];
        for (Capture x : captures) {
            if (x != c) {
                keep[n++] = x;
            }
        }
        captures = java.util.Arrays.copyOf(keep, n);
    }

    /**
     * Before a session changes or ends while snapshots are being taken: gives every snapshot that has not
     * captured it yet its state as it still is (the state it had when that snapshot began).
     */
    private void captureBeforeChange(Session s) {
        for (Capture c : captures) {
            if (s.snapSeq < c.seq) {
                c.capturer.capture(s);
            }
        }
        s.snapSeq = snapshotSeq;
    }

    /** True if a live session has this token (expiring it first if it is past its deadline). */
    public boolean exists(long hi, long lo) {
        return find(hi, lo) != null;
    }

    public void end(Session s) {
        if (captures.length != 0 && s.snapSeq < snapshotSeq) {
            captureBeforeChange(s);
        }
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
        if (captures.length != 0) {
            sessions.forEach(s -> {
                if (s.snapSeq < snapshotSeq) {
                    captureBeforeChange(s);
                }
                s.ended = true;
            });
        } else {
            sessions.forEach(s -> s.ended = true);
        }
        sessions.clear();
        wheel.clear(clock.millis());
        sessionKeys = 0;
        sessionsEnded += n;
        return n;
    }

    /** Removes every key of a session; returns how many. */
    public int clearData(Session s) {
        if (captures.length != 0 && s.snapSeq < snapshotSeq) {
            captureBeforeChange(s);
        }
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
        if (captures.length != 0 && s.snapSeq < snapshotSeq) {
            captureBeforeChange(s);
        }
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
