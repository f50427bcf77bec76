package dev.satchel.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.protocol.TokenFormat;
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
                    "key of the HMAC that turns shared-session names into tokens; empty = random per start"),
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
                    "dataset to save every session to on graceful shutdown (needs persist.enabled); empty = none"));

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
        return new ServerConfig(bind, port, ioThreads, maxMessage, maxDepth, maxInFlight, format, secret, tick,
                persist, Path.of(path), loadOnStart, startEmpty, saveOnShutdown, source);
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
        String problem = dev.satchel.persist.DatasetNames.problem(x.text());
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
