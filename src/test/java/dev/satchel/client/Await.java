package dev.satchel.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Bounded waits on futures for tests: nothing waits longer than {@link #TIMEOUT_MILLIS}. */
final class Await {

    static final long TIMEOUT_MILLIS = 2000;

    private Await() {
    }

    /** Returns the future's value, failing the test if it fails or does not complete in time. */
    static <T> T result(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("expected a result but the future failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("future did not complete within " + TIMEOUT_MILLIS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Returns the exception the future failed with, failing the test if it succeeds or does not complete. */
    static Throwable failure(CompletableFuture<?> future) {
        Object value;
        try {
            value = future.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("future did not complete within " + TIMEOUT_MILLIS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        throw new AssertionError("expected a failure but the future completed with " + value);
    }
}
