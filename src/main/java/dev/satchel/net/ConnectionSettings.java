package dev.satchel.net;

import dev.satchel.config.ServerConfig;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.protocol.RequestDecoder;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every connection of one server shares (immutable; read by I/O threads and the loop).
 *
 * @param outboundHighWater  unsent response bytes above which reading stops and the loop holds back
 * @param outboundHardLimit  unsent response bytes above which the connection is closed at once
 * @param outboundStallMillis time above the high-water mark before the connection is closed
 * @param authSecretDigest   SHA-256 of server.authSecret, or null when no authentication is required
 * @param allowedOrigins     lower-case origins allowed to connect; empty = any
 */
record ConnectionSettings(DecoderPool decoders, CommandLoop loop, int maxMessageBytes, int maxInFlight,
        ConcurrentHashMap<EventLoop, LoopBridge> bridges, int outboundHighWater,
        int outboundHardLimit, long outboundStallMillis, byte[] authSecretDigest,
        List<String> allowedOrigins) {
    ConnectionSettings(DecoderPool decoders, CommandLoop loop, int maxMessageBytes, int maxInFlight) {
        this(decoders, loop, maxMessageBytes, maxInFlight, new ConcurrentHashMap<>(),
                1 << 20, Integer.MAX_VALUE, Long.MAX_VALUE, null, List.of());
    }

    /** The settings of a server with this configuration. */
    static ConnectionSettings of(ServerConfig config, CommandRegistry commands,
            CommandLoop loop) {
        ServerConfig.Limits l = config.limits();
        RequestDecoder.Limits decoding = new RequestDecoder.Limits(
                config.maxDepth(), l.maxStringBytes(), l.maxNumberChars(), l.maxKeyBytes(),
                l.maxKeysPerRequest(), l.maxValueBytes());
        String secret = config.security().authSecret();
        return new ConnectionSettings(new DecoderPool(commands, config.tokenFormat(), decoding,
                config.cluster().enabled()), loop,
                config.maxMessageBytes(), config.maxInFlight(), new ConcurrentHashMap<>(),
                l.outboundHighWaterBytes(), l.outboundHardLimitBytes(), l.outboundStallSeconds() * 1000L,
                secret.isEmpty() ? null : HandshakeHandler.digest(secret), config.security().allowedOrigins());
    }

    /** The hand-off of the I/O thread running {@code eventLoop} (one per I/O thread). */
    LoopBridge bridge(EventLoop eventLoop) {
        return bridges.computeIfAbsent(eventLoop, el -> new LoopBridge(loop, el));
    }
}
