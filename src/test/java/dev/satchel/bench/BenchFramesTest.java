package dev.satchel.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Frame encoding, response scanning, templates and mix parsing of the bench. */
class BenchFramesTest {

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    /** Decodes one client frame: checks the header and unmasks the payload. */
    private static String decode(ByteBuf frame) {
        assertThat(frame.readUnsignedByte()).isEqualTo((short) 0x81);
        int b1 = frame.readUnsignedByte();
        assertThat(b1 & 0x80).as("mask bit").isEqualTo(0x80);
        long length = b1 & 0x7F;
        if (length == 126) {
            length = frame.readUnsignedShort();
        } else if (length == 127) {
            length = frame.readLong();
        }
        byte[] key = new byte[4];
        frame.readBytes(key);
        byte[] payload = new byte[(int) length];
        frame.readBytes(payload);
        for (int i = 0; i < payload.length; i++) {
            payload[i] ^= key[i & 3];
        }
        assertThat(frame.isReadable()).isFalse();
        return new String(payload, UTF_8);
    }

    @Test
    void textFramesCarryThePiecesWithEveryLengthEncodingAndMask() {
        for (int size : new int[] {0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 70001}) {
            for (int mask : new int[] {0, 0x01020304, 0xA5C3F00F, -1}) {
                String middle = "x".repeat(size);
                ByteBuf frame = Unpooled.buffer();
                WebSocketFrames.writeMaskedText(frame, b("{\"a\":\""), b(middle), b("\"}"), mask);
                assertThat(decode(frame)).as("size %d mask %x", size, mask).isEqualTo("{\"a\":\"" + middle + "\"}");
            }
        }
    }

    @Test
    void closeFramesCarryTheCode() {
        ByteBuf frame = Unpooled.buffer();
        WebSocketFrames.writeMaskedControl(frame, WebSocketFrames.OP_CLOSE, new byte[] {0x03, (byte) 0xE8}, 0x11223344);
        assertThat(frame.readUnsignedByte()).isEqualTo((short) 0x88);
        assertThat(frame.readUnsignedByte()).isEqualTo((short) 0x82);
        int key = frame.readInt();
        assertThat(frame.readUnsignedShort() ^ (key >>> 16)).isEqualTo(1000);
    }

    @Test
    void statusIsOkOnlyForExactlyOne() {
        assertThat(BenchConnection.statusOk(Unpooled.copiedBuffer(b("{\"SH_SET_RSP\":{\"st\":1}}")))).isTrue();
        assertThat(BenchConnection.statusOk(Unpooled.copiedBuffer(b("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{}}}"))))
                .isTrue();
        assertThat(BenchConnection.statusOk(Unpooled.copiedBuffer(b("{\"SH_GET_RSP\":{\"st\":100,\"m\":\"x\"}}"))))
                .isFalse();
        assertThat(BenchConnection.statusOk(Unpooled.copiedBuffer(b("{\"ERR\":{\"st\":13,\"m\":\"x\"}}")))).isFalse();
        assertThat(BenchConnection.statusOk(Unpooled.copiedBuffer(b("{\"X\":{\"st\":12}}")))).isFalse();
        assertThat(BenchConnection.statusOk(Unpooled.copiedBuffer(b("not json")))).isFalse();
    }

    @Test
    void tokensAreExtractedVerbatimInBothFormats() {
        byte[] string = BenchConnection.extractToken(
                Unpooled.copiedBuffer(b("{\"SH_NEW_RSP\":{\"st\":1,\"tkn\":\"q3Vw0sZr9W4hcbh0o1xY2w\"}}")));
        assertThat(new String(string, UTF_8)).isEqualTo("\"q3Vw0sZr9W4hcbh0o1xY2w\"");
        byte[] number = BenchConnection.extractToken(
                Unpooled.copiedBuffer(b("{\"SH_NEW_RSP\":{\"st\":1,\"tkn\":18446744073709551615}}")));
        assertThat(new String(number, UTF_8)).isEqualTo("18446744073709551615");
        assertThat(BenchConnection.extractToken(Unpooled.copiedBuffer(b("{\"SH_NEW_RSP\":{\"st\":103}}")))).isNull();
    }

    @Test
    void templatesBuildTheProtocolsRequests() {
        Templates t = new Templates(3, 4);
        byte[] token = b("\"tok\"");
        assertThat(new String(t.setPrefix(token), UTF_8) + "k2" + new String(t.setSuffix, UTF_8))
                .isEqualTo("{\"SH_SET\":{\"tkn\":\"tok\",\"keys\":{\"k2\":\"vvvv\"}}}");
        assertThat(new String(t.getPrefix(token), UTF_8) + "k0" + new String(t.getSuffix, UTF_8))
                .isEqualTo("{\"SH_GET\":{\"tkn\":\"tok\",\"keys\":[\"k0\"]}}");
        assertThat(new String(t.kvSetPrefix, UTF_8) + "k1" + new String(t.setSuffix, UTF_8))
                .isEqualTo("{\"KV_SET\":{\"keys\":{\"k1\":\"vvvv\"}}}");
        assertThat(new String(t.kvGetPrefix, UTF_8) + "k1" + new String(t.getSuffix, UTF_8))
                .isEqualTo("{\"KV_GET\":{\"keys\":[\"k1\"]}}");
        assertThat(new String(t.endPrefix, UTF_8) + "42" + new String(t.endSuffix, UTF_8))
                .isEqualTo("{\"SH_END\":{\"tkn\":42}}");
        assertThat(new String(t.newRequest, UTF_8)).isEqualTo("{\"SH_NEW\":{}}");
    }

    @Test
    void mixesPickInProportion() {
        Mix mix = Mix.parse("get=3, set=1,newend=0");
        assertThat(mix.total()).isEqualTo(4);
        assertThat(mix.pick(0)).isEqualTo(Mix.Kind.SET);
        assertThat(mix.pick(1)).isEqualTo(Mix.Kind.GET);
        assertThat(mix.pick(3)).isEqualTo(Mix.Kind.GET);
        assertThat(mix.weight(Mix.Kind.NEWEND)).isZero();
        assertThat(Mix.parse("kvget:2").pick(1)).isEqualTo(Mix.Kind.KVGET);
        assertThatThrownBy(() -> Mix.parse("get=1,get=2")).hasMessageContaining("twice");
        assertThatThrownBy(() -> Mix.parse("get=-1")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Mix.parse("get")).hasMessageContaining("KIND=WEIGHT");
    }
}
