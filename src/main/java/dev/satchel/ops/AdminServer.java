package dev.satchel.ops;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP port: {@code GET /health/live}, {@code /health/ready} and {@code /metrics}, on its own
 * address and port, served by one small Netty event loop of its own so that neither client I/O nor the
 * command loop ever waits for it. No credentials: nothing here reads or changes data.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final String bind;
    private final int port;
    private final Health health;
    private final Metrics metrics;
    private EventLoopGroup group;
    private Channel channel;

    /** @param metrics null when metrics are disabled ({@code /metrics} then answers 404) */
    public AdminServer(String bind, int port, Health health, Metrics metrics) {
        this.bind = bind;
        this.port = port;
        this.health = health;
        this.metrics = metrics;
    }

    /** Binds; returns the port (useful with port 0). */
    public int start() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("satchel-admin"), NioIoHandler.newFactory());
        try {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192))
                                    .addLast(new HttpObjectAggregator(8192))
                                    .addLast(new Handler());
                        }
                    })
                    .bind(new InetSocketAddress(bind, port)).sync().channel();
        } catch (Exception e) {
            close();
            throw e;
        }
        return port();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    private static FullHttpResponse json(boolean up, String fields) {
        return response(up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN") + "\"" + fields + "}\n");
    }

    private static final String LOOP_DOWN = ",\"reason\":\"the command loop did not answer within "
            + Health.LOOP_TIMEOUT_MILLIS + " ms\"";

    /** {@code ,"reason":"..."} for a readiness answer, or "" when there is no reason. */
    private static String reason(String why) {
        return why == null ? "" : ",\"reason\":\"" + why.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private CompletableFuture<FullHttpResponse> route(HttpMethod method, String path, ChannelHandlerContext ctx) {
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                    "only GET and HEAD\n");
            r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            return CompletableFuture.completedFuture(r);
        }
        switch (path) {
            case "/health/live":
                return health.loopAnswers().thenApply(up -> json(up, up ? "" : LOOP_DOWN));
            case "/health/ready": {
                Health.State state = health.state();
                String st = ",\"state\":\"" + state.label() + "\"";
                if (state != Health.State.READY) {
                    // a starting cluster member says what it waits for (the other members, its data)
                    String why = state == Health.State.STARTING ? health.notReadyReason() : null;
                    return CompletableFuture.completedFuture(json(false, st + reason(why)));
                }
                String reason = health.notReadyReason();
                if (reason != null) {
                    return CompletableFuture.completedFuture(json(false, ",\"state\":\"cluster\"" + reason(reason)));
                }
                return health.loopAnswers().thenApply(up -> json(up, st + (up ? "" : LOOP_DOWN)));
            }
            case "/metrics":
                if (metrics == null) {
                    return CompletableFuture.completedFuture(response(HttpResponseStatus.NOT_FOUND,
                            "text/plain; charset=utf-8", "metrics are disabled (metrics.enabled = false)\n"));
                }
                return metrics.scrape(ctx.executor())
                        .thenApply(text -> response(HttpResponseStatus.OK, METRICS_CONTENT_TYPE, text));
            case "/":
                return CompletableFuture.completedFuture(response(HttpResponseStatus.OK, "text/plain; charset=utf-8",
                        "Satchel admin: /health/live /health/ready /metrics\n"));
            default:
                return CompletableFuture.completedFuture(response(HttpResponseStatus.NOT_FOUND,
                        "text/plain; charset=utf-8", "not found: try /health/live, /health/ready or /metrics\n"));
        }
    }

    /** One connection: requests are answered in order, each after the previous one's response. */
    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            boolean keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
            boolean head = HttpMethod.HEAD.equals(req.method());
            CompletableFuture<FullHttpResponse> answer;
            if (!req.decoderResult().isSuccess()) {
                answer = CompletableFuture.completedFuture(response(HttpResponseStatus.BAD_REQUEST,
                        "text/plain; charset=utf-8", "malformed HTTP request\n"));
            } else {
                try {
                    answer = route(req.method(), new QueryStringDecoder(req.uri()).path(), ctx);
                } catch (RuntimeException e) {
                    answer = CompletableFuture.failedFuture(e);
                }
            }
            CompletableFuture<FullHttpResponse> safe = answer.exceptionally(t -> {
                LOG.warn("admin request {} failed", req.uri(), t);
                return response(HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain; charset=utf-8",
                        "internal error (logged by the server)\n");
            });
            tail = tail.thenCompose(previous -> safe).thenAcceptAsync(r -> write(ctx, r, keepAlive, head),
                    ctx.executor());
        }

        private void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive, boolean head) {
            if (!ctx.channel().isActive()) {
                r.release();
                return;
            }
            if (head) {
                r.content().clear(); // Content-Length stays that of the GET
            }
            if (keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(r, ctx.voidPromise());
            } else {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("admin connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
