package dev.satchel.client;

/**
 * A request got no response within the configured {@link ClientOptions#requestTimeout() request timeout}.
 *
 * <p>The connection stays open. Because responses are matched to requests in order, the timed-out request keeps
 * its place: its response, if it ever arrives, is dropped and later requests still get their own responses.
 */
public class SatchelTimeoutException extends SatchelClientException {

    /**
     * Creates a timeout exception.
     *
     * @param message which request timed out, after how long, and on which server URI
     */
    public SatchelTimeoutException(String message) {
        super(message);
    }
}
