package dev.satchel.persist.journal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.json.TokenFormat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes killed with SIGKILL while they write the journal with {@code always}: after each kill the
 * replay must hold every acknowledged request, whole requests only (groups of three puts, all or nothing),
 * in order and without gaps or duplicates; the next process continues the same journal. (A kill keeps the
 * page cache, so this cannot show that acknowledgements wait for the fsync: {@link JournalWriterTest} proves
 * that through the fault seam.)
 */
class JournalCrashTest {
    @TempDir
    Path dir;

    static byte[] entry(int request, int k) {
        return JournalTesting.entry("r" + request + "k" + k, Integer.toString(request));
    }

    @Test
    void everyAcknowledgedRequestSurvivesKillNine() throws Exception {
        Random random = new Random(20261206);
        int acknowledged = -1;
        for (int round = 0; round < 4; round++) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                    JournalCrashChild.class.getName(), dir.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                assertThat(line).as("round %d: the child started", round).isNotNull();
                int started = Integer.parseInt(line.substring("started ".length()));
                assertThat(started).as("the replay holds every request acknowledged before")
                        .isGreaterThan(acknowledged);
                int killAfter = 100 + random.nextInt(1000);
                int seen = 0;
                while (seen < killAfter && (line = out.readLine()) != null) {
                    int n = Integer.parseInt(line.substring("acked ".length()));
                    assertThat(n).isGreaterThan(acknowledged);
                    acknowledged = n;
                    seen++;
                }
                p.toHandle().destroyForcibly(); // SIGKILL (Process.destroyForcibly would also close the pipes)
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                // acknowledgements printed before the kill count too
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("acked ")) {
                        acknowledged = Math.max(acknowledged, Integer.parseInt(line.substring(6)));
                    }
                }
            } finally {
                p.destroyForcibly();
            }

            JournalTesting.Replayed r = JournalTesting.replay(dir, TokenFormat.STRING,
                    JournalReader.Mode.READ_ONLY);
            List<String> calls = r.calls();
            assertThat(calls.size() % 3).as("whole requests only").isZero();
            int requests = calls.size() / 3;
            assertThat(requests).as("round %d: every acknowledged request is there", round)
                    .isGreaterThan(acknowledged);
            List<String> expected = new ArrayList<>();
            for (int n = 0; n < requests; n++) {
                for (int k = 0; k < 3; k++) {
                    expected.add(JournalTesting.Recorder.put(1, 1, entry(n, k)));
                }
            }
            assertThat(calls).as("in order, no gaps or duplicates").isEqualTo(expected);
        }
    }
}
