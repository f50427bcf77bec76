package dev.satchel.net.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frame codec on its own: every length form, masked and not, partial headers, and the RFC examples. */
class WebSocketFramesTest {

    @Test
    void writtenHeadersParseBackInEveryLengthForm() {
        for (long length : new long[] {0, 1, 125, 126, 127, 65535, 65536, 1L << 31, Long.MAX_VALUE}) {
            for (boolean masked : new boolean[] {false, true}) {
                ByteBuf b = Unpooled.buffer();
                WebSocketFrames.writeHeader(b, 0x80 | 0x10, WebSocketFrames.OP_BINARY, length, false, masked,
                        0x01020304);
                WebSocketFrames.Header h = new WebSocketFrames.Header();
                assertThat(WebSocketFrames.parseHeader(b, h)).isTrue();
                assertThat(h.fin).isTrue();
                assertThat(h.rsv).isEqualTo(1);
                assertThat(h.opcode).isEqualTo(WebSocketFrames.OP_BINARY);
                assertThat(h.masked).isEqualTo(masked);
                assertThat(h.length).as("length %d", length).isEqualTo(length);
                int lengthBytes = length <= 125 ? 0 : length <= 0xFFFF ? 2 : 8;
                assertThat(h.headerLength).isEqualTo(2 + lengthBytes + (masked ? 4 : 0)).isEqualTo(b.readableBytes());
                if (masked) {
                    assertThat(WebSocketFrames.maskKey(b, h)).isEqualTo(0x01020304);
                }
                assertThat(b.readerIndex()).as("parsing does not move the reader index").isZero();
            }
        }
    }

    @Test
    void aHeaderIsReportedPieceByPieceAsItsBytesArrive() {
        ByteBuf whole = Unpooled.buffer();
        WebSocketFrames.writeHeader(whole, 0x80, WebSocketFrames.OP_TEXT, 70_000, false, true, 7);
        WebSocketFrames.Header h = new WebSocketFrames.Header();
        assertThat(WebSocketFrames.parseHeader(whole.slice(0, 1), h)).isFalse();
        for (int n = 2; n < 10; n++) {
            assertThat(WebSocketFrames.parseHeader(whole.slice(0, n), h)).isTrue();
            assertThat(h.masked).isTrue();
            assertThat(h.opcode).isEqualTo(WebSocketFrames.OP_TEXT);
            assertThat(h.headerLength).as("%d bytes: the 64-bit length has not arrived", n).isZero();
        }
        assertThat(WebSocketFrames.parseHeader(whole.slice(0, 10), h)).isTrue();
        assertThat(h.length).isEqualTo(70_000);
        assertThat(h.headerLength).isEqualTo(14);
    }

    @Test
    void aLengthWithTheTopBitSetIsNegative() {
        ByteBuf b = Unpooled.buffer();
        WebSocketFrames.writeHeader(b, 0x80, WebSocketFrames.OP_TEXT, Long.MIN_VALUE, false, true, 0);
        WebSocketFrames.Header h = new WebSocketFrames.Header();
        WebSocketFrames.parseHeader(b, h);
        assertThat(h.length).isNegative();
    }

    @Test
    void unmaskingAnArrayUndoesMaskingABufferForEveryLengthAndKey() {
        Random random = new Random(42);
        for (int n = 0; n < 40; n++) {
            for (int key : new int[] {0, 1, 0x37FA213D, -1, random.nextInt()}) {
                byte[] plain = new byte[n];
                random.nextBytes(plain);
                ByteBuf masked = Unpooled.wrappedBuffer(plain.clone());
                WebSocketFrames.mask(masked, 0, n, key);
                byte[] b = new byte[n + 3];
                masked.getBytes(0, b, 3, n);
                WebSocketFrames.unmask(b, 3, n, key);
                assertThat(Arrays.copyOfRange(b, 3, n + 3)).as("n %d key %x", n, key).isEqualTo(plain);
            }
        }
    }

    @Test
    void rfc6455Examples() {
        // section 5.7: a single-frame masked text message "Hello"
        byte[] masked = {(byte) 0x81, (byte) 0x85, 0x37, (byte) 0xfa, 0x21, 0x3d, 0x7f, (byte) 0x9f, 0x4d, 0x51, 0x58};
        ByteBuf written = Unpooled.buffer();
        byte[] hello = "Hello".getBytes(StandardCharsets.US_ASCII);
        WebSocketFrames.writeMaskedFrame(written, WebSocketFrames.OP_TEXT, hello, hello.length, 0x37fa213d);
        assertThat(ByteBufUtil.getBytes(written)).isEqualTo(masked);
        ByteBuf unmasked = Unpooled.buffer();
        WebSocketFrames.writeText(unmasked, hello, hello.length);
        assertThat(ByteBufUtil.getBytes(unmasked)).isEqualTo(new byte[] {(byte) 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
        // section 1.3: the accept key of the sample nonce
        assertThat(WebSocketFrames.acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    @Test
    void closeReasonsAreCutToTheControlFrameLimitWithoutSplittingACharacter() {
        byte[] p = WebSocketFrames.closePayload(1009, "é".repeat(100));
        assertThat(p.length).isLessThanOrEqualTo(125);
        assertThat(WebSocketFrames.closeCode(p, p.length)).isEqualTo(1009);
        assertThat(Utf8.isValid(p, 2, p.length)).isTrue();
        assertThat(new String(p, 2, p.length - 2, StandardCharsets.UTF_8)).isEqualTo("é".repeat(61));
        assertThat(WebSocketFrames.closeCode(new byte[0], 0)).isEqualTo(1005);
    }
}
