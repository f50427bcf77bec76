package dev.satchel.persist.journal;

import static org.assertj.core.api.Assertions.fail;

import dev.satchel.json.TokenFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/** Shared helpers of the journal tests: a recording visitor, a fault-injecting file seam, a loop thread. */
final class JournalTesting {
    private JournalTesting() {
    }

    static byte[] entry(String key, String value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        byte[] e = new byte[varintSize(k.length) + k.length + v.length];
        int at = 0;
        int n = k.length;
        while ((n & ~0x7F) != 0) {
            e[at++] = (byte) ((n & 0x7F) | 0x80);
            n >>>= 7;
        }
        e[at++] = (byte) n;
        System.arraycopy(k, 0, e, at, k.length);
        System.arraycopy(v, 0, e, at + k.length, v.length);
        return e;
    }

    static int varintSize(int n) {
        int s = 1;
        while ((n >>>= 7) != 0) {
            s++;
        }
        return s;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes every call as one line, so whole replays compare as lists. */
    static final class Recorder implements JournalVisitor {
        final List<String> calls = new ArrayList<>();

        private static String b64(byte[] b) {
            return Base64.getEncoder().encodeToString(b);
        }

        @Override
        public void sessionCreated(long hi, long lo, String name, int flags, long durationMillis, long deadline) {
            calls.add("created " + hi + ":" + lo + " " + name + " " + flags + " " + durationMillis + " " + deadline);
        }

        @Override
        public void sessionEnded(long hi, long lo) {
            calls.add("ended " + hi + ":" + lo);
        }

        @Override
        public void sessionCleared(long hi, long lo, long deadline) {
            calls.add("cleared " + hi + ":" + lo + " " + deadline);
        }

        @Override
        public void deadlineMoved(long hi, long lo, long deadline) {
            calls.add("deadline " + hi + ":" + lo + " " + deadline);
        }

        @Override
        public void sessionPut(long hi, long lo, byte[] entry) {
            calls.add("put " + hi + ":" + lo + " " + b64(entry));
        }

        @Override
        public void sessionRemove(long hi, long lo, byte[] key) {
            calls.add("remove " + hi + ":" + lo + " " + b64(key));
        }

        @Override
        public void kvPut(byte[] entry) {
            calls.add("kvput " + b64(entry));
        }

        @Override
        public void kvRemove(byte[] key) {
            calls.add("kvremove " + b64(key));
        }

        @Override
        public void kvCleared() {
            calls.add("kvcleared");
        }

        @Override
        public void allSessionsEnded() {
            calls.add("allended");
        }

        static String put(long hi, long lo, byte[] entry) {
            return "put " + hi + ":" + lo + " " + b64(entry);
        }
    }

    /** Replays a journal directory (recover + replay) into a recorder. */
    record Replayed(List<String> calls, JournalReader.Result result, JournalDirectory.Plan plan) {
    }

    static Replayed replay(Path dir, TokenFormat format, JournalReader.Mode mode) throws IOException {
        JournalDirectory d = new JournalDirectory(dir);
        JournalDirectory.Plan plan = d.recover();
        Recorder r = new Recorder();
        JournalReader.Result result = JournalReader.replay(d, plan, format, r, mode);
        return new Replayed(r.calls, result, plan);
    }

    /** A manual clock for the writer's decisions (fsync due, retry due). */
    static final class ManualNanos implements java.util.function.LongSupplier {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        @Override
        public long getAsLong() {
            return nanos.get();
        }

        void advanceMillis(long ms) {
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(ms));
        }
    }

    /**
     * The fault seam: the real file system, plus injected failures (a full disk on write, a failing fsync or
     * file creation), an fsync that waits for the test, and counters of fsyncs and of the bytes each file had
     * when it was last fsynced.
     */
    static final class FaultyIo implements JournalIo {
        volatile IOException writeFailure;
        /** With a write failure: bytes of the failing write that still reach the file (a short write). */
        volatile int partialBytes;
        volatile IOException forceFailure;
        volatile IOException createFailure;
        volatile CountDownLatch forceGate;
        /** fsync calls begun (including ones still waiting at the gate or failing). */
        final AtomicInteger forceCalls = new AtomicInteger();
        final AtomicInteger forces = new AtomicInteger();
        final AtomicInteger failedWrites = new AtomicInteger();
        final Map<Path, Long> writtenEnd = new ConcurrentHashMap<>();
        final Map<Path, Long> syncedEnd = new ConcurrentHashMap<>();

        static IOException diskFull() {
            return new IOException("No space left on device");
        }

        @Override
        public Channel create(Path file) throws IOException {
            IOException f = createFailure;
            if (f != null) {
                throw f;
            }
            Channel real = JournalIo.SYSTEM.create(file);
            writtenEnd.put(file, 0L);
            syncedEnd.put(file, 0L);
            return new Channel() {
                @Override
                public void writeFully(ByteBuffer src, long position) throws IOException {
                    IOException w = writeFailure;
                    if (w != null) {
                        failedWrites.incrementAndGet();
                        int part = Math.min(partialBytes, src.remaining());
                        if (part > 0) {
                            ByteBuffer slice = src.duplicate();
                            slice.limit(slice.position() + part);
                            real.writeFully(slice, position);
                        }
                        throw w;
                    }
                    long end = position + src.remaining();
                    real.writeFully(src, position);
                    writtenEnd.merge(file, end, Math::max);
                }

                @Override
                public void force() throws IOException {
                    forceCalls.incrementAndGet();
                    CountDownLatch gate = forceGate;
                    if (gate != null) {
                        try {
                            if (!gate.await(60, TimeUnit.SECONDS)) {
                                throw new IOException("test gate never opened");
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted");
                        }
                    }
                    IOException f = forceFailure;
                    if (f != null) {
                        throw f;
                    }
                    long end = writtenEnd.getOrDefault(file, 0L);
                    real.force();
                    syncedEnd.put(file, end);
                    forces.incrementAndGet();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            JournalIo.SYSTEM.syncDirectory(dir);
        }
    }

    /** A single thread standing in for the command loop. */
    static final class Loop implements AutoCloseable {
        final ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-loop"));

        <T> T call(Callable<T> c) throws Exception {
            return executor.submit(c).get(60, TimeUnit.SECONDS);
        }

        void run(Runnable r) throws Exception {
            executor.submit(r).get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    /** Waits until the journal thread has gone round its loop {@code n} more times. */
    static void awaitTurns(JournalWriter w, int n) throws InterruptedException {
        long target = w.turns + n;
        await(() -> w.turns >= target, "the journal thread turned " + n + " times");
    }
}
