package dev.satchel.persist;

import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saving and loading datasets off the command loop. The loop captures a snapshot (references only) and
 * hands it here; encoding, writing and fsync run on the {@code satchel-persist-*} threads (two, so a long
 * save of one dataset does not hold up a load or a save of another). Loads read, verify and decode here;
 * only the insertion of decoded records runs on the loop. One save at a time per dataset: a second save of a
 * dataset whose save is still running is refused (see {@link #tryBeginSave}); loads need no such rule since
 * saves publish atomically.
 *
 * <p>Futures complete exceptionally with a {@link CompletionException} around a {@link PersistException}
 * carrying the protocol status and message.
 */
public final class Persistence implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Persistence.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final boolean enabled;
    private final TokenFormat tokenFormat;
    private final DatasetStore store;
    private final ThreadPoolExecutor executor;
    /** Datasets being saved, each with a future that completes when its save is over. */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> saving = new ConcurrentHashMap<>();

    /**
     * @param root    {@code persist.path}: loads read it even when saving is disabled
     * @param enabled {@code persist.enabled}: whether saves are allowed
     */
    public Persistence(Path root, boolean enabled, TokenFormat tokenFormat) {
        this.enabled = enabled;
        this.tokenFormat = tokenFormat;
        this.store = new DatasetStore(root);
        this.executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "satchel-persist-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true); // no idle threads on a server that never saves
    }

    public boolean enabled() {
        return enabled;
    }

    public Path root() {
        return store.root();
    }

    public TokenFormat tokenFormat() {
        return tokenFormat;
    }

    /** At start-up with saving enabled: creates {@code persist.path} if missing and checks it is writable. */
    public void prepare() throws PersistException {
        if (enabled) {
            store.checkWritable();
        }
    }

    /**
     * Marks dataset {@code name} as being saved. Returns false if a save of it is already running; the
     * caller then answers 123 without taking a snapshot. Every true must be followed by a save call.
     */
    public boolean tryBeginSave(String name) {
        return saving.putIfAbsent(name, new CompletableFuture<>()) == null;
    }

    /** Ends what {@link #tryBeginSave} began: after a save, or when its snapshot could not be taken. */
    public void cancelSave(String name) {
        CompletableFuture<Void> busy = saving.remove(name);
        if (busy != null) {
            busy.complete(null);
        }
    }

    /** Waits until no save of {@code name} is running (used before the shutdown save). */
    public void awaitSave(String name) {
        CompletableFuture<Void> f = saving.get(name);
        if (f != null) {
            f.join();
        }
    }

    /** Writes a session snapshot as a new save of {@code name}; completes when it is durable. */
    public CompletableFuture<Saved> saveSessions(String name, SessionSnapshot snapshot, long savedAtMillis) {
        return save(name, ch -> DatasetWriter.writeSessions(ch, snapshot, tokenFormat, savedAtMillis));
    }

    /** Writes a key-space snapshot as a new save of {@code name}; completes when it is durable. */
    public CompletableFuture<Saved> saveKeys(String name, KeySnapshot snapshot, long savedAtMillis) {
        return save(name, ch -> DatasetWriter.writeKeys(ch, snapshot, savedAtMillis));
    }

    /** A durable save: its file and size. */
    public record Saved(Path file, long bytes) {
    }

    private CompletableFuture<Saved> save(String name, DatasetStore.Encoder encoder) {
        CompletableFuture<Saved> result = new CompletableFuture<>();
        Runnable job = () -> {
            Saved saved = null;
            Throwable failure = null;
            try {
                DatasetStore.Saved s = store.save(name, encoder);
                saved = new Saved(s.file(), s.bytes());
            } catch (PersistException e) {
                failure = e;
            } catch (Throwable t) {
                LOG.error("saving dataset '{}' failed", name, t);
                failure = new PersistException(Status.SAVE_ERROR,
                        "saving dataset '" + name + "' failed: " + DatasetStore.describe(t), t);
            }
            cancelSave(name); // before answering: a client may save the same dataset again at once
            if (failure != null) {
                result.completeExceptionally(new CompletionException(failure));
            } else {
                result.complete(saved);
            }
        };
        try {
            executor.execute(job);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            cancelSave(name);
            result.completeExceptionally(new CompletionException(
                    new PersistException(Status.SAVE_ERROR, "the server is shutting down")));
        }
        return result;
    }

    /**
     * Reads, verifies and decodes the newest complete save of {@code name}, off the loop.
     *
     * @param kind {@link Format#KIND_SESSIONS}, {@link Format#KIND_KEYS}, or 0 for whichever it holds
     */
    public CompletableFuture<Dataset> load(String name, int kind) {
        CompletableFuture<Dataset> result = new CompletableFuture<>();
        Runnable job = () -> {
            try {
                result.complete(store.load(name, kind, tokenFormat));
            } catch (PersistException e) {
                result.completeExceptionally(new CompletionException(e));
            } catch (Throwable t) {
                LOG.error("loading dataset '{}' failed", name, t);
                result.completeExceptionally(new CompletionException(new PersistException(Status.LOAD_ERROR,
                        "loading dataset '" + name + "' failed: " + DatasetStore.describe(t), t)));
            }
        };
        try {
            executor.execute(job);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            result.completeExceptionally(new CompletionException(
                    new PersistException(Status.LOAD_ERROR, "the server is shutting down")));
        }
        return result;
    }

    /** The {@link PersistException} behind a failed future, or a 1000-status one for anything else. */
    public static PersistException cause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c instanceof PersistException p ? p
                : new PersistException(Status.UNKNOWN, "internal error (logged by the server)", c);
    }

    /** Lets running saves finish (up to {@code waitSeconds}), then stops the threads. */
    public void close(long waitSeconds) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(waitSeconds, TimeUnit.SECONDS)) {
                LOG.warn("a save or load was still running after {} s at shutdown; it is abandoned"
                        + " (an unfinished save is never loaded)", waitSeconds);
                executor.shutdownNow();
                executor.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(120);
    }
}
