package dev.satchel.engine;

import dev.satchel.spec.Status;
import java.util.concurrent.CompletableFuture;

/**
 * Watches the commands an {@link Engine} answers, for metrics. Called on the command loop, once per request;
 * must be cheap and must not block. The operations layer implements it ({@code ops.CommandStats}).
 */
public interface CommandObserver {
    /** A request answered with {@code status}; {@code command} is null for requests that named none. */
    void count(Command command, Status status);

    /** A request whose response comes later ({@code promised} completes with its JSON). */
    void countLater(Command command, CompletableFuture<byte[]> promised);

    /** The loop spent {@code nanos} running a group of {@code commands} requests. */
    void served(long nanos, int commands);
}
