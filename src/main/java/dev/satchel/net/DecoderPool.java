package dev.satchel.net;

import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.Request;
import dev.satchel.json.TokenFormat;
import dev.satchel.protocol.RequestDecoder;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * Gives each I/O thread its own {@link RequestDecoder} and message array, so reading a message allocates
 * nothing but the request it produces. The array grows up to the message size limit and is kept.
 */
final class DecoderPool {
    private final FastThreadLocal<RequestDecoder> decoders;
    private final boolean keepMessages;
    private final FastThreadLocal<byte[][]> inputs = new FastThreadLocal<>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[][] {new byte[4096]};
        }
    };

    DecoderPool(CommandRegistry commands, TokenFormat tokenFormat, int maxDepth) {
        this(commands, tokenFormat, RequestDecoder.Limits.depthOnly(maxDepth), false);
    }

    /**
     * @param keepMessages keep a copy of each valid request's message in {@link Request#rawMessage()} (cluster
     *                     mode: the request travels to its session's owner as those bytes)
     */
    DecoderPool(CommandRegistry commands, TokenFormat tokenFormat, RequestDecoder.Limits limits,
            boolean keepMessages) {
        this.keepMessages = keepMessages;
        this.decoders = new FastThreadLocal<>() {
            @Override
            protected RequestDecoder initialValue() {
                return new RequestDecoder(commands, tokenFormat, limits, keepMessages);
            }
        };
    }

    /** This thread's message array, with room for at least {@code n} bytes; valid until the next call. */
    byte[] input(int n) {
        byte[][] holder = inputs.get();
        if (holder[0].length < n) {
            holder[0] = new byte[Math.max(n, holder[0].length * 2)];
        }
        return holder[0];
    }

    Request decode(byte[] message, int length) {
        return decoders.get().decode(message, length);
    }
}
