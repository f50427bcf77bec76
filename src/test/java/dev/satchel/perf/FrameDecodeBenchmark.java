package dev.satchel.perf;

import dev.satchel.net.ws.FrameReader;
import dev.satchel.net.ws.Utf8;
import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The server's own WebSocket frame reading ({@link FrameReader}: header, unmask into the I/O thread's array,
 * UTF-8 check) against Netty's {@link WebSocket08FrameDecoder} doing the same job, on what a socket read of a
 * pipelining client holds: 16 masked text frames of about 150 bytes (SH_SET with a 100-byte value) in one
 * direct buffer. Every variant ends with the payload unmasked in a byte array (the request decoder scans
 * arrays): Netty's decoder allocates and unmasks a frame buffer, which is then copied out.
 *
 * <ul>
 *   <li>{@code satchelFrameReader}: the server's path.</li>
 *   <li>{@code nettyDecoderOwnUtf8}: Netty's decoder with its UTF-8 validator off, then the server's own
 *       UTF-8 check on the copied array (what the server would do if it switched decoders).</li>
 *   <li>{@code nettyDecoderNettyUtf8}: Netty's decoder with Netty's {@link Utf8FrameValidator}.</li>
 *   <li>{@code nettyDecoderNoUtf8}: Netty's decoder with no UTF-8 check at all (not a valid server; the
 *       floor for Netty's framing alone).</li>
 * </ul>
 *
 * Scores are nanoseconds per frame. Run (forks 1 on a shared machine; quote the median of the iterations):
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) org.openjdk.jmh.Main FrameDecodeBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(FrameDecodeBenchmark.FRAMES)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m", "-Dio.netty.leakDetection.level=disabled"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 15, time = 2)
public class FrameDecodeBenchmark {
    static final int FRAMES = 16;

    private ByteBuf read;
    private FrameReader reader;
    private final Sink sink = new Sink();
    private EmbeddedChannel nettyOwnUtf8;
    private EmbeddedChannel nettyNettyUtf8;
    private EmbeddedChannel nettyNoUtf8;
    private final CopyOut ownUtf8 = new CopyOut(true);
    private final CopyOut noUtf8 = new CopyOut(false);
    private final CopyOut afterNettyUtf8 = new CopyOut(false);

    /** What the server's handler does with a frame's bytes here: nothing but count them (decoding is not measured). */
    static final class Sink implements FrameReader.Handler {
        private final byte[] scratch = new byte[64 * 1024];
        long bytes;

        @Override
        public byte[] scratch(int n) {
            return scratch;
        }

        @Override
        public void message(boolean text, byte[] b, int n) {
            bytes += n + b[0];
        }

        @Override
        public void ping(byte[] b, int n) {
        }

        @Override
        public void close(byte[] b, int n) {
        }

        @Override
        public void violation(int closeCode, String reason) {
            throw new IllegalStateException(reason);
        }

        @Override
        public boolean reading() {
            return true;
        }
    }

    /** The end of a Netty pipeline: copies each text frame's payload into one array, optionally checks UTF-8. */
    static final class CopyOut extends ChannelInboundHandlerAdapter {
        private final boolean checkUtf8;
        private final byte[] scratch = new byte[64 * 1024];
        long bytes;

        CopyOut(boolean checkUtf8) {
            this.checkUtf8 = checkUtf8;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            TextWebSocketFrame frame = (TextWebSocketFrame) msg;
            try {
                ByteBuf content = frame.content();
                int n = content.readableBytes();
                content.getBytes(content.readerIndex(), scratch, 0, n);
                if (checkUtf8 && !Utf8.isValid(scratch, 0, n)) {
                    throw new IllegalStateException("not UTF-8");
                }
                bytes += n + scratch[0];
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        read = ByteBufAllocator.DEFAULT.directBuffer(FRAMES * 160);
        for (int i = 0; i < FRAMES; i++) {
            String json = "{\"SH_SET\":{\"tkn\":\"q8Yb1Wz3Xc4Vd5Ue6Tf7Sg\",\"keys\":{\"key" + (1000000 + i) + "\":\""
                    + "v".repeat(100) + "\"}}}";
            byte[] p = json.getBytes(StandardCharsets.UTF_8);
            WebSocketFrames.writeMaskedFrame(read, WebSocketFrames.OP_TEXT, p, p.length,
                    ThreadLocalRandom.current().nextInt() | 1);
        }
        reader = new FrameReader(1 << 20, sink);
        nettyOwnUtf8 = new EmbeddedChannel(new WebSocket08FrameDecoder(config()), ownUtf8);
        nettyNoUtf8 = new EmbeddedChannel(new WebSocket08FrameDecoder(config()), noUtf8);
        nettyNettyUtf8 = new EmbeddedChannel(new WebSocket08FrameDecoder(config()), new Utf8FrameValidator(),
                afterNettyUtf8);
    }

    private static WebSocketDecoderConfig config() {
        return WebSocketDecoderConfig.newBuilder().expectMaskedFrames(true).allowMaskMismatch(false)
                .allowExtensions(false).maxFramePayloadLength(1 << 20).withUTF8Validator(false).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        read.release();
        nettyOwnUtf8.finishAndReleaseAll();
        nettyNoUtf8.finishAndReleaseAll();
        nettyNettyUtf8.finishAndReleaseAll();
    }

    @Benchmark
    public long satchelFrameReader() {
        ByteBuf in = read.retainedDuplicate();
        reader.read(in);
        in.release();
        return sink.bytes;
    }

    @Benchmark
    public long nettyDecoderOwnUtf8() {
        nettyOwnUtf8.writeInbound(read.retainedDuplicate());
        return ownUtf8.bytes;
    }

    @Benchmark
    public long nettyDecoderNettyUtf8() {
        nettyNettyUtf8.writeInbound(read.retainedDuplicate());
        return afterNettyUtf8.bytes;
    }

    @Benchmark
    public long nettyDecoderNoUtf8() {
        nettyNoUtf8.writeInbound(read.retainedDuplicate());
        return noUtf8.bytes;
    }
}
