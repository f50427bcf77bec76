package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.persist.PersistCommands;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs commands against a fresh engine without a network: decode exactly as the I/O thread does, execute
 * exactly as the command loop does, and return the response text. Time is a {@link ManualClock}.
 */
public final class CommandHarness {
    public final ManualClock clock = new ManualClock(1_000_000L);
    public final Engine engine;
    private final RequestDecoder decoder;
    private final ResponseWriter out;

    public CommandHarness() {
        this(TokenFormat.STRING);
    }

    public CommandHarness(TokenFormat format) {
        this(format, "test-secret", 100, 64);
    }

    public CommandHarness(TokenFormat format, String secret, long tickMillis, int maxDepth) {
        Tokens tokens = new Tokens(format, secret.getBytes(StandardCharsets.UTF_8));
        engine = new Engine(clock, tokens, tickMillis, "test", false);
        engine.observer(new DeclaredStatuses()); // every answer of every harness test checks the declarations
        List<Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        all.addAll(PersistCommands.all());
        decoder = new RequestDecoder(new CommandRegistry(all), format, maxDepth);
        out = new ResponseWriter(format);
    }

    /**
     * Fails the test when a command answers a status its declaration (CommandSpecs) does not list, so the
     * declared statuses are checked by every request the harness tests send.
     */
    static final class DeclaredStatuses implements CommandObserver {
        @Override
        public void count(Command command, Status status) {
            if (command != null) {
                check(command, status == null ? null : status.code());
            }
        }

        @Override
        public void countLater(Command command, CompletableFuture<byte[]> promised) {
            promised.thenAccept(json -> {
                Matcher m = ST.matcher(new String(json, StandardCharsets.UTF_8));
                check(command, m.find() ? Integer.parseInt(m.group(1)) : null);
            });
        }

        @Override
        public void served(long nanos, int commands) {
        }

        private static final Pattern ST = Pattern.compile("\"st\":(\\d+)");

        private static void check(Command command, Integer code) {
            Status status = code == null ? null : Status.of(code);
            if (status == null || !command.spec().statuses().contains(status)) {
                throw new AssertionError(command.name() + " answered status " + code + ", which CommandSpecs does not"
                        + " declare for it: " + command.spec().statuses());
            }
        }
    }

    /** Decodes and runs one request; returns the response JSON text. */
    public String run(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return run(b);
    }

    public String run(byte[] message) {
        Request r = decoder.decode(message, message.length);
        if (r instanceof Request.Refused refused && refused.named() != null) {
            // refused while decoding: the metrics count it under no command, but the status must be declared too
            DeclaredStatuses.check(refused.named(), refused.status().code());
        }
        out.reset();
        engine.execute(r, out);
        return out.toString();
    }

    /** Runs the expiry wheel as the loop's tick would. */
    public void tick() {
        while (engine.processExpiries(Engine.EXPIRY_BUDGET)) {
            // keep going until no due work is left
        }
    }

    /** Creates a session and returns its token's JSON text (with quotes for string tokens). */
    public String newSession(String params) {
        String rsp = run("{\"SH_NEW\":" + params + "}");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"tkn\":(\"[^\"]*\"|\\d+)").matcher(rsp);
        if (!m.find()) {
            throw new AssertionError("SH_NEW failed: " + rsp);
        }
        return m.group(1);
    }
}
