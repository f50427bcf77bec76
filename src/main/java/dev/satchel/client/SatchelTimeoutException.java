package dev.satchel.client;

/**
 * A request got no response within the configured {@link ClientOptions#requestTimeout() request timeout}.
 *
 * <p>A request that waited for a connection (while the client reconnected) and timed out before it was written
 * is never sent ({@link #wasSent()} false). A request that was written keeps its place, since responses are
 * matched to requests in order: its response, if it ever arrives, is dropped and later requests still get their
 * own responses. The server may still carry it out.
 */
public class SatchelTimeoutException extends SatchelClientException {

    /**
     * Creates a timeout exception.
     *
     * @param message which request timed out, after how long, and on which server URI
     */
    public SatchelTimeoutException(String message) {
        super(message, true);
    }

    /**
     * Creates a timeout exception.
     *
     * @param message which request timed out, after how long, and why
     * @param sent    whether the request had been written (false: it waited for a connection and is never sent)
     */
    public SatchelTimeoutException(String message, boolean sent) {
        super(message, sent);
    }
}
