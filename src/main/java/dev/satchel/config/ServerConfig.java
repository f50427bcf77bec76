package dev.satchel.config;

import dev.satchel.json.TokenFormat;
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
 * @param journal      "off", "everysec" or "always" (persist.journal; anything but off needs persistEnabled)
 * @param journalMaxBytes persist.journalMaxBytes
 * @param journalRepair cut a corrupt journal at the damage instead of refusing to start
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
        String journal,
        long journalMaxBytes,
        boolean journalRepair,
        String source,
        Limits limits,
        Security security,
        Ops ops,
        Cluster cluster) {

    /** The same settings with another port (tests bind port 0 for an ephemeral port). */
    public ServerConfig withPort(int newPort) {
        return new ServerConfig(bind, newPort, ioThreads, maxMessageBytes, maxDepth, maxInFlight, tokenFormat,
                sharedSecret, expiryTickMillis, persistEnabled, persistPath, loadOnStart, startEmptyOnLoadFailure,
                saveOnShutdown, journal, journalMaxBytes, journalRepair, source, limits, security, ops, cluster);
    }

    public ServerConfig withTokenFormat(TokenFormat format) {
        return new ServerConfig(bind, port, ioThreads, maxMessageBytes, maxDepth, maxInFlight, format,
                sharedSecret, expiryTickMillis, persistEnabled, persistPath, loadOnStart, startEmptyOnLoadFailure,
                saveOnShutdown, journal, journalMaxBytes, journalRepair, source, limits, security, ops, cluster);
    }

    /** True when persist.journal is everysec or always. */
    public boolean journalOn() {
        return !journal.equals("off");
    }

    /** I/O threads to start: the configured number, or for 0, half the processors (at least 1, at most 4). */
    public int effectiveIoThreads() {
        if (ioThreads > 0) {
            return ioThreads;
        }
        return Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
    }

    /** Never prints the secrets (shared-session key, auth secret, TLS passwords). */
    @Override
    public String toString() {
        return "ServerConfig[bind=" + bind + ", port=" + port + ", ioThreads=" + ioThreads + ", maxMessageBytes="
                + maxMessageBytes + ", maxDepth=" + maxDepth + ", maxInFlight=" + maxInFlight + ", tokenFormat="
                + tokenFormat + ", sharedSecret=" + (sharedSecret.isEmpty() ? "" : "(set)") + ", expiryTickMillis="
                + expiryTickMillis + ", persistEnabled=" + persistEnabled + ", persistPath=" + persistPath
                + ", loadOnStart=" + loadOnStart + ", startEmptyOnLoadFailure=" + startEmptyOnLoadFailure
                + ", saveOnShutdown=" + saveOnShutdown + ", journal=" + journal + ", journalMaxBytes="
                + journalMaxBytes + ", journalRepair=" + journalRepair + ", source=" + source + ", limits=" + limits
                + ", security=" + security + ", ops=" + ops + ", cluster=" + cluster + "]";
    }

    /**
     * Limits against buggy and hostile clients (README "Security and limits", docs/protocol.md). Every one is
     * answered with status 170 naming the setting, or with the protocol's close code or HTTP status.
     *
     * @param maxStringBytes     longest JSON string in a request, in bytes as sent (escapes included)
     * @param maxNumberChars     longest JSON number literal in a request
     * @param maxKeyBytes        longest key, and longest member name anywhere in a request, in bytes as sent
     * @param maxKeysPerRequest  most members of a {@code keys} object, or items of a {@code keys} / {@code tkns} array
     * @param maxValueBytes      largest stored value (compact JSON bytes)
     * @param maxResponseBytes   largest response (a GET or KEYS beyond it is refused)
     * @param maxSessions        most live sessions
     * @param maxKeysPerSession  most keys in one session
     * @param maxStoredBytes     memory budget: most key and value bytes stored in total (sessions and global)
     * @param maxConnections     most open connections
     * @param maxConnectionsPerAddress most open connections from one remote IP address
     * @param handshakeTimeoutSeconds time a new connection has to complete the WebSocket handshake
     * @param idleTimeoutSeconds silence after which the server pings a connection; 0 = never
     * @param pingTimeoutSeconds silence after that ping after which the server closes the connection
     * @param outboundHighWaterBytes unsent response bytes above which the server stops reading a connection
     * @param outboundHardLimitBytes unsent response bytes above which the connection is closed at once
     * @param outboundStallSeconds   time responses may stay above the high-water mark before the connection is closed
     */
    public record Limits(
            int maxStringBytes,
            int maxNumberChars,
            int maxKeyBytes,
            int maxKeysPerRequest,
            int maxValueBytes,
            int maxResponseBytes,
            int maxSessions,
            int maxKeysPerSession,
            long maxStoredBytes,
            int maxConnections,
            int maxConnectionsPerAddress,
            int handshakeTimeoutSeconds,
            int idleTimeoutSeconds,
            int pingTimeoutSeconds,
            int outboundHighWaterBytes,
            int outboundHardLimitBytes,
            int outboundStallSeconds) {
    }

    /**
     * Authentication, origin checks and TLS. {@link #toString()} never shows the secrets.
     *
     * @param authSecret          shared secret every client must present on the handshake; empty = none
     * @param allowUnauthenticated allow listening on a non-loopback address without {@code authSecret}
     * @param allowedOrigins      browser origins allowed to connect; empty = any
     * @param tlsCertFile         PEM certificate chain for wss://; empty = no PEM
     * @param tlsKeyFile          PEM (PKCS#8) private key of {@code tlsCertFile}
     * @param tlsKeyPassword      password of an encrypted {@code tlsKeyFile}; empty = not encrypted
     * @param tlsKeyStore         PKCS#12 key store holding the key and certificate chain; empty = none
     * @param tlsKeyStorePassword password of {@code tlsKeyStore}
     */
    public record Security(
            String authSecret,
            boolean allowUnauthenticated,
            java.util.List<String> allowedOrigins,
            String tlsCertFile,
            String tlsKeyFile,
            String tlsKeyPassword,
            String tlsKeyStore,
            String tlsKeyStorePassword) {

        /** Whether the server speaks TLS (wss://). */
        public boolean tls() {
            return !tlsCertFile.isEmpty() || !tlsKeyStore.isEmpty();
        }

        @Override
        public String toString() {
            return "Security[authSecret=" + (authSecret.isEmpty() ? "" : "(set)") + ", allowUnauthenticated="
                    + allowUnauthenticated + ", allowedOrigins=" + allowedOrigins + ", tlsCertFile=" + tlsCertFile
                    + ", tlsKeyFile=" + tlsKeyFile + ", tlsKeyPassword=" + (tlsKeyPassword.isEmpty() ? "" : "(set)")
                    + ", tlsKeyStore=" + tlsKeyStore + ", tlsKeyStorePassword="
                    + (tlsKeyStorePassword.isEmpty() ? "" : "(set)") + "]";
        }
    }

    /**
     * Operations (package {@code dev.satchel.ops}): the admin HTTP port, metrics, graceful shutdown and logs.
     *
     * @param adminBind             address of the admin HTTP port
     * @param adminPort             admin HTTP port (/health/live, /health/ready, /metrics); 0 = any free port
     * @param metricsEnabled        count commands on the loop and serve /metrics
     * @param shutdownTimeoutMillis time connections get on SIGTERM to receive their answers and close
     * @param logFormat             "text" or "json"
     */
    public record Ops(String adminBind, int adminPort, boolean metricsEnabled, long shutdownTimeoutMillis,
            String logFormat) {
    }

    /** One host:port of cluster.members. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * Cluster mode (README "Cluster mode"). {@link #toString()} never shows the secret.
     *
     * @param enabled  run as a cluster member; false = standalone (the default)
     * @param name     cluster name: members with another name never join
     * @param bind     member-to-member address (one concrete address: it is advertised to the others)
     * @param port     member-to-member port (failure detection uses port + 100)
     * @param members  static discovery: the members' host:port (empty when {@code dnsQuery} is used)
     * @param dnsQuery DNS discovery: a name whose A records are the members; empty when {@code members} is used
     * @param dnsServer the DNS server {@code dnsQuery} is asked (port 53 unless given); null = the system resolver
     * @param secret   shared by every member: authentication and the key of every member message
     * @param owners   copies of each session and global key
     * @param minMembers a starting member is ready only in a view of at least this many members; 0 = the default
     *                 (a majority of {@code members}, or 2 with {@code dnsQuery}: see {@code ClusterMember})
     */
    public record Cluster(boolean enabled, String name, String bind, int port, java.util.List<HostPort> members,
            String dnsQuery, HostPort dnsServer, String secret, int owners, int minMembers) {
        @Override
        public String toString() {
            return "Cluster[enabled=" + enabled + ", name=" + name + ", bind=" + bind + ", port=" + port
                    + ", members=" + members + ", dnsQuery=" + dnsQuery + ", dnsServer="
                    + (dnsServer == null ? "(system resolver)" : dnsServer) + ", secret="
                    + (secret.isEmpty() ? "" : "(set)") + ", owners=" + owners + ", minMembers=" + minMembers + "]";
        }
    }
}
