package dev.satchel.json;

import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * Builds one JSON response at a time into a reusable byte array. Owned by one thread (the command loop);
 * {@link #reset()} before each response. Stored keys and values are copied in as the bytes they are.
 */
public final class ResponseWriter {
    private static final byte[] DIGITS = "0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] M_FIELD = ",\"m\":".getBytes(StandardCharsets.US_ASCII);

    private byte[] buf;
    private int len;
    private final TokenFormat tokenFormat;
    private CompletableFuture<byte[]> deferred;
    /** Status of the response begun since the last reset, null if none (for the command counters). */
    private Status status;

    public ResponseWriter(TokenFormat tokenFormat) {
        this.tokenFormat = tokenFormat;
        this.buf = new byte[4096];
    }

    public TokenFormat tokenFormat() {
        return tokenFormat;
    }

    /**
     * Instead of writing a response now, the command promises one: {@code response} completes (on any
     * thread) with the whole response JSON. Responses to later requests of the same connection wait for it,
     * so order is kept. For commands that finish work off the loop, such as a save writing to disk.
     */
    public void defer(CompletableFuture<byte[]> response) {
        this.deferred = response;
    }

    /** The promise left by {@link #defer}, or null; does not clear it. */
    public CompletableFuture<byte[]> deferred() {
        return deferred;
    }

    /** The status of the response written since the last {@link #reset()} (null if none was begun). */
    public Status status() {
        return status;
    }

    /** The promise left by {@link #defer}, or null; clears it. */
    public CompletableFuture<byte[]> takeDeferred() {
        CompletableFuture<byte[]> d = deferred;
        deferred = null;
        return d;
    }

    public void reset() {
        len = 0;
        status = null;
        deferred = null;
        if (buf.length > (1 << 20)) {
            buf = new byte[4096]; // do not hold on to the memory of one huge response
        }
    }

    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
        }
    }

    /** Prefix bytes {@code {"NAME":{"st":} for a response member name. */
    public static byte[] prefix(String responseName) {
        return ("{\"" + responseName + "\":{\"st\":").getBytes(StandardCharsets.UTF_8);
    }

    /** Field introducer bytes {@code ,"name":}. */
    public static byte[] field(String name) {
        return (",\"" + name + "\":").getBytes(StandardCharsets.UTF_8);
    }

    /** Starts a response: {@code prefix} from {@link #prefix(String)}, then the status. */
    public ResponseWriter begin(byte[] prefix, Status status) {
        this.status = status;
        raw(prefix);
        return number(status.code());
    }

    /** Closes a response started with {@link #begin}. */
    public void end() {
        ensure(2);
        buf[len++] = '}';
        buf[len++] = '}';
    }

    /** A complete error response: {@code {"NAME":{"st":status,"m":"message"}}}. */
    public void error(byte[] prefix, Status status, String message) {
        begin(prefix, status);
        raw(M_FIELD);
        string(message);
        end();
    }

    public ResponseWriter raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    public ResponseWriter raw(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
        return this;
    }

    public ResponseWriter rawByte(char c) {
        ensure(1);
        buf[len++] = (byte) c;
        return this;
    }

    public ResponseWriter bool(boolean v) {
        return raw(v ? TRUE : FALSE);
    }

    public ResponseWriter number(long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                return ascii(Long.toString(v));
            }
            rawByte('-');
            v = -v;
        }
        return unsigned(v);
    }

    /** Writes {@code v} as an unsigned 64-bit decimal. */
    public ResponseWriter unsigned(long v) {
        ensure(20);
        int start = len;
        if (v < 0) { // top bit set: split once so the rest is positive
            long q = Long.divideUnsigned(v, 10);
            int r = (int) Long.remainderUnsigned(v, 10);
            unsigned(q);
            buf[len++] = DIGITS[r];
            return this;
        }
        do {
            buf[len++] = DIGITS[(int) (v % 10)];
            v /= 10;
        } while (v != 0);
        for (int i = start, j = len - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
        return this;
    }

    private ResponseWriter ascii(String s) {
        ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            buf[len++] = (byte) s.charAt(i);
        }
        return this;
    }

    /** Writes a canonical key (see {@link JsonStrings}) with its quotes. */
    public ResponseWriter quoted(byte[] canonical) {
        ensure(canonical.length + 2);
        buf[len++] = '"';
        System.arraycopy(canonical, 0, buf, len, canonical.length);
        len += canonical.length;
        buf[len++] = '"';
        return this;
    }

    /** Writes a canonical key stored at {@code b[off, off + n)} with its quotes. */
    public ResponseWriter quoted(byte[] b, int off, int n) {
        ensure(n + 2);
        buf[len++] = '"';
        System.arraycopy(b, off, buf, len, n);
        len += n;
        buf[len++] = '"';
        return this;
    }

    /** Writes a Java string as a JSON string. */
    public ResponseWriter string(String s) {
        ensure(s.length() * 6 + 2);
        buf[len++] = '"';
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                buf[len++] = (byte) c;
            } else if (c == '"' || c == '\\') {
                buf[len++] = '\\';
                buf[len++] = (byte) c;
            } else if (c < 0x20 || (Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))))) {
                buf[len++] = '\\';
                buf[len++] = 'u';
                buf[len++] = HEX[(c >> 12) & 15];
                buf[len++] = HEX[(c >> 8) & 15];
                buf[len++] = HEX[(c >> 4) & 15];
                buf[len++] = HEX[c & 15];
            } else {
                int cp = c;
                if (Character.isHighSurrogate(c)) {
                    cp = Character.toCodePoint(c, s.charAt(++i));
                }
                if (cp < 0x80) {
                    buf[len++] = (byte) cp;
                } else if (cp < 0x800) {
                    buf[len++] = (byte) (0xC0 | (cp >> 6));
                    buf[len++] = (byte) (0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    buf[len++] = (byte) (0xE0 | (cp >> 12));
                    buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    buf[len++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    buf[len++] = (byte) (0xF0 | (cp >> 18));
                    buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    buf[len++] = (byte) (0x80 | (cp & 0x3F));
                }
            }
        }
        buf[len++] = '"';
        return this;
    }

    /** Writes a token in the configured format: a JSON string or an unsigned JSON number. */
    public ResponseWriter token(long hi, long lo) {
        if (tokenFormat == TokenFormat.UINT64) {
            return unsigned(lo);
        }
        ensure(TokenFormat.STRING_LENGTH + 2);
        buf[len++] = '"';
        TokenFormat.writeBase64(hi, lo, buf, len);
        len += TokenFormat.STRING_LENGTH;
        buf[len++] = '"';
        return this;
    }
}
