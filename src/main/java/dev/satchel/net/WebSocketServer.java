package dev.satchel.net;

import dev.satchel.config.ServerConfig;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The WebSocket front end: the Netty bootstrap (accept thread, I/O threads, epoll when available), the
 * pipeline of every connection (guards, HTTP handshake, then {@link ClientConnection}), the connection
 * counters and the graceful drain. Requests go to the {@link CommandLoop} it is given; it owns no data.
 *
 * <p>Life cycle: {@link #checkSecurity()} (refuses an unsafe configuration before anything else happens),
 * {@link #bind()}, then {@link #drainConnections(long)} for a graceful shutdown and {@link #close()}.
 */
public final class WebSocketServer implements AutoCloseable {
    private final ServerConfig config;
    private final CommandRegistry commands;
    private final CommandLoop loop;
    private final NetStats netStats = new NetStats();
    /** Every accepted connection until it closes (handshaking or WebSocket). */
    private final ChannelGroup connections = new DefaultChannelGroup("satchel-connections",
            GlobalEventExecutor.INSTANCE);
    /** TLS, connection caps, handshake and idle deadlines (see ServerGuards); set by checkSecurity(). */
    private ServerGuards guards;
    private EventLoopGroup bossGroup;
    private EventLoopGroup ioGroup;
    private Channel serverChannel;
    private String transport;
    /** Set when the graceful shutdown begins: connections accepted after it are closed at once. */
    private volatile boolean draining;

    public WebSocketServer(ServerConfig config, CommandRegistry commands, CommandLoop loop) {
        this.config = config;
        this.commands = commands;
        this.loop = loop;
    }

    /**
     * Checks what stands in front of connections: protected mode (no authentication on a non-loopback address)
     * and the TLS files. Throws {@link StartupException} with a one-line message.
     */
    public void checkSecurity() {
        guards = ServerGuards.create(config);
    }

    /** Binds the WebSocket port (after {@link #checkSecurity()}); returns the bound port. */
    public int bind() throws InterruptedException {
        if (guards == null) {
            checkSecurity();
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        transport = epoll ? "epoll" : "nio";
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("satchel-accept"), io);
        ioGroup = new MultiThreadIoEventLoopGroup(config.effectiveIoThreads(),
                new DefaultThreadFactory("satchel-io"), io);
        ConnectionSettings settings = ConnectionSettings.of(config, commands, loop);
        int highWater = config.limits().outboundHighWaterBytes();
        ServerGuards installed = guards;
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childAttr(NetStats.KEY, netStats)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(highWater / 4, highWater))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        netStats.opened(ch);
                        connections.add(ch);
                        if (draining) {
                            ch.close(); // accepted just before the port closed: the server is going away
                            return;
                        }
                        installed.install(ch); // TLS, connection caps and deadlines go first
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                                .addLast("http-aggregator", new HttpObjectAggregator(8192))
                                .addLast("handshake", new HandshakeHandler(settings));
                    }
                });
        serverChannel = b.bind(new InetSocketAddress(config.bind(), config.port())).sync().channel();
        return port();
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** True once {@link #bind()} succeeded. */
    public boolean bound() {
        return serverChannel != null;
    }

    /** "epoll" or "nio" (after {@link #bind()}). */
    public String transport() {
        return transport;
    }

    /** Connection counters (thread-safe). */
    public NetStats netStats() {
        return netStats;
    }

    /** Connections open now (handshaking or WebSocket). */
    public int openConnections() {
        return connections.size();
    }

    /** The most response bytes held for one connection right now (thread-safe; for tests and tools). */
    long largestUnsentBytes() {
        return guards.largestUnsentBytes();
    }

    /** Connections counted by the connection caps now. */
    int guardedConnections() {
        return guards.openConnections();
    }

    /**
     * The first half of a graceful shutdown: stops accepting, then asks every connection to stop reading,
     * answer every request it has read and close with 1001 Going Away; waits up to {@code timeoutMillis}
     * for them to close and then cuts the rest. Returns how many had to be cut (0: a clean shutdown).
     */
    public int drainConnections(long timeoutMillis) {
        draining = true;
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!connections.isEmpty()) {
            for (Channel ch : connections) {
                // again on every round: idempotent, and it reaches a connection that registered meanwhile
                ch.eventLoop().execute(() -> ClientConnection.goingAway(ch));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                Thread.sleep(Math.max(1, Math.min(20, TimeUnit.NANOSECONDS.toMillis(left))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int cut = connections.size();
        if (cut > 0) {
            connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        return cut;
    }

    /** Stops accepting, closes every connection and stops the accept and I/O threads. */
    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        // Close every connection explicitly: shutting the I/O group down does not reliably close channels that
        // are still registered (seen in full test-suite runs as clients that never saw the server go away).
        connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (ioGroup != null) {
            ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
