package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import dev.satchel.protocol.Request;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.protocol.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket connection after the handshake: decodes request messages on the I/O thread,
 * gathers the requests of one read into a {@link Batch} for the command loop, and writes each batch's
 * responses back in order with one flush.
 *
 * <p>Flow control: reading stops while the outbound buffer is above its high-water mark (a client that does
 * not read its responses) or while more than {@code maxInFlight} requests wait for the loop, and resumes
 * when both have drained. So a slow or flooding client holds bounded memory and cannot starve the others.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    private static final byte[] BINARY_REJECTED_NAME = RequestDecoder.ERR;

    private final DecoderPool decoders;
    private final CommandLoop loop;
    private final int maxInFlight;
    private ChannelHandlerContext ctx;
    private Request[] pending = new Request[8];
    private int pendingCount;
    private int inFlight;
    private CloseWebSocketFrame closeRequested;

    ClientConnection(DecoderPool decoders, CommandLoop loop, int maxInFlight) {
        this.decoders = decoders;
        this.loop = loop;
        this.maxInFlight = maxInFlight;
    }

    ByteBufAllocator allocator() {
        return ctx.alloc();
    }

    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            if (closeRequested != null) {
                return; // RFC 6455: nothing after the client's Close is processed
            }
            if (frame instanceof TextWebSocketFrame) {
                add(decoders.decode(frame.content()));
            } else if (frame instanceof BinaryWebSocketFrame) {
                add(new Request().fail(BINARY_REJECTED_NAME, Status.OP_CODE_INVALID,
                        "binary frames are not accepted: send each request as one JSON text message"));
            } else if (frame instanceof PingWebSocketFrame) {
                ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
            } else if (frame instanceof CloseWebSocketFrame close) {
                closeRequested = close.retainedDuplicate();
                submitPending();
                closeIfDone();
            }
            // Pong frames need no answer; continuation frames never get here (the aggregator joins them).
        } finally {
            frame.release();
        }
    }

    private void add(Request r) {
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = r;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        submitPending();
        ctx.fireChannelReadComplete();
    }

    private void submitPending() {
        if (pendingCount == 0) {
            return;
        }
        Batch batch = new Batch(this, pending, pendingCount);
        inFlight += pendingCount;
        pending = new Request[Math.max(8, Math.min(pendingCount, 1024))];
        pendingCount = 0;
        loop.submit(batch);
        updateReading();
    }

    /** On the I/O thread: the loop has answered a batch. */
    void deliver(Batch batch, ByteBuf responses) {
        inFlight -= batch.count();
        ctx.writeAndFlush(responses, ctx.voidPromise());
        updateReading();
        closeIfDone();
    }

    private void updateReading() {
        boolean read = inFlight < maxInFlight && ctx.channel().isWritable();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    /** After the client's Close: once every request read before it is answered, close the connection. */
    private void closeIfDone() {
        if (closeRequested != null && inFlight == 0 && ctx.channel().isActive()) {
            CloseWebSocketFrame reply = closeRequested;
            ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
        }
    }

    void closeOnInternalError() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INTERNAL_SERVER_ERROR))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closeRequested != null && closeRequested.refCnt() > 0) {
            closeRequested.release();
        }
        for (int i = 0; i < pendingCount; i++) {
            pending[i] = null;
        }
        pendingCount = 0;
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            // a fragmented message grew past the limit (single frames are stopped by the frame decoder)
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                    "message larger than the configured maximum")).addListener(ChannelFutureListener.CLOSE);
        } else if (cause instanceof CorruptedWebSocketFrameException) {
            ctx.close(); // the decoder or UTF-8 validator has already sent the close code
        } else if (cause instanceof IOException) {
            LOG.debug("connection {} dropped: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            LOG.warn("closing connection {} after an unexpected error", ctx.channel().remoteAddress(), cause);
            closeOnInternalError();
        }
    }
}
