package dev.satchel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The tests' one raw WebSocket client: a plain blocking {@link Socket}, the HTTP upgrade written by hand, and
 * frames through the server's own codec ({@link WebSocketFrames}), so it can send anything, including broken
 * frames (unmasked, reserved bits, lying lengths, half headers), and checks every frame the server sends.
 * Reads time out (10 s by default) so a missing answer fails the test instead of hanging it.
 *
 * <p>One thread may write while another reads (pipelining tests); each direction is used by one thread.
 */
public final class RawWebSocket implements AutoCloseable {
    public static final int OP_CONT = WebSocketFrames.OP_CONTINUATION;
    public static final int OP_TEXT = WebSocketFrames.OP_TEXT;
    public static final int OP_BINARY = WebSocketFrames.OP_BINARY;
    public static final int OP_CLOSE = WebSocketFrames.OP_CLOSE;
    public static final int OP_PING = WebSocketFrames.OP_PING;
    public static final int OP_PONG = WebSocketFrames.OP_PONG;
    public static final int READ_TIMEOUT_MILLIS = 10_000;
    private static final int MAX_FRAME_BYTES = 64 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A frame from the server. */
    public record Frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a Close frame, 1005 when it carries none. */
        public int closeCode() {
            assertThat(opcode).as("opcode of a close frame: %s", this).isEqualTo(OP_CLOSE);
            return WebSocketFrames.closeCode(payload, payload.length);
        }

        public String closeReason() {
            return payload.length <= 2 ? "" : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Frame[fin=" + fin + ", rsv=" + rsv + ", op=" + opcode + ", " + payload.length + " bytes"
                    + (opcode == OP_TEXT || opcode == OP_CLOSE
                            ? ": " + new String(payload, 0, Math.min(payload.length, 200), StandardCharsets.UTF_8)
                            : "") + "]";
        }
    }

    private final Socket socket;
    private final InputStream socketIn;
    private final OutputStream out;
    /** Bytes received and not read yet (the HTTP head, frames). Reading thread only. */
    private final ByteBuf inbound = Unpooled.buffer(64 * 1024);
    private final WebSocketFrames.Header header = new WebSocketFrames.Header();
    /** Frames queued by {@link #queue(String)} until {@link #flush()}. Writing thread only. */
    private final ByteBuf outbound = Unpooled.buffer(64 * 1024);

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.socketIn = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    // ---- connecting ----

    /** A TCP connection to 127.0.0.1 with no handshake yet (for HTTP-level tests). */
    public static RawWebSocket tcp(int port) throws IOException {
        return tcp(port, 0, null);
    }

    /** A TCP connection; {@code receiveBuffer} > 0 sets SO_RCVBUF before connecting. */
    public static RawWebSocket tcp(int port, int receiveBuffer) throws IOException {
        return tcp(port, receiveBuffer, null);
    }

    /** A TCP connection; {@code receiveBuffer} > 0 sets SO_RCVBUF; {@code from} a local address, or null. */
    public static RawWebSocket tcp(int port, int receiveBuffer, String from) throws IOException {
        return tcp(port, receiveBuffer, from, READ_TIMEOUT_MILLIS);
    }

    private static RawWebSocket tcp(int port, int receiveBuffer, String from, int readTimeoutMillis)
            throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        if (from != null) {
            s.bind(new InetSocketAddress(from, 0));
        }
        s.setTcpNoDelay(true);
        s.setSoTimeout(readTimeoutMillis);
        s.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
        return new RawWebSocket(s);
    }

    /** Connects and completes the WebSocket handshake on {@code /}. */
    public static RawWebSocket open(int port) throws IOException {
        return open(port, "/", 0);
    }

    /** Connects from a local address ({@code from}, or null) and completes the handshake on {@code /}. */
    public static RawWebSocket open(int port, int receiveBuffer, String from) throws IOException {
        RawWebSocket ws = tcp(port, receiveBuffer, from);
        ws.upgrade("/", "");
        return ws;
    }

    public static RawWebSocket open(int port, String path, int receiveBuffer) throws IOException {
        RawWebSocket ws = tcp(port, receiveBuffer);
        ws.upgrade(path, "");
        return ws;
    }

    /**
     * Connects with this read timeout and these extra request headers (CRLF-terminated lines, e.g.
     * Authorization); throws {@link IOException} if the server refuses the upgrade.
     */
    public static RawWebSocket open(int port, int readTimeoutMillis, int receiveBuffer, String extraHeaders)
            throws IOException {
        RawWebSocket ws = tcp(port, receiveBuffer, null, readTimeoutMillis);
        String head = ws.handshake("/", extraHeaders);
        if (!head.startsWith("HTTP/1.1 101 ")) {
            ws.close();
            throw new IOException("handshake refused: " + head.lines().findFirst().orElse(head));
        }
        return ws;
    }

    private void upgrade(String path, String extraHeaders) throws IOException {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        String head = handshake(path, extraHeaders, key);
        assertThat(head).as("handshake response").startsWith("HTTP/1.1 101 ");
        assertThat(header(head, "Sec-WebSocket-Accept")).as("Sec-WebSocket-Accept")
                .isEqualTo(WebSocketFrames.acceptKey(key));
    }

    /**
     * Sends a handshake request for {@code path} with {@code extraHeaders} (CRLF-terminated lines); returns
     * the response head.
     */
    public String handshake(String path, String extraHeaders) throws IOException {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        return handshake(path, extraHeaders, Base64.getEncoder().encodeToString(nonce));
    }

    private String handshake(String path, String extraHeaders, String key) throws IOException {
        writeAscii("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + socket.getPort() + "\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n");
        return readHttpHead();
    }

    /** The Sec-WebSocket-Accept a server must answer to {@code key}. */
    public static String expectedAccept(String key) {
        return WebSocketFrames.acceptKey(key);
    }

    /** The value of a header in an HTTP response head (case-insensitive name), or null. */
    public static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    // ---- frames to send (all through the server's codec) ----

    /** Any frame: {@code rsv} is the three reserved bits (0-7); masked with a random key when {@code masked}. */
    public static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        ByteBuf f = Unpooled.buffer(payload.length + 14);
        int key = masked ? ThreadLocalRandom.current().nextInt() : 0;
        WebSocketFrames.writeHeader(f, (fin ? 0x80 : 0) | (rsv & 7) << 4, opcode, payload.length, false, masked, key);
        int start = f.writerIndex();
        f.writeBytes(payload);
        if (masked) {
            WebSocketFrames.mask(f, start, payload.length, key);
        }
        return ByteBufUtil.getBytes(f);
    }

    /** A masked frame, FIN as given, no reserved bits. */
    public static byte[] frame(boolean fin, int opcode, byte[] payload) {
        return frame(fin, 0, opcode, true, payload);
    }

    /** A masked, whole frame. */
    public static byte[] frame(int opcode, byte[] payload) {
        return frame(true, 0, opcode, true, payload);
    }

    /** A masked text frame carrying {@code json}. */
    public static byte[] text(String json) {
        return frame(OP_TEXT, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A masked Close frame with a code and a reason. */
    public static byte[] close(int code, String reason) {
        return frame(OP_CLOSE, WebSocketFrames.closePayload(code, reason));
    }

    /** Just the header of a masked frame announcing {@code length} payload bytes, in the 64-bit form, zero mask. */
    public static byte[] header64(boolean fin, int opcode, long length) {
        ByteBuf h = Unpooled.buffer(14);
        WebSocketFrames.writeHeader(h, fin ? 0x80 : 0, opcode, length, true, true, 0);
        return ByteBufUtil.getBytes(h);
    }

    /** {@link #header64(boolean, int, long)} with FIN set. */
    public static byte[] header64(int opcode, long length) {
        return header64(true, opcode, length);
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.writeBytes(p);
        }
        return all.toByteArray();
    }

    // ---- writing ----

    public void writeAscii(String text) throws IOException {
        write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Sends these bytes (frames, or anything) at once. */
    public void send(byte[]... frames) throws IOException {
        write(frames.length == 1 ? frames[0] : concat(frames));
    }

    /** Queues one masked text frame; {@link #flush()} sends what is queued in one write. */
    public void queue(String text) throws IOException {
        byte[] p = text.getBytes(StandardCharsets.UTF_8);
        WebSocketFrames.writeMaskedFrame(outbound, OP_TEXT, p, p.length, ThreadLocalRandom.current().nextInt());
        if (outbound.readableBytes() >= 64 * 1024) {
            flush();
        }
    }

    public void flush() throws IOException {
        if (outbound.isReadable()) {
            outbound.readBytes(out, outbound.readableBytes());
            outbound.clear();
        }
        out.flush();
    }

    /** Sends one masked text frame at once. */
    public void sendText(String text) throws IOException {
        queue(text);
        flush();
    }

    /** Sends one request and reads its response (a text frame). */
    public String call(String json) throws IOException {
        send(text(json));
        return readText();
    }

    /** The socket's output, for tests that write in their own pieces. */
    public OutputStream output() {
        return out;
    }

    // ---- reading ----

    /** Reads from the socket until at least {@code n} bytes are buffered; EOFException at the end of stream. */
    private void fill(int n) throws IOException {
        while (inbound.readableBytes() < n) {
            if (inbound.writableBytes() < 4096) {
                inbound.discardReadBytes();
                inbound.ensureWritable(Math.max(4096, n - inbound.readableBytes()));
            }
            if (inbound.writeBytes(socketIn, inbound.writableBytes()) < 0) {
                throw new EOFException("end of stream after " + inbound.readableBytes() + " of " + n + " bytes");
            }
        }
    }

    /** Reads an HTTP response head up to and including the blank line. */
    public String readHttpHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            try {
                fill(1);
            } catch (EOFException e) {
                throw new EOFException("connection closed inside the HTTP response head: " + head);
            }
            int b = inbound.readUnsignedByte();
            head.write(b);
            state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** The next frame, whole; a masked one (which a server must not send) is unmasked and reported as such. */
    public Frame readFrame() throws IOException {
        WebSocketFrames.Header h = header;
        fill(2);
        WebSocketFrames.parseHeader(inbound, h);
        while (h.headerLength == 0) {
            fill(inbound.readableBytes() + 1);
            WebSocketFrames.parseHeader(inbound, h);
        }
        assertThat(h.length).as("server frame length").isBetween(0L, (long) MAX_FRAME_BYTES);
        int n = (int) h.length;
        fill(h.headerLength + n);
        byte[] payload = new byte[n];
        inbound.getBytes(inbound.readerIndex() + h.headerLength, payload);
        if (h.masked) {
            WebSocketFrames.unmask(payload, 0, n, WebSocketFrames.maskKey(inbound, h));
        }
        inbound.skipBytes(h.headerLength + n);
        return new Frame(h.fin, h.rsv, h.opcode, h.masked, payload);
    }

    /**
     * Reads a response: one unmasked, unfragmented text frame, answering Pings on the way as every WebSocket
     * stack does. Returns its text.
     */
    public String readText() throws IOException {
        Frame f = readFrame();
        while (f.opcode() == OP_PING) {
            send(frame(OP_PONG, f.payload()));
            f = readFrame();
        }
        assertThat(f.opcode()).as("expected a TEXT response, got %s", f).isEqualTo(OP_TEXT);
        assertThat(f.fin()).as("responses are unfragmented: %s", f).isTrue();
        assertThat(f.rsv()).as("no reserved bits: %s", f).isZero();
        assertThat(f.masked()).as("server frames are unmasked: %s", f).isFalse();
        return f.text();
    }

    /** Reads the server's Close frame and asserts its code; returns the frame. */
    public Frame readClose(int expectedCode) throws IOException {
        Frame f = readFrame();
        assertThat(f.opcode()).as("expected a Close frame, got %s", f).isEqualTo(OP_CLOSE);
        assertThat(f.closeCode()).as("close code of %s", f).isEqualTo(expectedCode);
        return f;
    }

    /** Asserts the server closes TCP (end of stream; a reset after the Close frame is accepted too). */
    public void assertEndOfStream() throws IOException {
        assertThat(inbound.readableBytes()).as("nothing after the Close frame").isZero();
        try {
            int b = socketIn.read();
            assertThat(b).as("nothing after the Close frame; the server closes the connection").isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server did not close the TCP connection within "
                    + socket.getSoTimeout() + " ms");
        } catch (SocketException e) {
            // connection reset: also closed
        }
    }

    /** Reads everything until the server closes the connection. */
    public String readToEnd() throws IOException {
        return new String(input().readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * What the server sends from here on, as a stream (bytes already received first); for tests that read an
     * HTTP answer or the end of the stream themselves. Read frames with {@link #readFrame()} before, not after.
     */
    public InputStream input() {
        byte[] received = new byte[inbound.readableBytes()];
        inbound.readBytes(received);
        return new SequenceInputStream(new ByteArrayInputStream(received), socketIn);
    }

    /** Drops the connection with a TCP reset instead of a Close frame. */
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
