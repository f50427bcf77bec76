package dev.satchel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.DatasetNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a {@link ServerConfig} from, in increasing priority: built-in defaults, a JSON config file
 * (comments allowed), environment variables ({@code SATCHEL_*}) and command-line flags. Every problem is a
 * {@link ConfigException} naming the setting, the bad value and where it came from.
 */
public final class ConfigLoader {
    /** One setting: its dotted name in the file, environment variable, flag, default and a description. */
    public record Setting(String key, String env, String flag, String defaultValue, String description) {
    }

    public static final List<Setting> SETTINGS = List.of(
            new Setting("server.bind", "SATCHEL_BIND", "--bind", "127.0.0.1",
                    "address to listen on for WebSocket clients"),
            new Setting("server.port", "SATCHEL_PORT", "--port", "1987",
                    "WebSocket port (0 picks a free port)"),
            new Setting("server.ioThreads", "SATCHEL_IO_THREADS", "--io-threads", "0",
                    "Netty I/O threads that decode and encode messages; 0 = half the processors, 1 to 4"),
            new Setting("limits.maxMessageBytes", "SATCHEL_MAX_MESSAGE_BYTES", "--max-message-bytes", "1048576",
                    "largest request message in bytes; bigger closes the connection with 1009"),
            new Setting("limits.maxDepth", "SATCHEL_MAX_DEPTH", "--max-depth", "64",
                    "deepest JSON nesting in a request, counting the request object itself; deeper is 170"),
            new Setting("limits.maxInFlight", "SATCHEL_MAX_IN_FLIGHT", "--max-in-flight", "4096",
                    "requests one connection may have waiting for the command loop before reading pauses"),
            new Setting("sessions.tokenFormat", "SATCHEL_TOKEN_FORMAT", "--token-format", "string",
                    "\"string\" (128-bit base64url) or \"uint64\" (NemesisDB-compatible numbers)"),
            new Setting("sessions.sharedSecret", "SATCHEL_SHARED_SECRET", "--shared-secret", "",
                    "key of the HMAC that turns shared-session names into tokens; empty = kept in persist.path when"
                    + " persistence is on (generated once), else random per start"),
            new Setting("sessions.expiryTickMs", "SATCHEL_EXPIRY_TICK_MS", "--expiry-tick-ms", "100",
                    "period of the expiry wheel in milliseconds (expired data is hidden on access regardless)"),
            new Setting("persist.enabled", "SATCHEL_PERSIST_ENABLED", "--persist-enabled", "false",
                    "allow SH_SAVE / KV_SAVE (loads read persist.path either way)"),
            new Setting("persist.path", "SATCHEL_PERSIST_PATH", "--persist-path", "data",
                    "directory holding saved datasets"),
            new Setting("persist.loadOnStart", "SATCHEL_PERSIST_LOAD_ON_START", "--load", "",
                    "dataset to load before the port opens (sessions or keys); empty = none"),
            new Setting("persist.startEmptyOnLoadFailure", "SATCHEL_PERSIST_START_EMPTY_ON_LOAD_FAILURE",
                    "--start-empty-on-load-failure", "false",
                    "when the start-up load fails: true starts without the data, false exits with an error"),
            new Setting("persist.saveOnShutdown", "SATCHEL_PERSIST_SAVE_ON_SHUTDOWN", "--save-on-shutdown", "",
                    "dataset to save every session to on graceful shutdown (needs persist.enabled); empty = none"),
            new Setting("persist.journal", "SATCHEL_PERSIST_JOURNAL", "--journal", "off",
                    "\"off\", \"everysec\" or \"always\": journal every change in persist.path/journal and replay it"
                            + " at start (needs persist.enabled; everysec: fsync once a second, always: before the"
                            + " response)"),
            new Setting("persist.journalMaxBytes", "SATCHEL_PERSIST_JOURNAL_MAX_BYTES", "--journal-max-bytes", "64m",
                    "journal size (segments after the base) at which a new base snapshot is written in the"
                            + " background and the older segments are deleted (or the base's size, if larger); k, m,"
                            + " g suffixes, at least 1m"),
            new Setting("persist.journalRepair", "SATCHEL_PERSIST_JOURNAL_REPAIR", "--journal-repair", "false",
                    "at start, cut a corrupt journal at the damage (keeping a copy) instead of refusing to start"),
            // ---- hardening: limits, authentication, TLS (README "Security and limits") ----
            new Setting("limits.maxStringBytes", "SATCHEL_MAX_STRING_BYTES", "--max-string-bytes", "1048576",
                    "longest JSON string in a request, in bytes as sent; longer is 170"),
            new Setting("limits.maxNumberChars", "SATCHEL_MAX_NUMBER_CHARS", "--max-number-chars", "1000",
                    "longest JSON number literal in a request; longer is 170"),
            new Setting("limits.maxKeyBytes", "SATCHEL_MAX_KEY_BYTES", "--max-key-bytes", "1024",
                    "longest key, and longest member name anywhere in a request, in bytes as sent; longer is 170"),
            new Setting("limits.maxKeysPerRequest", "SATCHEL_MAX_KEYS_PER_REQUEST", "--max-keys-per-request", "10000",
                    "most members of a keys object or items of a keys / tkns array in one request; more is 170"),
            new Setting("limits.maxValueBytes", "SATCHEL_MAX_VALUE_BYTES", "--max-value-bytes", "1048576",
                    "largest value stored under one key (compact JSON bytes); larger is 170"),
            new Setting("limits.maxResponseBytes", "SATCHEL_MAX_RESPONSE_BYTES", "--max-response-bytes", "16777216",
                    "largest response; a GET or KEYS whose answer would be larger is 170"),
            new Setting("limits.maxSessions", "SATCHEL_MAX_SESSIONS", "--max-sessions", "1000000",
                    "most live sessions; SH_NEW beyond it is 170"),
            new Setting("limits.maxKeysPerSession", "SATCHEL_MAX_KEYS_PER_SESSION", "--max-keys-per-session", "100000",
                    "most keys in one session; a write beyond it is refused whole with 170"),
            new Setting("limits.maxStoredBytes", "SATCHEL_MAX_STORED_BYTES", "--max-stored-bytes", "auto",
                    "memory budget: most key and value bytes stored in total; a write beyond it is refused whole"
                            + " with 170, nothing is evicted. \"auto\" = half the JVM's maximum heap; k, m, g suffixes"),
            new Setting("limits.maxConnections", "SATCHEL_MAX_CONNECTIONS", "--max-connections", "10000",
                    "most open connections; more get HTTP 503"),
            new Setting("limits.maxConnectionsPerAddress", "SATCHEL_MAX_CONNECTIONS_PER_ADDRESS",
                    "--max-connections-per-address", "1000",
                    "most open connections from one remote IP address; more get HTTP 503"),
            new Setting("limits.handshakeTimeoutSeconds", "SATCHEL_HANDSHAKE_TIMEOUT_SECONDS",
                    "--handshake-timeout-seconds", "10",
                    "time a connection has to complete the TLS and WebSocket handshakes; then HTTP 408 and close"),
            new Setting("limits.idleTimeoutSeconds", "SATCHEL_IDLE_TIMEOUT_SECONDS", "--idle-timeout-seconds", "300",
                    "silence after which the server pings a connection (0 = never)"),
            new Setting("limits.pingTimeoutSeconds", "SATCHEL_PING_TIMEOUT_SECONDS", "--ping-timeout-seconds", "30",
                    "silence after that ping after which the connection is closed with 1001"),
            new Setting("limits.outboundHighWaterBytes", "SATCHEL_OUTBOUND_HIGH_WATER_BYTES",
                    "--outbound-high-water-bytes", "1048576",
                    "unsent response bytes above which the server stops reading a connection (resumes below a quarter)"),
            new Setting("limits.outboundHardLimitBytes", "SATCHEL_OUTBOUND_HARD_LIMIT_BYTES",
                    "--outbound-hard-limit-bytes", "33554432",
                    "unsent response bytes above which a connection is closed at once"),
            new Setting("limits.outboundStallSeconds", "SATCHEL_OUTBOUND_STALL_SECONDS", "--outbound-stall-seconds",
                    "60", "time a connection's unsent responses may stay above the high-water mark before it is closed"),
            new Setting("server.authSecret", "SATCHEL_AUTH_SECRET", "--auth-secret", "",
                    "shared secret clients must present on the handshake (Authorization: Bearer, or ?token=);"
                            + " empty = no authentication"),
            new Setting("server.allowUnauthenticated", "SATCHEL_ALLOW_UNAUTHENTICATED", "--allow-unauthenticated",
                    "false", "allow listening on a non-loopback address without server.authSecret"),
            new Setting("server.allowedOrigins", "SATCHEL_ALLOWED_ORIGINS", "--allowed-origins", "",
                    "comma-separated browser origins allowed to connect (others get 403); empty = any"),
            new Setting("tls.certFile", "SATCHEL_TLS_CERT_FILE", "--tls-cert-file", "",
                    "PEM certificate chain: serve wss:// (with tls.keyFile)"),
            new Setting("tls.keyFile", "SATCHEL_TLS_KEY_FILE", "--tls-key-file", "",
                    "PEM private key (PKCS#8) of tls.certFile"),
            new Setting("tls.keyPassword", "SATCHEL_TLS_KEY_PASSWORD", "--tls-key-password", "",
                    "password of an encrypted tls.keyFile; empty = not encrypted"),
            new Setting("tls.keyStore", "SATCHEL_TLS_KEY_STORE", "--tls-key-store", "",
                    "PKCS#12 key store with the key and certificate chain: serve wss:// (instead of PEM files)"),
            new Setting("tls.keyStorePassword", "SATCHEL_TLS_KEY_STORE_PASSWORD", "--tls-key-store-password", "",
                    "password of tls.keyStore"),
            // ---- cluster mode (README "Cluster mode", docs/cluster-design.md) ----
            new Setting("cluster.enabled", "SATCHEL_CLUSTER_ENABLED", "--cluster", "false",
                    "run as a member of a cluster (Infinispan, sessions partitioned over the members with"
                            + " cluster.owners copies); false = standalone"),
            new Setting("cluster.name", "SATCHEL_CLUSTER_NAME", "--cluster-name", "satchel",
                    "name of the cluster; only members with the same name (and secret) form one cluster"),
            new Setting("cluster.bind", "SATCHEL_CLUSTER_BIND", "--cluster-bind", "127.0.0.1",
                    "address the member listens on for other members (one concrete address, advertised to them)"),
            new Setting("cluster.port", "SATCHEL_CLUSTER_PORT", "--cluster-port", "7800",
                    "member-to-member port; failure detection also listens on cluster.port + 100"),
            new Setting("cluster.members", "SATCHEL_CLUSTER_MEMBERS", "--cluster-members", "",
                    "static discovery: comma-separated host:port of the members (this one may be listed too);"
                            + " set this or cluster.dnsQuery"),
            new Setting("cluster.dnsQuery", "SATCHEL_CLUSTER_DNS_QUERY", "--cluster-dns-query", "",
                    "DNS discovery: a name whose A records are the members (a Kubernetes headless Service), all on"
                            + " cluster.port; set this or cluster.members"),
            new Setting("cluster.dnsServer", "SATCHEL_CLUSTER_DNS_SERVER", "--cluster-dns-server", "",
                    "the DNS server cluster.dnsQuery is sent to, host[:port] (port 53 unless given; IPv6 as"
                            + " [addr]:port), e.g. a Consul agent's 127.0.0.1:8600; the name must then be fully"
                            + " qualified; empty = the system resolver"),
            new Setting("cluster.secret", "SATCHEL_CLUSTER_SECRET", "--cluster-secret", "",
                    "required in cluster mode, at least 16 characters, the same on every member: members"
                            + " authenticate with it and every member message is encrypted with a key derived from"
                            + " it; never logged"),
            new Setting("cluster.owners", "SATCHEL_CLUSTER_OWNERS", "--cluster-owners", "2",
                    "copies of each session and global key in the cluster (1 to 8); 2 survives the loss of any one"
                            + " member"),
            new Setting("cluster.minMembers", "SATCHEL_CLUSTER_MIN_MEMBERS", "--cluster-min-members", "0",
                    "a starting member becomes ready only in a cluster view of at least this many members, so a"
                            + " member alone (wrong secret, cut off, a restart that missed the others) never serves"
                            + " its own empty data; 0 = a majority of cluster.members, or 2 with cluster.dnsQuery"),
            // ---- operations: admin port (health, metrics), shutdown, logs (README "Health and metrics") ----
            new Setting("admin.bind", "SATCHEL_ADMIN_BIND", "--admin-bind", "127.0.0.1",
                    "address of the admin HTTP port (/health/live, /health/ready, /metrics); no credentials there"),
            new Setting("admin.port", "SATCHEL_ADMIN_PORT", "--admin-port", "1988",
                    "admin HTTP port, separate from the WebSocket port (0 picks a free port)"),
            new Setting("metrics.enabled", "SATCHEL_METRICS_ENABLED", "--metrics-enabled", "true",
                    "count commands on the command loop and serve /metrics; false = health endpoints only"),
            new Setting("shutdown.timeoutMs", "SATCHEL_SHUTDOWN_TIMEOUT_MS", "--shutdown-timeout-ms", "5000",
                    "on SIGTERM / SIGINT, time connections get to receive their answers and close before they are"
                            + " cut (the shutdown save, if any, runs after)"),
            new Setting("log.format", "SATCHEL_LOG_FORMAT", "--log-format", "text",
                    "\"text\" (human-readable lines) or \"json\" (one JSON object per line), on standard error"));

    private ConfigLoader() {
    }

    /** Where a value came from, for error messages. */
    private record Value(String text, String origin) {
    }

    /**
     * @param file  config file, or null for defaults only
     * @param env   environment (usually {@code System.getenv()})
     * @param flags flag name (e.g. {@code --port}) to value, for flags that were given
     */
    public static ServerConfig load(Path file, Map<String, String> env, Map<String, String> flags) {
        Map<String, Value> values = new LinkedHashMap<>();
        for (Setting s : SETTINGS) {
            values.put(s.key(), new Value(s.defaultValue(), "default"));
        }
        if (file != null) {
            readFile(file, values);
        }
        for (Setting s : SETTINGS) {
            String v = env.get(s.env());
            if (v != null) {
                values.put(s.key(), new Value(v, "env " + s.env()));
            }
        }
        for (Map.Entry<String, String> f : flags.entrySet()) {
            Setting s = SETTINGS.stream().filter(x -> x.flag().equals(f.getKey())).findFirst()
                    .orElseThrow(() -> new ConfigException("unknown flag " + f.getKey()));
            values.put(s.key(), new Value(f.getValue(), "flag " + s.flag()));
        }
        return build(values, file == null ? "defaults" : file.toString());
    }

    private static void readFile(Path file, Map<String, Value> values) {
        JsonNode root;
        try {
            ObjectMapper mapper = new ObjectMapper();
            mapper.enable(JsonParser.Feature.ALLOW_COMMENTS);
            root = mapper.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file " + file + " does not exist");
        } catch (JsonProcessingException e) {
            throw new ConfigException("config file " + file + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException("config file " + file + " must hold a JSON object");
        }
        flatten("", root, file, values);
    }

    private static void flatten(String prefix, JsonNode node, Path file, Map<String, Value> values) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode v = e.getValue();
            if (v.isObject() && !values.containsKey(key)) {
                flatten(key, v, file, values);
            } else if (!values.containsKey(key)) {
                throw new ConfigException("unknown setting " + key + " in " + file);
            } else if (v.isContainerNode() || v.isNull()) {
                throw new ConfigException("setting " + key + " in " + file + " must be a string, number or boolean");
            } else {
                values.put(key, new Value(v.asText(), "file " + file));
            }
        }
    }

    private static ServerConfig build(Map<String, Value> v, String source) {
        String bind = text(v, "server.bind", false);
        int port = integer(v, "server.port", 0, 65535);
        int ioThreads = integer(v, "server.ioThreads", 0, 256);
        int maxMessage = integer(v, "limits.maxMessageBytes", 128, 256 << 20);
        int maxDepth = integer(v, "limits.maxDepth", 3, 1000);
        int maxInFlight = integer(v, "limits.maxInFlight", 1, 1_000_000);
        TokenFormat format;
        Value f = v.get("sessions.tokenFormat");
        try {
            format = TokenFormat.fromConfigName(f.text().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("sessions.tokenFormat", f, "expected \"string\" or \"uint64\"");
        }
        String secret = text(v, "sessions.sharedSecret", true);
        int tick = integer(v, "sessions.expiryTickMs", 1, 60_000);
        boolean persist = bool(v, "persist.enabled");
        String path = text(v, "persist.path", false);
        if (v.get("persist.path").origin().startsWith("flag")) {
            persist = true; // --persist-path DIR means: persist in DIR
        }
        String loadOnStart = datasetName(v, "persist.loadOnStart");
        boolean startEmpty = bool(v, "persist.startEmptyOnLoadFailure");
        String saveOnShutdown = datasetName(v, "persist.saveOnShutdown");
        if (!saveOnShutdown.isEmpty() && !persist) {
            throw bad("persist.saveOnShutdown", v.get("persist.saveOnShutdown"),
                    "saving needs persist.enabled = true (or --persist-path DIR)");
        }
        Value j = v.get("persist.journal");
        String journal = j.text().trim().toLowerCase(Locale.ROOT);
        if (!journal.equals("off") && !journal.equals("everysec") && !journal.equals("always")) {
            throw bad("persist.journal", j, "expected \"off\", \"everysec\" or \"always\"");
        }
        if (!journal.equals("off") && !persist) {
            throw bad("persist.journal", j, "the journal needs persist.enabled = true (or --persist-path DIR)");
        }
        if (!journal.equals("off") && !loadOnStart.isEmpty()) {
            throw bad("persist.loadOnStart", v.get("persist.loadOnStart"),
                    "cannot be combined with persist.journal (the journal restores the data at start; load a"
                            + " dataset once with SH_LOAD / KV_LOAD instead)");
        }
        long journalMax = storedBytes(v, "persist.journalMaxBytes", false);
        if (journalMax < (1L << 20)) {
            throw bad("persist.journalMaxBytes", v.get("persist.journalMaxBytes"), "expected at least 1m");
        }
        boolean journalRepair = bool(v, "persist.journalRepair");
        return new ServerConfig(bind, port, ioThreads, maxMessage, maxDepth, maxInFlight, format, secret, tick,
                persist, Path.of(path), loadOnStart, startEmpty, saveOnShutdown, journal, journalMax, journalRepair,
                source, limits(v), security(v), ops(v, bind, port), cluster(v, port, journal, loadOnStart,
                saveOnShutdown));
    }

    // ---- hardening settings ----

    private static ServerConfig.Limits limits(Map<String, Value> v) {
        int highWater = integer(v, "limits.outboundHighWaterBytes", 1024, 1 << 30);
        int hard = integer(v, "limits.outboundHardLimitBytes", 2048, Integer.MAX_VALUE);
        if (hard <= highWater) {
            throw bad("limits.outboundHardLimitBytes", v.get("limits.outboundHardLimitBytes"),
                    "must be larger than limits.outboundHighWaterBytes (" + highWater + ")");
        }
        return new ServerConfig.Limits(
                integer(v, "limits.maxStringBytes", 64, Integer.MAX_VALUE), // a token (22) must always fit
                integer(v, "limits.maxNumberChars", 20, Integer.MAX_VALUE), // a uint64 token has up to 20 digits
                integer(v, "limits.maxKeyBytes", 16, Integer.MAX_VALUE),
                integer(v, "limits.maxKeysPerRequest", 1, Integer.MAX_VALUE),
                integer(v, "limits.maxValueBytes", 16, Integer.MAX_VALUE),
                integer(v, "limits.maxResponseBytes", 1024, Integer.MAX_VALUE - 64),
                integer(v, "limits.maxSessions", 1, Integer.MAX_VALUE),
                integer(v, "limits.maxKeysPerSession", 1, Integer.MAX_VALUE),
                storedBytes(v, "limits.maxStoredBytes", true),
                integer(v, "limits.maxConnections", 1, 10_000_000),
                integer(v, "limits.maxConnectionsPerAddress", 1, 10_000_000),
                integer(v, "limits.handshakeTimeoutSeconds", 1, 3600),
                integer(v, "limits.idleTimeoutSeconds", 0, 86_400),
                integer(v, "limits.pingTimeoutSeconds", 1, 3600),
                highWater,
                hard,
                integer(v, "limits.outboundStallSeconds", 1, 86_400));
    }

    /** "auto" (half the JVM's maximum heap), or bytes with an optional k, m or g suffix (powers of 1024). */
    private static long storedBytes(Map<String, Value> v, String key, boolean autoAllowed) {
        Value x = v.get(key);
        String t = x.text().trim().toLowerCase(Locale.ROOT);
        if (autoAllowed && t.equals("auto")) {
            return Runtime.getRuntime().maxMemory() / 2;
        }
        long unit = 1;
        if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
            unit = switch (t.charAt(t.length() - 1)) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                default -> 1L << 30;
            };
            t = t.substring(0, t.length() - 1).trim();
        }
        try {
            long n = Long.parseLong(t);
            if (n >= 1 && n <= Long.MAX_VALUE / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(key, x, (autoAllowed ? "expected \"auto\" or a number" : "expected a number")
                + " of bytes of at least 1 (suffixes k, m, g allowed)");
    }

    private static ServerConfig.Security security(Map<String, Value> v) {
        String cert = text(v, "tls.certFile", true).trim();
        String key = text(v, "tls.keyFile", true).trim();
        String store = text(v, "tls.keyStore", true).trim();
        if (cert.isEmpty() != key.isEmpty()) {
            String missing = cert.isEmpty() ? "tls.certFile" : "tls.keyFile";
            String given = cert.isEmpty() ? "tls.keyFile" : "tls.certFile";
            throw bad(given, v.get(given), missing + " must be set too (PEM certificate chain and private key)");
        }
        if (!store.isEmpty() && !cert.isEmpty()) {
            throw bad("tls.keyStore", v.get("tls.keyStore"),
                    "set either tls.keyStore or tls.certFile and tls.keyFile, not both");
        }
        java.util.List<String> origins = new java.util.ArrayList<>();
        for (String o : text(v, "server.allowedOrigins", true).split(",")) {
            String t = o.trim();
            while (t.endsWith("/")) {
                t = t.substring(0, t.length() - 1);
            }
            if (!t.isEmpty()) {
                if (!t.contains("://") && !t.equals("null")) {
                    throw bad("server.allowedOrigins", v.get("server.allowedOrigins"),
                            "each origin is scheme://host[:port], e.g. https://app.example.com (\"" + t + "\")");
                }
                origins.add(t.toLowerCase(Locale.ROOT));
            }
        }
        return new ServerConfig.Security(text(v, "server.authSecret", true),
                bool(v, "server.allowUnauthenticated"), java.util.List.copyOf(origins), cert, key,
                text(v, "tls.keyPassword", true), store, text(v, "tls.keyStorePassword", true));
    }

    // ---- operations settings ----

    private static ServerConfig.Ops ops(Map<String, Value> v, String bind, int port) {
        String adminBind = text(v, "admin.bind", false).trim();
        int adminPort = integer(v, "admin.port", 0, 65535);
        if (adminPort != 0 && adminPort == port) {
            throw bad("admin.port", v.get("admin.port"), "must differ from server.port (" + port + ")");
        }
        int timeout = integer(v, "shutdown.timeoutMs", 0, 3_600_000);
        Value f = v.get("log.format");
        String format = f.text().trim().toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json")) {
            throw bad("log.format", f, "expected \"text\" or \"json\"");
        }
        return new ServerConfig.Ops(adminBind, adminPort, bool(v, "metrics.enabled"), timeout, format);
    }

    // ---- cluster settings ----

    /** Shortest accepted cluster.secret: it is the only thing that keeps other processes out of the cluster. */
    public static final int MIN_CLUSTER_SECRET_CHARS = 16;

    private static ServerConfig.Cluster cluster(Map<String, Value> v, int port, String journal, String loadOnStart,
            String saveOnShutdown) {
        boolean enabled = bool(v, "cluster.enabled");
        Value n = v.get("cluster.name");
        String name = n.text().trim();
        if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw bad("cluster.name", n, "expected 1 to 64 letters, digits, '.', '_' or '-'");
        }
        Value b = v.get("cluster.bind");
        String bind = text(v, "cluster.bind", false).trim();
        if (bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]") || bind.equals("*")) {
            throw bad("cluster.bind", b, "expected one concrete address of this machine (members advertise it"
                    + " to each other), not a wildcard");
        }
        int clusterPort = integer(v, "cluster.port", 1, 65535 - 100);
        Value m = v.get("cluster.members");
        java.util.List<ServerConfig.HostPort> members = new java.util.ArrayList<>();
        for (String part : m.text().split(",")) {
            String t = part.trim();
            if (t.isEmpty()) {
                continue;
            }
            int colon = t.lastIndexOf(':');
            String host = colon > 0 ? t.substring(0, colon).trim() : "";
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int p = -1;
            try {
                p = colon > 0 ? Integer.parseInt(t.substring(colon + 1).trim()) : -1;
            } catch (NumberFormatException e) {
                // reported below
            }
            if (host.isEmpty() || p < 1 || p > 65535) {
                throw bad("cluster.members", m, "expected host:port,host:port,... (\"" + t + "\")");
            }
            members.add(new ServerConfig.HostPort(host, p));
        }
        Value d = v.get("cluster.dnsQuery");
        String dns = d.text().trim();
        if (!dns.isEmpty() && !dns.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")) {
            throw bad("cluster.dnsQuery", d, "expected a DNS name, e.g. satchel-headless.default.svc.cluster.local");
        }
        ServerConfig.HostPort dnsServer = dnsServer(v.get("cluster.dnsServer"));
        Value sec = v.get("cluster.secret");
        String secret = sec.text();
        int owners = integer(v, "cluster.owners", 1, 8);
        int minMembers = integer(v, "cluster.minMembers", 0, 1024);
        ServerConfig.Cluster c = new ServerConfig.Cluster(enabled, name, bind, clusterPort, java.util.List.copyOf(members),
                dns, dnsServer, secret, owners, minMembers);
        if (!enabled) {
            return c;
        }
        if (members.isEmpty() && dns.isEmpty()) {
            throw bad("cluster.members", m, "cluster mode needs cluster.members (--cluster-members host:port,...)"
                    + " or cluster.dnsQuery (--cluster-dns-query NAME) to find the other members");
        }
        if (!members.isEmpty() && !dns.isEmpty()) {
            throw bad("cluster.dnsQuery", d, "set either cluster.members or cluster.dnsQuery, not both");
        }
        if (dnsServer != null && dns.isEmpty()) {
            throw bad("cluster.dnsServer", v.get("cluster.dnsServer"), "is only used by DNS discovery: set"
                    + " cluster.dnsQuery too, or leave cluster.dnsServer empty");
        }
        if (!members.isEmpty() && minMembers > members.size() + 1) {
            throw bad("cluster.minMembers", v.get("cluster.minMembers"), "at most the number of members in"
                    + " cluster.members (" + members.size() + ", plus this one if it is not listed): a member would"
                    + " never become ready");
        }
        if (secret.isEmpty()) {
            throw bad("cluster.secret", sec, "required in cluster mode (SATCHEL_CLUSTER_SECRET,"
                    + " --cluster-secret): members authenticate and encrypt with it; use the same long random"
                    + " string on every member (openssl rand -base64 32)");
        }
        if (secret.length() < MIN_CLUSTER_SECRET_CHARS) {
            // the value itself is never echoed: it is a secret
            throw new ConfigException("invalid setting cluster.secret = (" + secret.length() + " characters, hidden)"
                    + " (from " + sec.origin() + "): expected at least " + MIN_CLUSTER_SECRET_CHARS + " characters");
        }
        if (clusterPort == port || clusterPort + 100 == port) {
            throw bad("cluster.port", v.get("cluster.port"), "must differ from server.port (" + port
                    + "), and so must cluster.port + 100 (failure detection)");
        }
        int adminPort = integer(v, "admin.port", 0, 65535);
        if (clusterPort == adminPort || clusterPort + 100 == adminPort) {
            throw bad("cluster.port", v.get("cluster.port"), "must differ from admin.port (" + adminPort
                    + "), and so must cluster.port + 100 (failure detection)");
        }
        if (!journal.equals("off")) {
            throw bad("persist.journal", v.get("persist.journal"), "the journal is for standalone servers; in"
                    + " cluster mode every session has cluster.owners copies on different members (save with"
                    + " SH_SAVE / KV_SAVE)");
        }
        if (!loadOnStart.isEmpty()) {
            throw bad("persist.loadOnStart", v.get("persist.loadOnStart"), "not in cluster mode (every member"
                    + " would load it again); load a dataset once with SH_LOAD / KV_LOAD through any member");
        }
        if (!saveOnShutdown.isEmpty()) {
            throw bad("persist.saveOnShutdown", v.get("persist.saveOnShutdown"), "not in cluster mode: a"
                    + " member that stops hands its data to the others (save with SH_SAVE / KV_SAVE)");
        }
        return c;
    }

    /**
     * cluster.dnsServer: {@code host}, {@code host:port}, {@code [ipv6]}, {@code [ipv6]:port} or a bare IPv6
     * address; port 53 unless given. Null when empty (the system resolver).
     */
    private static ServerConfig.HostPort dnsServer(Value x) {
        String t = x.text().trim();
        if (t.isEmpty()) {
            return null;
        }
        String host = t;
        String port = "53";
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            String rest = close < 0 ? "" : t.substring(close + 1);
            host = close < 0 ? "" : t.substring(1, close);
            if (rest.startsWith(":")) {
                port = rest.substring(1);
            } else if (!rest.isEmpty()) {
                host = "";
            }
        } else if (t.indexOf(':') == t.lastIndexOf(':') && t.indexOf(':') >= 0) {
            host = t.substring(0, t.indexOf(':'));
            port = t.substring(t.indexOf(':') + 1);
        }
        boolean v6 = host.indexOf(':') >= 0;
        boolean hostOk = v6 ? host.matches("[0-9A-Fa-f:.]{2,45}") : host.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})");
        int p = -1;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            // reported below
        }
        if (!hostOk || p < 1 || p > 65535) {
            throw bad("cluster.dnsServer", x, "expected host[:port] of a DNS server, e.g. 10.96.0.10,"
                    + " 127.0.0.1:8600 or [fd00::a]:53");
        }
        return new ServerConfig.HostPort(host, p);
    }

    private static ConfigException bad(String key, Value value, String expected) {
        return new ConfigException("invalid setting " + key + " = \"" + value.text() + "\" (from " + value.origin()
                + "): " + expected);
    }

    private static String text(Map<String, Value> v, String key, boolean emptyAllowed) {
        Value x = v.get(key);
        if (!emptyAllowed && x.text().isBlank()) {
            throw bad(key, x, "must not be empty");
        }
        return x.text();
    }

    /** A dataset name (docs/persistence.md), or empty for none. */
    private static String datasetName(Map<String, Value> v, String key) {
        Value x = v.get(key);
        if (x.text().isEmpty()) {
            return "";
        }
        String problem = DatasetNames.problem(x.text());
        if (problem != null) {
            throw bad(key, x, "not a valid dataset name: " + problem);
        }
        return x.text();
    }

    private static int integer(Map<String, Value> v, String key, int min, int max) {
        Value x = v.get(key);
        try {
            long n = Long.parseLong(x.text().trim());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(key, x, "expected a whole number from " + min + " to " + max);
    }

    private static boolean bool(Map<String, Value> v, String key) {
        Value x = v.get(key);
        return switch (x.text().trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(key, x, "expected true or false");
        };
    }
}
