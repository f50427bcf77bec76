package dev.satchel.client;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Settings for {@link SatchelClient#connect(java.util.List, ClientOptions)}. Immutable; build with
 * {@link #builder()}.
 *
 * <pre>{@code
 * ClientOptions options = ClientOptions.builder()
 *         .requestTimeout(Duration.ofSeconds(5))
 *         .header("Authorization", "Bearer " + secret)
 *         .listener(new ClientListener() {
 *             public void connected(URI uri) { log.info("on {}", uri); }
 *         })
 *         .build();
 * }</pre>
 */
public final class ClientOptions {

    /** Default for {@link #connectTimeout()}: 10 seconds. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Default for {@link #requestTimeout()}: 30 seconds. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Default for {@link #maxInboundMessageBytes()}: 64 MiB. */
    public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** Default for {@link #reconnectMinDelay()}: 100 ms (the JavaScript client's {@code minDelayMs}). */
    public static final Duration DEFAULT_RECONNECT_MIN_DELAY = Duration.ofMillis(100);
    /** Default for {@link #reconnectMaxDelay()}: 5 seconds (the JavaScript client's {@code maxDelayMs}). */
    public static final Duration DEFAULT_RECONNECT_MAX_DELAY = Duration.ofSeconds(5);
    private static final ClientListener NO_LISTENER = new ClientListener() {
    };

    private static final ClientOptions DEFAULTS = builder().build();

    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int maxInboundMessageBytes;
    private final Map<String, String> headers;
    private final SslContext sslContext;
    private final boolean insecureTrustAll;
    private final EventLoopGroup eventLoopGroup;
    private final Class<? extends Channel> channelType;
    private final boolean reconnect;
    private final Duration reconnectMinDelay;
    private final Duration reconnectMaxDelay;
    private final ClientListener listener;

    private ClientOptions(Builder builder) {
        this.connectTimeout = builder.connectTimeout;
        this.requestTimeout = builder.requestTimeout;
        this.maxInboundMessageBytes = builder.maxInboundMessageBytes;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(builder.headers));
        this.sslContext = builder.sslContext;
        this.insecureTrustAll = builder.insecureTrustAll;
        this.eventLoopGroup = builder.eventLoopGroup;
        this.channelType = builder.channelType;
        this.reconnect = builder.reconnect;
        this.reconnectMinDelay = builder.reconnectMinDelay;
        this.reconnectMaxDelay = builder.reconnectMaxDelay;
        this.listener = builder.listener;
    }

    /** Returns the default options. */
    public static ClientOptions defaults() {
        return DEFAULTS;
    }

    /** Returns a builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a builder holding these options, to derive changed options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Time allowed for TCP connect, TLS and WebSocket handshakes together. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Time a request waits for its response; {@link Duration#ZERO} means no limit. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Largest inbound frame payload and largest reassembled inbound message, in bytes. */
    public int maxInboundMessageBytes() {
        return maxInboundMessageBytes;
    }

    /** Extra HTTP headers for the WebSocket handshake request, such as {@code Authorization}. */
    public Map<String, String> headers() {
        return headers;
    }

    /** The TLS context for {@code wss://}, or {@code null} to build one (see {@link #insecureTrustAll()}). */
    public SslContext sslContext() {
        return sslContext;
    }

    /**
     * Whether a {@code wss://} connection without an explicit {@link #sslContext()} trusts any certificate and
     * skips host name verification. For tests with self-signed certificates only. When {@code false} (the
     * default), the JDK trust store is used and the host name is verified.
     */
    public boolean insecureTrustAll() {
        return insecureTrustAll;
    }

    /** The event loop group to share, or {@code null} for a client-owned single-thread NIO group. */
    public EventLoopGroup eventLoopGroup() {
        return eventLoopGroup;
    }

    /** The channel class matching {@link #eventLoopGroup()}; {@link NioSocketChannel} unless set. */
    public Class<? extends Channel> channelType() {
        return channelType;
    }

    /**
     * Whether the client reconnects after a lost connection (default {@code true}): to the next server of its
     * list (the same one if there is only one), after a jittered exponential backoff, until it succeeds or is
     * closed. Requests in flight on the lost connection fail with {@link SatchelConnectionLostException} and are
     * never resent; requests made meanwhile wait for the new connection (at most the request timeout). When
     * {@code false}, the client ends with its connection: {@link SatchelClient#closeFuture()} completes and new
     * requests fail at once.
     */
    public boolean reconnect() {
        return reconnect;
    }

    /** Backoff before the first reconnection attempt; it doubles per failed attempt up to the maximum. */
    public Duration reconnectMinDelay() {
        return reconnectMinDelay;
    }

    /** Longest backoff between reconnection attempts. */
    public Duration reconnectMaxDelay() {
        return reconnectMaxDelay;
    }

    /** What is told about connections, reconnections and failed attempts; a no-op unless set. */
    public ClientListener listener() {
        return listener;
    }

    /** Builds {@link ClientOptions}; every setter validates its argument. */
    public static final class Builder {
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxInboundMessageBytes = DEFAULT_MAX_INBOUND_MESSAGE_BYTES;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private SslContext sslContext;
        private boolean insecureTrustAll;
        private EventLoopGroup eventLoopGroup;
        private Class<? extends Channel> channelType = NioSocketChannel.class;
        private boolean reconnect = true;
        private Duration reconnectMinDelay = DEFAULT_RECONNECT_MIN_DELAY;
        private Duration reconnectMaxDelay = DEFAULT_RECONNECT_MAX_DELAY;
        private ClientListener listener = NO_LISTENER;

        private Builder() {
        }

        private Builder(ClientOptions options) {
            connectTimeout = options.connectTimeout;
            requestTimeout = options.requestTimeout;
            maxInboundMessageBytes = options.maxInboundMessageBytes;
            headers.putAll(options.headers);
            sslContext = options.sslContext;
            insecureTrustAll = options.insecureTrustAll;
            eventLoopGroup = options.eventLoopGroup;
            channelType = options.channelType;
            reconnect = options.reconnect;
            reconnectMinDelay = options.reconnectMinDelay;
            reconnectMaxDelay = options.reconnectMaxDelay;
            listener = options.listener;
        }

        /**
         * Sets whether the client reconnects after a lost connection (see {@link ClientOptions#reconnect()}).
         *
         * @param reconnect {@code true} (the default) to fail over and reconnect, {@code false} to end with the
         *                  connection
         * @return this builder
         */
        public Builder reconnect(boolean reconnect) {
            this.reconnect = reconnect;
            return this;
        }

        /**
         * Sets the backoff between reconnection attempts: {@code min} before the first, doubling per failed
         * attempt up to {@code max}; each delay is drawn between half of that and all of it (jitter), so that
         * many clients of a server that went away do not come back in step.
         *
         * @param min the first backoff, at least 1 ms
         * @param max the longest backoff, at least {@code min}, at most a day
         * @return this builder
         */
        public Builder reconnectDelay(Duration min, Duration max) {
            Objects.requireNonNull(min, "min");
            Objects.requireNonNull(max, "max");
            if (min.toMillis() < 1 || max.compareTo(min) < 0 || max.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("reconnectDelay needs 1 ms <= min <= max <= 1 day: " + min
                        + ", " + max);
            }
            this.reconnectMinDelay = min;
            this.reconnectMaxDelay = max;
            return this;
        }

        /**
         * Sets what is told about connections and reconnections (runs on the client's I/O thread; must not
         * block).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(ClientListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Sets the time allowed for TCP connect, TLS and WebSocket handshakes together.
         *
         * @param timeout a positive duration of at most {@link Integer#MAX_VALUE} milliseconds
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isZero() || timeout.isNegative() || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("connectTimeout must be between 1 ms and 24 days: " + timeout);
            }
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * Sets how long a request waits for its response before failing with {@link SatchelTimeoutException}.
         *
         * @param timeout zero for no limit, else a positive duration
         * @return this builder
         */
        public Builder requestTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("requestTimeout must not be negative: " + timeout);
            }
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * Sets the largest inbound frame payload and reassembled message. A larger message from the server closes
         * the connection with 1009.
         *
         * @param bytes a positive byte count
         * @return this builder
         */
        public Builder maxInboundMessageBytes(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxInboundMessageBytes must be positive: " + bytes);
            }
            this.maxInboundMessageBytes = bytes;
            return this;
        }

        /**
         * Adds (or replaces) an HTTP header of the WebSocket handshake request.
         *
         * @param name  the header name, e.g. {@code Authorization}
         * @param value the header value
         * @return this builder
         */
        public Builder header(String name, String value) {
            headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Uses this TLS context for {@code wss://} URIs.
         *
         * @param context a client-side Netty TLS context, or {@code null} to build one
         * @return this builder
         */
        public Builder sslContext(SslContext context) {
            if (context != null && !context.isClient()) {
                throw new IllegalArgumentException("sslContext must be a client context");
            }
            this.sslContext = context;
            return this;
        }

        /**
         * Trusts any server certificate and skips host name checks (tests with self-signed certificates only).
         * Cannot be combined with {@link #sslContext(SslContext)}.
         *
         * @param trustAll whether to trust any certificate
         * @return this builder
         */
        public Builder insecureTrustAll(boolean trustAll) {
            this.insecureTrustAll = trustAll;
            return this;
        }

        /**
         * Runs the connection on a shared NIO event loop group, which {@link SatchelClient#close()} leaves
         * running.
         *
         * @param group a group whose event loops can run {@link NioSocketChannel}s, or {@code null} for a
         *              client-owned group
         * @return this builder
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            return eventLoopGroup(group, NioSocketChannel.class);
        }

        /**
         * Runs the connection on a shared event loop group of another transport (e.g. epoll).
         *
         * @param group       the group, or {@code null} for a client-owned NIO group
         * @param channelType the socket channel class for that group, e.g. {@code EpollSocketChannel.class}
         * @return this builder
         */
        public Builder eventLoopGroup(EventLoopGroup group, Class<? extends Channel> channelType) {
            this.eventLoopGroup = group;
            this.channelType = group == null ? NioSocketChannel.class : Objects.requireNonNull(channelType);
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         * @throws IllegalArgumentException if both an SSL context and {@code insecureTrustAll} are set
         */
        public ClientOptions build() {
            if (sslContext != null && insecureTrustAll) {
                throw new IllegalArgumentException("set either sslContext or insecureTrustAll, not both");
            }
            return new ClientOptions(this);
        }
    }
}
