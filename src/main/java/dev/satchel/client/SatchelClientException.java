package dev.satchel.client;

/**
 * Failure reported by the Satchel client: the connection could not be opened, it closed before a response
 * arrived, a response could not be understood, or the client was already closed.
 *
 * <p>Unchecked, so it can travel through {@link java.util.concurrent.CompletableFuture} stages unchanged.
 * {@link #wasSent()} says whether the failed request had been written to a server, and so whether the server may
 * have carried it out.
 */
public class SatchelClientException extends RuntimeException {

    private final boolean sent;

    /**
     * Creates an exception with a message that says what failed and names the server URI.
     *
     * @param message what went wrong
     */
    public SatchelClientException(String message) {
        super(message);
        this.sent = false;
    }

    /**
     * Creates an exception about a request that may have been written.
     *
     * @param message what went wrong
     * @param sent    whether the request had been written to a server
     */
    public SatchelClientException(String message, boolean sent) {
        super(message);
        this.sent = sent;
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message what went wrong
     * @param cause   the underlying failure
     */
    public SatchelClientException(String message, Throwable cause) {
        super(message, cause);
        this.sent = false;
    }

    /**
     * Whether the request had been written to a server before it failed: then the server may have carried it
     * out ({@link SatchelConnectionLostException}, or a {@link SatchelTimeoutException} after the write). False
     * for requests never sent, and for failures that are not about one request.
     */
    public boolean wasSent() {
        return sent;
    }
}
