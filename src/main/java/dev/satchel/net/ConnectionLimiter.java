package dev.satchel.net;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps open connections: {@code limits.maxConnections} in total and {@code limits.maxConnectionsPerAddress}
 * from one remote IP address. Counted from the moment a connection is accepted (a client still in its
 * handshake holds resources too) until it closes. A connection over a cap gets {@code HTTP 503} with a line
 * naming the limit and is closed; over TLS the answer goes out once the TLS handshake is done. One instance
 * per server, shared by its connections.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);
    private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong refusedSinceWarning = new AtomicLong();
    private final AtomicLong nextWarning = new AtomicLong(System.nanoTime());

    ConnectionLimiter(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /** Connections counted now. */
    int open() {
        return total.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        InetAddress address = address(ch.remoteAddress());
        String refused = admit(address);
        if (refused == null) {
            ch.closeFuture().addListener(f -> release(address));
            ctx.fireChannelActive();
            ctx.pipeline().remove(this);
            return;
        }
        NetStats.rejected(ch, refused.contains("PerAddress") ? "too_many_connections_per_address"
                : "too_many_connections");
        warnRefused(refused);
        String body = "too many connections: " + refused + "\n";
        ctx.writeAndFlush(Unpooled.copiedBuffer("HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + body.length()
                + "\r\nConnection: close\r\n\r\n" + body, StandardCharsets.US_ASCII))
                .addListener((ChannelFutureListener) Linger::closeAfter);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        io.netty.util.ReferenceCountUtil.release(msg); // only a refused connection is still here: ignore it
    }

    /** Null if the connection may stay, else the limit it passes (for the 503 and the log). */
    private String admit(InetAddress address) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return "limits.maxConnections (" + maxTotal + ")";
        }
        if (address != null && perAddress.merge(address, 1, Integer::sum) > maxPerAddress) {
            release(address);
            return "limits.maxConnectionsPerAddress (" + maxPerAddress + ")";
        }
        return null;
    }

    private void release(InetAddress address) {
        if (address != null) {
            perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
        total.decrementAndGet();
    }

    /** One WARN line per 10 s at most, however many connections are refused. */
    private void warnRefused(String limit) {
        long n = refusedSinceWarning.incrementAndGet();
        long now = System.nanoTime();
        long next = nextWarning.get();
        if (now - next >= 0 && nextWarning.compareAndSet(next, now + WARN_EVERY_NANOS)) {
            refusedSinceWarning.addAndGet(-n);
            LOG.warn("refused {} connection(s) with HTTP 503: {} reached", n, limit);
        }
    }

    private static InetAddress address(SocketAddress a) {
        return a instanceof InetSocketAddress s ? s.getAddress() : null;
    }
}
