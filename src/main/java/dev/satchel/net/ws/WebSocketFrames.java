package dev.satchel.net.ws;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The one RFC 6455 frame codec of the project (section 5.2 framing, 5.3 masking, 4.2.2 accept key): the
 * server's {@link FrameReader}, the server's responses, {@code satchel bench} and the raw test client all read
 * and write frames through it. Static methods on Netty buffers and arrays; nothing here allocates, so the
 * server's path costs no object per frame.
 *
 * <p>Reading: {@link #parseHeader} reads a header in place (the reader index does not move) into a reused
 * {@link Header}; {@link #unmask} removes the masking key from a payload copied into an array. Writing: the
 * server's frames are unmasked ({@link #writeText}, {@link #writeClose}, {@link #writeControl}); a client's
 * are masked ({@link #writeMaskedText}, {@link #writeMaskedControl}); {@link #writeHeader} writes any header,
 * including the malformed ones tests send on purpose.
 */
public final class WebSocketFrames {
    public static final int OP_CONTINUATION = 0x0;
    public static final int OP_TEXT = 0x1;
    public static final int OP_BINARY = 0x2;
    public static final int OP_CLOSE = 0x8;
    public static final int OP_PING = 0x9;
    public static final int OP_PONG = 0xA;

    /** Close status codes (RFC 6455 section 7.4.1) the server sends. */
    public static final int CLOSE_NORMAL = 1000;
    public static final int CLOSE_GOING_AWAY = 1001;
    public static final int CLOSE_PROTOCOL_ERROR = 1002;
    public static final int CLOSE_INVALID_PAYLOAD = 1007;
    public static final int CLOSE_TOO_BIG = 1009;
    public static final int CLOSE_INTERNAL_ERROR = 1011;

    /** Largest payload of a control frame (section 5.5). */
    public static final int MAX_CONTROL_PAYLOAD = 125;

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private WebSocketFrames() {
    }

    /** The fields of one frame header; a reader keeps one and reuses it for every frame. */
    public static final class Header {
        public boolean fin;
        /** The three reserved bits (0-7); non-zero only with a negotiated extension. */
        public int rsv;
        public int opcode;
        public boolean masked;
        /** Payload length; negative when a 64-bit length has its top bit set (a protocol error). */
        public long length;
        /** Bytes before the payload (masking key included), or 0 while the extended length has not arrived. */
        public int headerLength;

        public boolean isControl() {
            return opcode >= OP_CLOSE;
        }

        @Override
        public String toString() {
            return "Header[fin=" + fin + ", rsv=" + rsv + ", op=" + opcode + ", masked=" + masked + ", length="
                    + length + ", headerLength=" + headerLength + "]";
        }
    }

    /**
     * Parses the header of the frame that starts at {@code in}'s reader index, without moving it. Returns false
     * if fewer than two bytes are readable. Otherwise sets fin, rsv, opcode and masked, and, once the extended
     * length field has arrived as well, length and headerLength; until then headerLength is 0 (so a reader can
     * refuse a frame by its first two bytes without waiting for the rest).
     */
    public static boolean parseHeader(ByteBuf in, Header h) {
        int readable = in.readableBytes();
        if (readable < 2) {
            return false;
        }
        int at = in.readerIndex();
        int b0 = in.getUnsignedByte(at);
        int b1 = in.getUnsignedByte(at + 1);
        h.fin = (b0 & 0x80) != 0;
        h.rsv = (b0 >> 4) & 7;
        h.opcode = b0 & 0x0F;
        h.masked = (b1 & 0x80) != 0;
        int maskBytes = h.masked ? 4 : 0;
        int code = b1 & 0x7F;
        if (code < 126) {
            h.length = code;
            h.headerLength = 2 + maskBytes;
        } else if (code == 126) {
            if (readable < 4) {
                h.headerLength = 0;
                return true;
            }
            h.length = in.getUnsignedShort(at + 2);
            h.headerLength = 4 + maskBytes;
        } else {
            if (readable < 10) {
                h.headerLength = 0;
                return true;
            }
            h.length = in.getLong(at + 2);
            h.headerLength = 10 + maskBytes;
        }
        return true;
    }

    /** The masking key of a masked frame whose header {@link #parseHeader} read completely (needs its bytes). */
    public static int maskKey(ByteBuf in, Header h) {
        return in.getInt(in.readerIndex() + h.headerLength - 4);
    }

    /**
     * XORs {@code b[off, off + n)} with a masking key (big-endian: its first byte masks the first payload byte),
     * eight bytes at a time. Masking and unmasking are the same operation.
     */
    public static void unmask(byte[] b, int off, int n, int maskKey) {
        if (maskKey == 0) {
            return;
        }
        int k0 = maskKey >>> 24;
        int k1 = (maskKey >>> 16) & 0xFF;
        int k2 = (maskKey >>> 8) & 0xFF;
        int k3 = maskKey & 0xFF;
        long word = (k0 | (k1 << 8) | (k2 << 16) | ((long) k3 << 24)) & 0xFFFFFFFFL;
        word |= word << 32;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            LONGS.set(b, off + i, (long) LONGS.get(b, off + i) ^ word);
        }
        for (; i < n; i++) {
            int k = switch (i & 3) {
                case 0 -> k0;
                case 1 -> k1;
                case 2 -> k2;
                default -> k3;
            };
            b[off + i] ^= (byte) k;
        }
    }

    /** XORs {@code length} bytes of {@code buf} from index {@code start} with a masking key, in place. */
    public static void mask(ByteBuf buf, int start, int length, int maskKey) {
        if (maskKey == 0) {
            return;
        }
        int i = 0;
        for (; i + 4 <= length; i += 4) {
            buf.setInt(start + i, buf.getInt(start + i) ^ maskKey);
        }
        for (; i < length; i++) {
            buf.setByte(start + i, buf.getByte(start + i) ^ (maskKey >>> (8 * (3 - (i & 3)))));
        }
    }

    // ---- writing ----

    /**
     * Writes any frame header, also one a conforming endpoint never sends (for tests of a peer's checks).
     *
     * @param finAndRsv the first byte without the opcode: 0x80 for FIN, 0x70 for the reserved bits
     * @param length    the payload length, taken as unsigned (a negative value is written in the 64-bit form)
     * @param longForm  use the 64-bit length field whatever the length
     * @param maskKey   written after the length when {@code masked}; the caller masks the payload
     */
    public static void writeHeader(ByteBuf out, int finAndRsv, int opcode, long length, boolean longForm,
            boolean masked, int maskKey) {
        out.writeByte((finAndRsv & 0xF0) | (opcode & 0x0F));
        int maskBit = masked ? 0x80 : 0;
        if (!longForm && length >= 0 && length <= 125) {
            out.writeByte(maskBit | (int) length);
        } else if (!longForm && length >= 0 && length <= 0xFFFF) {
            out.writeByte(maskBit | 126);
            out.writeShort((int) length);
        } else {
            out.writeByte(maskBit | 127);
            out.writeLong(length);
        }
        if (masked) {
            out.writeInt(maskKey);
        }
    }

    /** A whole (FIN) frame's header in the shortest length form. */
    public static void writeHeader(ByteBuf out, int opcode, int length, boolean masked, int maskKey) {
        writeHeader(out, 0x80, opcode, length, false, masked, maskKey);
    }

    /** A server's text frame: FIN, unmasked, {@code payload[0, length)}. */
    public static void writeText(ByteBuf out, byte[] payload, int length) {
        out.ensureWritable(length + 10);
        writeHeader(out, OP_TEXT, length, false, 0);
        out.writeBytes(payload, 0, length);
    }

    /** A server's control frame (Ping, Pong, Close) with {@code payload[0, length)}, length at most 125. */
    public static void writeControl(ByteBuf out, int opcode, byte[] payload, int length) {
        writeHeader(out, opcode, length, false, 0);
        out.writeBytes(payload, 0, length);
    }

    /** A server's Close frame with a status code and a reason (cut to fit the 125-byte limit). */
    public static ByteBuf writeClose(ByteBuf out, int code, String reason) {
        byte[] payload = closePayload(code, reason);
        writeControl(out, OP_CLOSE, payload, payload.length);
        return out;
    }

    /**
     * A Close payload: the status code, then the reason in UTF-8 cut to fit a control frame without splitting
     * a character.
     */
    public static byte[] closePayload(int code, String reason) {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_CONTROL_PAYLOAD - 2);
        while (n > 0 && n < text.length && (text[n] & 0xC0) == 0x80) {
            n--; // do not cut a UTF-8 sequence in half
        }
        byte[] p = new byte[2 + n];
        p[0] = (byte) (code >> 8);
        p[1] = (byte) code;
        System.arraycopy(text, 0, p, 2, n);
        return p;
    }

    /**
     * A client's text frame (FIN, masked) whose payload is {@code a + b + c}, so that a request built from
     * pre-encoded pieces costs a few copies. With mask key 0 the payload goes out unchanged.
     */
    public static void writeMaskedText(ByteBuf out, byte[] a, byte[] b, byte[] c, int maskKey) {
        int length = a.length + b.length + c.length;
        out.ensureWritable(length + 14);
        writeHeader(out, OP_TEXT, length, true, maskKey);
        int start = out.writerIndex();
        out.writeBytes(a).writeBytes(b).writeBytes(c);
        mask(out, start, length, maskKey);
    }

    /** A client's whole frame of any opcode (FIN, masked) with {@code payload[0, length)}. */
    public static void writeMaskedFrame(ByteBuf out, int opcode, byte[] payload, int length, int maskKey) {
        writeHeader(out, opcode, length, true, maskKey);
        int start = out.writerIndex();
        out.writeBytes(payload, 0, length);
        mask(out, start, length, maskKey);
    }

    /** A client's control frame (Close, Ping, Pong), masked. */
    public static void writeMaskedControl(ByteBuf out, int opcode, byte[] payload, int maskKey) {
        writeMaskedFrame(out, opcode, payload, payload.length, maskKey);
    }

    /** The status code of a Close payload, or 1005 (no status) when it has none. */
    public static int closeCode(byte[] payload, int length) {
        return length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
    }

    /** Whether a peer may send this close code (RFC 6455 section 7.4). */
    public static boolean validCloseCode(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }

    // ---- handshake ----

    /** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2). */
    public static String acceptKey(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            return Base64.getEncoder().encodeToString(
                    sha1.digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by RFC 6455 and missing from this JDK", e);
        }
    }
}
