package dev.satchel.persist;

import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Start time of a server with the journal on, for N sessions x K keys (default 1,000,000 x 5: 5 M keys, 10-byte
 * keys, 100-byte values), over a real WebSocket and real files. Not a test (surefire does not run it).
 * <ol>
 * <li>fills a server with {@code --journal everysec} and no compaction (a 100 GB limit), stops it gracefully;</li>
 * <li>starts it again: the whole journal is replayed (start time, records per second of the start);</li>
 * <li>compacts (base write time, loop time of the snapshot), stops;</li>
 * <li>starts it again: the base is restored (start time).</li>
 * </ol>
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xms6g -Xmx6g -XX:+UseG1GC -Dlogback.configurationFile=logback.xml \
 *     -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.satchel.persist.JournalStartBenchmark [sessions [keysPerSession [dir]]]
 * </pre>
 */
public final class JournalStartBenchmark {
    private JournalStartBenchmark() {
    }

    private static SatchelNode node(Path dir) {
        ServerConfig cfg = ConfigLoader.load(null, Map.of(), Map.of("--bind", "127.0.0.1", "--port", "0",
                "--persist-path", dir.toString(), "--journal", "everysec", "--journal-max-bytes", "100g",
                "--max-sessions", "2000000000"));
        return new SatchelNode(cfg, Clock.system());
    }

    private static long journalBytes(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("journal"))) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int keys = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("satchel-journal-start-bench");
        System.out.printf("journal start benchmark: %,d sessions x %d keys in %s, %d CPUs, max heap %d MB%n",
                sessions, keys, dir, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);
        ClientOptions opts = ClientOptions.builder().requestTimeout(Duration.ofMinutes(10)).build();
        try {
            try (SatchelNode server = node(dir)) {
                int port = server.start();
                long t0 = System.nanoTime();
                try (SatchelClient client = SatchelClient.connect(URI.create("ws://127.0.0.1:" + port), opts)) {
                    PersistBenchmark.fill(client, sessions, keys);
                }
                System.out.printf("filled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            }
            System.out.printf("journal: %,d bytes%n", journalBytes(dir));
            System.gc();
            for (int run = 1; run <= 2; run++) {
                long s0 = System.nanoTime();
                try (SatchelNode server = node(dir)) {
                    server.start();
                    double ms = (System.nanoTime() - s0) / 1e6;
                    var j = server.journal();
                    System.out.printf("start %d from the journal: %.0f ms to listening; %s; %,.0f records/s over the"
                            + " whole restore%n", run, ms, j.describe(), j.records() / (j.millis() / 1e3));
                }
                System.gc();
            }
            try (SatchelNode server = node(dir)) {
                server.start();
                long c0 = System.nanoTime();
                JournalCompaction.Compacted c = server.compactJournal().get(10, TimeUnit.MINUTES);
                System.out.printf("compaction: %.0f ms, base %d: %d sessions, %d keys, %,d bytes, snapshot %.1f ms"
                        + " of loop time, longest slice %.1f ms%n", (System.nanoTime() - c0) / 1e6, c.base(),
                        c.sessions(), c.keys(), c.bytes(), c.loopMillis(), c.longestSliceMillis());
            }
            System.gc();
            for (int run = 1; run <= 2; run++) {
                long s0 = System.nanoTime();
                try (SatchelNode server = node(dir)) {
                    server.start();
                    double ms = (System.nanoTime() - s0) / 1e6;
                    System.out.printf("start %d from the base: %.0f ms to listening; %s%n", run, ms,
                            server.journal().describe());
                }
                System.gc();
            }
        } finally {
            if (args.length <= 2) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
