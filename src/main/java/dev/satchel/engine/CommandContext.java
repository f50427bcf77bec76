package dev.satchel.engine;

import dev.satchel.store.KeyValues;

/**
 * What a command may reach besides its session, store and parameters: the time, the limits, and the sink
 * for its changes. The executor that runs the command hands it over (the command loop's {@link Engine}
 * today; a cluster owner's execution of the same command later), so a command never touches a thread, a
 * connection, a clock or engine-wide state of its own.
 */
public interface CommandContext {
    /** Now, in milliseconds on the executor's clock. */
    long now();

    /** Where the command reports each change it makes to a store. */
    Changes changes();

    /**
     * Null if writing {@code r}'s entries into {@code kv} (a session's store, or the global one when {@code session}
     * is null) keeps every limit, else the 170 problem to answer. Nothing changes either way. {@code clearFirst}
     * for CLEAR_SET, {@code overwrite} false for ADD.
     */
    Problem writeProblem(Session session, KeyValues kv, Request.Entries r, boolean clearFirst, boolean overwrite);

    /** Largest response a command may write. */
    int maxResponseBytes();

    /** The 170 problem of a response that would pass {@link #maxResponseBytes()}. */
    Problem responseTooLarge();
}
