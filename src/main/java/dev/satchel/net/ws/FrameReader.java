package dev.satchel.net.ws;

import static dev.satchel.net.ws.WebSocketFrames.CLOSE_INVALID_PAYLOAD;
import static dev.satchel.net.ws.WebSocketFrames.CLOSE_PROTOCOL_ERROR;
import static dev.satchel.net.ws.WebSocketFrames.CLOSE_TOO_BIG;
import static dev.satchel.net.ws.WebSocketFrames.OP_BINARY;
import static dev.satchel.net.ws.WebSocketFrames.OP_CLOSE;
import static dev.satchel.net.ws.WebSocketFrames.OP_CONTINUATION;
import static dev.satchel.net.ws.WebSocketFrames.OP_PING;
import static dev.satchel.net.ws.WebSocketFrames.OP_PONG;
import static dev.satchel.net.ws.WebSocketFrames.OP_TEXT;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;

/**
 * The server side of RFC 6455 section 5 for one connection: reads client frames straight from the bytes the
 * socket delivered, checks them (masking, reserved bits, opcodes, control frame rules, fragmentation, the
 * message size limit, UTF-8 of text and of close reasons) and hands whole messages and control frames to its
 * {@link Handler}. A frame's payload is unmasked from the socket's buffer into the handler's array in one copy;
 * fragments are gathered in an array of the reader's own. Nothing is allocated per frame.
 *
 * <p>Threads: one reader per connection, used only by the connection's I/O thread.
 */
public final class FrameReader {
    /** What a reader reports to; all calls come on the connection's I/O thread, from {@link #read}. */
    public interface Handler {
        /**
         * An array with room for {@code n} bytes, into which a whole frame's payload is unmasked; it is handed
         * back to {@link #message}, {@link #ping} or {@link #close} right after, and may be the same every time.
         */
        byte[] scratch(int n);

        /** A whole message in {@code b[0, n)}: text (valid UTF-8), or binary when {@code text} is false. */
        void message(boolean text, byte[] b, int n);

        /** A Ping with its payload (at most 125 bytes). */
        void ping(byte[] b, int n);

        /** A Close from the peer; its payload is empty or a valid code and a UTF-8 reason. Reading stops. */
        void close(byte[] b, int n);

        /** A protocol violation: the peer must be closed with {@code closeCode}. Reading stops. */
        void violation(int closeCode, String reason);

        /** False once the connection is closing: then the reader stops before the next frame. */
        boolean reading();
    }

    private final Handler handler;
    private final int maxMessageBytes;
    private final WebSocketFrames.Header header = new WebSocketFrames.Header();

    /** Opcode of the fragmented message being received, or -1. */
    private int fragmentOpcode = -1;
    private byte[] fragments;
    private int fragmentsLength;

    public FrameReader(int maxMessageBytes, Handler handler) {
        this.maxMessageBytes = maxMessageBytes;
        this.handler = handler;
    }

    /**
     * Reads every whole frame in {@code in}, moving its reader index past them; a partial frame stays for the
     * next call (the caller keeps the bytes and appends what arrives next).
     */
    public void read(ByteBuf in) {
        WebSocketFrames.Header h = header;
        while (handler.reading()) {
            if (!WebSocketFrames.parseHeader(in, h)) {
                return;
            }
            if (h.rsv != 0) {
                handler.violation(CLOSE_PROTOCOL_ERROR, "reserved bits set: no extension was negotiated");
                return;
            }
            if (!h.masked) {
                handler.violation(CLOSE_PROTOCOL_ERROR, "client frames must be masked");
                return;
            }
            if (h.headerLength == 0) {
                return; // the extended length has not arrived
            }
            if (h.length < 0) {
                handler.violation(CLOSE_PROTOCOL_ERROR, "frame length out of range");
                return;
            }
            int opcode = h.opcode;
            if (opcode >= OP_CLOSE) {
                if (!h.fin || h.length > WebSocketFrames.MAX_CONTROL_PAYLOAD) {
                    handler.violation(CLOSE_PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes");
                    return;
                }
                if (opcode > OP_PONG) {
                    handler.violation(CLOSE_PROTOCOL_ERROR, "unknown opcode " + opcode);
                    return;
                }
            } else if (opcode == OP_CONTINUATION) {
                if (fragmentOpcode < 0) {
                    handler.violation(CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue");
                    return;
                }
            } else if (opcode == OP_TEXT || opcode == OP_BINARY) {
                if (fragmentOpcode >= 0) {
                    handler.violation(CLOSE_PROTOCOL_ERROR, "new message before the fragmented one ended");
                    return;
                }
            } else {
                handler.violation(CLOSE_PROTOCOL_ERROR, "unknown opcode " + opcode);
                return;
            }
            if (opcode < OP_CLOSE && (opcode == OP_CONTINUATION ? fragmentsLength : 0) + h.length > maxMessageBytes) {
                handler.violation(CLOSE_TOO_BIG, "message larger than the limit of " + maxMessageBytes + " bytes");
                return;
            }
            if (in.readableBytes() < h.headerLength + h.length) {
                return; // wait for the rest of the frame
            }
            int n = (int) h.length;
            int frameLength = h.headerLength + n;
            int mask = WebSocketFrames.maskKey(in, h);
            int payload = in.readerIndex() + h.headerLength;
            if (opcode >= OP_CLOSE) {
                byte[] b = handler.scratch(n);
                in.getBytes(payload, b, 0, n);
                WebSocketFrames.unmask(b, 0, n, mask);
                in.skipBytes(frameLength);
                control(opcode, b, n);
            } else if (h.fin && opcode != OP_CONTINUATION) {
                byte[] b = handler.scratch(n);
                in.getBytes(payload, b, 0, n);
                WebSocketFrames.unmask(b, 0, n, mask);
                in.skipBytes(frameLength);
                message(opcode, b, n);
            } else {
                if (opcode != OP_CONTINUATION) {
                    fragmentOpcode = opcode;
                    fragmentsLength = 0;
                }
                if (fragments == null || fragments.length < fragmentsLength + n) {
                    fragments = Arrays.copyOf(fragments == null ? new byte[0] : fragments,
                            Math.max(fragmentsLength + n, fragments == null ? 1024 : fragments.length * 2));
                }
                in.getBytes(payload, fragments, fragmentsLength, n);
                WebSocketFrames.unmask(fragments, fragmentsLength, n, mask);
                fragmentsLength += n;
                in.skipBytes(frameLength);
                if (h.fin) {
                    int op = fragmentOpcode;
                    fragmentOpcode = -1;
                    message(op, fragments, fragmentsLength);
                    fragmentsLength = 0;
                    if (fragments != null && fragments.length > 64 * 1024) {
                        fragments = null; // do not keep a large message's memory per connection
                    }
                }
            }
        }
    }

    private void message(int opcode, byte[] b, int n) {
        if (opcode == OP_TEXT && !Utf8.isValid(b, 0, n)) {
            handler.violation(CLOSE_INVALID_PAYLOAD, "message is not valid UTF-8");
            return;
        }
        handler.message(opcode == OP_TEXT, b, n);
    }

    private void control(int opcode, byte[] b, int n) {
        if (opcode == OP_PING) {
            handler.ping(b, n);
        } else if (opcode == OP_CLOSE) {
            if (n == 1) {
                handler.violation(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte payload");
                return;
            }
            if (n >= 2) {
                int code = WebSocketFrames.closeCode(b, n);
                if (!WebSocketFrames.validCloseCode(code)) {
                    handler.violation(CLOSE_PROTOCOL_ERROR, "invalid close code " + code);
                    return;
                }
                if (!Utf8.isValid(b, 2, n)) {
                    handler.violation(CLOSE_INVALID_PAYLOAD, "close reason is not valid UTF-8");
                    return;
                }
            }
            handler.close(b, n);
        }
        // a Pong needs no answer
    }

    /** Drops the memory of a fragmented message (the connection closed). */
    public void release() {
        fragments = null;
        fragmentsLength = 0;
        fragmentOpcode = -1;
    }
}
