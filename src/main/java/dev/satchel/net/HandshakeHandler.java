package dev.satchel.net;

import dev.satchel.net.ws.WebSocketFrames;
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HandshakeHandler.class);

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
        if (!originAllowed(h)) {
            LOG.debug("refused {}: origin not allowed", ctx.channel().remoteAddress());
            NetStats.rejected(ctx.channel(), "origin_forbidden");
            reply(ctx, HttpResponseStatus.FORBIDDEN, "this origin may not connect (server.allowedOrigins)\n");
            return;
        }
        if (!authenticated(req)) {
            // the presented secret is never logged
            LOG.debug("refused {}: missing or wrong credentials", ctx.channel().remoteAddress());
            NetStats.rejected(ctx.channel(), "unauthorized");
            FullHttpResponse denied = text(HttpResponseStatus.UNAUTHORIZED,
                    "authentication required: send \"Authorization: Bearer <secret>\" or ?token=<secret>\n");
            denied.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"satchel\"");
            ctx.writeAndFlush(denied).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        FullHttpResponse rsp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        rsp.headers()
                .set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, WebSocketFrames.acceptKey(key.trim()));
        ChannelPipeline p = ctx.pipeline();
        // the response is encoded synchronously here, so the HTTP codec can go right after
        ctx.writeAndFlush(rsp).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        p.addAfter(ctx.name(), "satchel", new ClientConnection(settings));
        p.remove(this);
        p.remove("http-aggregator");
        p.remove("http");
        p.fireUserEventTriggered(UPGRADED); // from the head: the idle handler switches to WebSocket mode
    }

    /** User event fired through the whole pipeline once the connection speaks WebSocket. */
    static final Object UPGRADED = new Object() {
        @Override
        public String toString() {
            return "UPGRADED";
        }
    };

    /** True without an allow-list, for a request with no Origin (not a browser), or for a listed origin. */
    private boolean originAllowed(HttpHeaders h) {
        if (settings.allowedOrigins().isEmpty()) {
            return true;
        }
        String origin = h.get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            origin = h.get(HttpHeaderNames.SEC_WEBSOCKET_ORIGIN);
        }
        if (origin == null) {
            return true;
        }
        String o = origin.trim().toLowerCase(java.util.Locale.ROOT);
        while (o.endsWith("/")) {
            o = o.substring(0, o.length() - 1);
        }
        return settings.allowedOrigins().contains(o);
    }

    /**
     * True without a configured secret, or when the request carries it: {@code Authorization: Bearer S}, or
     * (for browsers, which cannot set headers on a WebSocket) the query parameter {@code token=S}. Compared
     * in constant time over SHA-256 digests, so neither the secret's content nor its length leaks.
     */
    private boolean authenticated(FullHttpRequest req) {
        byte[] expected = settings.authSecretDigest();
        if (expected == null) {
            return true;
        }
        byte[] presented = null;
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null) {
            String a = auth.trim();
            if (a.length() > 7 && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
                // header values hold the bytes as sent, one char per byte: a UTF-8 secret arrives as its bytes
                presented = a.substring(7).trim().getBytes(StandardCharsets.ISO_8859_1);
            }
        } else {
            java.util.List<String> tokens = new io.netty.handler.codec.http.QueryStringDecoder(req.uri())
                    .parameters().get("token");
            if (tokens != null && tokens.size() == 1) {
                presented = tokens.get(0).getBytes(StandardCharsets.UTF_8); // percent-decoded as UTF-8
            }
        }
        return presented != null && MessageDigest.isEqual(digest(presented), expected);
    }

    static byte[] digest(String secret) {
        return digest(secret.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] digest(byte[] secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // before the upgrade: a client that resets the connection, or garbage; never worth more than a debug line
        if (cause instanceof java.io.IOException) {
            LOG.debug("connection {} dropped during the handshake: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.debug("closing {} during the handshake: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }

    private static boolean isNonce(String key) {
        try {
            return Base64.getDecoder().decode(key).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
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
}
