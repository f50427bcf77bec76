package dev.satchel.net;

import dev.satchel.config.ServerConfig;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What stands in front of every connection of one server (README "Security and limits"): TLS when
 * configured, the connection caps ({@link ConnectionLimiter}) and the handshake and idle deadlines
 * ({@link IdleHandler}). Built once at start, where it also refuses an unsafe configuration: a non-loopback
 * address without authentication (protected mode), or TLS files that cannot be read. Authentication and the
 * Origin allow-list are checked by {@link HandshakeHandler}.
 */
final class ServerGuards {
    private static final Logger LOG = LoggerFactory.getLogger(ServerGuards.class);

    private final ServerConfig.Limits limits;
    private final SslContext tls;
    private final ConnectionLimiter limiter;
    /** Every open connection (closed ones leave by themselves), for {@link #largestUnsentBytes()}. */
    private final io.netty.channel.group.ChannelGroup channels = new io.netty.channel.group.DefaultChannelGroup(
            "satchel-guarded", io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);

    private ServerGuards(ServerConfig.Limits limits, SslContext tls) {
        this.limits = limits;
        this.tls = tls;
        this.limiter = new ConnectionLimiter(limits.maxConnections(), limits.maxConnectionsPerAddress());
    }

    /** Checks the configuration and builds the guards; a problem is a one-line {@link StartupException}. */
    static ServerGuards create(ServerConfig config) {
        ServerConfig.Security security = config.security();
        checkProtectedMode(config.bind(), security);
        SslContext tls = security.tls() ? tlsContext(security) : null;
        LOG.info("security: {}, authentication {}, origins {}, TLS {}",
                security.authSecret().isEmpty() && security.allowUnauthenticated() ? "unauthenticated access allowed"
                        : "protected mode",
                security.authSecret().isEmpty() ? "off" : "required",
                security.allowedOrigins().isEmpty() ? "any" : security.allowedOrigins(),
                tls == null ? "off (ws://)" : "on (wss://)");
        return new ServerGuards(config.limits(), tls);
    }

    /** True when clients connect with wss://. */
    boolean tls() {
        return tls != null;
    }

    /** Connections counted by the caps now. */
    int openConnections() {
        return limiter.open();
    }

    /**
     * The most response bytes the server holds for one connection right now (written to the channel but not
     * yet to the socket, or produced by the command loop and on their way). Thread-safe; for tests and tools.
     */
    long largestUnsentBytes() {
        long max = 0;
        for (io.netty.channel.Channel ch : channels) {
            ClientConnection c = ch.pipeline().get(ClientConnection.class);
            if (c != null) {
                max = Math.max(max, c.unsentBytes());
            }
        }
        return max;
    }

    /** Puts TLS, the connection caps and the deadlines at the front of a new connection's pipeline. */
    void install(SocketChannel ch) {
        channels.add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addFirst("idle", new IdleHandler(limits.handshakeTimeoutSeconds(), limits.idleTimeoutSeconds(),
                limits.pingTimeoutSeconds()));
        p.addFirst("limits", limiter);
        if (tls != null) {
            io.netty.handler.ssl.SslHandler handler = tls.newHandler(ch.alloc());
            handler.setHandshakeTimeoutMillis(limits.handshakeTimeoutSeconds() * 1000L);
            p.addFirst("tls", handler);
        }
    }

    /**
     * Like Redis' protected mode: without {@code server.authSecret}, listening anywhere but loopback needs
     * {@code server.allowUnauthenticated}, so that a cache is never exposed by accident.
     */
    static void checkProtectedMode(String bind, ServerConfig.Security security) {
        if (!security.authSecret().isEmpty() || security.allowUnauthenticated()) {
            return;
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            return; // binding fails with its own message
        }
        if (!address.isLoopbackAddress()) {
            throw new StartupException("refusing to listen on " + bind + " without authentication:"
                    + " set server.authSecret (SATCHEL_AUTH_SECRET, --auth-secret), or allow unauthenticated clients"
                    + " on a trusted network with server.allowUnauthenticated (--allow-unauthenticated)", null);
        }
    }

    /** The server's TLS context from a PKCS#12 key store, or from PEM certificate chain and key files. */
    private static SslContext tlsContext(ServerConfig.Security s) {
        String what = s.tlsKeyStore().isEmpty() ? "tls.certFile " + s.tlsCertFile() + " / tls.keyFile "
                + s.tlsKeyFile() : "tls.keyStore " + s.tlsKeyStore();
        try {
            if (!s.tlsKeyStore().isEmpty()) {
                char[] password = s.tlsKeyStorePassword().toCharArray();
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(Path.of(s.tlsKeyStore()))) {
                    store.load(in, password);
                }
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(store, password);
                return SslContextBuilder.forServer(keys).build();
            }
            return SslContextBuilder.forServer(new File(s.tlsCertFile()), new File(s.tlsKeyFile()),
                    s.tlsKeyPassword().isEmpty() ? null : s.tlsKeyPassword()).build();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StartupException("TLS: cannot read " + what + ": no such file", e);
        } catch (Exception e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != e && root.getMessage() != null) {
                reason += " (" + root.getMessage() + ")";
            }
            throw new StartupException("TLS: cannot use " + what + ": " + reason.replace('\n', ' '), e);
        }
    }
}
