package dev.satchel.net;

import static dev.satchel.net.ws.WebSocketFrames.CLOSE_GOING_AWAY;
import static dev.satchel.net.ws.WebSocketFrames.CLOSE_INTERNAL_ERROR;
import static dev.satchel.net.ws.WebSocketFrames.CLOSE_TOO_BIG;

import dev.satchel.engine.Request;
import dev.satchel.net.ws.FrameReader;
import dev.satchel.net.ws.WebSocketFrames;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.spec.Status;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket connection after the handshake: the pipeline handler that ties together its
 * {@link FrameReader} (frames in), the request decoder, the hand-off of each read's requests as one
 * {@link Batch} to the command loop, its {@link OutboundFlow} (responses out, backpressure), and closing.
 *
 * <p>Limits: a message (whole or fragmented) over the size limit closes with 1009 as soon as its header
 * says so, invalid UTF-8 with 1007, any other framing error with 1002. Requests read before the error
 * still get their responses before the Close frame.
 *
 * <p>Threads: every method runs on the connection's I/O thread (its Netty event loop), except
 * {@link #unsentBytes()} (any thread) and what {@link OutboundFlow} documents as the loop's.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements FrameReader.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    private final ConnectionSettings settings;
    private ChannelHandlerContext ctx;
    private LoopBridge bridge;
    private FrameReader reader;
    private OutboundFlow flow;
    /** Bytes received and not yet read as whole frames. */
    private ByteBuf input;

    /** Requests of the current read, handed to the loop as one batch when the read completes. */
    private Request[] pending = new Request[16];
    private int pendingCount;

    /** Set once a Close was received or a violation found: input is ignored from then on. */
    private boolean closing;
    /** The Close frame to send once every request read so far has its response. */
    private ByteBuf closeFrame;
    /** After our Close frame: input is drained and dropped by {@link Linger} until it closes. */
    private boolean lingering;

    ClientConnection(ConnectionSettings settings) {
        this.settings = settings;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.bridge = settings.bridge(ctx.channel().eventLoop());
        this.reader = new FrameReader(settings.maxMessageBytes(), this);
        this.flow = new OutboundFlow(this, ctx, settings);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closing) {
            in.release();
            return;
        }
        input = input == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), input, in);
        try {
            reader.read(input);
        } finally {
            if (input != null) {
                if (!input.isReadable() || closing) {
                    input.release();
                    input = null;
                } else if (input.readerIndex() > 64 * 1024) {
                    input.discardSomeReadBytes();
                }
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        submitPending();
        ctx.fireChannelReadComplete();
    }

    // ---- FrameReader.Handler: what the frames say ----

    @Override
    public boolean reading() {
        return !closing;
    }

    @Override
    public byte[] scratch(int n) {
        return settings.decoders().input(n); // the I/O thread's message array
    }

    @Override
    public void message(boolean text, byte[] b, int n) {
        Request r = text ? settings.decoders().decode(b, n) : Request.refused(RequestDecoder.ERR,
                Status.OP_CODE_INVALID, "binary frames are not accepted: send each request as one JSON text message", n);
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = r;
        flow.requestRead(n);
    }

    @Override
    public void ping(byte[] b, int n) {
        ByteBuf pong = ctx.alloc().buffer(n + 2);
        WebSocketFrames.writeControl(pong, WebSocketFrames.OP_PONG, b, n);
        ctx.writeAndFlush(pong, ctx.voidPromise());
        flow.checkHardLimit();
    }

    @Override
    public void close(byte[] b, int n) {
        // RFC 6455 5.5.1: answer with a Close echoing the status code, after the pending responses
        ByteBuf echo = ctx.alloc().buffer(4);
        WebSocketFrames.writeControl(echo, WebSocketFrames.OP_CLOSE, b, Math.min(n, 2));
        closeAfterPending(echo);
    }

    @Override
    public void violation(int code, String reason) {
        LOG.debug("closing {} with {}: {}", ctx.channel().remoteAddress(), code, reason);
        if (code == CLOSE_TOO_BIG) {
            NetStats.rejected(ctx.channel(), NetStats.MESSAGE_TOO_BIG);
        }
        closeAfterPending(WebSocketFrames.writeClose(ctx.alloc().buffer(128), code, reason));
    }

    // ---- requests to the loop, and reading on or off ----

    private void submitPending() {
        if (pendingCount == 0) {
            return;
        }
        Batch batch = new Batch(flow, pending, pendingCount);
        flow.submitted(pendingCount);
        pending = new Request[16];
        pendingCount = 0;
        bridge.submit(batch);
        updateReading();
    }

    /** Reads while the connection is open and its {@link OutboundFlow} allows; lingering reads to the end. */
    void updateReading() {
        if (lingering) {
            return; // reading until the client closes
        }
        boolean read = !closing && flow.mayRead();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        flow.writabilityChanged();
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    /** Any thread: response bytes held for this connection; see {@link OutboundFlow#unsentBytes()}. */
    long unsentBytes() {
        OutboundFlow f = flow;
        return f == null ? 0 : f.unsentBytes();
    }

    // ---- closing ----

    /** Stops reading; sends {@code frame} and closes once every request read so far is answered. */
    private void closeAfterPending(ByteBuf frame) {
        if (closing) {
            frame.release();
            return;
        }
        closing = true;
        closeFrame = frame;
        submitPending();
        updateReading();
        closeIfDone();
    }

    /** Sends the pending Close frame once every request read has its response written. */
    void closeIfDone() {
        if (closeFrame != null && flow.allAnswered()) {
            ByteBuf frame = closeFrame;
            closeFrame = null;
            IdleHandler idle = ctx.pipeline().get(IdleHandler.class);
            if (idle != null) {
                idle.closing(); // no pings after our Close, and a deadline for the client to take it
            }
            ctx.writeAndFlush(frame).addListener((ChannelFutureListener) this::linger);
        }
    }

    /** Closes at once, without a Close frame (a backpressure limit; see {@link OutboundFlow}). */
    void abort() {
        closing = true;
        ctx.close();
    }

    /** After our Close frame is sent: no more reading on and off; {@link Linger} closes. */
    private void linger(ChannelFuture sent) {
        lingering = true;
        Linger.closeAfter(sent);
    }

    /**
     * On {@code ch}'s I/O thread, at graceful shutdown: a WebSocket connection stops reading, answers every
     * request it has read, then sends Close 1001 and closes; a connection still in its handshake just closes.
     * Idempotent.
     */
    static void goingAway(Channel ch) {
        ClientConnection c = ch.pipeline().get(ClientConnection.class);
        if (c == null) {
            ch.close();
        } else if (!c.closing && ch.isActive()) {
            c.closeAfterPending(WebSocketFrames.writeClose(ch.alloc().buffer(64), CLOSE_GOING_AWAY,
                    "server shutting down"));
        }
    }

    /** Sends Close 1011 and closes (a batch failed on the loop, or an unexpected error here). */
    void closeOnInternalError() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(WebSocketFrames.writeClose(ctx.alloc().buffer(64), CLOSE_INTERNAL_ERROR,
                    "internal error")).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        flow.release();
        if (input != null) {
            input.release();
            input = null;
        }
        if (closeFrame != null) {
            closeFrame.release();
            closeFrame = null;
        }
        Arrays.fill(pending, 0, pendingCount, null);
        pendingCount = 0;
        reader.release();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == IdleHandler.IDLE_TIMEOUT) {
            if (!closing) {
                closeAfterPending(WebSocketFrames.writeClose(ctx.alloc().buffer(64), CLOSE_GOING_AWAY,
                        "idle timeout: no answer to ping"));
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("connection {} dropped: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        } else {
            LOG.warn("closing connection {} after an unexpected error", ctx.channel().remoteAddress(), cause);
            closeOnInternalError();
        }
    }
}
