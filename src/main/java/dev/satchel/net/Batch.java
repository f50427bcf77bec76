package dev.satchel.net;

import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.protocol.Request;
import dev.satchel.protocol.ResponseWriter;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.RejectedExecutionException;

/**
 * The requests one connection delivered in one read, travelling as a single task: decoded on the I/O
 * thread, executed together on the command loop (responses framed into one buffer), then handed back to
 * the connection's I/O thread to be written and flushed once. One hand-off each way per batch, not per
 * request, is what keeps the single loop fast.
 */
final class Batch implements CommandLoop.Task, Runnable {
    private final ClientConnection connection;
    private final Request[] requests;
    private final int count;
    private ByteBuf output;

    Batch(ClientConnection connection, Request[] requests, int count) {
        this.connection = connection;
        this.requests = requests;
        this.count = count;
    }

    int count() {
        return count;
    }

    /** On the command loop. */
    @Override
    public void run(Engine engine, ResponseWriter out) {
        ByteBuf buf = connection.allocator().directBuffer(count * 64);
        try {
            for (int i = 0; i < count; i++) {
                out.reset();
                engine.execute(requests[i], out);
                requests[i] = null;
                TextFrames.write(buf, out.array(), out.length());
            }
        } catch (Throwable t) {
            buf.release();
            connection.eventLoop().execute(connection::closeOnInternalError); // never leave a client waiting
            throw t;
        }
        output = buf;
        try {
            connection.eventLoop().execute(this);
        } catch (RejectedExecutionException e) {
            output.release(); // the I/O threads are shutting down: nobody is left to write to
        }
    }

    /** Back on the connection's I/O thread. */
    @Override
    public void run() {
        ByteBuf buf = output;
        output = null;
        connection.deliver(this, buf);
    }
}
