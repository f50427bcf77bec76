package dev.satchel.config;

import dev.satchel.protocol.TokenFormat;
import java.nio.file.Path;

/**
 * The server's settings, validated. Built by {@link ConfigLoader} from defaults, a JSON file, environment
 * variables and command-line flags (later sources win). See {@code config/satchel.json} for each setting.
 *
 * @param sharedSecret key of the shared-session HMAC; empty means a random one per start (shared-session
 *                     tokens then change on restart)
 * @param loadOnStart  dataset to load before the port opens; empty for none
 * @param startEmptyOnLoadFailure start without the data instead of exiting when that load fails
 * @param saveOnShutdown dataset to save every session to on graceful shutdown; empty for none
 */
public record ServerConfig(
        String bind,
        int port,
        int ioThreads,
        int maxMessageBytes,
        int maxDepth,
        int maxInFlight,
        TokenFormat tokenFormat,
        String sharedSecret,
        long expiryTickMillis,
        boolean persistEnabled,
        Path persistPath,
        String loadOnStart,
        boolean startEmptyOnLoadFailure,
        String saveOnShutdown,
        String source) {

    /** The same settings with another port (tests bind port 0 for an ephemeral port). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(bind, newPort, ioThreads, maxMessageBytes, maxDepth, maxInFlight, tokenFormat,
                sharedSecret, expiryTickMillis, persistEnabled, persistPath, loadOnStart, startEmptyOnLoadFailure,
                saveOnShutdown, source);
    }

    public ServerConfig withTokenFormat(TokenFormat format) {
        return new ServerConfig(bind, port, ioThreads, maxMessageBytes, maxDepth, maxInFlight, format,
                sharedSecret, expiryTickMillis, persistEnabled, persistPath, loadOnStart, startEmptyOnLoadFailure,
                saveOnShutdown, source);
    }

    /** I/O threads to start: the configured number, or for 0, half the processors (at least 1, at most 4). */
    public int effectiveIoThreads() {
        if (ioThreads > 0) {
            return ioThreads;
        }
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
    }
}
