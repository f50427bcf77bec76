package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.satchel.engine.Command;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.DataCommands;
import dev.satchel.engine.Engine;
import dev.satchel.engine.ManualClock;
import dev.satchel.engine.Request;
import dev.satchel.engine.ServerCommands;
import dev.satchel.engine.SessionCommands;
import dev.satchel.engine.Tokens;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.persist.PersistCommands;
import dev.satchel.protocol.RequestDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property-based: generated requests, the same requests mutated byte by byte, and arbitrary bytes, fed to the
 * decoder and the engine exactly as the server runs them (with server-like limits). Every input must get
 * exactly one well-formed response, never an exception and never a hang, and never status 1000. Jackson, in
 * strict mode, is the oracle for JSON syntax: what it accepts is never answered 3, what it rejects always is
 * (or 170, when a limit stopped the scan first), and duplicate member names are never accepted.
 *
 * <p>Seeded random generation in plain JUnit 5: each property runs {@link #BATCHES} batches (the parameterized
 * invocations), each with its own {@link Random} seeded from the run's seed, the property and the batch, and
 * its own fresh engine and decoder, so a batch replays exactly on its own. The run's seed is random unless
 * {@code -Dsatchel.seed=N} fixes it; it is printed at the start and named in every failure together with the
 * command that replays it.
 */
class DecoderPropertiesTest {
    /** A surrogate's \\u escape, with the even run of backslashes before it (group 1) that keeps it an escape. */
    private static final Pattern LONE_SURROGATE_ESCAPE =
            Pattern.compile("(?<!\\\\)((?:\\\\\\\\)*)\\\\u[dD][89a-fA-F][0-9a-fA-F]{2}");

    /** The run's seed: {@code -Dsatchel.seed=N} replays a run (or one failing batch of it). */
    private static final long SEED = Long.getLong("satchel.seed", new java.security.SecureRandom().nextLong());
    /** Invocations per property; a property's tries are spread evenly over them. */
    private static final int BATCHES = 10;
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Syntax only: duplicates allowed, trailing tokens not. */
    private static final ObjectMapper SYNTAX = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Escapes of UTF-16 surrogates: Jackson refuses some unpaired ones that RFC 8259 allows (and Satchel keeps). */
    private static final Pattern SURROGATE_ESCAPE =
            Pattern.compile("\\\\u[dD][89a-fA-F]");
    /** Decoder and engine are confined to this thread, as they are to the I/O thread and the loop. */
    private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "decoder-property-worker");
        t.setDaemon(true);
        return t;
    });
    private static final String[] COMMANDS = {"SH_NEW", "SH_OPEN", "SH_END", "SH_END_ALL", "SH_EXISTS", "SH_INFO",
        "SH_INFO_ALL", "SH_SAVE", "SH_LOAD", "SH_SET", "SH_ADD", "SH_GET", "SH_RMV", "SH_CONTAINS", "SH_COUNT",
        "SH_KEYS", "SH_CLEAR", "SH_CLEAR_SET", "KV_SET", "KV_ADD", "KV_GET", "KV_RMV", "KV_CONTAINS", "KV_COUNT",
        "KV_KEYS", "KV_CLEAR", "KV_CLEAR_SET", "KV_SAVE", "KV_LOAD", "SV_INFO", "NOPE", "sh_new", ""};
    private static final String[] PARAMS = {"tkn", "keys", "name", "shared", "expiry", "tkns", "x", "t\\u006bn"};
    private static final String[] INSERTS = {"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "0", "-",
        "1e", ".", " ", "\n", "\t", "null", "true", "tru", "\u00e9", "\ud83d\ude00", "\u0001", "[[[[[[[[", "{\"a\":",
        "\"tkn\":", "\"keys\":{}", "9999999999999999999999", "}}}", "\"\"", "/*", "'"};

    /** The engine and decoder under test, with server-like limits; used on {@link #WORKER} only. */
    private static final class Target {
        final Engine engine;
        final RequestDecoder decoder;
        final ResponseWriter out = new ResponseWriter(TokenFormat.STRING);

        Target() {
            Tokens tokens = new Tokens(TokenFormat.STRING, "property".getBytes(StandardCharsets.UTF_8));
            engine = new Engine(new ManualClock(1_000_000L), tokens, 100, "test", false);
            engine.limits(10_000, 1000, 8 << 20, 1 << 20);
            List<Command> all = new ArrayList<>();
            all.addAll(SessionCommands.all(tokens));
            all.addAll(DataCommands.all());
            all.addAll(ServerCommands.all());
            all.addAll(PersistCommands.all());
            decoder = new RequestDecoder(new CommandRegistry(all), TokenFormat.STRING,
                    new RequestDecoder.Limits(32, 2048, 64, 128, 64, 4096));
        }
    }

    @BeforeAll
    static void printSeed() {
        System.out.println("DecoderPropertiesTest: seed " + SEED + " (replay with -Dsatchel.seed=" + SEED + ")");
    }

    @AfterAll
    static void stopWorker() {
        WORKER.shutdownNow();
    }

    static IntStream batches() {
        return IntStream.range(0, BATCHES);
    }

    /**
     * Runs {@code tries} cases of a property, spread over the batches: batch {@code b} draws its inputs from a
     * Random seeded by (run seed, property, b) and feeds them to a fresh engine. A failure names the seed and
     * the case, with the input, and how to replay it.
     */
    private static void check(String property, int batch, int tries, Function<Random, byte[]> generator)
            throws Exception {
        long seed = SEED ^ (property.hashCode() * 0x9E3779B97F4A7C15L) ^ ((batch + 1) * 0xC2B2AE3D27D4EB4FL);
        Random random = new Random(seed);
        Target target = WORKER.submit(Target::new).get();
        int cases = tries / BATCHES + (batch < tries % BATCHES ? 1 : 0);
        for (int i = 0; i < cases; i++) {
            byte[] input = generator.apply(random);
            try {
                answer(target, input, property.equals("everyGeneratedRequestGetsOneWellFormedAnswer"));
            } catch (AssertionError | Exception e) {
                throw new AssertionError(property + " failed at case " + i + " of batch " + batch + " (run seed "
                        + SEED + "; replay: mvn -B test -Dtest=DecoderPropertiesTest#" + property + " -Dsatchel.seed="
                        + SEED + ") for input " + printable(input) + ": " + e.getMessage(), e);
            }
        }
    }

    // ---- generators ----

    static String value(Random r, int depth) {
        int kind = depth > 5 ? r.nextInt(5) : r.nextInt(8);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> r.nextBoolean() ? "true" : "false";
            case 2 -> number(r);
            case 3, 4 -> string(r);
            case 5, 6 -> {
                int n = r.nextInt(5);
                StringBuilder o = new StringBuilder("{");
                for (int i = 0; i < n; i++) {
                    o.append(i == 0 ? "" : ",").append(r.nextInt(10) == 0 ? " " : "").append(string(r)).append(':')
                            .append(value(r, depth + 1));
                }
                yield o.append('}').toString();
            }
            default -> {
                int n = r.nextInt(5);
                StringBuilder a = new StringBuilder("[");
                for (int i = 0; i < n; i++) {
                    a.append(i == 0 ? "" : ", ").append(value(r, depth + 1));
                }
                yield a.append(']').toString();
            }
        };
    }

    static String number(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> Integer.toString(r.nextInt());
            case 1 -> Long.toUnsignedString(r.nextLong());
            case 2 -> r.nextInt(100) + "." + r.nextInt(1000);
            case 3 -> "-" + r.nextInt(10) + "e" + (r.nextBoolean() ? "+" : "-") + r.nextInt(400);
            case 4 -> "0";
            default -> "9".repeat(1 + r.nextInt(80));
        };
    }

    static String string(Random r) {
        String[] parts = {"a", "k", "tkn", "keys", "\\u0061", "\\n", "\\\"", "\u00e9", "\ud83d\ude00", "\\ud800", "x y",
            "\\/", "AAAAAAAAAAAAAAAAAAAAAA", "duration"};
        StringBuilder s = new StringBuilder("\"");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            s.append(parts[r.nextInt(parts.length)]);
        }
        if (r.nextInt(20) == 0) {
            s.append("z".repeat(r.nextInt(3000)));
        }
        return s.append('"').toString();
    }

    static String param(Random r, String name) {
        return switch (name) {
            case "tkn" -> r.nextBoolean() ? "\"AAAAAAAAAAAAAAAAAAAAAA\"" : value(r, 3);
            case "keys" -> r.nextBoolean() ? value(r, 1).replaceFirst("^[^\\[{].*", "{\"k\":1}") : value(r, 1);
            case "expiry" -> r.nextBoolean() ? "{\"duration\":" + number(r) + ",\"extendOnGet\":" + r.nextBoolean() + "}"
                    : value(r, 2);
            default -> value(r, 2);
        };
    }

    static String request(Random r) {
        String cmd = COMMANDS[r.nextInt(COMMANDS.length)];
        StringBuilder p = new StringBuilder("{");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            String name = PARAMS[r.nextInt(PARAMS.length)];
            p.append(i == 0 ? "" : ",").append('"').append(name).append("\":").append(param(r, name));
        }
        return "{\"" + cmd + "\":" + p.append('}') + "}";
    }

    static String mutate(String base, Random r) {
        StringBuilder s = new StringBuilder(base);
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            int at = s.length() == 0 ? 0 : r.nextInt(s.length() + 1);
            switch (r.nextInt(7)) {
                case 0 -> s.insert(at, INSERTS[r.nextInt(INSERTS.length)]);
                case 1 -> {
                    if (at < s.length()) {
                        s.delete(at, Math.min(s.length(), at + 1 + r.nextInt(5)));
                    }
                }
                case 2 -> s.setLength(at); // truncated
                case 3 -> {
                    int end = Math.min(s.length(), at + r.nextInt(30));
                    s.insert(at, s.substring(at, end)); // a member repeated, say
                }
                case 4 -> {
                    if (at < s.length()) {
                        s.setCharAt(at, (char) (32 + r.nextInt(95)));
                    }
                }
                case 5 -> s.insert(at, "[".repeat(r.nextInt(100)));
                default -> s.insert(at, "{\"" + PARAMS[r.nextInt(PARAMS.length)] + "\":" + value(r, 2) + "}");
            }
        }
        return s.toString();
    }

    /** Bytes that matter to a JSON decoder or to UTF-8, besides the extremes. */
    private static final byte[] EDGE_BYTES = {0, 1, -1, 127, -128, '{', '}', '[', ']', '"', '\\', ':', ',', ' ',
        (byte) 0xC3, (byte) 0xED, (byte) 0xF0, (byte) 0x80, (byte) 0xBF};

    /**
     * Arbitrary bytes as the former jqwik {@code @ForAll byte[]} drew them: 0 to 255 bytes, any values, with
     * edge cases mixed in (empty and one-byte arrays, extreme and structural byte values).
     */
    static byte[] bytes(Random r) {
        int n = switch (r.nextInt(20)) {
            case 0 -> 0;
            case 1 -> 1;
            case 2 -> 255;
            default -> r.nextInt(256);
        };
        byte[] b = new byte[n];
        boolean edgy = r.nextInt(4) == 0;
        for (int i = 0; i < n; i++) {
            b[i] = edgy && r.nextInt(3) == 0 ? EDGE_BYTES[r.nextInt(EDGE_BYTES.length)] : (byte) r.nextInt(256);
        }
        return b;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- properties (tries as with jqwik before: 3000, 5000 and 2000) ----

    @ParameterizedTest(name = "batch {0}")
    @MethodSource("batches")
    void everyGeneratedRequestGetsOneWellFormedAnswer(int batch) throws Exception {
        check("everyGeneratedRequestGetsOneWellFormedAnswer", batch, 3000, r -> utf8(request(r)));
    }

    @ParameterizedTest(name = "batch {0}")
    @MethodSource("batches")
    void everyMutatedRequestGetsOneWellFormedAnswerThatAgreesWithJackson(int batch) throws Exception {
        check("everyMutatedRequestGetsOneWellFormedAnswerThatAgreesWithJackson", batch, 5000,
                r -> utf8(mutate(request(r), r)));
    }

    @ParameterizedTest(name = "batch {0}")
    @MethodSource("batches")
    void arbitraryBytesNeverBreakTheDecoder(int batch) throws Exception {
        check("arbitraryBytesNeverBreakTheDecoder", batch, 2000, DecoderPropertiesTest::bytes);
    }

    /**
     * Decodes and executes as the server does; checks the response and the syntax verdict. A generated
     * (unmutated) request must moreover be valid JSON: never answered 3.
     */
    private static void answer(Target target, byte[] message, boolean generated) throws Exception {
        Future<String> done = WORKER.submit(() -> {
            Request r = target.decoder.decode(message, message.length);
            target.out.reset();
            target.engine.execute(r, target.out);
            return target.out.toString();
        });
        String response;
        try {
            response = done.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            done.cancel(true);
            throw new AssertionError("no answer within 10 s (a hang) for " + printable(message));
        }
        // Jackson refuses lone surrogate escapes, which responses may carry in keys (docs/protocol.md section 6);
        // a backslash-u escape is one only after an even run of backslashes (an escaped backslash followed by "ud800" is text)
        JsonNode root = STRICT.readTree(LONE_SURROGATE_ESCAPE.matcher(response).replaceAll("$1?"));
        assertThat(root.isObject() && root.size() == 1).as("one response object: %s", response).isTrue();
        String name = root.fieldNames().next();
        assertThat(name.equals("ERR") || name.endsWith("_RSP")).as("response name in %s", response).isTrue();
        JsonNode inner = root.get(name);
        assertThat(inner.get("st").isInt()).as("integer st in %s", response).isTrue();
        int st = inner.get("st").asInt();
        assertThat(st).as("never an internal error: %s for %s", response, printable(message)).isNotEqualTo(1000);
        if (st != 1 && st != 121 && st != 141) {
            assertThat(inner.get("m").asText()).as("m in %s", response).isNotBlank();
        }
        agreeWithJackson(message, st, response);
        if (generated) {
            assertThat(st).as("a generated request is valid JSON: %s", printable(message)).isNotEqualTo(3);
        }
    }

    private static void agreeWithJackson(byte[] message, int st, String response) {
        if (st == 170 || !validUtf8(message)) {
            return; // a limit stopped the scan; invalid UTF-8 never reaches the decoder in the server
        }
        String verdict;
        try {
            JsonNode n = SYNTAX.readTree(message);
            if (n == null || n.isMissingNode()) {
                verdict = "invalid";
            } else {
                try {
                    STRICT.readTree(message);
                    verdict = "valid";
                } catch (JsonProcessingException e) {
                    verdict = "duplicate";
                }
            }
        } catch (Exception e) {
            verdict = "invalid";
        }
        switch (verdict) {
            case "valid" -> assertThat(st).as("Jackson accepts %s, we answered %s", printable(message), response)
                    .isNotEqualTo(3);
            case "invalid" -> {
                if (!SURROGATE_ESCAPE.matcher(new String(message, StandardCharsets.UTF_8)).find()) {
                    assertThat(st).as("Jackson rejects %s, we answered %s", printable(message), response).isEqualTo(3);
                }
            }
            default -> assertThat(st).as("duplicate names in %s, we answered %s", printable(message), response)
                    .isIn(13, 10);
        }
    }

    private static boolean validUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String printable(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
