package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Performs the WebSocket opening handshake (RFC 6455 section 4.2) on any path, then hands the connection
 * to a {@link ClientConnection}, which reads frames itself. No subprotocol or extension is negotiated, so
 * frames are plain (permessage-deflate is off). Plain HTTP requests get a short explanation and a close.
 */
final class HandshakeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final ConnectionSettings settings;

    HandshakeHandler(ConnectionSettings settings) {
        this.settings = settings;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        HttpHeaders h = req.headers();
        if (!req.decoderResult().isSuccess()) {
            reply(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request\n");
            return;
        }
        if (!h.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            reply(ctx, HttpResponseStatus.UPGRADE_REQUIRED,
                    "Satchel speaks JSON over WebSocket: connect with a WebSocket client (ws://host:port/)\n");
            return;
        }
        if (!HttpMethod.GET.equals(req.method())) {
            reply(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "the WebSocket handshake needs GET\n");
            return;
        }
        if (!h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            reply(ctx, HttpResponseStatus.BAD_REQUEST, "Connection: Upgrade header missing\n");
            return;
        }
        if (!"13".equals(h.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            FullHttpResponse rsp = text(HttpResponseStatus.UPGRADE_REQUIRED, "WebSocket version 13 required\n");
            rsp.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
            ctx.writeAndFlush(rsp).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        String key = h.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null || !isNonce(key.trim())) {
            reply(ctx, HttpResponseStatus.BAD_REQUEST, "Sec-WebSocket-Key missing or invalid\n");
            return;
        }
        FullHttpResponse rsp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        rsp.headers()
                .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, accept(key.trim()));
        ChannelPipeline p = ctx.pipeline();
        // the response is encoded synchronously here, so the HTTP codec can go right after
        ctx.writeAndFlush(rsp).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        p.addAfter(ctx.name(), "satchel", new ClientConnection(settings));
        p.remove(this);
        p.remove("http-aggregator");
        p.remove("http");
    }

    private static boolean isNonce(String key) {
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String accept(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return Base64.getEncoder().encodeToString(sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by RFC 6455 and missing from this JDK", e);
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse rsp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        rsp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(rsp, rsp.content().readableBytes());
        rsp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return rsp;
    }

    private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        ctx.writeAndFlush(text(status, body)).addListener(ChannelFutureListener.CLOSE);
    }

    /** What every connection of one server shares. */
    record ConnectionSettings(DecoderPool decoders, CommandLoop loop, int maxMessageBytes, int maxInFlight,
            java.util.concurrent.ConcurrentHashMap<EventLoop, LoopBridge> bridges) {
        ConnectionSettings(DecoderPool decoders, CommandLoop loop, int maxMessageBytes, int maxInFlight) {
            this(decoders, loop, maxMessageBytes, maxInFlight, new java.util.concurrent.ConcurrentHashMap<>());
        }

        /** The hand-off of the I/O thread running {@code eventLoop} (one per I/O thread). */
        LoopBridge bridge(EventLoop eventLoop) {
            return bridges.computeIfAbsent(eventLoop, el -> new LoopBridge(loop, el));
        }
    }
}
