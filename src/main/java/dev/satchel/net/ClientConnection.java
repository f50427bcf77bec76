package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Request;
import dev.satchel.json.ResponseWriter;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.spec.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's WebSocket connection after the handshake. It reads frames straight from the socket's bytes
 * (RFC 6455 section 5: masking, fragmentation, control frames, close codes), unmasks each message into the
 * I/O thread's array, checks UTF-8, decodes the JSON request, and gathers the requests of one read into a
 * {@link Batch} for the command loop; each batch's responses come back in order with one flush.
 *
 * <p>Limits: a message (whole or fragmented) over the size limit closes with 1009 as soon as its header
 * says so, invalid UTF-8 with 1007, any other framing error with 1002. Requests read before the error
 * still get their responses before the Close frame.
 *
 * <p>Flow control: reading stops while the outbound buffer is above its high-water mark (a client that does
 * not read its responses) or while more than {@code maxInFlight} requests wait for the loop, and resumes
 * when both have drained, so a slow or flooding client holds bounded memory and cannot starve the others.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    static final int CLOSE_NORMAL = 1000;
    static final int CLOSE_PROTOCOL_ERROR = 1002;
    static final int CLOSE_INVALID_PAYLOAD = 1007;
    static final int CLOSE_TOO_BIG = 1009;
    static final int CLOSE_INTERNAL_ERROR = 1011;

    private static final byte[] INTERNAL_ERROR =
            "{\"ERR\":{\"st\":1000,\"m\":\"internal error (logged by the server)\"}}".getBytes(StandardCharsets.US_ASCII);

    private final HandshakeHandler.ConnectionSettings settings;
    private ChannelHandlerContext ctx;
    private LoopBridge bridge;
    private ByteBuf input;

    private Request[] pending = new Request[16];
    private int pendingCount;
    private int inFlight;

    /** Opcode of the fragmented message being received, or -1. */
    private int fragmentOpcode = -1;
    private byte[] fragments;
    private int fragmentsLength;

    /** Responses waiting behind a promised (deferred) response: ByteBufs and CompletableFutures. */
    private final ArrayDeque<Object> outQueue = new ArrayDeque<>();
    private CompletableFuture<byte[]> waitingOn;

    /** Set once a Close was received or a violation found: input is ignored from then on. */
    private boolean closing;
    /** The Close frame to send once every request read so far has its response. */
    private ByteBuf closeFrame;

    // ---- backpressure across the command loop (see Batch) ----
    /** Bytes of requests read and not yet answered (waiting for the loop, or held back by it). I/O thread. */
    private long inFlightBytes;
    /** Response bytes the loop produced for this connection that the I/O thread has not written yet. */
    private final java.util.concurrent.atomic.AtomicLong undelivered = new java.util.concurrent.atomic.AtomicLong();
    /** Set by the loop when it holds back this connection's requests until its unsent responses drain. */
    private final java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
    /** Loop thread only: requests held back, in order (non-empty exactly while the loop holds back). */
    private final ArrayDeque<Batch> heldBack = new ArrayDeque<>();
    private final CommandLoop.Task resume = this::resumeOnLoop;
    /** When the channel last became unwritable (System.nanoTime), or 0 while it is writable. I/O thread. */
    private long unwritableSince;
    private io.netty.util.concurrent.ScheduledFuture<?> stallCheck;
    /** After our Close frame: input is drained and dropped until the client closes or a timer fires. */
    private boolean lingering;

    ClientConnection(HandshakeHandler.ConnectionSettings settings) {
        this.settings = settings;
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
        this.bridge = settings.bridge(ctx.channel().eventLoop());
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
            readFrames(input);
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

    // ---- frames ----

    private void readFrames(ByteBuf in) {
        while (!closing) {
            int readable = in.readableBytes();
            if (readable < 2) {
                return;
            }
            int at = in.readerIndex();
            int b0 = in.getUnsignedByte(at);
            int b1 = in.getUnsignedByte(at + 1);
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0F;
            long length = b1 & 0x7F;
            int header = 2;
            if ((b0 & 0x70) != 0) {
                fail(CLOSE_PROTOCOL_ERROR, "reserved bits set: no extension was negotiated");
                return;
            }
            if ((b1 & 0x80) == 0) {
                fail(CLOSE_PROTOCOL_ERROR, "client frames must be masked");
                return;
            }
            if (length == 126) {
                if (readable < 4) {
                    return;
                }
                length = in.getUnsignedShort(at + 2);
                header = 4;
            } else if (length == 127) {
                if (readable < 10) {
                    return;
                }
                length = in.getLong(at + 2);
                header = 10;
                if (length < 0) {
                    fail(CLOSE_PROTOCOL_ERROR, "frame length out of range");
                    return;
                }
            }
            header += 4; // masking key
            if (opcode >= 8) {
                if (!fin || length > 125) {
                    fail(CLOSE_PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes");
                    return;
                }
                if (opcode > TextFrames.OP_PONG) {
                    fail(CLOSE_PROTOCOL_ERROR, "unknown opcode " + opcode);
                    return;
                }
            } else if (opcode == TextFrames.OP_CONTINUATION) {
                if (fragmentOpcode < 0) {
                    fail(CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue");
                    return;
                }
            } else if (opcode == TextFrames.OP_TEXT || opcode == TextFrames.OP_BINARY) {
                if (fragmentOpcode >= 0) {
                    fail(CLOSE_PROTOCOL_ERROR, "new message before the fragmented one ended");
                    return;
                }
            } else {
                fail(CLOSE_PROTOCOL_ERROR, "unknown opcode " + opcode);
                return;
            }
            if (opcode < 8 && (opcode == 0 ? fragmentsLength : 0) + length > settings.maxMessageBytes()) {
                fail(CLOSE_TOO_BIG, "message larger than the limit of " + settings.maxMessageBytes() + " bytes");
                return;
            }
            if (readable < header + length) {
                return; // wait for the rest of the frame
            }
            int n = (int) length;
            int mask = in.getInt(at + header - 4);
            int payload = at + header;
            if (opcode >= 8) {
                byte[] b = settings.decoders().input(n);
                in.getBytes(payload, b, 0, n);
                unmask(b, 0, n, mask);
                in.skipBytes(header + n);
                control(opcode, b, n);
            } else if (fin && opcode != TextFrames.OP_CONTINUATION) {
                byte[] b = settings.decoders().input(n);
                in.getBytes(payload, b, 0, n);
                unmask(b, 0, n, mask);
                in.skipBytes(header + n);
                message(opcode, b, n);
            } else {
                if (opcode != TextFrames.OP_CONTINUATION) {
                    fragmentOpcode = opcode;
                    fragmentsLength = 0;
                }
                if (fragments == null || fragments.length < fragmentsLength + n) {
                    fragments = Arrays.copyOf(fragments == null ? new byte[0] : fragments,
                            Math.max(fragmentsLength + n, fragments == null ? 1024 : fragments.length * 2));
                }
                in.getBytes(payload, fragments, fragmentsLength, n);
                unmask(fragments, fragmentsLength, n, mask);
                fragmentsLength += n;
                in.skipBytes(header + n);
                if (fin) {
                    int op = fragmentOpcode;
                    fragmentOpcode = -1;
                    message(op, fragments, fragmentsLength);
                    fragmentsLength = 0;
                    if (fragments.length > 64 * 1024) {
                        fragments = null; // do not keep a large message's memory per connection
                    }
                }
            }
        }
    }

    /** XORs {@code b[off, off + n)} with the 4-byte masking key, eight bytes at a time. */
    static void unmask(byte[] b, int off, int n, int mask) {
        if (mask == 0) {
            return;
        }
        int k0 = mask >>> 24;
        int k1 = (mask >>> 16) & 0xFF;
        int k2 = (mask >>> 8) & 0xFF;
        int k3 = mask & 0xFF;
        long word = (k0 | (k1 << 8) | (k2 << 16) | ((long) k3 << 24)) & 0xFFFFFFFFL;
        word |= word << 32;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            LONGS.set(b, off + i, (long) LONGS.get(b, off + i) ^ word);
        }
        for (; i < n; i++) {
            int k = switch (i & 3) {
                case 0 -> k0;
                case 1 -> k1;
                case 2 -> k2;
                default -> k3;
            };
            b[off + i] ^= (byte) k;
        }
    }

    private void message(int opcode, byte[] b, int n) {
        if (opcode == TextFrames.OP_BINARY) {
            Request r = new Request().fail(RequestDecoder.ERR, Status.OP_CODE_INVALID,
                    "binary frames are not accepted: send each request as one JSON text message");
            r.messageBytes = n;
            add(r);
            return;
        }
        if (!Utf8.isValid(b, 0, n)) {
            fail(CLOSE_INVALID_PAYLOAD, "message is not valid UTF-8");
            return;
        }
        Request r = settings.decoders().decode(b, n);
        r.messageBytes = n;
        add(r);
    }

    private void control(int opcode, byte[] b, int n) {
        if (opcode == TextFrames.OP_PING) {
            ctx.writeAndFlush(TextFrames.pong(ctx.alloc().buffer(n + 2), b, n), ctx.voidPromise());
            checkHardLimit();
        } else if (opcode == TextFrames.OP_CLOSE) {
            if (n == 1) {
                fail(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload");
                return;
            }
            if (n >= 2) {
                int code = ((b[0] & 0xFF) << 8) | (b[1] & 0xFF);
                if (!validCloseCode(code)) {
                    fail(CLOSE_PROTOCOL_ERROR, "invalid close code " + code);
                    return;
                }
                if (!Utf8.isValid(b, 2, n)) {
                    fail(CLOSE_INVALID_PAYLOAD, "close reason is not valid UTF-8");
                    return;
                }
            }
            // RFC 6455 5.5.1: answer with a Close echoing the status code, after the pending responses
            closeAfterPending(TextFrames.closeEcho(ctx.alloc().buffer(4), b, Math.min(n, 2)));
        }
        // a Pong needs no answer
    }

    private static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    private void fail(int code, String reason) {
        LOG.debug("closing {} with {}: {}", ctx.channel().remoteAddress(), code, reason);
        if (code == CLOSE_TOO_BIG) {
            NetStats.rejected(ctx.channel(), NetStats.MESSAGE_TOO_BIG);
        }
        closeAfterPending(TextFrames.close(ctx.alloc().buffer(128), code, reason));
    }

    // ---- requests and responses ----

    private void add(Request r) {
        if (pendingCount == pending.length) {
            pending = Arrays.copyOf(pending, pendingCount * 2);
        }
        pending[pendingCount++] = r;
        inFlightBytes += r.messageBytes;
    }

    private void submitPending() {
        if (pendingCount == 0) {
            return;
        }
        Batch batch = new Batch(this, pending, pendingCount);
        inFlight += pendingCount;
        pending = new Request[16];
        pendingCount = 0;
        bridge.submit(batch);
        updateReading();
    }

    /** On the I/O thread: the loop has answered a batch. */
    void deliver(Batch batch) {
        inFlight -= batch.count();
        inFlightBytes -= batch.requestBytes();
        ByteBuf responses = batch.takeOutput();
        if (!ctx.channel().isActive()) {
            batch.release();
            if (responses != null) {
                responses.release();
            }
            return;
        }
        java.util.List<Object> segments = batch.takeSegments();
        if (responses != null && outQueue.isEmpty()) {
            ctx.writeAndFlush(responses, ctx.voidPromise());
        } else if (responses != null || segments != null) {
            if (responses != null) {
                outQueue.add(responses);
            } else {
                outQueue.addAll(segments);
            }
            drainOutQueue();
        } // else the batch failed on the loop and its connection is being closed
        undelivered.addAndGet(-batch.outputBytes()); // now in the channel's outbound buffer
        if (checkHardLimit()) {
            return;
        }
        resumeIfStalled();
        updateReading();
        closeIfDone();
    }

    /** Writes queued responses in order, up to the first promised response that is not ready yet. */
    private void drainOutQueue() {
        boolean wrote = false;
        Object head;
        while ((head = outQueue.peek()) != null) {
            if (head instanceof ByteBuf b) {
                outQueue.poll();
                ctx.write(b, ctx.voidPromise());
                wrote = true;
                continue;
            }
            @SuppressWarnings("unchecked")
            CompletableFuture<byte[]> promised = (CompletableFuture<byte[]>) head;
            if (!promised.isDone()) {
                if (waitingOn != promised) {
                    waitingOn = promised;
                    promised.whenComplete((v, e) -> eventLoop().execute(() -> {
                        if (ctx.channel().isActive()) {
                            drainOutQueue();
                            closeIfDone();
                        }
                    }));
                }
                break;
            }
            outQueue.poll();
            byte[] json = promised.isCompletedExceptionally() ? INTERNAL_ERROR : promised.join();
            ByteBuf frame = ctx.alloc().buffer(json.length + 10);
            TextFrames.write(frame, json, json.length);
            ctx.write(frame, ctx.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    private void updateReading() {
        if (lingering) {
            return; // reading until the client closes
        }
        boolean read = !closing && inFlight < settings.maxInFlight() && inFlightBytes <= settings.outboundHighWater()
                && ctx.channel().isWritable() && !stalled.get();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            unwritableSince = 0;
            if (stallCheck != null) {
                stallCheck.cancel(false);
                stallCheck = null;
            }
            resumeIfStalled();
        } else if (unwritableSince == 0 && ctx.channel().isActive()) {
            long since = System.nanoTime();
            unwritableSince = since;
            stallCheck = ctx.executor().schedule(() -> closeIfStalledSince(since), settings.outboundStallMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    // ---- backpressure: hard limit, soft limit held too long, the loop holding requests back ----

    /** Closes at once when the unsent responses pass the hard limit; returns true if it did. */
    private boolean checkHardLimit() {
        io.netty.channel.ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        long pending = ob == null ? 0 : ob.totalPendingWriteBytes();
        if (pending > settings.outboundHardLimit() && ctx.channel().isActive()) {
            LOG.warn("closing connection from {}: {} bytes of responses unsent, over limits.outboundHardLimitBytes"
                    + " ({})", ctx.channel().remoteAddress(), pending, settings.outboundHardLimit());
            NetStats.rejected(ctx.channel(), "outbound_hard_limit");
            closing = true;
            ctx.close();
            return true;
        }
        return false;
    }

    /** The stall timer: the unsent responses stayed above the high-water mark the whole time. */
    private void closeIfStalledSince(long since) {
        stallCheck = null;
        if (unwritableSince == since && !ctx.channel().isWritable() && ctx.channel().isActive()) {
            io.netty.channel.ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
            LOG.warn("closing connection from {}: it read none of its {} bytes of unsent responses for {} s"
                    + " (limits.outboundStallSeconds)", ctx.channel().remoteAddress(),
                    ob == null ? 0 : ob.totalPendingWriteBytes(), settings.outboundStallMillis() / 1000);
            NetStats.rejected(ctx.channel(), "outbound_stalled");
            closing = true;
            ctx.close();
        }
    }

    /** On the I/O thread: once the unsent responses have drained, lets the loop go on with held-back requests. */
    private void resumeIfStalled() {
        if (stalled.get() && ctx.channel().isWritable() && ctx.channel().isActive()
                && stalled.compareAndSet(true, false)) {
            settings.loop().submit(resume);
        }
    }

    /**
     * On the loop: how many more response bytes the loop may produce for this connection before it must hold
     * its requests back: the high-water mark less what is unsent (in the channel, or on its way there).
     */
    long outputBudget() {
        return settings.outboundHighWater() - unsentBytes();
    }

    /** Any thread: response bytes held for this connection (in the channel, or on their way from the loop). */
    long unsentBytes() {
        io.netty.channel.ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        return (ob == null ? 0 : ob.totalPendingWriteBytes()) + undelivered.get();
    }

    /** On the loop: true while earlier requests of this connection are held back (later ones must wait too). */
    boolean holdingBack() {
        return !heldBack.isEmpty();
    }

    /** On the loop: queues requests behind those held back. */
    void holdBack(Batch rest) {
        heldBack.addLast(rest);
    }

    /**
     * On the loop: a batch stopped at its output budget; {@code rest} (its remaining requests) goes first in
     * line and the loop waits for the I/O thread to say the responses have drained.
     */
    void stallOnLoop(Batch rest) {
        heldBack.addFirst(rest);
        stalled.set(true);
        // the responses may have drained between the budget check and the flag: then nobody would resume us
        if (outputBudget() > 0 && stalled.compareAndSet(true, false)) {
            settings.loop().submit(resume);
        }
    }

    /** On the loop: the loop produced {@code bytes} of responses, on their way to the I/O thread. */
    void produced(long bytes) {
        undelivered.addAndGet(bytes);
    }

    /** On the loop: runs held-back requests while their output fits; each part is delivered in order. */
    private void resumeOnLoop(Engine engine, ResponseWriter out) {
        Batch b;
        while ((b = heldBack.pollFirst()) != null) {
            boolean all = b.executeSome(engine, out);
            if (b.count() > 0) {
                Batch part = b;
                try {
                    eventLoop().execute(() -> deliver(part));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    part.release(); // I/O threads shutting down
                    return;
                }
            }
            if (!all) {
                return; // held back again until the responses drain
            }
        }
    }

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

    private void closeIfDone() {
        if (closeFrame != null && inFlight == 0 && outQueue.isEmpty()) {
            ByteBuf frame = closeFrame;
            closeFrame = null;
            IdleHandler idle = ctx.pipeline().get(IdleHandler.class);
            if (idle != null) {
                idle.closing(); // no pings after our Close, and a deadline for the client to take it
            }
            ctx.writeAndFlush(frame).addListener((ChannelFutureListener) this::linger);
        }
    }

    /**
     * After our Close frame is sent: closes our side (FIN), then keeps reading and dropping input until the
     * client closes or {@link #LINGER_MILLIS} pass. Closing at once while the client is still sending (a
     * message over the size limit, say) would answer its data with a TCP reset, which can destroy the Close
     * frame before the client reads it. Over TLS the connection is closed at once (with close_notify).
     */
    private void linger(io.netty.channel.ChannelFuture sent) {
        io.netty.channel.Channel ch = sent.channel();
        if (!sent.isSuccess() || !ch.isActive() || !(ch instanceof io.netty.channel.socket.DuplexChannel duplex)
                || ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null) {
            ch.close();
            return;
        }
        lingering = true;
        duplex.shutdownOutput();
        ch.config().setAutoRead(true);
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, LINGER_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Longest wait for the client to close after our Close frame. */
    static final long LINGER_MILLIS = 1000;

    // ---- graceful shutdown (dev.satchel.ops) ----

    static final int CLOSE_GOING_AWAY = 1001;

    /**
     * On {@code ch}'s I/O thread, at graceful shutdown: a WebSocket connection stops reading, answers every
     * request it has read, then sends Close 1001 and closes; a connection still in its handshake just closes.
     * Idempotent.
     */
    static void goingAway(io.netty.channel.Channel ch) {
        ClientConnection c = ch.pipeline().get(ClientConnection.class);
        if (c == null) {
            ch.close();
        } else if (!c.closing && ch.isActive()) {
            c.closeAfterPending(TextFrames.close(ch.alloc().buffer(64), CLOSE_GOING_AWAY, "server shutting down"));
        }
    }

    void closeOnInternalError() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(TextFrames.close(ctx.alloc().buffer(64), CLOSE_INTERNAL_ERROR, "internal error"))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
        if (input != null) {
            input.release();
            input = null;
        }
        if (closeFrame != null) {
            closeFrame.release();
            closeFrame = null;
        }
        Object queued;
        while ((queued = outQueue.poll()) != null) {
            if (queued instanceof ByteBuf b) {
                b.release();
            }
        }
        Arrays.fill(pending, 0, pendingCount, null);
        pendingCount = 0;
        fragments = null;
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == IdleHandler.IDLE_TIMEOUT) {
            if (!closing) {
                closeAfterPending(TextFrames.close(ctx.alloc().buffer(64), CLOSE_GOING_AWAY,
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
