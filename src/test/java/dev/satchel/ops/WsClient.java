package dev.satchel.ops;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal blocking WebSocket client on a plain socket: the upgrade by hand, masked text frames out, text
 * and Close frames in. Writing and reading may happen on two threads (for pipelining tests).
 */
final class WsClient implements AutoCloseable {
    static final int OP_TEXT = 1;
    static final int OP_CLOSE = 8;

    /** A frame from the server: text, or Close with its code. */
    record Frame(int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    WsClient(int port, int readTimeoutMillis, int receiveBuffer) throws IOException {
        this(port, readTimeoutMillis, receiveBuffer, "");
    }

    /** {@code extraHeaders}: more request header lines, each ending with CRLF (e.g. Authorization). */
    WsClient(int port, int readTimeoutMillis, int receiveBuffer, String extraHeaders) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(readTimeoutMillis);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = readLine(in);
        if (!status.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + status);
        }
        while (!readLine(in).isEmpty()) {
            // headers
        }
    }

    WsClient(int port) throws IOException {
        this(port, 10_000, 0);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed during the handshake");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Buffers one masked text frame (call {@link #flush()}). */
    void send(String text) throws IOException {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        out.write(0x80 | OP_TEXT);
        if (p.length < 126) {
            out.write(0x80 | p.length);
        } else if (p.length < 65536) {
            out.write(0x80 | 126);
            out.write(p.length >>> 8);
            out.write(p.length);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) ((long) p.length >>> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.write(mask);
        for (int i = 0; i < p.length; i++) {
            p[i] ^= mask[i & 3];
        }
        out.write(p);
    }

    void flush() throws IOException {
        out.flush();
    }

    void sendNow(String text) throws IOException {
        send(text);
        flush();
    }

    /** The next frame; throws on end of stream or read timeout. */
    Frame read() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7F;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        byte[] p = new byte[(int) len];
        in.readFully(p);
        return new Frame(b0 & 0x0F, p);
    }

    /** The text of the next frame, which must be a text frame. */
    String readText() throws IOException {
        Frame f = read();
        if (f.opcode() != OP_TEXT) {
            throw new IOException("expected a text frame, got opcode " + f.opcode() + " code " + f.closeCode());
        }
        return f.text();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
