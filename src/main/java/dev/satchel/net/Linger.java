package dev.satchel.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closing a plain TCP connection without destroying the last thing we sent (a Close frame after the responses
 * owed, an HTTP 503 or 408). Closing a socket while the client is still sending makes its next bytes answer with a
 * TCP reset, and a reset makes the client's kernel throw away whatever it received and the client has not read
 * yet: the Close frame, or the responses of a client that pipelines faster than it reads. So after those last
 * bytes are written we shut down our side (FIN; everything written is still delivered), keep reading and dropping
 * what the client sends, and close only once it closes, or once it has sent nothing for {@link #QUIET_MILLIS} (a
 * client that stopped sending cannot trigger a reset any more, however slowly it reads what is on its way), or after
 * {@link #MAX_MILLIS} in all (a client that never stops sending). Over TLS the connection is closed at once
 * (close_notify is its orderly end).
 *
 * <p>Installed first in the pipeline, so every byte read reaches it and nothing after it; I/O thread only.
 */
final class Linger extends ChannelInboundHandlerAdapter {
    /** The linger ends once the client has sent nothing for this long. */
    static final long QUIET_MILLIS = 1000;
    /** The longest linger, however long the client keeps sending (docs/protocol.md section 1). */
    static final long MAX_MILLIS = 30_000;

    private final long startedNanos;
    private long lastInputNanos;

    private Linger(long now) {
        this.startedNanos = now;
        this.lastInputNanos = now;
    }

    /** A listener for the write of the last bytes: lingers as described, then closes. */
    static void closeAfter(ChannelFuture sent) {
        Channel ch = sent.channel();
        if (!sent.isSuccess() || !ch.isActive() || !(ch instanceof DuplexChannel duplex)
                || ch.pipeline().get(SslHandler.class) != null) {
            ch.close();
            return;
        }
        Linger linger = new Linger(System.nanoTime());
        ch.pipeline().addFirst("linger", linger);
        duplex.shutdownOutput();
        ch.config().setAutoRead(true);
        linger.check(ch);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastInputNanos = System.nanoTime();
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // nothing was passed on
    }

    /** Closes if the client has been quiet long enough or the linger is over, else looks again when it could be. */
    private void check(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        long now = System.nanoTime();
        long quietLeft = TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS) - (now - lastInputNanos);
        long lingerLeft = TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS) - (now - startedNanos);
        if (quietLeft <= 0 || lingerLeft <= 0) {
            ch.close();
            return;
        }
        ch.eventLoop().schedule(() -> check(ch), Math.min(quietLeft, lingerLeft), TimeUnit.NANOSECONDS);
    }
}
