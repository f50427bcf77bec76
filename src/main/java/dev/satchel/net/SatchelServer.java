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
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
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
    private EventLoopGroup bossGroup;
    private EventLoopGroup ioGroup;
    private Channel serverChannel;
    private String transport;

    public SatchelServer(ServerConfig config, Clock clock) {
        this.config = config;
        byte[] secret = config.sharedSecret().isEmpty() ? randomSecret()
                : config.sharedSecret().getBytes(StandardCharsets.UTF_8);
        Tokens tokens = new Tokens(config.tokenFormat(), secret);
        this.engine = new Engine(clock, tokens, config.expiryTickMillis(), version(), config.persistEnabled());
        this.loop = new CommandLoop(engine, "satchel-loop");
        List<dev.satchel.engine.Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        this.commands = new CommandRegistry(all);
    }

    private static byte[] randomSecret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return b;
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

    /** Starts the loop and binds the WebSocket port; returns the bound port. */
    public int start() throws InterruptedException {
        loop.start();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        transport = epoll ? "epoll" : "nio";
        bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("satchel-accept"), io);
        ioGroup = new MultiThreadIoEventLoopGroup(config.effectiveIoThreads(),
                new DefaultThreadFactory("satchel-io"), io);
        HandshakeHandler.ConnectionSettings settings = new HandshakeHandler.ConnectionSettings(
                new DecoderPool(commands, config.tokenFormat(), config.maxDepth()), loop,
                config.maxMessageBytes(), config.maxInFlight());
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
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
        LOG.info("Satchel {} listening on ws://{}:{} ({} transport, {} I/O threads, {} tokens, config: {})",
                version(), config.bind(), port, transport, config.effectiveIoThreads(),
                config.tokenFormat().configName(), config.source());
        return port;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (ioGroup != null) {
            ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        loop.close();
    }
}
