package dev.satchel.ops;

import dev.satchel.engine.Engine;

/**
 * The loop-owned numbers the admin port shows, copied by one task on the command loop
 * ({@code loop.call(LoopSnapshot::take)}) and immutable afterwards, so the HTTP thread never reads engine
 * fields. Taking one costs a few field reads and one copy of the command counters (a few kilobytes).
 *
 * @param expiryLagMaxMillis longest delay between a session's deadline and the wheel expiring it since the
 *                           previous snapshot (taking a snapshot resets it)
 * @param commands           response counters and service times, or null when metrics are disabled
 */
public record LoopSnapshot(
        long sessionsActive,
        long sessionsCreated,
        long sessionsEnded,
        long sessionsExpiredEnded,
        long sessionsExpiredCleared,
        long sessionKeys,
        long globalKeys,
        long sessionBytes,
        long globalBytes,
        long expiryLagMaxMillis,
        CommandStats.Snapshot commands) {

    static final LoopSnapshot EMPTY = new LoopSnapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CommandStats.Snapshot.EMPTY);

    /** On the loop only. */
    public static LoopSnapshot take(Engine e) {
        CommandStats stats = e.observer() instanceof CommandStats c ? c : null;
        return new LoopSnapshot(e.sessionCount(), e.sessionsCreated(), e.sessionsEnded(), e.sessionsExpired(),
                e.sessionsCleared(), e.sessionKeyCount(), e.global().size(), e.sessionBytes(),
                e.global().storedBytes(), e.takeExpiryLagMaxMillis(),
                stats == null ? CommandStats.Snapshot.EMPTY : stats.snapshot());
    }
}
