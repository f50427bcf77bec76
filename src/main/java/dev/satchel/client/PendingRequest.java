package dev.satchel.client;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One request waiting for its response: the caller's future and its timeout timer. It keeps its place in the
 * connection's FIFO queue even after it timed out (or the caller cancelled it), so that its late response is
 * consumed and dropped instead of being handed to the next request.
 *
 * <p>A request made while the client has no connection (it is reconnecting) first waits in the client; its
 * timeout runs from then on, and if it expires there the request fails and is never sent. {@link #markSent()}
 * and that expiry exclude each other, so "not sent" is never said of a request that went out.
 */
final class PendingRequest {

    private final CompletableFuture<String> future = new CompletableFuture<>();
    private ScheduledFuture<?> timer;
    /** When the timeout expires (System.nanoTime), set by the first timer; 0 = not yet. */
    private long deadlineNanos;
    /** Waited for a connection: the wait timer may race with the write (see markSent). */
    private volatile boolean waited;
    private boolean sent;
    private boolean expiredUnsent;

    CompletableFuture<String> future() {
        return future;
    }

    /**
     * Arms the timeout of a request that waits for a connection; runs under the client's lock.
     *
     * @param why the reason the request is not sent, for the exception, read when it expires
     */
    void startWaitTimer(EventExecutor loop, long timeoutMillis, Supplier<String> why) {
        waited = true;
        if (timeoutMillis <= 0 || timer != null) {
            return;
        }
        deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        timer = loop.schedule(() -> {
            synchronized (this) {
                if (sent) {
                    return;
                }
                expiredUnsent = true;
            }
            future.completeExceptionally(new SatchelTimeoutException(
                    "not sent within " + timeoutMillis + " ms: " + why.get(), false));
        }, timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Claims the request for writing. Runs on the event loop just before the write.
     *
     * @return {@code false} if it must not be written: it timed out while waiting, or the caller cancelled it
     */
    boolean markSent() {
        if (waited) {
            synchronized (this) {
                if (expiredUnsent) {
                    return false;
                }
                sent = true;
            }
        }
        return !future.isDone();
    }

    /** Arms the timeout; runs on the event loop when the request is written. A waited request keeps its deadline. */
    void startTimer(EventExecutor loop, long timeoutMillis, URI uri) {
        if (timeoutMillis <= 0) {
            return;
        }
        long delayNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        if (timer != null) {
            timer.cancel(false);
            delayNanos = Math.max(deadlineNanos - System.nanoTime(), 0);
        }
        timer = loop.schedule(() -> future.completeExceptionally(new SatchelTimeoutException(
                "no response from " + uri + " within " + timeoutMillis + " ms")), delayNanos, TimeUnit.NANOSECONDS);
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
