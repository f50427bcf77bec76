package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.json.ResponseWriter;
import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's responses on their way out, and all of its backpressure: how many requests and request
 * bytes wait for the command loop, what the loop may still produce, the responses held behind a deferred one,
 * and when the connection must stop reading, be held back on the loop, or be closed.
 *
 * <p>The rules (limits.*):
 * <ul>
 *   <li>Reading stops while {@code maxInFlight} requests, or more request bytes than the high-water mark, wait
 *       for the loop; while the channel's unsent responses are above the high-water mark (Netty's
 *       writability, set from {@code outboundHighWaterBytes}); and while the loop holds requests back.</li>
 *   <li>The loop runs a batch only while the connection's unsent responses (in the channel, or produced and on
 *       their way) stay under the high-water mark ({@link #outputBudget}); the rest of the batch, and every
 *       later batch of the connection, wait on the loop in order ({@link #stallOnLoop}, {@link #holdBack})
 *       until the I/O thread sees the responses drain and hands them back ({@link #resumeIfStalled}).</li>
 *   <li>Past {@code outboundHardLimitBytes} of unsent responses, or above the high-water mark for
 *       {@code outboundStallSeconds}, the connection is closed.</li>
 *   <li>Responses leave in request order: a deferred (promised) response holds back everything after it.</li>
 * </ul>
 *
 * <p>Threads. <b>I/O thread</b> (the connection's event loop): {@link #requestRead}, {@link #submitted},
 * {@link #deliver}, {@link #mayRead}, {@link #allAnswered}, {@link #writabilityChanged},
 * {@link #checkHardLimit}, {@link #release}. <b>Command loop</b>: {@link #outputBudget}, {@link #holdingBack},
 * {@link #holdBack}, {@link #stallOnLoop}, {@link #produced} (all from {@link Batch}) and the resume task.
 * <b>Any thread</b>: {@link #unsentBytes}. The two threads share only {@code undelivered} and {@code stalled}
 * (atomics) and the channel's outbound-buffer byte count (volatile in Netty); every other field belongs to
 * the one thread named on it.
 */
final class OutboundFlow {
    /** The connection's logger: its warnings keep the name operators and log filters know. */
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    private static final byte[] INTERNAL_ERROR =
            "{\"ERR\":{\"st\":1000,\"m\":\"internal error (logged by the server)\"}}".getBytes(StandardCharsets.US_ASCII);

    private final ClientConnection connection;
    private final ChannelHandlerContext ctx;
    private final ConnectionSettings settings;

    // ---- I/O thread only ----
    /** Requests handed to the loop and not yet delivered back. */
    private int inFlight;
    /** Bytes of requests read and not yet answered (waiting for the loop, or held back by it). */
    private long inFlightBytes;
    /** Responses waiting behind a promised (deferred) response: ByteBufs and CompletableFutures, in order. */
    private final ArrayDeque<Object> outQueue = new ArrayDeque<>();
    private CompletableFuture<byte[]> waitingOn;
    /** When the channel last became unwritable (System.nanoTime), or 0 while it is writable. */
    private long unwritableSince;
    private ScheduledFuture<?> stallCheck;

    // ---- shared by the I/O thread and the loop ----
    /** Response bytes the loop produced for this connection that the I/O thread has not written yet. */
    private final AtomicLong undelivered = new AtomicLong();
    /** Set by the loop when it holds back this connection's requests until its unsent responses drain. */
    private final AtomicBoolean stalled = new AtomicBoolean();

    // ---- command loop only ----
    /** Requests held back, in order (non-empty exactly while the loop holds back). */
    private final ArrayDeque<Batch> heldBack = new ArrayDeque<>();
    private final CommandLoop.Task resume = this::resumeOnLoop;

    OutboundFlow(ClientConnection connection, ChannelHandlerContext ctx, ConnectionSettings settings) {
        this.connection = connection;
        this.ctx = ctx;
        this.settings = settings;
    }

    /** Any thread: the allocator for response buffers. */
    ByteBufAllocator allocator() {
        return ctx.alloc();
    }

    /** Any thread: the connection's I/O thread. */
    EventLoop eventLoop() {
        return ctx.channel().eventLoop();
    }

    // ---- I/O thread: requests going to the loop, responses coming back ----

    /** I/O thread: a request of {@code bytes} was read and will go to the loop. */
    void requestRead(long bytes) {
        inFlightBytes += bytes;
    }

    /** I/O thread: {@code count} requests left for the loop in one batch. */
    void submitted(int count) {
        inFlight += count;
    }

    /** I/O thread: whether the connection may read more (see the class comment); the connection adds its own state. */
    boolean mayRead() {
        return inFlight < settings.maxInFlight() && inFlightBytes <= settings.outboundHighWater()
                && ctx.channel().isWritable() && !stalled.get();
    }

    /** I/O thread: every request handed to the loop is answered and written (nothing queued behind a promise). */
    boolean allAnswered() {
        return inFlight == 0 && outQueue.isEmpty();
    }

    /** I/O thread: the loop has answered a batch; writes its responses in order and flushes once. */
    void deliver(Batch batch) {
        inFlight -= batch.count();
        inFlightBytes -= batch.requestBytes();
        ByteBuf responses = batch.takeOutput();
        if (!ctx.channel().isActive()) {
            batch.release();
            if (responses != null) {
                responses.release();
            }
            return;
        }
        List<Object> segments = batch.takeSegments();
        if (responses != null && outQueue.isEmpty()) {
            ctx.writeAndFlush(responses, ctx.voidPromise());
        } else if (responses != null || segments != null) {
            if (responses != null) {
                outQueue.add(responses);
            } else {
                outQueue.addAll(segments);
            }
            drainOutQueue();
        } // else the batch failed on the loop and its connection is being closed
        undelivered.addAndGet(-batch.outputBytes()); // now in the channel's outbound buffer
        if (checkHardLimit()) {
            return;
        }
        resumeIfStalled();
        connection.updateReading();
        connection.closeIfDone();
    }

    /** I/O thread, woken by the bridge: the promise this connection waited on completed. */
    void promiseCompleted() {
        if (ctx.channel().isActive()) {
            drainOutQueue();
            connection.closeIfDone();
        }
    }

    /** I/O thread: writes queued responses in order, up to the first promised response that is not ready yet. */
    private void drainOutQueue() {
        boolean wrote = false;
        Object head;
        while ((head = outQueue.peek()) != null) {
            if (head instanceof ByteBuf b) {
                outQueue.poll();
                ctx.write(b, ctx.voidPromise());
                wrote = true;
                continue;
            }
            @SuppressWarnings("unchecked")
            CompletableFuture<byte[]> promised = (CompletableFuture<byte[]>) head;
            if (!promised.isDone()) {
                if (waitingOn != promised) {
                    waitingOn = promised;
                    LoopBridge bridge = settings.bridge(eventLoop());
                    promised.whenComplete((v, e) -> bridge.promiseCompleted(this));
                }
                break;
            }
            outQueue.poll();
            byte[] json = promised.isCompletedExceptionally() ? INTERNAL_ERROR : promised.join();
            ByteBuf frame = ctx.alloc().buffer(json.length + 10);
            WebSocketFrames.writeText(frame, json, json.length);
            ctx.write(frame, ctx.voidPromise());
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    /** I/O thread: the channel's writability changed (its unsent bytes crossed a water mark). */
    void writabilityChanged() {
        if (ctx.channel().isWritable()) {
            unwritableSince = 0;
            cancelStallCheck();
            resumeIfStalled();
        } else if (unwritableSince == 0 && ctx.channel().isActive()) {
            long since = System.nanoTime();
            unwritableSince = since;
            stallCheck = ctx.executor().schedule(() -> closeIfStalledSince(since), settings.outboundStallMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    /** I/O thread: closes the connection at once when the unsent responses pass the hard limit; true if it did. */
    boolean checkHardLimit() {
        long pending = channelPendingBytes();
        if (pending > settings.outboundHardLimit() && ctx.channel().isActive()) {
            LOG.warn("closing connection from {}: {} bytes of responses unsent, over limits.outboundHardLimitBytes"
                    + " ({})", ctx.channel().remoteAddress(), pending, settings.outboundHardLimit());
            NetStats.rejected(ctx.channel(), "outbound_hard_limit");
            connection.abort();
            return true;
        }
        return false;
    }

    /** I/O thread, the stall timer: the unsent responses stayed above the high-water mark the whole time. */
    private void closeIfStalledSince(long since) {
        stallCheck = null;
        if (unwritableSince == since && !ctx.channel().isWritable() && ctx.channel().isActive()) {
            LOG.warn("closing connection from {}: it read none of its {} bytes of unsent responses for {} s"
                    + " (limits.outboundStallSeconds)", ctx.channel().remoteAddress(), channelPendingBytes(),
                    settings.outboundStallMillis() / 1000);
            NetStats.rejected(ctx.channel(), "outbound_stalled");
            connection.abort();
        }
    }

    /** I/O thread: once the unsent responses have drained, lets the loop go on with held-back requests. */
    private void resumeIfStalled() {
        if (stalled.get() && ctx.channel().isWritable() && ctx.channel().isActive()
                && stalled.compareAndSet(true, false)) {
            settings.loop().submit(resume);
        }
    }

    /** I/O thread, when the channel closed: cancels the timer and frees the queued responses. */
    void release() {
        cancelStallCheck();
        Object queued;
        while ((queued = outQueue.poll()) != null) {
            if (queued instanceof ByteBuf b) {
                b.release();
            }
        }
    }

    private void cancelStallCheck() {
        if (stallCheck != null) {
            stallCheck.cancel(false);
            stallCheck = null;
        }
    }

    // ---- command loop ----

    /**
     * Loop: how many more response bytes the loop may produce for this connection before it must hold its
     * requests back: the high-water mark less what is unsent (in the channel, or on its way there).
     */
    long outputBudget() {
        return settings.outboundHighWater() - unsentBytes();
    }

    /** Loop: true while earlier requests of this connection are held back (later ones must wait too). */
    boolean holdingBack() {
        return !heldBack.isEmpty();
    }

    /** Loop: queues requests behind those held back. */
    void holdBack(Batch rest) {
        heldBack.addLast(rest);
    }

    /**
     * Loop: a batch stopped at its output budget; {@code rest} (its remaining requests) goes first in line and
     * the loop waits for the I/O thread to say the responses have drained.
     */
    void stallOnLoop(Batch rest) {
        heldBack.addFirst(rest);
        stalled.set(true);
        // the responses may have drained between the budget check and the flag: then nobody would resume us
        if (outputBudget() > 0 && stalled.compareAndSet(true, false)) {
            settings.loop().submit(resume);
        }
    }

    /** Loop: the loop produced {@code bytes} of responses, on their way to the I/O thread. */
    void produced(long bytes) {
        undelivered.addAndGet(bytes);
    }

    /** Loop: a batch failed; the connection is closed with 1011 on its I/O thread. */
    void failedOnLoop() {
        eventLoop().execute(connection::closeOnInternalError); // never leave a client waiting
    }

    /** Loop, the resume task: runs held-back requests while their output fits; each part is delivered in order. */
    private void resumeOnLoop(Engine engine, ResponseWriter out) {
        Batch b;
        while ((b = heldBack.pollFirst()) != null) {
            boolean all = b.executeSome(engine, out);
            if (b.count() > 0) {
                Batch part = b;
                // with persist.journal = always, after the fsync of what these requests changed; else at once
                if (engine.journalled()) {
                    engine.whenDurable(() -> sendBack(part));
                } else {
                    sendBack(part);
                }
            }
            if (!all) {
                return; // held back again until the responses drain
            }
        }
    }

    /** Loop: hands a resumed part's responses to the I/O thread. */
    private void sendBack(Batch part) {
        try {
            eventLoop().execute(() -> deliver(part));
        } catch (RejectedExecutionException e) {
            part.release(); // I/O threads shutting down
        }
    }

    // ---- any thread ----

    /** Any thread: response bytes held for this connection (in the channel, or on their way from the loop). */
    long unsentBytes() {
        return channelPendingBytes() + undelivered.get();
    }

    private long channelPendingBytes() {
        ChannelOutboundBuffer ob = ctx.channel().unsafe().outboundBuffer();
        return ob == null ? 0 : ob.totalPendingWriteBytes();
    }
}
