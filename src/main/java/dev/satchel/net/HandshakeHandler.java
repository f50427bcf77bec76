package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.nio.charset.StandardCharsets;

/**
 * Accepts the WebSocket upgrade on any path, then replaces itself with the frame handlers: UTF-8
 * validation (invalid text closes with 1007), reassembly of fragmented messages (bounded; too big closes
 * with 1009) and the {@link ClientConnection}. Plain HTTP requests get a short explanation and are closed.
 */
final class HandshakeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final DecoderPool decoders;
    private final CommandLoop loop;
    private final int maxMessageBytes;
    private final int maxInFlight;
    private final boolean tls;

    HandshakeHandler(DecoderPool decoders, CommandLoop loop, int maxMessageBytes, int maxInFlight, boolean tls) {
        this.decoders = decoders;
        this.loop = loop;
        this.maxMessageBytes = maxMessageBytes;
        this.maxInFlight = maxInFlight;
        this.tls = tls;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            reply(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request\n");
            return;
        }
        if (!req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            reply(ctx, HttpResponseStatus.UPGRADE_REQUIRED,
                    "Satchel speaks JSON over WebSocket: connect with a WebSocket client (ws://host:port/)\n");
            return;
        }
        if (!HttpMethod.GET.equals(req.method())) {
            reply(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "WebSocket upgrade needs GET\n");
            return;
        }
        WebSocketDecoderConfig config = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxMessageBytes)
                .allowExtensions(false)
                .allowMaskMismatch(false)
                .closeOnProtocolViolation(true)
                .build();
        String host = req.headers().get(HttpHeaderNames.HOST, "localhost");
        String location = (tls ? "wss://" : "ws://") + host + req.uri();
        WebSocketServerHandshaker handshaker =
                new WebSocketServerHandshakerFactory(location, null, config).newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        ChannelPipeline p = ctx.pipeline();
        // the handshaker puts the frame decoder/encoder in place of the HTTP codec; our handlers follow it
        p.addAfter(ctx.name(), "ws-utf8", new Utf8FrameValidator(true));
        p.addAfter("ws-utf8", "ws-aggregator", new WebSocketFrameAggregator(maxMessageBytes));
        p.addAfter("ws-aggregator", "satchel", new ClientConnection(decoders, loop, maxInFlight));
        handshaker.handshake(ctx.channel(), req).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        p.remove(this);
    }

    private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
        FullHttpResponse rsp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        rsp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        HttpUtil.setContentLength(rsp, rsp.content().readableBytes());
        rsp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(rsp).addListener(ChannelFutureListener.CLOSE);
    }
}
