package dev.satchel.ops;

import dev.satchel.engine.CommandLoop;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Liveness and readiness. Live: the command loop runs a task within {@link #LOOP_TIMEOUT_MILLIS} (it is the
 * one thread everything waits for). Ready: the server finished starting (the start-up load is done and the
 * WebSocket port is open), is not shutting down, and is live.
 */
public final class Health {
    /** How long a probe waits for the command loop before it reports it as not answering. */
    public static final long LOOP_TIMEOUT_MILLIS = 2000;

    /** Where the server is in its life; only {@link #READY} is ready. */
    public enum State {
        STARTING, READY, STOPPING, STOPPED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final CommandLoop loop;
    private volatile State state = State.STARTING;
    /** Cluster mode: why the member does not serve now (null: it does); null supplier when standalone. */
    private volatile java.util.function.Supplier<String> notReady;

    public Health(CommandLoop loop) {
        this.loop = loop;
    }

    public State state() {
        return state;
    }

    void state(State s) {
        this.state = s;
    }

    /** Adds a readiness condition (cluster mode: joined, data received, not in a minority partition). */
    void extraCondition(java.util.function.Supplier<String> reason) {
        this.notReady = reason;
    }

    /** Why the server is not ready although started (cluster mode), or null. */
    public String notReadyReason() {
        java.util.function.Supplier<String> r = notReady;
        return r == null ? null : r.get();
    }

    /** Completes with true when the loop ran a no-op task in time, false otherwise (never exceptionally). */
    public CompletableFuture<Boolean> loopAnswers() {
        return loop.call(engine -> Boolean.TRUE)
                .orTimeout(LOOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .exceptionally(t -> Boolean.FALSE);
    }
}
