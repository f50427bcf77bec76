package dev.satchel.ops;

import dev.satchel.engine.Clock;
import dev.satchel.engine.Command;
import dev.satchel.engine.CommandObserver;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.DataCommands;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Request;
import dev.satchel.engine.ServerCommands;
import dev.satchel.engine.SessionCommands;
import dev.satchel.engine.Tokens;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.protocol.RequestDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the metrics cost the command loop, without network noise: the loop's own work (Engine.execute of
 * SH_SET / SH_GET, and for metrics on, the per-group clock pair and CommandStats.served as LoopBridge does)
 * on one thread, metrics off and on alternately. Not a test; run it by hand:
 * <pre>{@code
 * mvn -q test-compile && java -cp target/test-classes:target/classes:$(cat cp.txt) dev.satchel.ops.LoopCostBench
 * }</pre>
 * (cp.txt from {@code mvn dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class LoopCostBench {
    private LoopCostBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int group = args.length > 1 ? Integer.parseInt(args[1]) : 16; // requests per group handed to the loop
        Tokens tokens = new Tokens(TokenFormat.STRING, "bench".getBytes(StandardCharsets.UTF_8));
        Engine engine = new Engine(Clock.system(), tokens, 100, "bench", false);
        List<Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        CommandRegistry registry = new CommandRegistry(all);
        RequestDecoder decoder = new RequestDecoder(registry, TokenFormat.STRING, 64);
        ResponseWriter out = new ResponseWriter(TokenFormat.STRING);
        out.reset();
        engine.execute(decode(decoder, "{\"SH_NEW\":{}}"), out);
        String rsp = out.toString();
        String tkn = rsp.substring(rsp.indexOf("\"tkn\":") + 6, rsp.lastIndexOf('}') - 1);
        String value = "\"" + "v".repeat(98) + "\"";
        Request[] requests = new Request[2000];
        for (int i = 0; i < requests.length; i += 2) {
            requests[i] = decode(decoder, "{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"k" + (i % 1000) + "\":" + value + "}}}");
            requests[i + 1] = decode(decoder, "{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"k" + (i % 1000) + "\"]}}");
        }
        CommandStats stats = new CommandStats(registry);
        long n = 20_000_000;
        double[] off = new double[rounds];
        double[] on = new double[rounds];
        for (int r = -2; r < rounds; r++) { // two warm-up rounds
            for (boolean metrics : new boolean[] {false, true}) {
                engine.observer(metrics ? stats : null);
                long t0 = System.nanoTime();
                long sink = 0;
                for (long i = 0; i < n; i += group) {
                    CommandObserver s = engine.observer();
                    long started = s != null ? System.nanoTime() : 0;
                    for (int j = 0; j < group; j++) {
                        out.reset();
                        engine.execute(requests[(int) ((i + j) % requests.length)], out);
                        sink += out.length();
                    }
                    if (s != null) {
                        s.served(System.nanoTime() - started, group);
                    }
                }
                double ns = (System.nanoTime() - t0) / (double) n;
                if (r >= 0) {
                    (metrics ? on : off)[r] = ns;
                }
                System.out.printf("round %d metrics %-5s %.1f ns/command (%d)%n", r, metrics, ns, sink & 1);
            }
        }
        java.util.Arrays.sort(off);
        java.util.Arrays.sort(on);
        System.out.printf("median: metrics off %.1f ns/command, on %.1f ns/command (%+.1f ns, %+.1f%%)%n",
                off[rounds / 2], on[rounds / 2], on[rounds / 2] - off[rounds / 2],
                100 * (on[rounds / 2] - off[rounds / 2]) / off[rounds / 2]);
    }

    private static Request decode(RequestDecoder d, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return d.decode(b, b.length);
    }
}
