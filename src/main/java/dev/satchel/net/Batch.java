package dev.satchel.net;

import dev.satchel.engine.Engine;
import dev.satchel.engine.Request;
import dev.satchel.json.ResponseWriter;
import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The requests one connection delivered in one read: decoded on the I/O thread, executed together on
 * the command loop (responses framed into one buffer), then written and flushed once by the connection's
 * I/O thread. Batches travel in groups through the {@link LoopBridge}.
 *
 * <p>A command may defer its response (a save finishing on another thread): the batch's output is then a
 * sequence of framed buffers and promised responses, which the connection writes strictly in order.
 *
 * <p>Backpressure reaches the loop: a batch runs only while its connection's unsent responses stay under the
 * high-water mark ({@link OutboundFlow#outputBudget}). The requests left over, and every later batch of
 * that connection, are held back on the loop in order until the I/O thread reports that the responses have
 * drained; so a client that does not read makes the server hold at most the high-water mark plus one response
 * for it, however many requests it pipelines, and never gets an answer out of order.
 *
 * <p>Threads: built on the I/O thread, executed on the loop, delivered and released on the I/O thread; the
 * hand-offs between them go through the loop's queue and the event loop's task queue, which publish its fields.
 */
final class Batch {
    private final OutboundFlow flow;
    private final Request[] requests;
    /** Requests this batch answers: all of them, or those run before the rest was held back. */
    private int count;
    /** Bytes of the messages of those requests, and of the responses framed for them. */
    private long requestBytes;
    private long outputBytes;
    private ByteBuf output;
    /** Null unless a response was deferred: ByteBuf and CompletableFuture&lt;byte[]&gt; items, in order. */
    private List<Object> segments;

    Batch(OutboundFlow flow, Request[] requests, int count) {
        this.flow = flow;
        this.requests = requests;
        this.count = count;
    }

    int count() {
        return count;
    }

    long requestBytes() {
        return requestBytes;
    }

    long outputBytes() {
        return outputBytes;
    }

    /** The flow of the connection that sent these requests. */
    OutboundFlow flow() {
        return flow;
    }

    /**
     * On the command loop: runs the requests, framing the responses, unless earlier requests of the same
     * connection are held back (then this whole batch waits behind them and answers nothing now).
     */
    void execute(Engine engine, ResponseWriter out) {
        if (flow.holdingBack()) {
            flow.holdBack(split(0));
            return;
        }
        executeSome(engine, out);
    }

    /**
     * On the command loop: runs requests while the connection's output budget lasts; if it runs out, the
     * remaining requests are held back (first in line) and this batch answers only those it ran. Returns true
     * if it ran them all.
     */
    boolean executeSome(Engine engine, ResponseWriter out) {
        long budget = flow.outputBudget();
        if (budget <= 0) {
            flow.stallOnLoop(split(0));
            return false;
        }
        // null after a deferred response until the next response written now needs one (in cluster mode every
        // response is deferred: no buffer per request)
        ByteBuf buf = flow.allocator().directBuffer((int) Math.min(count * 64L, 1 << 16));
        long done = 0; // bytes of the buffers already moved to segments
        int stoppedAt = -1;
        try {
            for (int i = 0; i < count; i++) {
                if (i > 0 && done + (buf == null ? 0 : buf.readableBytes()) >= budget) {
                    stoppedAt = i;
                    break;
                }
                out.reset();
                requestBytes += requests[i].messageBytes();
                engine.execute(requests[i], out);
                requests[i] = null;
                CompletableFuture<byte[]> promised = out.takeDeferred();
                if (promised == null) {
                    if (buf == null) {
                        buf = flow.allocator().directBuffer(Math.max(64, Math.min((count - i) * 64, 1 << 16)));
                    }
                    WebSocketFrames.writeText(buf, out.array(), out.length());
                } else {
                    if (segments == null) {
                        segments = new ArrayList<>();
                    }
                    if (buf != null) {
                        if (buf.readableBytes() > 0) {
                            done += buf.readableBytes();
                            segments.add(buf);
                        } else {
                            buf.release();
                        }
                        buf = null;
                    }
                    segments.add(promised);
                }
            }
        } catch (Throwable t) {
            if (buf != null) {
                buf.release();
            }
            releaseSegments();
            flow.failedOnLoop(); // never leave a client waiting
            throw t;
        }
        if (segments != null) {
            if (buf != null) {
                segments.add(buf);
            }
        } else {
            output = buf;
        }
        outputBytes = done + (buf == null ? 0 : buf.readableBytes());
        flow.produced(outputBytes);
        if (stoppedAt >= 0) {
            flow.stallOnLoop(split(stoppedAt));
            return false;
        }
        return true;
    }

    /** Moves requests {@code [from, count)} to a new batch; this one keeps (and answers) those before. */
    private Batch split(int from) {
        Batch rest = new Batch(flow, Arrays.copyOfRange(requests, from, count), count - from);
        Arrays.fill(requests, from, count, null);
        count = from;
        return rest;
    }

    private void releaseSegments() {
        if (segments != null) {
            for (Object o : segments) {
                if (o instanceof ByteBuf b) {
                    b.release();
                }
            }
            segments = null;
        }
    }

    void release() {
        if (output != null) {
            output.release();
            output = null;
        }
        releaseSegments();
    }

    /** The framed responses when nothing was deferred, else null; ownership passes to the caller. */
    ByteBuf takeOutput() {
        ByteBuf b = output;
        output = null;
        return b;
    }

    /** Buffers and promises in order when a response was deferred, else null; ownership passes. */
    List<Object> takeSegments() {
        List<Object> s = segments;
        segments = null;
        return s;
    }
}
