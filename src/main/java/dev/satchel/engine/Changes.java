package dev.satchel.engine;

/**
 * Every change to data, reported as it is made, in the order it is made, on the thread that makes it (the
 * command loop). Commands report the changes to a store ({@link #put}, {@link #removed}, {@link #storeCleared});
 * the executor reports the changes to sessions. A journal records them; a cluster executor replicates them.
 * {@code session} null means the global key space. Implementations must not change anything and must not
 * block. The default methods do nothing: {@link #NONE} is the sink when nobody listens.
 */
public interface Changes {
    /** Reports nothing. */
    Changes NONE = new Changes() {
    };

    /** A session was created (SH_NEW) or restored from a dataset (then with its data and deadline). */
    default void sessionCreated(Session session) {
    }

    /** A session ended: SH_END, or expiry of a session that ends at its deadline. */
    default void sessionEnded(Session session) {
    }

    /**
     * Every session ended at once (SH_END_ALL): one report, not one {@link #sessionEnded} per session (sessions
     * past their deadline are expired first, as usual, and those expiries are reported one by one).
     */
    default void allSessionsEnded() {
    }

    /** Expiry removed a session's keys and started its next period (see {@link Session#deadline()}). */
    default void sessionExpiredData(Session session) {
    }

    /** A sliding session's deadline moved to {@link Session#deadline()}. */
    default void deadlineMoved(Session session) {
    }

    /** {@code entry} was stored (inserted or overwriting its key). */
    default void put(Session session, byte[] entry) {
    }

    /** The key {@code key} (canonical bytes) was removed. */
    default void removed(Session session, byte[] key) {
    }

    /** Every key of the store was removed. */
    default void storeCleared(Session session) {
    }

    // ---- a journal's hooks: called only when a sink is installed (never for NONE) ----

    /** One request begins: its changes until {@link #endRequest} belong together (replayed all or nothing). */
    default void beginRequest() {
    }

    /** The request that {@link #beginRequest} began is done. */
    default void endRequest() {
    }

    /**
     * Null while changes can be recorded; otherwise why not, in one line: the executor then refuses mutating
     * commands with status 1000 and this message (reads go on).
     */
    default String refusal() {
        return null;
    }

    /** The end of a command-loop turn: hand over what this turn recorded (once per turn). */
    default void endOfTurn() {
    }

    /**
     * Runs {@code action} on the loop once every change reported so far is durable, in the order of the calls
     * (at once when nothing needs to wait). The default runs it at once.
     */
    default void whenDurable(Runnable action) {
        action.run();
    }
}
