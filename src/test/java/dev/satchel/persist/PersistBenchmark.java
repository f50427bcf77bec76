package dev.satchel.persist;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.engine.CommandLoop;
import dev.satchel.ops.SatchelNode;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Saves and loads N sessions x K keys (default 1,000,000 x 5, 10-byte keys and 100-byte JSON values) on a
 * real server over a real WebSocket, and reports the longest command-loop pause during each, the save and
 * load times and the file size. Not a test (surefire does not run it). The loop pause is measured from
 * outside: a probe thread queues an empty task on the loop every millisecond and records how long it waited,
 * which catches every stall (snapshot, load slices, GC); a second client measures the round trip of a
 * trivial command over the network at the same time.
 *
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xms8g -Xmx8g -XX:+UseG1GC -Dlogback.configurationFile=logback.xml \
 *     -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.satchel.persist.PersistBenchmark [sessions [keysPerSession [dir]]]
 * </pre>
 * ({@code scripts/persist-benchmark} does exactly this.)
 */
public final class PersistBenchmark {
    private PersistBenchmark() {
    }

    /**
     * Queues an empty task on the loop every millisecond and records how long it waited before the loop ran
     * it (submit to start, so the probe's own wake-up afterwards does not count): the longest wait is the
     * longest time a command would have waited for the loop.
     */
    private static final class LoopProbe implements Runnable {
        private final CommandLoop loop;
        private final List<Long> waits = new ArrayList<>();
        private volatile boolean running = true;

        LoopProbe(CommandLoop loop) {
            this.loop = loop;
        }

        @Override
        public void run() {
            while (running) {
                long t0 = System.nanoTime();
                long started = loop.call(e -> System.nanoTime()).join();
                synchronized (waits) {
                    waits.add(started - t0);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        /** "max X ms, p99 Y ms, N waits over 50 ms" since the last call. */
        String take() {
            long[] w;
            synchronized (waits) {
                w = waits.stream().mapToLong(Long::longValue).sorted().toArray();
                waits.clear();
            }
            if (w.length == 0) {
                return "no samples";
            }
            long over = java.util.Arrays.stream(w).filter(x -> x > 50_000_000L).count();
            return String.format("max %.1f ms, p99 %.1f ms, %d of %d samples over 50 ms", w[w.length - 1] / 1e6,
                    w[(int) Math.min(w.length - 1, Math.floor(w.length * 0.99))] / 1e6, over, w.length);
        }
    }

    /** A client sending KV_COUNT every 2 ms: the longest round trip another client saw. */
    private static final class ClientProbe implements Runnable {
        private final SatchelClient client;
        private final AtomicLong maxNanos = new AtomicLong();
        private volatile boolean running = true;

        ClientProbe(SatchelClient client) {
            this.client = client;
        }

        @Override
        public void run() {
            while (running) {
                long t0 = System.nanoTime();
                client.sendRaw("{\"KV_COUNT\":{}}").join();
                maxNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        }

        double takeMaxMillis() {
            return maxNanos.getAndSet(0) / 1e6;
        }
    }

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int keys = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("satchel-persist-bench");
        ServerConfig cfg = ConfigLoader.load(null, Map.of(),
                Map.of("--bind", "127.0.0.1", "--port", "0", "--persist-path", dir.toString(),
                        "--max-sessions", "2000000000")); // any size asked for, not the 1,000,000 default
        System.out.printf("persist benchmark: %,d sessions x %d keys (10-byte keys, 100-byte values) in %s, %d CPUs,"
                + " max heap %d MB%n", sessions, keys, dir, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        try (SatchelNode server = new SatchelNode(cfg, Clock.system())) {
            int port = server.start();
            ClientOptions opts = ClientOptions.builder().requestTimeout(Duration.ofMinutes(10)).build();
            URI uri = URI.create("ws://127.0.0.1:" + port);
            try (SatchelClient client = SatchelClient.connect(uri, opts);
                    SatchelClient probeClient = SatchelClient.connect(uri, opts)) {
                long t0 = System.nanoTime();
                fill(client, sessions, keys);
                System.out.printf("filled in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9,
                        client.sendRaw("{\"SH_INFO_ALL\":{}}").join());
                System.gc();

                LoopProbe loopProbe = new LoopProbe(server.loop());
                ClientProbe clientProbe = new ClientProbe(probeClient);
                Thread lp = new Thread(loopProbe, "bench-loop-probe");
                Thread cp = new Thread(clientProbe, "bench-client-probe");
                lp.start();
                cp.start();
                Thread.sleep(500);
                System.out.printf("idle: loop wait %s; longest client round trip %.1f ms%n",
                        loopProbe.take(), clientProbe.takeMaxMillis());

                for (int round = 1; round <= 2; round++) {
                    long gc0 = gcMillis();
                    long s0 = System.nanoTime();
                    String save = client.sendRaw("{\"SH_SAVE\":{\"name\":\"bench\"}}").join();
                    double saveMs = (System.nanoTime() - s0) / 1e6;
                    Thread.sleep(100);
                    Path file = newest(dir.resolve("bench"));
                    System.out.printf("save %d: %.0f ms, %,d bytes (%s); loop wait %s; longest client"
                            + " round trip %.1f ms, GC time %d ms; response %s%n", round, saveMs, Files.size(file),
                            file.getFileName(), loopProbe.take(), clientProbe.takeMaxMillis(),
                            gcMillis() - gc0, save);
                }

                long e0 = System.nanoTime();
                String ended = client.sendRaw("{\"SH_END_ALL\":{}}").join();
                System.out.printf("SH_END_ALL: %.0f ms (%s); loop wait %s%n",
                        (System.nanoTime() - e0) / 1e6, ended, loopProbe.take());
                System.gc();
                Thread.sleep(500);
                loopProbe.take();
                clientProbe.takeMaxMillis();

                long gc0 = gcMillis();
                long l0 = System.nanoTime();
                String load = client.sendRaw("{\"SH_LOAD\":{\"name\":\"bench\"}}").join();
                double loadMs = (System.nanoTime() - l0) / 1e6;
                System.out.printf("load: %.0f ms; loop wait %s; longest client round trip %.1f ms,"
                        + " GC time %d ms; response %s%n", loadMs, loopProbe.take(),
                        clientProbe.takeMaxMillis(), gcMillis() - gc0, load);
                System.out.printf("after load: %s%n", client.sendRaw("{\"SH_INFO_ALL\":{}}").join());

                loopProbe.running = false;
                clientProbe.running = false;
                lp.join();
                cp.join();
            }
        } finally {
            if (args.length <= 2) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static Path newest(Path d) throws Exception {
        try (Stream<Path> files = Files.list(d)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sat")).max(Path::compareTo).orElseThrow();
        }
    }

    /** SH_NEW then one SH_SET of {@code keys} keys per session, pipelined in batches. */
    static void fill(SatchelClient client, int sessions, int keys) {
        String value = "\"" + "v".repeat(98) + "\"";
        List<String> tokens = new ArrayList<>(sessions);
        int batch = 2000;
        for (int from = 0; from < sessions; from += batch) {
            List<String> reqs = new ArrayList<>();
            for (int i = from; i < Math.min(sessions, from + batch); i++) {
                reqs.add("{\"SH_NEW\":{\"expiry\":{\"duration\":86400}}}");
            }
            for (CompletableFuture<String> f : client.sendRawBatch(reqs)) {
                String r = f.join();
                tokens.add(r.substring(r.indexOf("\"tkn\":") + 6, r.indexOf('}')));
            }
        }
        List<CompletableFuture<String>> pending = new ArrayList<>();
        for (int from = 0; from < sessions; from += batch) {
            List<String> reqs = new ArrayList<>();
            for (int i = from; i < Math.min(sessions, from + batch); i++) {
                StringBuilder sb = new StringBuilder(64 + keys * 120);
                sb.append("{\"SH_SET\":{\"tkn\":").append(tokens.get(i)).append(",\"keys\":{");
                for (int k = 0; k < keys; k++) {
                    sb.append(k == 0 ? "" : ",").append("\"field-").append(String.format("%04d", k)).append("\":")
                            .append(value);
                }
                reqs.add(sb.append("}}}").toString());
            }
            pending.addAll(client.sendRawBatch(reqs));
            if (pending.size() >= 4 * batch) {
                for (CompletableFuture<String> f : pending) {
                    if (!f.join().contains("\"st\":1")) {
                        throw new IllegalStateException(f.join());
                    }
                }
                pending.clear();
            }
        }
        pending.forEach(CompletableFuture::join);
    }
}
