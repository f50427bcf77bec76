package dev.satchel.net;

import dev.satchel.engine.CommandRegistry;
import dev.satchel.protocol.Request;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.protocol.TokenFormat;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Gives each I/O thread its own {@link RequestDecoder} and input array, so decoding a message allocates
 * nothing but the request it produces.
 */
final class DecoderPool {
    private final FastThreadLocal<RequestDecoder> decoders;
    private final FastThreadLocal<byte[][]> inputs = new FastThreadLocal<>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[][] {new byte[4096]};
        }
    };

    DecoderPool(CommandRegistry commands, TokenFormat tokenFormat, int maxDepth) {
        this.decoders = new FastThreadLocal<>() {
            @Override
            protected RequestDecoder initialValue() {
                return new RequestDecoder(commands, tokenFormat, maxDepth);
            }
        };
    }

    Request decode(ByteBuf message) {
        int n = message.readableBytes();
        byte[][] holder = inputs.get();
        byte[] in = holder[0];
        if (in.length < n) {
            in = new byte[Math.max(n, in.length * 2)];
        }
        message.getBytes(message.readerIndex(), in, 0, n);
        holder[0] = in; // kept for the thread: at most the message size limit per I/O thread
        return decoders.get().decode(in, n);
    }
}
