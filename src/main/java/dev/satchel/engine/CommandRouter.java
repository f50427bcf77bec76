package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;

/**
 * Takes requests away from the command loop's own data: in cluster mode every command on sessions, global keys
 * and the whole table runs where the data lives (package {@code dev.satchel.cluster}). Called by
 * {@link Engine#execute} on the command loop for every valid request; must not block.
 */
public interface CommandRouter {
    /**
     * Either takes the request, deferring its response with {@link ResponseWriter#defer} (the promise completes
     * on any thread, and the connection keeps its responses in request order), and returns true; or returns
     * false and the engine runs the request itself.
     */
    boolean route(Request r, ResponseWriter out);
}
