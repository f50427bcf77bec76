package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that owns the {@link Engine}. I/O threads hand it work through a lock-free
 * multi-producer queue ({@link #submit}); it runs tasks in arrival order and, between them, the expiry
 * wheel on a fixed tick. It parks when idle and is woken only when a producer sees it parked. A task that
 * throws is logged and the loop goes on: nothing can stop future commands or expiries.
 */
public final class CommandLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CommandLoop.class);

    /** Work for the loop thread, given the engine and the loop's response writer. */
    public interface Task {
        void run(Engine engine, ResponseWriter out);
    }

    private final Engine engine;
    private final ResponseWriter out;
    private final Queue<Task> queue = PlatformDependent.newMpscQueue();
    private final Thread thread;
    private final long tickNanos;
    private volatile boolean sleeping;
    private volatile boolean running = true;
    private long nextTick;
    private boolean expiryBacklog;

    public CommandLoop(Engine engine, String threadName) {
        this.engine = engine;
        this.out = new ResponseWriter(engine.tokens().format());
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(engine.wheelTickMillis());
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(false);
    }

    public void start() {
        nextTick = System.nanoTime() + tickNanos;
        thread.start();
    }

    /** The engine this loop owns; touch it only from tasks on the loop (or before {@link #start}). */
    public Engine engine() {
        return engine;
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Queues a task; callable from any thread. */
    public void submit(Task task) {
        queue.offer(task);
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    /** Runs {@code query} on the loop and completes with its result (for tests, info and snapshots). */
    public <T> CompletableFuture<T> call(Function<Engine, T> query) {
        CompletableFuture<T> f = new CompletableFuture<>();
        submit((e, o) -> {
            try {
                f.complete(query.apply(e));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private void run() {
        while (true) {
            Task task = queue.poll();
            if (task != null) {
                runSafely(task);
                long now = System.nanoTime();
                if (now - nextTick >= 0 || expiryBacklog) {
                    tick(now);
                }
                endOfTurn();
                continue;
            }
            if (!running) {
                return;
            }
            long now = System.nanoTime();
            if (now - nextTick >= 0 || expiryBacklog) {
                tick(now);
                endOfTurn();
                continue;
            }
            sleeping = true;
            if (queue.isEmpty() && running) {
                LockSupport.parkNanos(this, nextTick - now);
            }
            sleeping = false;
        }
    }

    private void runSafely(Task task) {
        try {
            task.run(engine, out);
        } catch (Throwable t) {
            LOG.error("command loop task failed; the loop continues", t);
        }
    }

    /** Lets the engine's change sink (the journal) hand over what this turn recorded. */
    private void endOfTurn() {
        try {
            engine.endOfTurn();
        } catch (Throwable t) {
            LOG.error("handing the turn's changes to the journal failed", t);
        }
    }

    private void tick(long now) {
        if (now - nextTick >= 0) {
            nextTick = now + tickNanos;
        }
        try {
            expiryBacklog = engine.processExpiries(Engine.EXPIRY_BUDGET);
        } catch (Throwable t) {
            expiryBacklog = false;
            LOG.error("expiry wheel failed; it will run again next tick", t);
        }
    }

    /** Stops after running every task already queued. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        if (!inLoop()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
