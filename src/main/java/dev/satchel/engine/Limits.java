package dev.satchel.engine;

import dev.satchel.store.Entry;
import dev.satchel.store.KeyValues;

/**
 * The data limits (README "Security and limits") with the 170 problems that name them, and the one rule that
 * decides whether a write fits: the command loop's {@link Engine} checks it against the process's stored bytes,
 * a cluster owner ({@link OwnerExecutor}) against the copies its member holds. Immutable.
 */
public final class Limits {
    /** No limit at all (until an engine is given its limits). */
    public static final Limits NONE = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE,
            Integer.MAX_VALUE);

    public final int maxSessions;
    public final int maxKeysPerSession;
    public final long maxStoredBytes;
    public final int maxResponseBytes;
    /** 170: SH_NEW when {@link #maxSessions} sessions are live. */
    public final Problem sessions;
    /** 170: a write that would put more than {@link #maxKeysPerSession} keys in a session. */
    public final Problem keysPerSession;
    /** 170: a write that would pass {@link #maxStoredBytes}. */
    public final Problem storedBytes;
    /** 170: a GET or KEYS whose response would pass {@link #maxResponseBytes}. */
    public final Problem response;

    public Limits(int maxSessions, int maxKeysPerSession, long maxStoredBytes, int maxResponseBytes) {
        this.maxSessions = maxSessions;
        this.maxKeysPerSession = maxKeysPerSession;
        this.maxStoredBytes = maxStoredBytes;
        this.maxResponseBytes = maxResponseBytes;
        this.sessions = Problem.limit("live sessions at limits.maxSessions (" + maxSessions + ")");
        this.keysPerSession = Problem.limit("session would hold more than limits.maxKeysPerSession ("
                + maxKeysPerSession + ") keys");
        this.storedBytes = Problem.limit("stored data would exceed limits.maxStoredBytes (" + maxStoredBytes
                + " bytes)");
        this.response = Problem.limit("response larger than limits.maxResponseBytes (" + maxResponseBytes + ")");
    }

    /**
     * Null if writing {@code r}'s entries into {@code kv} (a session's store, or the global one when {@code s} is
     * null) keeps every limit while {@code storedNow} key and value bytes are stored, else the 170 problem;
     * nothing changes either way. {@code clearFirst} for CLEAR_SET, {@code overwrite} false for ADD. A cheap upper
     * bound decides almost always; only near a limit are the keys looked up. A write that frees memory or adds no
     * key is never refused.
     */
    public Problem writeProblem(Session s, KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite,
            long storedNow) {
        int n = r.count();
        long added = 0;
        for (int i = 0; i < n; i++) {
            added += r.entry(i).length;
        }
        long keysBound = (clearFirst ? 0 : kv.size()) + n;
        long removed = clearFirst ? kv.storedBytes() : 0;
        boolean keysFit = s == null || keysBound <= maxKeysPerSession;
        if (keysFit && added - removed <= maxStoredBytes - storedNow) {
            return null;
        }
        Growth g = Growth.of(kv, r, clearFirst, overwrite);
        if (s != null && g.keys > maxKeysPerSession && g.keys > kv.size()) {
            return keysPerSession;
        }
        if (g.bytes > 0 && g.bytes > maxStoredBytes - storedNow) {
            return storedBytes;
        }
        return null;
    }

    /**
     * limits.maxKeysPerSession alone, exactly as {@link #writeProblem} decides it (before the byte limit): null, or
     * {@link #keysPerSession}. Depends on nothing but the session, {@code kv}, {@code r} and this setting, never on
     * what a member holds, so every copy of a session decides it alike (cluster mode, {@code OwnerExecutor#ROOMY}).
     */
    public Problem keysProblem(Session s, KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite) {
        if (s == null || (clearFirst ? 0 : kv.size()) + r.count() <= maxKeysPerSession) {
            return null;
        }
        Growth g = Growth.of(kv, r, clearFirst, overwrite);
        return g.keys > maxKeysPerSession && g.keys > kv.size() ? keysPerSession : null;
    }

    /**
     * Whether writing {@code r}'s entries into {@code kv} (as {@link #writeProblem} takes them) would add a key or
     * stored bytes. A write that does neither is never refused by {@link #writeProblem}, whatever the limits and
     * the bytes stored: the key limit refuses only a write that adds keys, the byte limit only one that adds bytes.
     * Depends on nothing but {@code kv} and {@code r}, so every copy of a session answers it alike (cluster mode
     * batches writes by it, see {@code OwnerExecutor#BATCHED}). Counts keys and bytes exactly as the exact part of
     * {@link #writeProblem} does (an entry repeated in {@code r} counts each time: it errs towards growing).
     */
    public static boolean grows(KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite) {
        Growth g = Growth.of(kv, r, clearFirst, overwrite);
        return g.keys > kv.size() || g.bytes > 0;
    }

    /**
     * The exact outcome of writing {@code r}'s entries into {@code kv}: the keys the store would hold and the
     * stored bytes it would gain (negative: free). The one count behind {@link #writeProblem} and {@link #grows},
     * so the cluster's batching and the limits can never disagree on what grows.
     */
    private record Growth(long keys, long bytes) {
        static Growth of(KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite) {
            long keys = clearFirst ? 0 : kv.size();
            long bytes = clearFirst ? -kv.storedBytes() : 0;
            for (int i = 0, n = r.count(); i < n; i++) {
                byte[] e = r.entry(i);
                int p = clearFirst ? -1 : kv.find(Entry.key(e));
                if (p < 0) {
                    keys++;
                    bytes += e.length;
                } else if (overwrite) {
                    bytes += e.length - kv.entryAt(p).length;
                }
            }
            return new Growth(keys, bytes);
        }
    }

    /**
     * Null if a dataset of {@code sessions} sessions (0 for keys), {@code bytes} key and value bytes and at most
     * {@code largestStore} keys in one session fits on top of {@code sessionsNow} live sessions and
     * {@code storedNow} stored bytes; else the {@code m} of the 170 that refuses the whole load.
     */
    public String loadProblem(long sessions, long sessionsNow, long bytes, long storedNow, long largestStore) {
        if (sessions > 0 && sessions > (long) maxSessions - sessionsNow) {
            return "loading " + sessions + " sessions would pass limits.maxSessions (" + maxSessions + ")";
        }
        if (largestStore > maxKeysPerSession) {
            return "dataset has a session of " + largestStore + " keys, more than limits.maxKeysPerSession ("
                    + maxKeysPerSession + ")";
        }
        if (bytes > maxStoredBytes - storedNow) {
            return "loading " + bytes + " bytes would pass limits.maxStoredBytes (" + maxStoredBytes + " bytes)";
        }
        return null;
    }
}
