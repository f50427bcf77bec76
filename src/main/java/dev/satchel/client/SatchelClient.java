package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to a Satchel server over WebSocket ({@code ws://} or {@code wss://}).
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
 * still get their own responses), or an exception naming the close code and reason when the connection ends
 * first. After {@link #close()} or the end of the connection, new requests fail at once.
 *
 * <p><b>Threads.</b> Futures complete on the connection's I/O thread. Dependent stages attached with
 * {@code thenApply} and the like run there too, so they must not block: in particular they must not
 * {@code join()} another request of a client on the same event loop. Use the {@code ...Async} variants for
 * blocking work.
 */
public final class SatchelClient extends SatchelCommands implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SatchelClient.class);

    private final URI uri;
    private final Channel channel;
    private final ConnectionHandler handler;
    private final EventLoopGroup ownedGroup;
    private final AtomicBoolean closeCalled = new AtomicBoolean();

    SatchelClient(URI uri, Channel channel, ConnectionHandler handler, EventLoopGroup ownedGroup) {
        this.uri = uri;
        this.channel = channel;
        this.handler = handler;
        this.ownedGroup = ownedGroup;
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
        return ClientConnector.connect(Objects.requireNonNull(uri, "uri"), Objects.requireNonNull(options, "options"));
    }

    /** Returns the server URI this client connected to. */
    public URI uri() {
        return uri;
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
        if (!handler.isAccepting()) {
            return CompletableFuture.failedFuture(handler.notOpenException());
        }
        return sendExpectingReply(new TextWebSocketFrame(ByteBufUtil.writeUtf8(channel.alloc(), json)));
    }

    /**
     * Sends several TEXT frames with a single flush.
     *
     * @param jsons the request texts, in order
     * @return one future per request, in the same order
     */
    public List<CompletableFuture<String>> sendRawBatch(List<String> jsons) {
        List<CompletableFuture<String>> futures = new ArrayList<>(jsons.size());
        if (!handler.isAccepting()) {
            for (int i = 0; i < jsons.size(); i++) {
                futures.add(CompletableFuture.failedFuture(handler.notOpenException()));
            }
            return futures;
        }
        List<Outbound> batch = new ArrayList<>(jsons.size());
        for (String json : jsons) {
            PendingRequest request = new PendingRequest();
            Objects.requireNonNull(json, "json");
            batch.add(new Outbound(new TextWebSocketFrame(ByteBufUtil.writeUtf8(channel.alloc(), json)), request));
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
        if (!handler.isAccepting()) {
            return CompletableFuture.failedFuture(handler.notOpenException());
        }
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
        if (!handler.isAccepting()) {
            return CompletableFuture.failedFuture(handler.notOpenException());
        }
        return sendExpectingReply(new BinaryWebSocketFrame(Unpooled.copiedBuffer(payload)));
    }

    /**
     * Sends any frame for which no response is expected (ping, pong, close, a stray continuation frame...). The
     * frame takes its place in the request order but not in the response queue. Sending a close frame stops the
     * client from accepting new requests. A data frame the server does answer makes that answer unsolicited, and
     * the client then closes the connection with 1002.
     *
     * @param frame the frame; this method takes ownership of it (releases it)
     * @throws SatchelClientException if the connection is closing or closed
     */
    public void sendFrameNoReply(WebSocketFrame frame) {
        Objects.requireNonNull(frame, "frame");
        if (!handler.isAccepting()) {
            ReferenceCountUtil.release(frame);
            throw handler.notOpenException();
        }
        submit(List.of(new Outbound(frame, null)));
    }

    /**
     * Returns a future that completes when the connection has ended, with the close code and reason the server
     * sent (see {@link CloseStatus} for the other cases). By then every pending request has failed.
     *
     * @return a new future each call; completing it has no effect on the client
     */
    public CompletableFuture<CloseStatus> closeFuture() {
        return handler.closedFuture().copy();
    }

    /** Returns whether the connection is open and accepting requests. */
    public boolean isOpen() {
        return handler.isAccepting() && channel.isActive();
    }

    /**
     * Closes the connection: sends a close frame (1000), waits up to a second for the server's close frame, then
     * closes the TCP connection and, if the client owns its event loop group, shuts it down. Responses that
     * arrive before the server's close frame still complete their requests; requests still pending after it
     * fail. New requests fail at once. Idempotent.
     *
     * <p>Called from the client's own I/O thread (inside a future callback) it starts the same steps without
     * waiting for them.
     */
    @Override
    public void close() {
        handler.stopAccepting();
        if (!closeCalled.compareAndSet(false, true)) {
            return;
        }
        boolean onEventLoop = channel.eventLoop().inEventLoop();
        try {
            channel.eventLoop().execute(handler::closeGracefully);
        } catch (RejectedExecutionException e) {
            channel.close();
        }
        if (!onEventLoop) {
            awaitClosed();
        }
        if (ownedGroup != null) {
            if (onEventLoop) {
                ownedGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            } else {
                shutDown(ownedGroup);
            }
        }
    }

    private void awaitClosed() {
        try {
            handler.closedFuture().get(ConnectionHandler.CLOSE_HANDSHAKE_TIMEOUT_MILLIS + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("connection to {} did not close in time", uri);
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

    /** Hands frames to the event loop, which writes them and queues their requests in one step. */
    private void submit(List<Outbound> batch) {
        try {
            channel.eventLoop().execute(() -> handler.submit(batch));
        } catch (RejectedExecutionException e) {
            SatchelClientException failure = handler.notOpenException();
            batch.forEach(out -> out.reject(failure));
        }
    }

    @Override
    public String toString() {
        return "SatchelClient[" + uri + (isOpen() ? ", open]" : ", closed]");
    }
}
