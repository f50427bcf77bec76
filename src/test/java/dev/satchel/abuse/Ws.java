package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client on a plain socket that can send anything: broken frames, lying lengths, half
 * messages. Reads time out after 10 s so a missing answer fails the test instead of hanging it.
 */
final class Ws implements AutoCloseable {
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;
    private static final SecureRandom RANDOM = new SecureRandom();

    record Frame(int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            assertThat(opcode).as("a Close frame: %s", this).isEqualTo(CLOSE);
            return ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        }

        @Override
        public String toString() {
            return "Frame[op=" + opcode + ", " + payload.length + " bytes" + (opcode == TEXT || opcode == CLOSE
                    ? ": " + new String(payload, 0, Math.min(payload.length, 200), StandardCharsets.UTF_8) : "") + "]";
        }
    }

    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    private Ws(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 65536));
        this.out = socket.getOutputStream();
    }

    /** A TCP connection, no handshake; {@code receiveBuffer} > 0 sets SO_RCVBUF; {@code from} a local address or null. */
    static Ws tcp(int port, int receiveBuffer, String from) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        if (from != null) {
            s.bind(new InetSocketAddress(from, 0));
        }
        s.setTcpNoDelay(true);
        s.setSoTimeout(10_000);
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        return new Ws(s);
    }

    static Ws tcp(int port) throws IOException {
        return tcp(port, 0, null);
    }

    /** Connects and completes the handshake. */
    static Ws open(int port) throws IOException {
        return open(port, 0, null);
    }

    static Ws open(int port, int receiveBuffer, String from) throws IOException {
        Ws ws = tcp(port, receiveBuffer, from);
        String head = ws.handshake("/", "");
        assertThat(head).as("handshake response").startsWith("HTTP/1.1 101 ");
        return ws;
    }

    /** Sends a handshake request for {@code path} with {@code extraHeaders} (CRLF-terminated lines); returns the response head. */
    String handshake(String path, String extraHeaders) throws IOException {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        writeAscii("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n");
        return readHttpHead();
    }

    void writeAscii(String s) throws IOException {
        send(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    String readHttpHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed inside the HTTP response head: " + head);
            }
            head.write(b);
            state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** A masked frame. */
    static byte[] frame(boolean fin, int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if (n <= 125) {
            f.write(0x80 | n);
        } else if (n <= 0xFFFF) {
            f.write(0x80 | 126);
            f.write(n >> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) ((long) n >> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        f.writeBytes(mask);
        byte[] body = payload.clone();
        for (int i = 0; i < body.length; i++) {
            body[i] ^= mask[i & 3];
        }
        f.writeBytes(body);
        return f.toByteArray();
    }

    static byte[] text(String json) {
        return frame(true, TEXT, json.getBytes(StandardCharsets.UTF_8));
    }

    /** The header of a masked frame announcing {@code length} bytes (64-bit length form), with a zero mask. */
    static byte[] header64(int opcode, long length) {
        byte[] h = new byte[14];
        h[0] = (byte) (0x80 | opcode);
        h[1] = (byte) (0x80 | 127);
        for (int i = 0; i < 8; i++) {
            h[2 + i] = (byte) (length >> (8 * (7 - i)));
        }
        return h;
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
        assertThat(b1 & 0x80).as("server frames are unmasked").isZero();
        assertThat(n).as("frame length").isBetween(0L, 64L << 20);
        byte[] payload = new byte[(int) n];
        in.readFully(payload);
        return new Frame(b0 & 0x0F, payload);
    }

    /** Sends one request and reads its response (a TEXT frame). */
    String call(String json) throws IOException {
        send(text(json));
        return readText();
    }

    /** Reads the next TEXT frame, answering Pings on the way as every WebSocket stack does. */
    String readText() throws IOException {
        Frame f = readFrame();
        while (f.opcode() == PING) {
            send(frame(true, PONG, f.payload()));
            f = readFrame();
        }
        assertThat(f.opcode()).as("a TEXT response, got %s", f).isEqualTo(TEXT);
        return f.text();
    }

    /** Reads the server's Close frame, asserts its code, and returns its reason. */
    String readClose(int code) throws IOException {
        Frame f = readFrame();
        assertThat(f.closeCode()).as("close code of %s", f).isEqualTo(code);
        return new String(f.payload(), 2, f.payload().length - 2, StandardCharsets.UTF_8);
    }

    /** Asserts the server closes the TCP connection (end of stream, or a reset). */
    void assertEndOfStream() throws IOException {
        try {
            assertThat(in.read()).as("end of stream").isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection within 10 s");
        } catch (SocketException e) {
            // reset: closed too
        }
    }

    /** Drops the connection with a TCP reset. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
