package dev.satchel.perf;

import dev.satchel.engine.Clock;
import dev.satchel.engine.Command;
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
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Heap bytes allocated per request on the SH_SET / SH_GET path, measured with the JVM's per-thread allocation
 * counter ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}): the decode an I/O thread does
 * (message bytes to a {@link Request}) and the execution the command loop does (the request to response
 * bytes), each on its own, after a warm-up. The request object escapes into an array as it does into a batch,
 * so escape analysis cannot remove it. Not a test: a measurement (docs/architecture.md quotes it). The CPU times it
 * prints (this thread's) are indicative only: caches and cores are shared with whatever else runs.
 *
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.satchel.perf.RequestAllocation [requests]
 * </pre>
 */
public final class RequestAllocation {
    private static final Request[] SINK = new Request[64];

    private RequestAllocation() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        Tokens tokens = new Tokens(TokenFormat.STRING, "alloc".getBytes(StandardCharsets.UTF_8));
        Engine engine = new Engine(Clock.system(), tokens, 100, "alloc", false);
        List<Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        RequestDecoder decoder = new RequestDecoder(new CommandRegistry(all), TokenFormat.STRING, 64);
        ResponseWriter out = new ResponseWriter(TokenFormat.STRING);
        out.reset();
        engine.execute(decode(decoder, utf8("{\"SH_NEW\":{}}")), out);
        String rsp = out.toString();
        String tkn = rsp.substring(rsp.indexOf("\"tkn\":") + 6, rsp.lastIndexOf('}') - 1);
        String value = "\"" + "v".repeat(98) + "\"";
        byte[] set = utf8("{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"k1\":" + value + "}}}");
        byte[] get = utf8("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"k1\"]}}");

        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        System.out.printf("%d requests of each; bytes allocated per request (SH_SET value %d bytes)%n", n,
                value.length());
        for (int round = 0; round < 3; round++) {
            for (byte[] message : new byte[][] {set, get}) {
                String name = message == set ? "SH_SET" : "SH_GET";
                long a0 = mx.getThreadAllocatedBytes(thread);
                long t0 = mx.getCurrentThreadCpuTime();
                for (int i = 0; i < n; i++) {
                    SINK[i & 63] = decoder.decode(message, message.length);
                }
                long t1 = mx.getCurrentThreadCpuTime();
                long a1 = mx.getThreadAllocatedBytes(thread);
                Request r = SINK[0];
                for (int i = 0; i < n; i++) {
                    out.reset();
                    engine.execute(r, out);
                }
                long t2 = mx.getCurrentThreadCpuTime();
                long a2 = mx.getThreadAllocatedBytes(thread);
                System.out.printf("round %d %s: decode %.1f B, execute %.1f B, total %.1f B"
                        + " (CPU: decode %.0f ns, execute %.0f ns)%n", round, name,
                        (a1 - a0) / (double) n, (a2 - a1) / (double) n, (a2 - a0) / (double) n,
                        (t1 - t0) / (double) n, (t2 - t1) / (double) n);
            }
        }
        System.out.println(out.toString().length() > 0 ? "" : "?");
    }

    private static Request decode(RequestDecoder d, byte[] b) {
        return d.decode(b, b.length);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
