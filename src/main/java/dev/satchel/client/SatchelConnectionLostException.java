package dev.satchel.client;

import java.net.URI;

/**
 * The connection ended after the request was written and before its response arrived. The server may have
 * carried the request out, or not: the outcome is unknown, so the client never sends it again by itself (the
 * JavaScript client's {@code ConnectionLost}). Retry only what is safe to repeat; a {@code SH_SET} of the same
 * values is, a {@code SH_NEW} creates a second session.
 */
public class SatchelConnectionLostException extends SatchelClientException {

    private final URI uri;
    private final CloseStatus closeStatus;

    /**
     * @param uri         the server the connection was open to
     * @param closeStatus how the connection ended
     */
    public SatchelConnectionLostException(URI uri, CloseStatus closeStatus) {
        super("connection to " + uri + " closed with " + closeStatus + " before the response arrived;"
                + " the request may have been carried out", true);
        this.uri = uri;
        this.closeStatus = closeStatus;
    }

    /** The server the connection was open to. */
    public URI uri() {
        return uri;
    }

    /** How the connection ended: the server's close code and reason, or 1006 without a close frame. */
    public CloseStatus closeStatus() {
        return closeStatus;
    }
}
