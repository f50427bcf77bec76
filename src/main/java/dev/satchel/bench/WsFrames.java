package dev.satchel.bench;

import io.netty.buffer.ByteBuf;

/**
 * Client-side WebSocket framing (RFC 6455) written straight into a buffer, so that a request costs a few byte
 * copies: header, mask key, then the pre-encoded pieces of the payload.
 */
final class WsFrames {

    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    private static final byte[] EMPTY = new byte[0];

    private WsFrames() {
    }

    /**
     * Writes one masked, unfragmented text frame whose payload is {@code a + b + c}.
     *
     * @param out     the buffer
     * @param a       first piece
     * @param b       second piece (may be empty)
     * @param c       third piece (may be empty)
     * @param maskKey the masking key; with 0 the payload bytes go out unchanged
     */
    static void writeText(ByteBuf out, byte[] a, byte[] b, byte[] c, int maskKey) {
        int length = a.length + b.length + c.length;
        writeHeader(out, OP_TEXT, length, maskKey);
        int start = out.writerIndex();
        out.writeBytes(a).writeBytes(b).writeBytes(c);
        if (maskKey != 0) {
            mask(out, start, length, maskKey);
        }
    }

    /** Writes a masked control frame (close, ping, pong) with the given payload. */
    static void writeControl(ByteBuf out, int opcode, byte[] payload, int maskKey) {
        writeHeader(out, opcode, payload.length, maskKey);
        int start = out.writerIndex();
        out.writeBytes(payload);
        if (maskKey != 0) {
            mask(out, start, payload.length, maskKey);
        }
    }

    /** Writes a close frame with a status code and no reason. */
    static void writeClose(ByteBuf out, int code, int maskKey) {
        writeControl(out, OP_CLOSE, new byte[] {(byte) (code >> 8), (byte) code}, maskKey);
    }

    static byte[] empty() {
        return EMPTY;
    }

    private static void writeHeader(ByteBuf out, int opcode, int length, int maskKey) {
        out.writeByte(0x80 | opcode);
        if (length < 126) {
            out.writeByte(0x80 | length);
        } else if (length < 65536) {
            out.writeByte(0x80 | 126);
            out.writeShort(length);
        } else {
            out.writeByte(0x80 | 127);
            out.writeLong(length);
        }
        out.writeInt(maskKey);
    }

    private static void mask(ByteBuf out, int start, int length, int maskKey) {
        int i = 0;
        for (; i + 4 <= length; i += 4) {
            out.setInt(start + i, out.getInt(start + i) ^ maskKey);
        }
        for (; i < length; i++) {
            int keyByte = maskKey >>> (8 * (3 - (i & 3)));
            out.setByte(start + i, out.getByte(start + i) ^ keyByte);
        }
    }
}
