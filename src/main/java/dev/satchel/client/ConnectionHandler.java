package dev.satchel.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client channel: writes requests, matches responses to them in FIFO order and tracks how
 * the connection ends.
 *
 * <p>Everything except {@link #isAccepting()}, {@link #stopAccepting()} and the futures runs on the channel's
 * event loop, so the pending queue and the order of frames on the wire always agree, whichever threads send.
 */
final class ConnectionHandler extends ChannelInboundHandlerAdapter {

    /** How long {@link #closeGracefully()} waits for the server to answer the client's close frame. */
    static final long CLOSE_HANDSHAKE_TIMEOUT_MILLIS = 1000;

    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private final URI uri;
    private final long requestTimeoutMillis;
    /** Takes the frames that reach {@link #submit} after the connection ended: never written, safe to resend. */
    private final Consumer<List<Outbound>> unsent;
    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    private final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
    private final ArrayDeque<PendingRequest> pending = new ArrayDeque<>();
    private final ChannelFutureListener closeOnWriteFailure = this::closeIfWriteFailed;

    /** True from handshake completion until the connection starts closing. */
    private volatile boolean accepting;
    private Channel channel;
    /** Why the connection is ending, once known; the first reason wins. */
    private CloseStatus endStatus;
    private boolean closeFrameSent;
    private boolean flushScheduled;

    /**
     * @param uri                  the server, for messages
     * @param requestTimeoutMillis the request timeout, 0 for none
     * @param unsent               receives, on the event loop, the frames submitted after the connection ended
     *                             (never written): the client queues them for its next connection or fails them
     */
    ConnectionHandler(URI uri, long requestTimeoutMillis, Consumer<List<Outbound>> unsent) {
        this.uri = uri;
        this.requestTimeoutMillis = requestTimeoutMillis;
        this.unsent = unsent;
    }

    URI uri() {
        return uri;
    }

    /** Completes when the WebSocket handshake succeeds; fails with the raw cause otherwise. */
    CompletableFuture<Void> handshakeFuture() {
        return handshake;
    }

    /** Completes when the connection has ended, after every pending request has been failed. */
    CompletableFuture<CloseStatus> closedFuture() {
        return closed;
    }

    boolean isAccepting() {
        return accepting;
    }

    /** Makes new requests fail at once; safe from any thread. */
    void stopAccepting() {
        accepting = false;
    }

    /** The exception for a request made when the connection no longer accepts requests. */
    SatchelClientException notOpenException() {
        CloseStatus status = closed.getNow(null);
        if (status == null) {
            return new SatchelClientException("connection to " + uri + " is closing or closed");
        }
        return new SatchelClientException("connection to " + uri + " is closed: " + status);
    }

    /** Fails the handshake future when the TCP connect itself failed. */
    void connectFailed(Throwable cause) {
        handshake.completeExceptionally(cause);
    }

    // ---- sending (event loop) ----

    /** Writes the frames in order, registering each one that expects a response. Runs on the event loop. */
    void submit(List<Outbound> batch) {
        List<Outbound> notWritten = null;
        for (Outbound out : batch) {
            // Not the volatile 'accepting' flag: close() clears that at once, yet requests submitted before
            // close() was called are queued before its close task and must still be written.
            if (closeFrameSent || endStatus != null || !channel.isActive()) {
                if (notWritten == null) {
                    notWritten = new ArrayList<>();
                }
                notWritten.add(out);
                continue;
            }
            if (out.reply() != null && !out.reply().markSent()) {
                ReferenceCountUtil.release(out.frame()); // timed out while waiting for a connection, or cancelled
                continue;
            }
            if (out.frame() instanceof CloseWebSocketFrame) {
                accepting = false;
                closeFrameSent = true;
            }
            if (out.reply() != null) {
                pending.add(out.reply());
                out.reply().startTimer(channel.eventLoop(), requestTimeoutMillis, uri);
            }
            channel.write(out.frame()).addListener(closeOnWriteFailure);
        }
        scheduleFlush();
        if (notWritten != null) {
            unsent.accept(notWritten);
        }
    }

    /**
     * Flushes once after the tasks already queued on the event loop, so that requests sent in quick succession
     * share one flush (and usually one system call).
     */
    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            channel.eventLoop().execute(() -> {
                flushScheduled = false;
                channel.flush();
            });
        }
    }

    private void closeIfWriteFailed(ChannelFuture future) {
        Throwable cause = future.cause();
        if (cause != null && !(cause instanceof ClosedChannelException)) {
            log.debug("write to {} failed; closing the connection", SatchelClient.safe(uri), cause);
            endWith(new CloseStatus(CloseStatus.ABNORMAL_CLOSURE, "client: write failed: " + cause));
            future.channel().close();
        }
    }

    /** Starts the closing handshake and closes the channel at the latest after the close timeout. */
    void closeGracefully() {
        accepting = false;
        if (!channel.isActive()) {
            return;
        }
        if (!closeFrameSent) {
            closeFrameSent = true;
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE));
        }
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_HANDSHAKE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ---- receiving (event loop) ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            accepting = true;
            handshake.complete(null);
        } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            handshake.completeExceptionally(new WebSocketHandshakeException("handshake timed out"));
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame text) {
                onResponse(ctx, text.text());
            } else if (msg instanceof CloseWebSocketFrame close) {
                onServerClose(ctx, close);
            } else if (msg instanceof BinaryWebSocketFrame) {
                closeForProtocolError(ctx, WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "server sent a BINARY frame");
            } else {
                log.debug("ignoring {} from {}", msg, SatchelClient.safe(uri));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponse(ChannelHandlerContext ctx, String text) {
        if (endStatus != null) {
            return;
        }
        PendingRequest request = pending.poll();
        if (request == null) {
            closeForProtocolError(ctx, WebSocketCloseStatus.PROTOCOL_ERROR, "response with no request pending");
        } else if (!request.complete(text)) {
            log.debug("dropping the response to a request that timed out or was cancelled");
        }
    }

    private void onServerClose(ChannelHandlerContext ctx, CloseWebSocketFrame frame) {
        int code = frame.statusCode();
        endWith(new CloseStatus(code < 0 ? CloseStatus.NO_STATUS : code, frame.reasonText()));
        if (closeFrameSent) {
            ctx.close();
        } else {
            closeFrameSent = true;
            ctx.writeAndFlush(new CloseWebSocketFrame(true, 0, frame.content().retainedDuplicate()))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void closeForProtocolError(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
        log.debug("closing connection to {}: {}", SatchelClient.safe(uri), reason);
        endWith(new CloseStatus(status.code(), "client: " + reason));
        if (closeFrameSent) {
            ctx.close();
        } else {
            closeFrameSent = true;
            ctx.writeAndFlush(new CloseWebSocketFrame(status.code(), wireReason(reason)))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!handshake.isDone()) {
            handshake.completeExceptionally(cause);
            ctx.close();
        } else if (cause instanceof CorruptedWebSocketFrameException corrupted) {
            // The frame decoder has already sent a close frame with this status.
            closeFrameSent = true;
            endWith(new CloseStatus(corrupted.closeStatus().code(), "client: " + cause.getMessage()));
            ctx.close();
        } else if (cause instanceof TooLongFrameException) {
            closeForProtocolError(ctx, WebSocketCloseStatus.MESSAGE_TOO_BIG, "message too big: " + cause.getMessage());
        } else {
            if (!(cause instanceof IOException)) {
                endWith(new CloseStatus(CloseStatus.ABNORMAL_CLOSURE, "client: " + cause));
            }
            log.debug("connection to {} failed", SatchelClient.safe(uri), cause);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        accepting = false;
        handshake.completeExceptionally(new ClosedChannelException());
        endWith(new CloseStatus(CloseStatus.ABNORMAL_CLOSURE, "connection closed without a close frame"));
        closed.complete(endStatus);
        ctx.fireChannelInactive();
    }

    /** Shortens a close reason to fit a control frame: 40 chars are at most 120 UTF-8 bytes, plus the code. */
    private static String wireReason(String reason) {
        return reason.length() <= 40 ? reason : reason.substring(0, 40);
    }

    /** Records why the connection ends (if not known yet) and fails every pending request with it. */
    private void endWith(CloseStatus status) {
        if (endStatus != null) {
            return;
        }
        endStatus = status;
        accepting = false;
        if (!pending.isEmpty()) {
            SatchelConnectionLostException lost = new SatchelConnectionLostException(uri, status);
            PendingRequest request;
            while ((request = pending.poll()) != null) {
                request.fail(lost);
            }
        }
    }
}
