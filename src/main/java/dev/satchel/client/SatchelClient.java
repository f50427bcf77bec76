package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.client.ClientConnector.Connection;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to a Satchel server over WebSocket ({@code ws://} or {@code wss://}), or to the first reachable
 * server of a list, with failover to the others.
 *
 * <pre>{@code
 * try (SatchelClient client = SatchelClient.connect(URI.create("ws://127.0.0.1:1987"))) {
 *     Token token = Token.fromResponse(client.newSession().join());
 *     client.set(token, Map.of("user", "ada")).join();
 *     JsonNode keys = client.get(token, "user").join().get("keys");
 * }
 * }</pre>
 *
 * <p><b>Pipelining.</b> Any number of requests may be in flight; the server answers in request order and each
 * response completes the oldest request still waiting. The client is thread-safe: requests from several threads
 * are queued in the order their frames go on the wire. {@link #sendRaw(String)} does not flush per request:
 * requests sent in quick succession share flushes, and {@link #sendRawBatch(List)} writes a whole list at once.
 *
 * <p><b>Failures.</b> Futures fail with {@link SatchelClientException}: {@link SatchelTimeoutException} when no
 * response came within {@link ClientOptions#requestTimeout()} (the request keeps its place, so later requests
 * still get their own responses), or {@link SatchelConnectionLostException} when the connection ended after the
 * request was written and before its response: the server may have carried it out, so it is never resent.
 * After {@link #close()}, new requests fail at once.
 *
 * <p><b>Reconnection and failover</b> (the JavaScript client's rules). {@link #connect(List, ClientOptions)}
 * uses the first server of the list that answers, trying each once, in order. When the connection is lost (the
 * server's Close 1001 when it shuts down, a network drop, any other close), the requests in flight fail with
 * {@link SatchelConnectionLostException}; the client then connects to the next server of the list (the same one
 * if there is only one), retrying with exponential backoff and jitter until it succeeds or is closed. Requests
 * made meanwhile wait and go out on the new connection, or fail with a {@link SatchelTimeoutException} that says
 * they were not sent ({@link SatchelClientException#wasSent()} false). Sessions live on the server: after a
 * failover to another standalone server the sessions of the first one are not there (status 100); in cluster
 * mode every member serves every session. {@link ClientOptions#listener()} hears of every connection, loss and
 * attempt, which are logged too. {@link ClientOptions.Builder#reconnect(boolean) reconnect(false)} makes the
 * client end with its first connection instead.
 *
 * <p><b>Threads.</b> Futures complete on the connection's I/O thread. Dependent stages attached with
 * {@code thenApply} and the like run there too, so they must not block: in particular they must not
 * {@code join()} another request of a client on the same event loop. Use the {@code ...Async} variants for
 * blocking work.
 */
public final class SatchelClient extends SatchelCommands implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SatchelClient.class);

    private final List<URI> uris;
    private final ClientOptions options;
    private final ClientListener listener;
    private final EventLoopGroup group;
    private final EventLoopGroup ownedGroup;
    private final AtomicBoolean closeCalled = new AtomicBoolean();
    /** Completes when the client is done for good: closed, or its connection lost without reconnection. */
    private final CompletableFuture<CloseStatus> ended = new CompletableFuture<>();
    private final Consumer<List<Outbound>> unsent = this::unsent;

    /** The open connection; {@code null} before the first and while reconnecting. */
    private volatile Connection current;
    /** The newest connection, open or not, for the errors of a client that ended with it. */
    private volatile Connection last;

    private final Object lock = new Object();
    /** Requests made while there was no connection, in order (guarded by lock). */
    private final ArrayDeque<Outbound> waiting = new ArrayDeque<>();
    /** Index in {@link #uris} of the current or last connection (guarded by lock). */
    private int index;
    /** close() was called, or the connection ended with reconnection off (guarded by lock). */
    private boolean finished;
    /** The pending reconnection attempt (guarded by lock). */
    private ScheduledFuture<?> retry;
    /** Why the last reconnection attempt failed, for the errors of requests that waited in vain. */
    private volatile String lastAttemptFailure;

    private SatchelClient(List<URI> uris, ClientOptions options, EventLoopGroup ownedGroup) {
        this.uris = uris;
        this.options = options;
        this.listener = options.listener();
        this.ownedGroup = ownedGroup;
        this.group = ownedGroup != null ? ownedGroup : options.eventLoopGroup();
    }

    /**
     * Connects with {@link ClientOptions#defaults() default options}, blocking until the WebSocket handshake is
     * done.
     *
     * @param uri {@code ws://host[:port][/path]} or {@code wss://...}
     * @return the open client
     * @throws SatchelClientException   if the connection is refused, a handshake fails or the connect timeout
     *                                  passes; the message names the URI
     * @throws IllegalArgumentException if the URI is not a {@code ws} or {@code wss} URI with a host
     */
    public static SatchelClient connect(URI uri) {
        return connect(uri, ClientOptions.defaults());
    }

    /**
     * Connects, blocking until the WebSocket handshake is done or {@link ClientOptions#connectTimeout()} passes.
     *
     * @param uri     {@code ws://host[:port][/path]} or {@code wss://...}
     * @param options connection settings
     * @return the open client
     * @throws SatchelClientException   if the connection is refused, a handshake fails or the connect timeout
     *                                  passes; the message names the URI
     * @throws IllegalArgumentException if the URI is not a {@code ws} or {@code wss} URI with a host
     */
    public static SatchelClient connect(URI uri, ClientOptions options) {
        return connect(List.of(Objects.requireNonNull(uri, "uri")), options);
    }

    /**
     * Connects to the first server of the list that answers, trying each once, in order, each within
     * {@link ClientOptions#connectTimeout()}; the others are where the client fails over to (see the class
     * comment).
     *
     * @param uris    the servers, {@code ws://host[:port][/path]} or {@code wss://...}, at least one
     * @param options connection settings
     * @return the open client
     * @throws SatchelClientException   if no server could be reached; the message names each URI and why
     * @throws IllegalArgumentException if the list is empty or a URI is not a {@code ws} or {@code wss} URI with
     *                                  a host (nothing is connected then)
     */
    public static SatchelClient connect(List<URI> uris, ClientOptions options) {
        Objects.requireNonNull(options, "options");
        List<URI> list = List.copyOf(Objects.requireNonNull(uris, "uris"));
        if (list.isEmpty()) {
            throw new IllegalArgumentException("no server URI given");
        }
        for (int i = 0; i < list.size(); i++) {
            try {
                ClientConnector.checkUri(list.get(i));
            } catch (IllegalArgumentException e) {
                throw list.size() == 1 ? e : new IllegalArgumentException("server " + (i + 1) + " of " + list.size()
                        + ": " + e.getMessage());
            }
        }
        EventLoopGroup owned = options.eventLoopGroup() == null ? ClientConnector.newOwnedGroup() : null;
        SatchelClient client = new SatchelClient(list, options, owned);
        try {
            client.connectFirst();
            return client;
        } catch (RuntimeException | Error e) {
            if (owned != null) {
                shutDown(owned);
            }
            throw e;
        }
    }

    /**
     * Parses a comma-separated list of server URLs ({@code ws://a:1987,ws://b:1987}), as {@code satchel cli}
     * and {@code satchel bench} take them, and checks each.
     *
     * @param list the URLs; spaces around the commas are ignored
     * @return the URIs, in order
     * @throws IllegalArgumentException with a one-line message naming the bad URL, if one is not a {@code ws} or
     *                                  {@code wss} URL with a host, or the list is empty
     */
    public static List<URI> parseUris(String list) {
        String[] parts = Objects.requireNonNull(list, "list").split(",", -1);
        List<URI> out = new ArrayList<>(parts.length);
        for (String part : parts) {
            String text = part.strip();
            String which = parts.length == 1 ? "" : " (" + (out.size() + 1) + " of " + parts.length + ")";
            if (text.isEmpty()) {
                throw new IllegalArgumentException("empty URL" + which + " in '" + list + "'");
            }
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("bad URL " + text + which + ": " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (uri.getHost() == null || !(scheme.equals("ws") || scheme.equals("wss"))) {
                throw new IllegalArgumentException("bad URL " + text + which
                        + ": expected ws://HOST[:PORT] or wss://HOST[:PORT]");
            }
            out.add(uri);
        }
        return out;
    }

    private void connectFirst() {
        List<String> failures = new ArrayList<>();
        SatchelClientException first = null;
        for (int i = 0; i < uris.size(); i++) {
            try {
                adopt(ClientConnector.connect(uris.get(i), options, group, unsent), i, 0);
                return;
            } catch (SatchelClientException e) {
                if (uris.size() == 1) {
                    throw e;
                }
                first = first == null ? e : first;
                failures.add(e.getMessage());
            }
        }
        throw new SatchelClientException("cannot connect to any of the " + uris.size() + " servers: "
                + String.join("; ", failures), first);
    }

    /** Makes a new connection the current one: queued requests go out on it first, in order. */
    private void adopt(Connection connection, int at, int attempts) {
        synchronized (lock) {
            if (finished) {
                connection.channel().close();
                return;
            }
            index = at;
            retry = null;
            if (!waiting.isEmpty()) {
                List<Outbound> queued = new ArrayList<>(waiting);
                waiting.clear();
                submitTo(connection, queued);
            }
            current = connection; // published after the queued requests, so later ones go after them
            last = connection;
        }
        connection.handler().closedFuture().thenAccept(status -> connectionEnded(connection, status));
        if (attempts > 0) {
            log.info("reconnected to {} (after {} attempt{})", safe(connection.uri()), attempts,
                    attempts == 1 ? "" : "s");
        } else {
            log.debug("connected to {}", safe(connection.uri()));
        }
        tell(l -> l.connected(connection.uri()));
    }

    /** The connection ended (on its event loop): reconnect, or end the client. */
    private void connectionEnded(Connection connection, CloseStatus status) {
        List<Outbound> dropped = null;
        int next;
        synchronized (lock) {
            if (current != connection) {
                return;
            }
            current = null;
            if (finished) {
                return; // close() reports it
            }
            if (!options.reconnect()) {
                finished = true;
                dropped = new ArrayList<>(waiting);
                waiting.clear();
            }
            next = (index + 1) % uris.size();
        }
        tell(l -> l.disconnected(connection.uri(), status));
        if (dropped != null) {
            SatchelClientException failure = connection.handler().notOpenException();
            dropped.forEach(out -> out.reject(failure));
            ended.complete(status);
            return;
        }
        log.info("connection to {} lost ({}); reconnecting{}", safe(connection.uri()), status,
                uris.size() > 1 ? " to " + safe(uris.get(next)) : "");
        scheduleAttempt(0, next);
    }

    /** Schedules reconnection attempt {@code attempt + 1}, to {@code uris[at]}, after a jittered backoff. */
    private void scheduleAttempt(int attempt, int at) {
        long min = options.reconnectMinDelay().toMillis();
        long max = options.reconnectMaxDelay().toMillis();
        long base = Math.min(max, min << Math.min(attempt, 20));
        long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
        URI uri = uris.get(at);
        synchronized (lock) {
            if (finished) {
                return;
            }
            try {
                retry = group.next().schedule(() -> attempt(attempt, at), delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                return; // the shared event loop group is shutting down
            }
        }
        log.debug("reconnecting to {} in {} ms (attempt {})", safe(uri), delay, attempt + 1);
        tell(l -> l.reconnecting(uri, attempt + 1, Duration.ofMillis(delay)));
    }

    private void attempt(int attempt, int at) {
        synchronized (lock) {
            if (finished) {
                return;
            }
        }
        URI uri = uris.get(at);
        ClientConnector.open(uri, options, group, unsent).whenComplete((connection, failure) -> {
            if (failure == null) {
                adopt(connection, at, attempt + 1);
                return;
            }
            SatchelClientException error = failure instanceof SatchelClientException e ? e
                    : new SatchelClientException("cannot connect to " + uri + ": " + failure, failure);
            lastAttemptFailure = error.getMessage();
            log.warn("reconnection attempt {} failed: {}", attempt + 1,
                    String.valueOf(error.getMessage()).replace(uri.toString(), safe(uri)));
            tell(l -> l.reconnectFailed(uri, error));
            scheduleAttempt(attempt + 1, (at + 1) % uris.size());
        });
    }

    /**
     * A URI for the log: without its query and user info, where a browser-style {@code ?token=} secret or a
     * password would be.
     */
    static String safe(URI uri) {
        if (uri.getRawQuery() == null && uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort()) + path
                + (uri.getRawQuery() == null ? "" : "?...");
    }

    private void tell(Consumer<ClientListener> event) {
        try {
            event.accept(listener);
        } catch (RuntimeException e) {
            log.warn("the client listener threw", e);
        }
    }

    /** Returns the server URI of the current connection, or of the last one while reconnecting. */
    public URI uri() {
        Connection c = current;
        if (c != null) {
            return c.uri();
        }
        synchronized (lock) {
            return uris.get(index);
        }
    }

    /** Returns the servers this client connects to, in the order it tries them. */
    public List<URI> uris() {
        return uris;
    }

    /**
     * Sends one TEXT frame and completes with the raw text of its response. The text is sent as it is, valid
     * JSON or not.
     *
     * @param json the request text
     * @return the response text
     */
    public CompletableFuture<String> sendRaw(String json) {
        Objects.requireNonNull(json, "json");
        return sendExpectingReply(new TextWebSocketFrame(ByteBufUtil.writeUtf8(ByteBufAllocator.DEFAULT, json)));
    }

    /**
     * Sends several TEXT frames with a single flush.
     *
     * @param jsons the request texts, in order
     * @return one future per request, in the same order
     */
    public List<CompletableFuture<String>> sendRawBatch(List<String> jsons) {
        List<CompletableFuture<String>> futures = new ArrayList<>(jsons.size());
        jsons.forEach(json -> Objects.requireNonNull(json, "json"));
        List<Outbound> batch = new ArrayList<>(jsons.size());
        for (String json : jsons) {
            PendingRequest request = new PendingRequest();
            batch.add(new Outbound(new TextWebSocketFrame(ByteBufUtil.writeUtf8(ByteBufAllocator.DEFAULT, json)),
                    request));
            futures.add(request.future());
        }
        submit(batch);
        return futures;
    }

    /**
     * Sends one request text and completes with the parsed response.
     *
     * @param json the request text
     * @return the response, e.g. {@code {"SH_NEW_RSP":{"st":1,"tkn":"..."}}}; fails with
     *         {@link SatchelClientException} if the response is not JSON
     */
    public CompletableFuture<JsonNode> send(String json) {
        return sendRaw(json).thenApply(Json::parseResponse);
    }

    /** {@inheritDoc} */
    @Override
    public CompletableFuture<JsonNode> send(ObjectNode request) {
        return send(Json.write(Objects.requireNonNull(request, "request")));
    }

    /**
     * Sends a TEXT frame holding exactly these bytes, which need not be valid UTF-8, and completes with the
     * response text. (A server that rejects invalid UTF-8 closes the connection with 1007 instead.)
     *
     * @param payload the frame payload; copied
     * @return the response text
     */
    public CompletableFuture<String> sendTextBytes(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        return sendExpectingReply(new TextWebSocketFrame(Unpooled.copiedBuffer(payload)));
    }

    /**
     * Sends a BINARY frame and completes with the response text (a Satchel server answers with an {@code ERR}
     * response, status 2).
     *
     * @param payload the frame payload; copied
     * @return the response text
     */
    public CompletableFuture<String> sendBinary(byte[] payload) {
        Objects.requireNonNull(payload, "payload");
        return sendExpectingReply(new BinaryWebSocketFrame(Unpooled.copiedBuffer(payload)));
    }

    /**
     * Sends any frame for which no response is expected (ping, pong, close, a stray continuation frame...) on the
     * current connection. The frame takes its place in the request order but not in the response queue. Sending a
     * close frame stops the connection from accepting new requests. A data frame the server does answer makes
     * that answer unsolicited, and the client then closes the connection with 1002. Such frames never wait for a
     * reconnection.
     *
     * @param frame the frame; this method takes ownership of it (releases it)
     * @throws SatchelClientException if there is no open connection
     */
    public void sendFrameNoReply(WebSocketFrame frame) {
        Objects.requireNonNull(frame, "frame");
        Connection c = current;
        if (c == null || !c.handler().isAccepting()) {
            ReferenceCountUtil.release(frame);
            throw c != null ? c.handler().notOpenException() : notConnected();
        }
        submitTo(c, List.of(new Outbound(frame, null)));
    }

    /**
     * Returns a future that completes when the client has ended: after {@link #close()}, or when its connection
     * ended and {@link ClientOptions#reconnect()} is off. It completes with the close code and reason of the last
     * connection (see {@link CloseStatus}); by then every pending request has failed. With reconnection on, a lost
     * connection does not complete it (see {@link ClientListener#disconnected}).
     *
     * @return a new future each call; completing it has no effect on the client
     */
    public CompletableFuture<CloseStatus> closeFuture() {
        return ended.copy();
    }

    /** Returns whether a connection is open and accepting requests now. */
    public boolean isOpen() {
        Connection c = current;
        return c != null && c.handler().isAccepting() && c.channel().isActive();
    }

    /**
     * Closes the client: sends a close frame (1000) on the open connection, waits up to a second for the server's
     * close frame, then closes the TCP connection and, if the client owns its event loop group, shuts it down.
     * Responses that arrive before the server's close frame still complete their requests; requests still
     * pending after it fail, and so do requests waiting for a reconnection (never sent). No reconnection follows;
     * new requests fail at once. Idempotent.
     *
     * <p>Called from the client's own I/O thread (inside a future callback) it starts the same steps without
     * waiting for them.
     */
    @Override
    public void close() {
        Connection c;
        List<Outbound> dropped;
        synchronized (lock) {
            finished = true;
            c = current;
            if (c != null) {
                c.handler().stopAccepting();
            }
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            dropped = new ArrayList<>(waiting);
            waiting.clear();
        }
        if (!dropped.isEmpty()) {
            SatchelClientException failure = new SatchelClientException(
                    "the client was closed before the request was sent");
            dropped.forEach(out -> out.reject(failure));
        }
        if (!closeCalled.compareAndSet(false, true)) {
            return;
        }
        boolean onEventLoop = false;
        for (EventExecutor loop : group) {
            onEventLoop |= loop.inEventLoop();
        }
        if (c == null) {
            ended.complete(new CloseStatus(CloseStatus.NORMAL_CLOSURE, "client closed"));
        } else {
            c.handler().closedFuture().thenAccept(status -> {
                tell(l -> l.disconnected(c.uri(), status));
                ended.complete(status);
            });
            try {
                c.channel().eventLoop().execute(c.handler()::closeGracefully);
            } catch (RejectedExecutionException e) {
                c.channel().close();
            }
            if (!onEventLoop) {
                awaitClosed(c);
            }
        }
        if (ownedGroup != null) {
            if (onEventLoop) {
                ownedGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            } else {
                shutDown(ownedGroup);
            }
        }
    }

    private static void awaitClosed(Connection c) {
        try {
            c.handler().closedFuture().get(ConnectionHandler.CLOSE_HANDSHAKE_TIMEOUT_MILLIS + 1000,
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("connection to {} did not close in time", safe(c.uri()));
        }
    }

    /** Shuts down a client-owned event loop group and waits for its thread to finish. */
    static void shutDown(EventLoopGroup group) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    }

    private CompletableFuture<String> sendExpectingReply(WebSocketFrame frame) {
        PendingRequest request = new PendingRequest();
        submit(List.of(new Outbound(frame, request)));
        return request.future();
    }

    /**
     * Hands requests to the open connection, whose event loop writes them and queues their replies in one step;
     * without one, queues them for the next connection (reconnection on) or fails them.
     */
    private void submit(List<Outbound> batch) {
        Connection c = current;
        if (c != null && c.handler().isAccepting()) {
            submitTo(c, batch);
            return;
        }
        synchronized (lock) {
            c = current;
            if (!finished && c != null && c.handler().isAccepting()) {
                submitTo(c, batch);
            } else if (!finished && options.reconnect()) {
                queue(batch, false);
            } else {
                SatchelClientException failure = c != null ? c.handler().notOpenException() : notConnected();
                batch.forEach(out -> out.reject(failure));
            }
        }
    }

    /** Frames that reached a connection after it had ended (its event loop): never written, so they may wait. */
    private void unsent(List<Outbound> batch) {
        synchronized (lock) {
            Connection c = current;
            if (!finished && c != null && c.handler().isAccepting()) {
                submitTo(c, batch);
                return;
            }
            if (!finished && options.reconnect()) {
                queue(batch, true);
                return;
            }
        }
        Connection l = last;
        SatchelClientException failure = l != null ? l.handler().notOpenException() : notConnected();
        batch.forEach(out -> out.reject(failure));
    }

    /** Queues requests until a connection opens (under lock); {@code first}: ahead of those already waiting. */
    private void queue(List<Outbound> batch, boolean first) {
        long timeoutMillis = options.requestTimeout().toMillis();
        for (Outbound out : batch) {
            if (out.reply() == null) {
                out.reject(notConnected()); // a control frame belongs to the connection it was meant for
                continue;
            }
            out.reply().startWaitTimer(group.next(), timeoutMillis, this::waitReason);
        }
        List<Outbound> requests = batch.stream().filter(out -> out.reply() != null).toList();
        if (first) {
            for (int i = requests.size() - 1; i >= 0; i--) {
                waiting.addFirst(requests.get(i));
            }
        } else {
            waiting.addAll(requests);
        }
    }

    private String waitReason() {
        String last = lastAttemptFailure;
        return "no connection to " + (uris.size() == 1 ? uris.get(0) : "any of " + uris)
                + (last != null ? " (last attempt: " + last + ")" : " (reconnecting)");
    }

    private static void submitTo(Connection c, List<Outbound> batch) {
        try {
            c.channel().eventLoop().execute(() -> c.handler().submit(batch));
        } catch (RejectedExecutionException e) {
            SatchelClientException failure = c.handler().notOpenException();
            batch.forEach(out -> out.reject(failure));
        }
    }

    private SatchelClientException notConnected() {
        Connection l = last;
        if (!finished) {
            return new SatchelClientException("not connected: " + waitReason());
        }
        return l != null && !closeCalled.get() ? l.handler().notOpenException()
                : new SatchelClientException("the client is closed");
    }

    @Override
    public String toString() {
        return "SatchelClient[" + uri() + (isOpen() ? ", open]" : finished ? ", closed]" : ", reconnecting]");
    }
}
