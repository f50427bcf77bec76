package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;

/**
 * A command on one session, found by the token in the request ({@link Request#tokenHi()},
 * {@link Request#tokenLo()}). Its semantics see only that session (null when no live session has the token),
 * the request and the {@link CommandContext}; what it asks of the session's life it returns as an
 * {@link Outcome}, which the executor carries out.
 */
public abstract non-sealed class SessionCommand extends Command {
    /** What becomes of the session after the command. */
    public enum Outcome {
        KEEP,
        /** End the session and drop its data. */
        END
    }

    protected SessionCommand(String name) {
        super(name, Kind.SESSION);
    }

    /** Writes one response for {@code session} (null if there is none) and says what becomes of it. */
    public abstract Outcome apply(Session session, Request r, CommandContext ctx, ResponseWriter out);
}
