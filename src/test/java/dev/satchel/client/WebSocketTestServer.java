package dev.satchel.client;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A tiny WebSocket server on an ephemeral loopback port, for testing the client without the real server. Each
 * connection gets a fresh handler from the supplier (see {@link ScriptedServerHandler}).
 */
final class WebSocketTestServer implements AutoCloseable {

    static final int MAX_FRAME_BYTES = 1024 * 1024;

    private final EventLoopGroup group =
            new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-server", true), NioIoHandler.newFactory());
    private final Channel serverChannel;
    private final boolean tls;

    private WebSocketTestServer(Supplier<ChannelHandler> handlers, SslContext sslContext, String requiredAuthorization) {
        this.tls = sslContext != null;
        this.serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        ChannelPipeline pipeline = channel.pipeline();
                        if (sslContext != null) {
                            pipeline.addLast(sslContext.newHandler(channel.alloc()));
                        }
                        pipeline.addLast(new HttpServerCodec());
                        pipeline.addLast(new HttpObjectAggregator(65536));
                        if (requiredAuthorization != null) {
                            pipeline.addLast(new AuthorizationCheck(requiredAuthorization));
                        }
                        pipeline.addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                .websocketPath("/")
                                .checkStartsWith(true)
                                .maxFramePayloadLength(MAX_FRAME_BYTES)
                                .sendCloseFrame(null)
                                .build()));
                        pipeline.addLast(new WebSocketFrameAggregator(MAX_FRAME_BYTES));
                        pipeline.addLast(handlers.get());
                    }
                })
                .bind("127.0.0.1", 0)
                .syncUninterruptibly()
                .channel();
    }

    /** Starts a plain {@code ws://} server running a {@link ScriptedServerHandler} per connection. */
    static WebSocketTestServer start() {
        return start(ScriptedServerHandler::new, null, null);
    }

    /**
     * Starts a server.
     *
     * @param handlers              a new frame handler per connection
     * @param sslContext            a server TLS context for {@code wss://}, or {@code null}
     * @param requiredAuthorization the {@code Authorization} header value the handshake must carry, or
     *                              {@code null}
     */
    static WebSocketTestServer start(Supplier<ChannelHandler> handlers, SslContext sslContext,
                                     String requiredAuthorization) {
        return new WebSocketTestServer(handlers, sslContext, requiredAuthorization);
    }

    int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    URI uri() {
        return URI.create((tls ? "wss" : "ws") + "://127.0.0.1:" + port() + "/");
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Answers the upgrade request with 401 unless it carries the expected Authorization header. */
    private static final class AuthorizationCheck extends ChannelInboundHandlerAdapter {
        private final String expected;

        AuthorizationCheck(String expected) {
            this.expected = expected;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof FullHttpRequest request
                    && !expected.equals(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
                ReferenceCountUtil.release(msg);
                DefaultFullHttpResponse response =
                        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.UNAUTHORIZED);
                HttpUtil.setContentLength(response, 0);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
