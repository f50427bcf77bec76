package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client on a plain {@link Socket}, byte by byte: it does the HTTP upgrade by hand and can send
 * any frame, including broken ones (unmasked, reserved bits, lying lengths). Reads time out after 5 s so a
 * missing answer fails the test instead of hanging it.
 */
final class RawWebSocket implements AutoCloseable {
    static final int OP_CONT = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;
    private static final int READ_TIMEOUT_MILLIS = 5000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A frame from the server. */
    record Frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            assertThat(opcode).as("opcode of a close frame").isEqualTo(OP_CLOSE);
            assertThat(payload.length).as("close frame carries a status code").isGreaterThanOrEqualTo(2);
            return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        String closeReason() {
            return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Frame[fin=" + fin + ", rsv=" + rsv + ", op=" + opcode + ", " + payload.length + " bytes"
                    + (opcode == OP_TEXT || opcode == OP_CLOSE ? ": " + text() : "") + "]";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** A TCP connection with no handshake yet (for HTTP-level tests). */
    static RawWebSocket tcp(int port) throws IOException {
        return tcp(port, 0);
    }

    /** A TCP connection; {@code receiveBuffer} > 0 sets SO_RCVBUF before connecting. */
    static RawWebSocket tcp(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.setTcpNoDelay(true);
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        s.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
        return new RawWebSocket(s);
    }

    /** Connects and completes the WebSocket handshake on {@code /}. */
    static RawWebSocket open(int port) throws IOException {
        return open(port, "/", 0);
    }

    static RawWebSocket open(int port, String path, int receiveBuffer) throws IOException {
        RawWebSocket ws = tcp(port, receiveBuffer);
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        ws.writeAscii("GET " + path + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1:" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n");
        String head = ws.readHttpHead();
        assertThat(head).as("handshake response").startsWith("HTTP/1.1 101 ");
        assertThat(header(head, "Sec-WebSocket-Accept")).as("Sec-WebSocket-Accept").isEqualTo(expectedAccept(key));
        return ws;
    }

    static String expectedAccept(String key) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value of a header in an HTTP response head (case-insensitive name), or null. */
    static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    void writeAscii(String text) throws IOException {
        write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads an HTTP response head up to and including the blank line. */
    String readHttpHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside the HTTP response head: " + head);
            }
            head.write(b);
            state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads everything until the server closes the connection. */
    String readToEnd() throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    // ---- frames ----

    /** A masked client frame with FIN set and no reserved bits. */
    static byte[] frame(int opcode, byte[] payload) {
        return frame(true, 0, opcode, true, payload);
    }

    static byte[] text(String json) {
        return frame(OP_TEXT, json.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] close(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[2 + r.length];
        p[0] = (byte) (code >> 8);
        p[1] = (byte) code;
        System.arraycopy(r, 0, p, 2, r.length);
        return frame(OP_CLOSE, p);
    }

    /** Any frame: {@code rsv} is the three reserved bits (0-7). */
    static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write((fin ? 0x80 : 0) | (rsv & 7) << 4 | opcode);
        int n = payload.length;
        int maskBit = masked ? 0x80 : 0;
        if (n <= 125) {
            f.write(maskBit | n);
        } else if (n <= 0xFFFF) {
            f.write(maskBit | 126);
            f.write(n >> 8);
            f.write(n);
        } else {
            f.write(maskBit | 127);
            long len = n;
            for (int i = 7; i >= 0; i--) {
                f.write((int) (len >> (8 * i)));
            }
        }
        byte[] body = payload.clone();
        if (masked) {
            byte[] mask = new byte[4];
            RANDOM.nextBytes(mask);
            f.writeBytes(mask);
            for (int i = 0; i < body.length; i++) {
                body[i] ^= mask[i & 3];
            }
        }
        f.writeBytes(body);
        return f.toByteArray();
    }

    /** Just the header of a masked frame announcing {@code length} payload bytes (the 64-bit form). */
    static byte[] header64(boolean fin, int opcode, long length) {
        byte[] h = new byte[14];
        h[0] = (byte) ((fin ? 0x80 : 0) | opcode);
        h[1] = (byte) (0x80 | 127);
        for (int i = 0; i < 8; i++) {
            h[2 + i] = (byte) (length >> (8 * (7 - i)));
        }
        // mask bytes 10..13 stay zero: a valid (if weak) masking key
        return h;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    void send(byte[]... frames) throws IOException {
        write(concat(frames));
    }

    Frame readFrame() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long n = b1 & 0x7F;
        if (n == 126) {
            n = in.readUnsignedShort();
        } else if (n == 127) {
            n = in.readLong();
        }
        boolean masked = (b1 & 0x80) != 0;
        byte[] mask = new byte[4];
        if (masked) {
            in.readFully(mask);
        }
        assertThat(n).as("server frame length").isBetween(0L, 64L << 20);
        byte[] payload = new byte[(int) n];
        in.readFully(payload);
        if (masked) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        return new Frame((b0 & 0x80) != 0, (b0 >> 4) & 7, b0 & 0x0F, masked, payload);
    }

    /** Reads a response: a single unmasked, unfragmented TEXT frame. Returns its text. */
    String readText() throws IOException {
        Frame f = readFrame();
        assertThat(f.opcode()).as("expected a TEXT response, got %s", f).isEqualTo(OP_TEXT);
        assertThat(f.fin()).as("responses are unfragmented: %s", f).isTrue();
        assertThat(f.rsv()).as("no reserved bits: %s", f).isZero();
        assertThat(f.masked()).as("server frames are unmasked: %s", f).isFalse();
        return f.text();
    }

    /** Reads the server's Close frame and asserts its code; returns the frame. */
    Frame readClose(int expectedCode) throws IOException {
        Frame f = readFrame();
        assertThat(f.opcode()).as("expected a Close frame, got %s", f).isEqualTo(OP_CLOSE);
        assertThat(f.closeCode()).as("close code of %s", f).isEqualTo(expectedCode);
        return f;
    }

    /** Asserts the server closes TCP (end of stream; a reset after the Close frame is accepted too). */
    void assertEndOfStream() throws IOException {
        try {
            int b = in.read();
            assertThat(b).as("nothing after the Close frame; the server closes the connection").isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server did not close the TCP connection within " + READ_TIMEOUT_MILLIS + " ms");
        } catch (SocketException e) {
            // connection reset: also closed
        }
    }

    /** Drops the connection with a TCP reset instead of a Close frame. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    InputStream input() {
        return in;
    }

    OutputStream output() {
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
