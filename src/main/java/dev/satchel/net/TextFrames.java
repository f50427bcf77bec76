package dev.satchel.net;

import io.netty.buffer.ByteBuf;

/**
 * Writes server-to-client WebSocket TEXT frames (RFC 6455 section 5.2: FIN, opcode 1, unmasked) straight
 * into an outbound buffer, so a batch of responses becomes one buffer and one write.
 */
final class TextFrames {
    private TextFrames() {
    }

    static void write(ByteBuf out, byte[] payload, int length) {
        out.ensureWritable(length + 10);
        out.writeByte(0x81);
        if (length <= 125) {
            out.writeByte(length);
        } else if (length <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(length);
        } else {
            out.writeByte(127);
            out.writeLong(length);
        }
        out.writeBytes(payload, 0, length);
    }
}
