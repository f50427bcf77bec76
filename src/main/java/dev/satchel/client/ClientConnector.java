package dev.satchel.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;

/**
 * Opens one WebSocket connection for {@link SatchelClient}: TCP connect, TLS, the WebSocket handshake, all
 * without blocking a thread ({@link #open}); failures become a {@link SatchelClientException} that names the phase
 * and the URI.
 */
final class ClientConnector {

    /** Prefix of the names of the threads of client-owned event loop groups. */
    static final String THREAD_NAME_PREFIX = "satchel-client";

    /** Largest HTTP handshake response accepted (headers and any error body). */
    private static final int MAX_HANDSHAKE_RESPONSE_BYTES = 64 * 1024;

    /** One open connection: the server, its channel, and the handler that owns its requests. */
    record Connection(URI uri, Channel channel, ConnectionHandler handler) {
    }

    private final URI uri;
    private final ClientOptions options;
    private final String host;
    private final int port;
    private final boolean secure;

    private ClientConnector(URI uri, ClientOptions options) {
        this.uri = uri;
        this.options = options;
        checkUri(uri);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        this.secure = scheme.equals("wss");
        String uriHost = uri.getHost();
        // An IPv6 literal comes bracketed ("[::1]"); sockets and TLS peer names want it bare.
        this.host = uriHost.startsWith("[") && uriHost.endsWith("]")
                ? uriHost.substring(1, uriHost.length() - 1) : uriHost;
        this.port = uri.getPort() != -1 ? uri.getPort() : secure ? 443 : 80;
    }

    /**
     * Checks that a URI can be connected to.
     *
     * @throws IllegalArgumentException if it is not a {@code ws} or {@code wss} URI with a host
     */
    static void checkUri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw new IllegalArgumentException("URI scheme must be ws or wss: " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("URI has no host: " + uri);
        }
    }

    /**
     * Starts opening a connection on {@code group}; never blocks and never throws.
     *
     * @param unsent where the connection's handler hands frames submitted after it ended
     * @return completes with the open connection after the WebSocket handshake, or fails with a
     *         {@link SatchelClientException} naming the URI (the half-open channel is closed)
     */
    static CompletableFuture<Connection> open(URI uri, ClientOptions options, EventLoopGroup group,
                                              Consumer<List<Outbound>> unsent) {
        try {
            return new ClientConnector(uri, options).open(group, unsent);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<Connection> open(EventLoopGroup group, Consumer<List<Outbound>> unsent) {
        SslContext sslContext = secure ? sslContext() : null;
        long timeoutMillis = options.connectTimeout().toMillis();
        ConnectionHandler handler = new ConnectionHandler(uri, options.requestTimeout().toMillis(), unsent);
        ChannelFuture connect = new Bootstrap()
                .group(group)
                .channel(options.channelType())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(initializer(sslContext, handler, timeoutMillis))
                .connect(host, port);
        Channel channel = connect.channel();
        CompletableFuture<Connection> result = new CompletableFuture<>();
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                handler.connectFailed(f.cause());
            }
        });
        ScheduledFuture<?> timer = channel.eventLoop().schedule(() -> {
            if (result.completeExceptionally(
                    new SatchelClientException("timed out after " + timeoutMillis + " ms connecting to " + uri))) {
                channel.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        handler.handshakeFuture().whenComplete((ok, failure) -> {
            timer.cancel(false);
            if (failure == null) {
                if (!result.complete(new Connection(uri, channel, handler))) {
                    channel.close(); // timed out just before
                }
            } else if (result.completeExceptionally(describeFailure(connect, failure))) {
                channel.close();
            }
        });
        return result;
    }

    /**
     * Opens a connection and waits for it (the caller must not be a thread of {@code group}).
     *
     * @throws SatchelClientException if it cannot be opened; the message names the URI
     */
    static Connection connect(URI uri, ClientOptions options, EventLoopGroup group, Consumer<List<Outbound>> unsent) {
        CompletableFuture<Connection> opening = open(uri, options, group, unsent);
        try {
            // the connector's own timer fails the future at the connect timeout; this is only a safety net
            return opening.get(options.connectTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new SatchelClientException("cannot connect to " + uri + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            opening.thenAccept(c -> c.channel().close());
            throw new SatchelClientException("timed out after " + options.connectTimeout().toMillis()
                    + " ms connecting to " + uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            opening.thenAccept(c -> c.channel().close());
            throw new SatchelClientException("interrupted while connecting to " + uri, e);
        }
    }

    static EventLoopGroup newOwnedGroup() {
        return new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(THREAD_NAME_PREFIX, true),
                NioIoHandler.newFactory());
    }

    private ChannelInitializer<Channel> initializer(SslContext sslContext, ConnectionHandler handler,
                                                    long timeoutMillis) {
        int maxMessageBytes = options.maxInboundMessageBytes();
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .customHeaders(handshakeHeaders())
                .maxFramePayloadLength(maxMessageBytes)
                .handleCloseFrames(false)
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(timeoutMillis)
                .forceCloseTimeoutMillis(ConnectionHandler.CLOSE_HANDSHAKE_TIMEOUT_MILLIS)
                .build();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                ChannelPipeline pipeline = channel.pipeline();
                if (sslContext != null) {
                    pipeline.addLast("tls", sslContext.newHandler(channel.alloc(), host, port));
                }
                pipeline.addLast("http-codec", new HttpClientCodec());
                pipeline.addLast("http-aggregator", new HttpObjectAggregator(MAX_HANDSHAKE_RESPONSE_BYTES));
                pipeline.addLast("ws-protocol", new WebSocketClientProtocolHandler(config));
                pipeline.addLast("ws-aggregator", new WebSocketFrameAggregator(maxMessageBytes));
                pipeline.addLast("satchel-connection", handler);
            }
        };
    }

    private HttpHeaders handshakeHeaders() {
        HttpHeaders headers = new DefaultHttpHeaders();
        options.headers().forEach(headers::set);
        return headers;
    }

    private SslContext sslContext() {
        if (options.sslContext() != null) {
            return options.sslContext();
        }
        SslContextBuilder builder = SslContextBuilder.forClient();
        if (options.insecureTrustAll()) {
            builder.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            builder.endpointIdentificationAlgorithm("HTTPS");
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new SatchelClientException("cannot set up TLS for " + uri + ": " + e.getMessage(), e);
        }
    }

    /** Turns a failure before the handshake completed into a message naming the phase and the URI. */
    private SatchelClientException describeFailure(ChannelFuture connect, Throwable cause) {
        SSLException tlsFailure = findCause(cause, SSLException.class);
        WebSocketHandshakeException handshakeFailure = findCause(cause, WebSocketHandshakeException.class);
        String message;
        if (connect != null && connect.isDone() && !connect.isSuccess()) {
            message = "cannot connect to " + uri + ": " + describe(cause);
        } else if (tlsFailure != null) {
            message = "TLS handshake with " + uri + " failed: " + describe(tlsFailure);
        } else if (handshakeFailure != null) {
            message = "WebSocket handshake with " + uri + " failed: " + describe(handshakeFailure);
        } else if (cause instanceof ClosedChannelException) {
            message = "connection to " + uri + " closed during the WebSocket handshake";
        } else {
            message = "connection to " + uri + " failed during the handshake: " + describe(cause);
        }
        return new SatchelClientException(message, cause);
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
