package dev.satchel.net;

import dev.satchel.engine.Engine;
import dev.satchel.protocol.Request;
import dev.satchel.protocol.ResponseWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The requests one connection delivered in one read: decoded on the I/O thread, executed together on
 * the command loop (responses framed into one buffer), then written and flushed once by the connection's
 * I/O thread. Batches travel in groups through the {@link LoopBridge}.
 *
 * <p>A command may defer its response (a save finishing on another thread): the batch's output is then a
 * sequence of framed buffers and promised responses, which the connection writes strictly in order.
 */
final class Batch {
    private final ClientConnection connection;
    private final Request[] requests;
    private final int count;
    private ByteBuf output;
    /** Null unless a response was deferred: ByteBuf and CompletableFuture&lt;byte[]&gt; items, in order. */
    private List<Object> segments;

    Batch(ClientConnection connection, Request[] requests, int count) {
        this.connection = connection;
        this.requests = requests;
        this.count = count;
    }

    int count() {
        return count;
    }

    ClientConnection connection() {
        return connection;
    }

    /** On the command loop: runs every request, framing the responses. */
    void execute(Engine engine, ResponseWriter out) {
        ByteBuf buf = connection.allocator().directBuffer(count * 64);
        try {
            for (int i = 0; i < count; i++) {
                out.reset();
                engine.execute(requests[i], out);
                requests[i] = null;
                CompletableFuture<byte[]> promised = out.takeDeferred();
                if (promised == null) {
                    TextFrames.write(buf, out.array(), out.length());
                } else {
                    if (segments == null) {
                        segments = new ArrayList<>();
                    }
                    segments.add(buf);
                    segments.add(promised);
                    buf = connection.allocator().directBuffer(Math.max(64, (count - i) * 64));
                }
            }
        } catch (Throwable t) {
            buf.release();
            releaseSegments();
            connection.eventLoop().execute(connection::closeOnInternalError); // never leave a client waiting
            throw t;
        }
        if (segments != null) {
            segments.add(buf);
        } else {
            output = buf;
        }
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
