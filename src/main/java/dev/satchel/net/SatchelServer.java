package dev.satchel.net;

import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.DataCommands;
import dev.satchel.engine.Engine;
import dev.satchel.engine.ServerCommands;
import dev.satchel.engine.SessionCommands;
import dev.satchel.engine.Tokens;
import dev.satchel.persist.PersistException;
import dev.satchel.persist.Persistence;
import dev.satchel.persist.SharedSecret;
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
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Satchel server: the command loop owning the engine, and the Netty WebSocket front end.
 * {@link #start()} binds; {@link #close()} stops accepting, closes connections and stops the loop.
 */
public final class SatchelServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SatchelServer.class);

    private final ServerConfig config;
    private final Engine engine;
    private final CommandLoop loop;
    private final CommandRegistry commands;
    private final Persistence persistence;
    private final java.util.concurrent.atomic.AtomicBoolean shutdownSaved = new java.util.concurrent.atomic.AtomicBoolean();
    private EventLoopGroup bossGroup;
    private EventLoopGroup ioGroup;
    private Channel serverChannel;
    private String transport;
    /** TLS, connection caps, handshake and idle deadlines (see ServerGuards); set by start(). */
    private ServerGuards guards;

    /** The guards in front of every connection (null before start); for tests in this package. */
    ServerGuards guards() {
        return guards;
    }
    // ---- operations (dev.satchel.ops): connection counters and graceful shutdown ----
    private final dev.satchel.ops.NetStats netStats = new dev.satchel.ops.NetStats();
    /** Every accepted connection until it closes (handshaking or WebSocket). */
    private final io.netty.channel.group.ChannelGroup connections =
            new io.netty.channel.group.DefaultChannelGroup("satchel-connections",
                    io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
    /** Set when the graceful shutdown begins: connections accepted after it are closed at once. */
    private volatile boolean draining;

    /** The shared-session secret and its source (configured, file in persist.path, or random). */
    private final SharedSecret sharedSecret;
    /** Why the secret could not be kept in persist.path; start() reports it (null: no problem). */
    private final PersistException sharedSecretProblem;
    /** What the start-up load did, for the banner (null: none configured). */
    private volatile String startupLoad;

    public SatchelServer(ServerConfig config, Clock clock) {
        this.config = config;
        SharedSecret secret;
        PersistException secretProblem = null;
        try {
            secret = SharedSecret.resolve(config.sharedSecret(), config.persistEnabled(), config.persistPath());
        } catch (PersistException e) {
            secret = SharedSecret.random(); // never used: start() refuses to run
            secretProblem = e;
        }
        this.sharedSecret = secret;
        this.sharedSecretProblem = secretProblem;
        Tokens tokens = new Tokens(config.tokenFormat(), secret.key());
        this.engine = new Engine(clock, tokens, config.expiryTickMillis(), version(), config.persistEnabled());
        engine.limits(config.limits().maxSessions(), config.limits().maxKeysPerSession(),
                config.limits().maxStoredBytes(), config.limits().maxResponseBytes());
        this.loop = new CommandLoop(engine, "satchel-loop");
        List<dev.satchel.engine.Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        this.persistence = new Persistence(config.persistPath(), config.persistEnabled(), config.tokenFormat());
        all.addAll(dev.satchel.engine.PersistCommands.all(persistence, loop));
        this.commands = new CommandRegistry(all);
        if (config.ops().metricsEnabled()) {
            engine.commandStats(new dev.satchel.ops.CommandStats(commands)); // before the loop thread starts
        }
    }

    /** Where the shared-session secret came from. */
    public SharedSecret.Source sharedSecretSource() {
        return sharedSecret.source();
    }

    /**
     * What the start-up load did, one phrase for the banner ("loaded 'x' (3 sessions, 5 keys)", or "start-up
     * load of 'x' failed, started empty: ..."); null when none is configured or before start().
     */
    public String startupLoad() {
        return startupLoad;
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    public static String version() {
        String v = SatchelServer.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    public CommandLoop loop() {
        return loop;
    }

    public CommandRegistry commands() {
        return commands;
    }

    public String transport() {
        return transport;
    }

    /** Connection counters (thread-safe). */
    public dev.satchel.ops.NetStats netStats() {
        return netStats;
    }

    /** Connections open now (handshaking or WebSocket). */
    public int openConnections() {
        return connections.size();
    }

    /**
     * The first half of a graceful shutdown: stops accepting, then asks every connection to stop reading,
     * answer every request it has read and close with 1001 Going Away; waits up to {@code timeoutMillis}
     * for them to close and then cuts the rest. Returns how many had to be cut (0: a clean shutdown). Call
     * {@link #close()} afterwards for the shutdown save and to stop the loop.
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

    /** Starts the loop and binds the WebSocket port; returns the bound port. */
    public int start() throws InterruptedException {
        loop.start();
        try {
            guards = ServerGuards.create(config); // protected mode and TLS files: refuse before anything else
            prepareData();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        transport = epoll ? "epoll" : "nio";
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("satchel-accept"), io);
        ioGroup = new MultiThreadIoEventLoopGroup(config.effectiveIoThreads(),
                new DefaultThreadFactory("satchel-io"), io);
        HandshakeHandler.ConnectionSettings settings = HandshakeHandler.ConnectionSettings.of(config, commands, loop);
        int highWater = config.limits().outboundHighWaterBytes();
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childAttr(dev.satchel.ops.NetStats.KEY, netStats)
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
                        guards.install(ch); // TLS, connection caps and deadlines go first
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                                .addLast("http-aggregator", new HttpObjectAggregator(8192))
                                .addLast("handshake", new HandshakeHandler(settings));
                    }
                });
        try {
            serverChannel = b.bind(new InetSocketAddress(config.bind(), config.port())).sync().channel();
        } catch (Exception e) {
            close();
            throw e;
        }
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        LOG.debug("Satchel {} listening on ws://{}:{} ({} transport, {} I/O threads, {} tokens, config: {})",
                version(), config.bind(), port, transport, config.effectiveIoThreads(),
                config.tokenFormat().configName(), config.source());
        return port;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    @Override
    public void close() {
        closeNetwork();
        saveOnShutdown();
        loop.close();
        persistence.close();
    }

    /**
     * A start-up problem that is not about listening: the dataset directory is not writable, or the start-up
     * load failed. The message is one line for the operator.
     */
    public static final class StartupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Before the port opens: checks the dataset directory and runs the start-up load. */
    private void prepareData() throws InterruptedException {
        try {
            persistence.prepare();
        } catch (PersistException e) {
            throw new StartupException(e.getMessage(), e);
        }
        if (sharedSecretProblem != null) {
            throw new StartupException(sharedSecretProblem.getMessage(), sharedSecretProblem);
        }
        LOG.info(sharedSecret.describe());
        String name = config.loadOnStart();
        if (name.isEmpty()) {
            return;
        }
        try {
            dev.satchel.engine.PersistCommands.Loaded l =
                    dev.satchel.engine.PersistCommands.load(persistence, loop, name).get();
            startupLoad = "loaded '" + name + "' (" + (l.sessions() ? l.count() + " sessions, " : "") + l.keys()
                    + " keys)";
        } catch (java.util.concurrent.ExecutionException e) {
            PersistException p = Persistence.cause(e);
            if (!config.startEmptyOnLoadFailure()) {
                throw new StartupException("start-up load failed: " + p.getMessage() + " (to start without it, set"
                        + " persist.startEmptyOnLoadFailure or pass --start-empty-on-load-failure)", p);
            }
            LOG.warn("start-up load failed: {}; starting without it (persist.startEmptyOnLoadFailure)",
                    p.getMessage());
            startupLoad = "start-up load of '" + name + "' failed, started empty: " + p.getMessage();
        }
    }

    /** On graceful shutdown, after clients are gone: saves every session if persist.saveOnShutdown says so. */
    private void saveOnShutdown() {
        String name = config.saveOnShutdown();
        if (name.isEmpty() || serverChannel == null || !shutdownSaved.compareAndSet(false, true)) {
            return; // nothing configured, never started, or already done
        }
        try {
            dev.satchel.engine.PersistCommands.Saved s =
                    dev.satchel.engine.PersistCommands.saveAllSessions(persistence, loop, name).get();
            LOG.info("shutdown save of {} sessions to dataset '{}' done in {} ms", s.sessions(), name, s.millis());
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.error("shutdown save to dataset '{}' failed: {}", name, Persistence.cause(e).getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.error("shutdown save to dataset '{}' interrupted", name);
        }
    }

    private void closeNetwork() {
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
