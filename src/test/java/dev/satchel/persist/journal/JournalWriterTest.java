package dev.satchel.persist.journal;

import static dev.satchel.persist.journal.JournalTesting.await;
import static dev.satchel.persist.journal.JournalTesting.awaitTurns;
import static dev.satchel.persist.journal.JournalTesting.entry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.json.TokenFormat;
import dev.satchel.persist.journal.JournalTesting.FaultyIo;
import dev.satchel.persist.journal.JournalTesting.Loop;
import dev.satchel.persist.journal.JournalTesting.ManualNanos;
import dev.satchel.persist.journal.JournalTesting.Recorder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's policies and error handling, driven through the fault seam and a manual clock: no assertion
 * depends on how fast anything runs. A single-thread executor stands in for the command loop.
 */
class JournalWriterTest {
    private static final TokenFormat FORMAT = TokenFormat.STRING;

    @TempDir
    Path dir;

    private final FaultyIo io = new FaultyIo();
    private final ManualNanos clock = new ManualNanos();
    private final Loop loop = new Loop();
    private JournalWriter writer;

    @AfterEach
    void tearDown() {
        io.writeFailure = null;
        io.forceFailure = null;
        io.createFailure = null;
        CountDownLatch gate = io.forceGate;
        if (gate != null) {
            gate.countDown();
        }
        if (writer != null) {
            writer.close(5000);
        }
        loop.close();
    }

    private JournalWriter open(JournalPolicy policy) throws Exception {
        return open(JournalWriter.Options.defaults(policy).withIo(io).withNanoClock(clock));
    }

    private JournalWriter open(JournalWriter.Options options) throws Exception {
        JournalDirectory d = new JournalDirectory(dir, io);
        writer = JournalWriter.open(d, FORMAT, d.recover().nextSeq(), options, loop.executor);
        return writer;
    }

    private static byte[] e(int i) {
        return entry("k" + i, "\"value " + i + "\"");
    }

    private Path segment(long seq) {
        return dir.resolve(JournalFormat.segmentName(seq));
    }

    @Test
    void alwaysReleasesResponsesOnlyAfterTheirFsyncInOrderManyPerFsync() throws Exception {
        JournalWriter w = open(JournalPolicy.ALWAYS);
        List<Integer> fired = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        Runnable[] check = new Runnable[1];
        int headerForces = io.forceCalls.get();
        CountDownLatch gate = new CountDownLatch(1);
        io.forceGate = gate;

        // request 0: its fsync starts and is held at the gate
        loop.run(() -> {
            w.sessionPut(1, 1, e(0));
            long mark = w.position();
            w.whenDurable(mark, completion(w, 0, mark, fired, problems));
            w.flush();
        });
        await(() -> io.forceCalls.get() == headerForces + 1, "the first fsync started");
        // 50 more requests while that fsync is in progress, each with its own mark
        for (int i = 1; i <= 50; i++) {
            int n = i;
            loop.run(() -> {
                w.beginGroup();
                w.sessionPut(1, 1, e(n));
                w.sessionPut(1, 2, e(n));
                w.endGroup();
                long mark = w.position();
                w.whenDurable(mark, completion(w, n, mark, fired, problems));
                w.flush();
            });
        }
        assertThat(fired).isEmpty();
        assertThat(loop.call(w::waiting)).isEqualTo(51);
        gate.countDown();
        await(() -> fired.size() == 51, "all 51 completions fired");
        assertThat(problems).isEmpty();
        for (int i = 0; i <= 50; i++) {
            assertThat(fired.get(i)).isEqualTo(i);
        }
        // one fsync for request 0, one for the 50 that queued up behind it
        assertThat(w.fsyncs()).isEqualTo(2);
        assertThat(loop.call(w::waiting)).isZero();
        // a mark that is already durable runs at once, on the loop
        long[] ranOn = new long[1];
        loop.run(() -> w.whenDurable(w.position(), () -> ranOn[0] = Thread.currentThread().getId()));
        assertThat(ranOn[0]).isNotZero();
    }

    /** A completion that checks it runs on the loop, after its bytes were fsynced. */
    private Runnable completion(JournalWriter w, int n, long mark, List<Integer> fired, List<String> problems) {
        return () -> {
            if (!Thread.currentThread().getName().equals("test-loop")) {
                problems.add(n + " ran on " + Thread.currentThread().getName());
            }
            long synced = io.syncedEnd.getOrDefault(segment(1), 0L);
            if (synced < JournalFormat.HEADER_BYTES + mark) {
                problems.add(n + " fired with " + synced + " bytes synced, needs " + (JournalFormat.HEADER_BYTES + mark));
            }
            if (w.durablePosition() < mark) {
                problems.add(n + " fired before its position was durable");
            }
            fired.add(n);
        };
    }

    @Test
    void everysecFsyncsOncePerIntervalWhileDataIsPending() throws Exception {
        JournalWriter w = open(JournalPolicy.EVERYSEC);
        long end = loop.call(() -> {
            w.sessionPut(1, 1, e(1));
            w.flush();
            return w.position();
        });
        await(() -> w.writtenPosition() == end, "the record was written");
        awaitTurns(w, 3);
        assertThat(w.fsyncs()).isZero();
        assertThat(w.durablePosition()).isZero();

        clock.advanceMillis(999);
        awaitTurns(w, 3);
        assertThat(w.fsyncs()).as("not yet a second").isZero();

        clock.advanceMillis(1);
        await(() -> w.fsyncs() == 1, "the first fsync");
        assertThat(w.durablePosition()).isEqualTo(end);
        assertThat(io.syncedEnd.get(segment(1))).isEqualTo(JournalFormat.HEADER_BYTES + end);

        // nothing pending: time passing causes no fsync
        clock.advanceMillis(5000);
        awaitTurns(w, 3);
        assertThat(w.fsyncs()).isEqualTo(1);

        // continuous writes: one fsync per second of pending data
        for (int second = 2; second <= 5; second++) {
            int s = second;
            long mark = loop.call(() -> {
                for (int i = 0; i < 100; i++) {
                    w.sessionPut(s, i + 1, e(i));
                }
                w.flush();
                return w.position();
            });
            await(() -> w.writtenPosition() == mark, "written");
            awaitTurns(w, 2);
            assertThat(w.fsyncs()).isEqualTo(second - 1);
            clock.advanceMillis(1000);
            await(() -> w.fsyncs() == s, "fsync " + s);
            assertThat(w.durablePosition()).isEqualTo(mark);
        }
    }

    @Test
    void everysecCloseMakesEverythingDurable() throws Exception {
        JournalWriter w = open(JournalPolicy.EVERYSEC);
        long end = loop.call(() -> {
            for (int i = 0; i < 1000; i++) {
                w.sessionPut(7, i + 1, e(i));
            }
            w.flush();
            return w.position();
        });
        assertThat(w.close(30_000)).isTrue();
        assertThat(w.durablePosition()).isEqualTo(end);
        assertThat(io.syncedEnd.get(segment(1))).isEqualTo(JournalFormat.HEADER_BYTES + end);
        assertThat(JournalTesting.replay(dir, FORMAT, JournalReader.Mode.RECOVER).calls()).hasSize(1000);
    }

    @Test
    void aFullDiskFailsWritesAndTheyResumeWithoutLossOrDuplicates() throws Exception {
        JournalWriter w = open(JournalPolicy.EVERYSEC);
        Recorder expect = new Recorder();
        loop.run(() -> {
            for (int i = 0; i < 100; i++) {
                w.sessionPut(1, i + 1, e(i));
                expect.sessionPut(1, i + 1, e(i));
            }
            w.flush();
        });
        await(() -> w.writtenPosition() > 0, "the first records were written");
        io.partialBytes = 37; // the failing write still puts some bytes into the file
        io.writeFailure = FaultyIo.diskFull();
        loop.run(() -> {
            for (int i = 100; i < 200; i++) {
                w.sessionPut(1, i + 1, e(i));
                expect.sessionPut(1, i + 1, e(i));
            }
            w.flush();
        });
        await(w::failed, "the writer failed");
        assertThat(w.failure()).isEqualTo("journal write failed: IOException: No space left on device");
        int failedWrites = io.failedWrites.get();
        // the engine refuses mutations now; what still arrives (an expiry) is kept in order
        long end = loop.call(() -> {
            assertThat(w.deadlineMoved(1, 1, 1_800_000_000_000L)).isFalse();
            w.sessionEnded(1, 5);
            expect.sessionEnded(1, 5);
            w.flush();
            return w.position();
        });
        // retries happen once per retry interval of the (manual) clock, and fail while the disk is full
        clock.advanceMillis(1000);
        await(() -> io.failedWrites.get() > failedWrites, "a retry");
        assertThat(w.failed()).isTrue();
        assertThat(w.writtenPosition()).isLessThan(end);
        assertThat(w.backlogBytes()).isEqualTo(end - w.writtenPosition());

        io.writeFailure = null;
        clock.advanceMillis(1000);
        await(() -> !w.failed() && w.writtenPosition() == end, "writes resumed");
        assertThat(w.close(30_000)).isTrue();
        writer = null;
        assertThat(JournalTesting.replay(dir, FORMAT, JournalReader.Mode.RECOVER).calls())
                .containsExactlyElementsOf(expect.calls);
    }

    @Test
    void aFailedFsyncRewritesWhatItCoveredAndAlwaysCompletionsWaitThroughIt() throws Exception {
        JournalWriter w = open(JournalPolicy.ALWAYS);
        List<Integer> fired = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        Recorder expect = new Recorder();
        io.forceFailure = new IOException("Input/output error");
        loop.run(() -> {
            for (int i = 0; i < 10; i++) {
                w.sessionPut(2, i + 1, e(i));
                expect.sessionPut(2, i + 1, e(i));
                long mark = w.position();
                w.whenDurable(mark, completion(w, i, mark, fired, problems));
            }
            w.flush();
        });
        await(w::failed, "the fsync failed");
        assertThat(w.failure()).contains("Input/output error");
        assertThat(w.writtenPosition()).isPositive();
        assertThat(w.durablePosition()).isZero();
        awaitTurns(w, 3);
        assertThat(fired).isEmpty();

        // meanwhile the page cache "lost" the unsynced bytes: the retry must write them again
        byte[] header = java.util.Arrays.copyOf(Files.readAllBytes(segment(1)), JournalFormat.HEADER_BYTES);
        byte[] damaged = Files.readAllBytes(segment(1));
        java.util.Arrays.fill(damaged, JournalFormat.HEADER_BYTES, damaged.length, (byte) 0);
        Files.write(segment(1), damaged);
        assertThat(header).isNotEmpty();

        io.forceFailure = null;
        clock.advanceMillis(1000);
        await(() -> fired.size() == 10, "completions after the retry");
        assertThat(problems).isEmpty();
        assertThat(fired).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(w.failed()).isFalse();
        w.close(30_000);
        writer = null;
        assertThat(JournalTesting.replay(dir, FORMAT, JournalReader.Mode.RECOVER).calls())
                .containsExactlyElementsOf(expect.calls);
    }

    @Test
    void aSegmentThatCannotBeCreatedIsRetried() throws Exception {
        JournalWriter w = open(JournalPolicy.EVERYSEC);
        Recorder expect = new Recorder();
        io.createFailure = FaultyIo.diskFull();
        long end = loop.call(() -> {
            w.kvPut(e(1));
            expect.kvPut(e(1));
            assertThat(w.rotate()).isEqualTo(2);
            w.kvPut(e(2));
            expect.kvPut(e(2));
            w.flush();
            return w.position();
        });
        await(w::failed, "creating segment 2 failed");
        assertThat(w.durablePosition()).as("segment 1 was completed first").isEqualTo(end / 2);
        io.createFailure = null;
        clock.advanceMillis(1000);
        await(() -> !w.failed() && w.writtenPosition() == end, "resumed in segment 2");
        w.close(30_000);
        writer = null;
        JournalTesting.Replayed r = JournalTesting.replay(dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.plan().segments()).extracting(JournalDirectory.Segment::seq).containsExactly(1L, 2L);
        assertThat(r.calls()).containsExactlyElementsOf(expect.calls);
    }

    @Test
    void aBusyLoopRotatingAndWaitingOnDurabilityLosesNothing() throws Exception {
        JournalWriter w = open(JournalWriter.Options.defaults(JournalPolicy.ALWAYS).withIo(io)
                .withChunkBytes(4096).withSegmentBytes(50_000));
        Recorder expect = new Recorder();
        List<Long> completed = new CopyOnWriteArrayList<>();
        int batches = 400;
        for (int b = 0; b < batches; b++) {
            int batch = b;
            loop.run(() -> {
                for (int i = 0; i < 50; i++) {
                    int n = batch * 50 + i;
                    if (n % 11 == 0) {
                        w.beginGroup();
                        w.sessionPut(3, n + 1, e(n));
                        w.sessionEnded(3, n + 1);
                        w.endGroup();
                        expect.sessionPut(3, n + 1, e(n));
                        expect.sessionEnded(3, n + 1);
                    } else {
                        byte[] big = entry("k" + n, "\"" + "z".repeat(n % 5000) + "\""); // some exceed a chunk
                        w.kvPut(big);
                        expect.kvPut(big);
                    }
                    if (n % 997 == 0) {
                        w.rotate();
                    }
                }
                long mark = w.position();
                w.whenDurable(mark, () -> completed.add(mark));
                w.flush();
            });
        }
        await(() -> completed.size() == batches, "every batch durable");
        for (int i = 1; i < completed.size(); i++) {
            assertThat(completed.get(i)).isGreaterThan(completed.get(i - 1));
        }
        assertThat(w.fsyncs()).isLessThanOrEqualTo(batches + w.segment());
        assertThat(w.close(30_000)).isTrue();
        writer = null;
        JournalTesting.Replayed r = JournalTesting.replay(dir, FORMAT, JournalReader.Mode.RECOVER);
        assertThat(r.plan().segments().size()).isGreaterThan(20);
        assertThat(r.calls()).isEqualTo(expect.calls);
    }

    @Test
    void anUnwritableDirectoryFailsTheOpen() throws Exception {
        io.createFailure = new java.nio.file.AccessDeniedException(dir.resolve("x").toString());
        JournalDirectory d = new JournalDirectory(dir, io);
        d.recover();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JournalWriter.open(d, FORMAT, 1,
                JournalWriter.Options.defaults(JournalPolicy.ALWAYS).withIo(io), loop.executor))
                .isInstanceOf(java.nio.file.AccessDeniedException.class);
    }
}
