package dev.satchel.perf;

import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Measures heap per stored key on a real server: fills it over a real WebSocket with 10-byte keys and
 * 100-byte JSON values (the reference shape), forces GC, and divides the heap growth by the key
 * count. Not a test (timings and memory belong in benchmarks). Run with:
 *
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xmx4g -XX:+UseG1GC -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.satchel.perf.MemoryFootprint [sessions keysPerSession]...
 * </pre>
 */
public final class MemoryFootprint {
    private MemoryFootprint() {
    }

    public static void main(String[] args) throws Exception {
        List<int[]> shapes = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            shapes.add(new int[] {Integer.parseInt(args[i]), Integer.parseInt(args[i + 1])});
        }
        if (shapes.isEmpty()) {
            shapes = List.of(new int[] {1, 1_000_000}, new int[] {1_000, 1_000}, new int[] {200_000, 5},
                    new int[] {0, 1_000_000});
        }
        String value = "\"" + "v".repeat(98) + "\""; // 100 bytes of JSON
        for (int[] shape : shapes) {
            measure(shape[0], shape[1], value);
        }
    }

    private static void measure(int sessions, int keysPerSession, String value) throws Exception {
        // measures shapes beyond the default limits (1,000,000 keys in one session)
        ServerConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("--port", "0", "--max-sessions", "2000000000",
                "--max-keys-per-session", "2000000000"));
        try (SatchelNode server = new SatchelNode(cfg, Clock.system())) {
            int port = server.start();
            try (SatchelClient client = SatchelClient.connect(URI.create("ws://127.0.0.1:" + port))) {
                long before = usedHeapAfterGc();
                long keys;
                if (sessions == 0) {
                    fill(client, null, keysPerSession, value);
                    keys = keysPerSession;
                } else {
                    List<String> batch = new ArrayList<>();
                    List<String> tokens = new ArrayList<>();
                    for (int s = 0; s < sessions; s++) {
                        batch.add("{\"SH_NEW\":{}}");
                        if (batch.size() == 1000 || s == sessions - 1) {
                            for (CompletableFuture<String> f : client.sendRawBatch(batch)) {
                                String r = f.get();
                                tokens.add(r.substring(r.indexOf("\"tkn\":") + 6, r.indexOf('}')));
                            }
                            batch.clear();
                        }
                    }
                    for (String t : tokens) {
                        fill(client, t, keysPerSession, value);
                    }
                    keys = (long) sessions * keysPerSession;
                }
                long after = usedHeapAfterGc();
                System.out.printf("sessions=%d keysPerSession=%d keys=%d heapGrowth=%.1f MB heapPerKey=%.1f B%n",
                        sessions, keysPerSession, keys, (after - before) / 1e6, (after - before) / (double) keys);
            }
        }
    }

    /** SH_SET (or KV_SET when token is null) of keys k000000000.. with 100-byte values, pipelined. */
    private static void fill(SatchelClient client, String token, int keys, String value) throws Exception {
        List<String> batch = new ArrayList<>();
        List<CompletableFuture<String>> inFlight = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            String key = String.format("k%09d", k); // 10 bytes
            batch.add(token == null
                    ? "{\"KV_SET\":{\"keys\":{\"" + key + "\":" + value + "}}}"
                    : "{\"SH_SET\":{\"tkn\":" + token + ",\"keys\":{\"" + key + "\":" + value + "}}}");
            if (batch.size() == 500 || k == keys - 1) {
                inFlight.addAll(client.sendRawBatch(batch));
                batch.clear();
                if (inFlight.size() >= 4000) {
                    drain(inFlight);
                }
            }
        }
        drain(inFlight);
    }

    private static void drain(List<CompletableFuture<String>> futures) throws Exception {
        for (CompletableFuture<String> f : futures) {
            String r = f.get();
            if (!r.contains("\"st\":1}")) {
                throw new IllegalStateException("fill failed: " + r);
            }
        }
        futures.clear();
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
