package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandObserver;
import dev.satchel.engine.Engine;
import dev.satchel.json.ResponseWriter;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The hand-off between one I/O thread and the command loop. Batches from all the connections an I/O thread
 * served in one event-loop turn travel to the loop as one task, and their responses come back as one task:
 * one wake-up each way per turn instead of one per connection. With many connections on a busy server this
 * removes most cross-thread wake-ups, which profiling showed to cost more than the commands themselves.
 * Confined to its I/O thread except for {@link Group#run(Engine, ResponseWriter)}, which runs on the loop, and
 * {@link #promiseCompleted}: deferred responses (a save, every command in cluster mode) complete on other
 * threads, and the connections waiting on them are woken by one event-loop task for all completions that
 * arrive until it runs, not one task each.
 */
final class LoopBridge implements Runnable {
    private final CommandLoop loop;
    private final EventLoop eventLoop;
    private ArrayList<Batch> outbox = new ArrayList<>();
    private boolean scheduled;
    /** Flows whose awaited promise completed (any thread in, the I/O thread out). */
    private final Queue<OutboundFlow> completed = PlatformDependent.newMpscQueue();
    private final AtomicBoolean completionsScheduled = new AtomicBoolean();
    private final Runnable drainCompletions = this::drainCompletions;

    LoopBridge(CommandLoop loop, EventLoop eventLoop) {
        this.loop = loop;
        this.eventLoop = eventLoop;
    }

    /** On the I/O thread: queue a batch; it leaves when this turn's reads are done. */
    void submit(Batch batch) {
        outbox.add(batch);
        if (!scheduled) {
            scheduled = true;
            eventLoop.execute(this); // runs after the I/O of the current turn
        }
    }

    /** Any thread: the promise {@code flow} waits on has completed; its I/O thread writes what is ready. */
    void promiseCompleted(OutboundFlow flow) {
        completed.offer(flow);
        if (completionsScheduled.compareAndSet(false, true)) {
            try {
                eventLoop.execute(drainCompletions);
            } catch (RejectedExecutionException e) {
                // I/O threads shutting down: nobody left to write to
            }
        }
    }

    /** I/O thread: every flow whose promise completed writes its ready responses (one flush each). */
    private void drainCompletions() {
        completionsScheduled.set(false); // completions from now on schedule another run
        OutboundFlow f;
        while ((f = completed.poll()) != null) {
            f.promiseCompleted();
        }
    }

    @Override
    public void run() {
        scheduled = false;
        ArrayList<Batch> batches = outbox;
        outbox = new ArrayList<>(Math.max(8, batches.size()));
        loop.submit(new Group(batches, eventLoop));
    }

    /** The batches of one turn: executed together on the loop, delivered together on the I/O thread. */
    private static final class Group implements CommandLoop.Task, Runnable {
        private final ArrayList<Batch> batches;
        private final EventLoop eventLoop;

        Group(ArrayList<Batch> batches, EventLoop eventLoop) {
            this.batches = batches;
            this.eventLoop = eventLoop;
        }

        @Override
        public void run(Engine engine, ResponseWriter out) {
            CommandObserver stats = engine.observer();
            long started = stats != null ? System.nanoTime() : 0; // one clock pair per group, not per command
            int commands = 0;
            for (int i = 0; i < batches.size(); i++) {
                try {
                    commands += batches.get(i).count();
                    batches.get(i).execute(engine, out);
                } catch (Throwable t) {
                    // that batch's connection is being closed; the other connections still get answers
                    org.slf4j.LoggerFactory.getLogger(LoopBridge.class).error("batch failed on the loop", t);
                }
            }
            if (stats != null) {
                stats.served(System.nanoTime() - started, commands);
            }
            // with persist.journal = always, after the fsync of what these requests changed; else at once
            if (engine.journalled()) {
                engine.whenDurable(this::sendBack);
            } else {
                sendBack(); // no journal: no allocation, the path as before
            }
        }

        /** Loop: hands the responses to the I/O thread. */
        private void sendBack() {
            try {
                eventLoop.execute(this);
            } catch (RejectedExecutionException e) {
                batches.forEach(Batch::release); // I/O threads shutting down: nobody left to write to
            }
        }

        @Override
        public void run() {
            for (int i = 0; i < batches.size(); i++) {
                Batch b = batches.get(i);
                b.flow().deliver(b);
            }
        }
    }
}
