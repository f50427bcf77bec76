package dev.satchel.persist.journal;

import dev.satchel.json.TokenFormat;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes N session-put records (default 5,000,000: 1,000,000 sessions x 5 keys, 10-byte keys, 100-byte JSON
 * values, one entry per record, handed over every 64 records like a command-loop batch) with the
 * {@code everysec} writer, then replays them 3 times into a visitor that only counts, and prints the
 * appending thread's CPU per record, the write throughput and the replay speed. Not a test (surefire does
 * not run it).
 *
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -Xms1g -Xmx1g -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     dev.satchel.persist.journal.JournalReplayBenchmark [records [dir]]
 * </pre>
 */
public final class JournalReplayBenchmark {
    private JournalReplayBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 5_000_000;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("satchel-journal-bench");
        JournalDirectory.deleteTree(dir);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();

        // ---- write ----
        JournalDirectory d = new JournalDirectory(dir);
        d.recover();
        JournalWriter w = JournalWriter.open(d, TokenFormat.STRING, 1,
                JournalWriter.Options.defaults(JournalPolicy.EVERYSEC), Runnable::run);
        SplittableRandom random = new SplittableRandom(13);
        int sessions = Math.max(1, records / 5);
        long[] hi = new long[sessions];
        long[] lo = new long[sessions];
        for (int s = 0; s < sessions; s++) {
            hi[s] = random.nextLong();
            lo[s] = random.nextLong() | 1;
        }
        byte[][] entries = new byte[1024][];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = JournalTesting.entry(String.format("key-%06d", i),
                    "\"" + "v".repeat(86) + String.format("%012d", i) + "\"");
        }
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < records; i++) {
            int s = i % sessions;
            w.sessionPut(hi[s], lo[s], entries[i & 1023]);
            if ((i & 63) == 63) {
                w.flush();
            }
        }
        w.flush();
        long appendCpu = threads.getCurrentThreadCpuTime() - cpu0;
        long appendWall = System.nanoTime() - t0;
        long bytes = w.position();
        w.close(600_000);
        long writeWall = System.nanoTime() - t0;
        System.out.printf("wrote %,d records, %,d bytes (%.1f bytes/record) in %d segments%n", records, bytes,
                (double) bytes / records, d.recover().segments().size());
        System.out.printf("append on the calling thread: %.0f ns CPU per record (%.2f s wall)%n",
                (double) appendCpu / records, appendWall / 1e9);
        System.out.printf("appended, written and fsynced: %.2f s (%.0f MB/s, %,.0f records/s)%n", writeWall / 1e9,
                bytes / 1e6 / (writeWall / 1e9), records / (writeWall / 1e9));

        // ---- replay ----
        for (int run = 1; run <= 3; run++) {
            long[] count = new long[2];
            JournalVisitor counter = new JournalVisitor() {
                @Override
                public void sessionCreated(long h, long l, String name, int flags, long duration, long deadline) {
                }

                @Override
                public void sessionEnded(long h, long l) {
                }

                @Override
                public void sessionCleared(long h, long l, long deadline) {
                }

                @Override
                public void deadlineMoved(long h, long l, long deadline) {
                }

                @Override
                public void sessionPut(long h, long l, byte[] entry) {
                    count[0]++;
                    count[1] += entry.length;
                }

                @Override
                public void sessionRemove(long h, long l, byte[] key) {
                }

                @Override
                public void kvPut(byte[] entry) {
                }

                @Override
                public void kvRemove(byte[] key) {
                }

                @Override
                public void allSessionsEnded() {
                }

                @Override
                public void kvCleared() {
                }
            };
            long c0 = threads.getCurrentThreadCpuTime();
            long r0 = System.nanoTime();
            JournalReader.Result result = JournalReader.replay(d, d.recover(), TokenFormat.STRING, counter,
                    JournalReader.Mode.READ_ONLY);
            long wall = System.nanoTime() - r0;
            long cpu = threads.getCurrentThreadCpuTime() - c0;
            if (count[0] != records || result.records() != records) {
                throw new IllegalStateException("replayed " + count[0] + " of " + records);
            }
            System.out.printf("replay %d: %,d records in %.2f s: %,.0f records/s, %.0f MB/s;"
                    + " CPU %.2f s: %,.0f records per CPU second%n", run, records, wall / 1e9,
                    records / (wall / 1e9), result.bytes() / 1e6 / (wall / 1e9), cpu / 1e9, records / (cpu / 1e9));
        }
        JournalDirectory.deleteTree(dir);
    }
}
