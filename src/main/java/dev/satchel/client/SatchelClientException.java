package dev.satchel.client;

/**
 * Failure reported by the Satchel client: the connection could not be opened, it closed before a response
 * arrived, a response could not be understood, or the client was already closed.
 *
 * <p>Unchecked, so it can travel through {@link java.util.concurrent.CompletableFuture} stages unchanged.
 */
public class SatchelClientException extends RuntimeException {

    /**
     * Creates an exception with a message that says what failed and names the server URI.
     *
     * @param message what went wrong
     */
    public SatchelClientException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public SatchelClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
