package dev.satchel.client;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One request waiting for its response: the caller's future and its timeout timer. It keeps its place in the
 * connection's FIFO queue even after it timed out (or the caller cancelled it), so that its late response is
 * consumed and dropped instead of being handed to the next request.
 */
final class PendingRequest {

    private final CompletableFuture<String> future = new CompletableFuture<>();
    private ScheduledFuture<?> timer;

    CompletableFuture<String> future() {
        return future;
    }

    /** Arms the timeout; runs on the event loop when the request is written. */
    void startTimer(EventExecutor loop, long timeoutMillis, URI uri) {
        if (timeoutMillis > 0) {
            timer = loop.schedule(() -> future.completeExceptionally(new SatchelTimeoutException(
                    "no response from " + uri + " within " + timeoutMillis + " ms")),
                    timeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Completes the request with its response text.
     *
     * @return {@code false} if the request had already timed out or been cancelled, so the response is dropped
     */
    boolean complete(String response) {
        cancelTimer();
        return future.complete(response);
    }

    void fail(Throwable cause) {
        cancelTimer();
        future.completeExceptionally(cause);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
