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
     * Null if writing {@code entries[0, n)} into {@code kv} (a session's store, or the global one when
     * {@code session} is null) keeps every limit, else the status 170 message. Nothing changes either way.
     * {@code clearFirst} for CLEAR_SET, {@code overwrite} false for ADD.
     */
    String writeProblem(Session session, KeyValues kv, byte[][] entries, int n, boolean clearFirst, boolean overwrite);

    /** Largest response a command may write. */
    int maxResponseBytes();

    /** The status 170 message for a response that would pass {@link #maxResponseBytes()}. */
    String responseTooLargeMessage();
}
