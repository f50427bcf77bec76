package dev.satchel.net;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Writes server-to-client WebSocket frames (RFC 6455 section 5.2: FIN set, unmasked) straight into an
 * outbound buffer, so a batch of responses becomes one buffer and one write.
 */
final class TextFrames {
    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    private TextFrames() {
    }

    static void write(ByteBuf out, byte[] payload, int length) {
        header(out, OP_TEXT, length);
        out.writeBytes(payload, 0, length);
    }

    private static void header(ByteBuf out, int opcode, int length) {
        out.ensureWritable(length + 10);
        out.writeByte(0x80 | opcode);
        if (length <= 125) {
            out.writeByte(length);
        } else if (length <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(length);
        } else {
            out.writeByte(127);
            out.writeLong(length);
        }
    }

    /** A Close frame with a status code and a reason (cut to fit the 125-byte control frame limit). */
    static ByteBuf close(ByteBuf out, int code, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, 123);
        while (n > 0 && n < text.length && (text[n] & 0xC0) == 0x80) {
            n--; // do not cut a UTF-8 sequence in half
        }
        header(out, OP_CLOSE, n + 2);
        out.writeShort(code);
        out.writeBytes(text, 0, n);
        return out;
    }

    /** A Close frame echoing the client's close payload (already validated), or an empty one. */
    static ByteBuf closeEcho(ByteBuf out, byte[] payload, int length) {
        header(out, OP_CLOSE, length);
        out.writeBytes(payload, 0, length);
        return out;
    }

    static ByteBuf pong(ByteBuf out, byte[] payload, int length) {
        header(out, OP_PONG, length);
        out.writeBytes(payload, 0, length);
        return out;
    }
}
