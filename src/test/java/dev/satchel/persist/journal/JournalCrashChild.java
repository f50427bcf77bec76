package dev.satchel.persist.journal;

import dev.satchel.json.TokenFormat;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The process {@link JournalCrashTest} kills: replays the journal in {@code dir} (as a start would), then, on a
 * thread standing in for the command loop, writes requests of three puts each (a group) numbered from where
 * the replay ended, with policy {@code always}, and prints {@code acked N} once request N is durable. Runs
 * until killed.
 */
public final class JournalCrashChild {
    private JournalCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        JournalDirectory d = new JournalDirectory(dir);
        JournalDirectory.Plan plan = d.recover();
        JournalTesting.Recorder r = new JournalTesting.Recorder();
        JournalReader.Result result = JournalReader.replay(d, plan, TokenFormat.STRING, r,
                JournalReader.Mode.RECOVER);
        int first = r.calls.size() / 3;
        ExecutorService loop = Executors.newSingleThreadExecutor();
        JournalWriter w = JournalWriter.open(d, TokenFormat.STRING, result.nextSegmentSeq(),
                JournalWriter.Options.defaults(JournalPolicy.ALWAYS).withSegmentBytes(64 << 10)
                        .withChunkBytes(4096), loop);
        System.out.println("started " + first);
        System.out.flush();
        for (int n = first; ; n++) {
            int request = n;
            loop.execute(() -> {
                w.beginGroup();
                for (int k = 0; k < 3; k++) {
                    w.sessionPut(1, 1, JournalCrashTest.entry(request, k));
                }
                w.endGroup();
                w.whenDurable(w.position(), () -> {
                    System.out.println("acked " + request);
                    System.out.flush();
                });
                w.flush();
            });
            if (n % 64 == 63) {
                // keep the loop's queue short: wait until it caught up
                loop.submit(() -> { }).get(60, TimeUnit.SECONDS);
            }
        }
    }
}
