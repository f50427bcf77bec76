package dev.satchel.persist.journal;

/**
 * When a sliding-expiry deadline move is worth a {@link JournalFormat#DEADLINE_MOVED} record.
 *
 * <p>A session with {@code extendOnGet} moves its deadline on every read; journalling each move would make
 * reads as expensive as writes. Instead the engine keeps, per session, the deadline it last journalled and
 * records a move only when the new deadline is at least the <i>step</i> past it, where step =
 * min(granularity, max(1, duration / 8)). The journalled deadline is therefore never later than the real one
 * and at most one step earlier: after a crash (or any restart that replays the journal) a session may expire
 * up to one step early, never late. With the default granularity of 1 s a session read continuously costs at
 * most one small record per second (per duration/8 for periods under 8 s), whatever the read rate.
 * Records that fix a deadline exactly (session created, data cleared) and base snapshots reset the
 * reference. While the writer is failed, {@link JournalWriter#deadlineMoved} records nothing and the
 * reference stays, so the first move after recovery is journalled.
 */
public final class JournalDeadlines {
    /** Default granularity: one second. */
    public static final long DEFAULT_GRANULARITY_MILLIS = 1000;

    private JournalDeadlines() {
    }

    /** The step for a session with this expiry period. */
    public static long step(long durationMillis, long granularityMillis) {
        return Math.min(granularityMillis, Math.max(1, durationMillis / 8));
    }

    /**
     * Whether moving a deadline from the last journalled one ({@code journalled}) to {@code next} must be
     * recorded. A move backwards is always recorded.
     */
    public static boolean shouldRecord(long journalled, long next, long durationMillis, long granularityMillis) {
        return next < journalled || next - journalled >= step(durationMillis, granularityMillis);
    }
}
