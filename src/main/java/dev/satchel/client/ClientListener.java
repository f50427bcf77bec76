package dev.satchel.client;

import java.net.URI;
import java.time.Duration;

/**
 * What happens to a {@link SatchelClient}'s connection: set one with {@link ClientOptions.Builder#listener}.
 * The same events as the JavaScript client's {@code connect}, {@code disconnect}, {@code reconnecting} and
 * {@code error}.
 *
 * <p>Every method runs on the client's I/O thread (the first {@link #connected} on the thread that called
 * {@code connect}): it must return quickly and must not block, in particular not on a request of this client.
 * An exception thrown by a method is logged and otherwise ignored.
 */
public interface ClientListener {

    /**
     * A connection is open: the first one, or a new one after a lost connection.
     *
     * @param uri the server it is open to
     */
    default void connected(URI uri) {
    }

    /**
     * The connection ended: the server closed it (Close 1001 when it shuts down), the network dropped it, or
     * {@link SatchelClient#close()} was called (then {@code status} is 1000). Requests that were in flight on it
     * have failed with {@link SatchelConnectionLostException}.
     *
     * @param uri    the server it was open to
     * @param status the close code and reason ({@link CloseStatus#ABNORMAL_CLOSURE} without a close frame)
     */
    default void disconnected(URI uri, CloseStatus status) {
    }

    /**
     * A reconnection attempt is scheduled.
     *
     * @param uri     the server it will try
     * @param attempt 1 for the first attempt after the connection was lost
     * @param delay   the jittered backoff before it
     */
    default void reconnecting(URI uri, int attempt, Duration delay) {
    }

    /**
     * A reconnection attempt failed; the next one follows after a longer backoff, on the next server of the list.
     *
     * @param uri     the server that could not be reached
     * @param failure why, naming the server
     */
    default void reconnectFailed(URI uri, SatchelClientException failure) {
    }
}
