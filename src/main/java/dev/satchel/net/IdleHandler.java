package dev.satchel.net;

import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time limits of one connection, near the front of its pipeline.
 *
 * <ul>
 *   <li>Handshake: the TLS and WebSocket handshakes must be done within {@code limits.handshakeTimeoutSeconds}
 *       of the connection opening, however the client dribbles its bytes (a slow-loris client that sends one
 *       header byte a second is cut off as surely as one that sends nothing). Then: HTTP 408 and close.</li>
 *   <li>Idle: after {@code limits.idleTimeoutSeconds} with nothing received, the server sends a Ping; if
 *       nothing arrives within {@code limits.pingTimeoutSeconds} after that (a live client's WebSocket stack
 *       answers the Ping by itself), the connection is closed with 1001 after the responses it is owed; a
 *       client that does not even take that Close is cut off one ping timeout later.</li>
 * </ul>
 * Reading is tracked with one {@code System.nanoTime()} per read, and one timer runs per connection.
 */
final class IdleHandler extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(IdleHandler.class);
    /** Fired down the pipeline when a pinged connection stayed silent: the connection closes with 1001. */
    static final Object IDLE_TIMEOUT = new Object() {
        @Override
        public String toString() {
            return "IDLE_TIMEOUT";
        }
    };
    private static final byte[] PING_PAYLOAD = "satchel".getBytes(StandardCharsets.US_ASCII);

    private final long handshakeNanos;
    private final long idleNanos;
    private final long pingNanos;

    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private boolean upgraded;
    private long lastRead;
    /** When the ping went out (0: none outstanding). */
    private long pingSent;
    private boolean closeRequested;
    /** The handshake timed out and was answered with 408: input is dropped until the connection closes. */
    private boolean timedOut;

    /**
     * @param handshakeSeconds limits.handshakeTimeoutSeconds
     * @param idleSeconds      limits.idleTimeoutSeconds (0 = never ping)
     * @param pingSeconds      limits.pingTimeoutSeconds
     */
    IdleHandler(int handshakeSeconds, int idleSeconds, int pingSeconds) {
        this.handshakeNanos = TimeUnit.SECONDS.toNanos(handshakeSeconds);
        this.idleNanos = TimeUnit.SECONDS.toNanos(idleSeconds);
        this.pingNanos = TimeUnit.SECONDS.toNanos(pingSeconds);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        lastRead = System.nanoTime();
        if (ctx.channel().isActive()) {
            schedule(handshakeNanos);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (timer == null) {
            schedule(handshakeNanos);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (timedOut) {
            io.netty.util.ReferenceCountUtil.release(msg); // answered 408 already: drop the rest of the request
            return;
        }
        lastRead = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == HandshakeHandler.UPGRADED && !upgraded) {
            upgraded = true;
            cancel();
            lastRead = System.nanoTime();
            if (idleNanos > 0) {
                schedule(idleNanos);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    /**
     * The connection is closing (its Close frame waits for the responses owed, or is sent): no more pings,
     * and if it is still open one ping timeout from now, it is cut off.
     */
    void closing() {
        if (!closeRequested && upgraded) {
            closeRequested = true;
            cancel();
            schedule(pingNanos);
        }
    }

    private void schedule(long nanos) {
        timer = ctx.executor().schedule(this::check, Math.max(1, nanos), TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (!upgraded) {
            LOG.debug("closing {}: no WebSocket handshake within {} s (limits.handshakeTimeoutSeconds)",
                    ctx.channel().remoteAddress(), TimeUnit.NANOSECONDS.toSeconds(handshakeNanos));
            NetStats.rejected(ctx.channel(), "handshake_timeout");
            io.netty.handler.ssl.SslHandler tls = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
            if (tls != null && !tls.handshakeFuture().isDone()) {
                ctx.close(); // still in the TLS handshake: no channel to answer on
                return;
            }
            String body = "no WebSocket handshake within " + TimeUnit.NANOSECONDS.toSeconds(handshakeNanos)
                    + " s (limits.handshakeTimeoutSeconds)\n";
            ByteBuf rsp = Unpooled.copiedBuffer("HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8"
                    + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body,
                    StandardCharsets.US_ASCII);
            timedOut = true;
            // half-close and drain, like the 503 of the connection limiter: closing at once with the client's
            // bytes unread would send a reset that can destroy the 408 before the client reads it
            ctx.writeAndFlush(rsp).addListener((ChannelFutureListener) Linger::closeAfter);
            return;
        }
        if (closeRequested) {
            ctx.close(); // it did not even take the Close: cut it off
            return;
        }
        if (pingSent != 0) {
            if (lastRead - pingSent >= 0) {
                pingSent = 0; // it answered; back to watching for silence
            } else if (now - pingSent >= pingNanos) {
                LOG.debug("closing {}: silent for {} s after a ping (limits.idleTimeoutSeconds, pingTimeoutSeconds)",
                        ctx.channel().remoteAddress(), TimeUnit.NANOSECONDS.toSeconds(now - lastRead));
                NetStats.rejected(ctx.channel(), "idle_timeout");
                closeRequested = true;
                ctx.fireUserEventTriggered(IDLE_TIMEOUT);
                schedule(pingNanos);
                return;
            } else {
                schedule(pingSent + pingNanos - now);
                return;
            }
        }
        long idleFor = now - lastRead;
        if (idleFor >= idleNanos) {
            pingSent = now;
            ByteBuf ping = ctx.alloc().buffer(2 + PING_PAYLOAD.length);
            WebSocketFrames.writeControl(ping, WebSocketFrames.OP_PING, PING_PAYLOAD, PING_PAYLOAD.length);
            ctx.writeAndFlush(ping, ctx.voidPromise());
            schedule(pingNanos);
        } else {
            schedule(idleNanos - idleFor);
        }
    }
}
