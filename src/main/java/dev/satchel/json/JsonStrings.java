package dev.satchel.json;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Conversions between JSON string text and the forms Satchel stores.
 *
 * <p>Keys are stored in one canonical escaped form (the UTF-8 bytes that go between the quotes in a
 * response), so that {@code "a"} and {@code "\u0061"} are the same key and a key can be written to a
 * response without re-encoding. The canonical form escapes exactly {@code "}, {@code \}, control characters
 * (as {@code \b \f \n \r \t} or {@code \}{@code u00xx}) and lone surrogates; everything else is raw UTF-8.
 */
public final class JsonStrings {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private JsonStrings() {
    }

    /**
     * The canonical form of the string content {@code b[from, to)} as sent on the wire (validated by
     * {@link JsonScanner}); {@code hasEscape} tells whether it contains a backslash.
     */
    public static byte[] canonical(byte[] b, int from, int to, boolean hasEscape) {
        if (!hasEscape) {
            return Arrays.copyOfRange(b, from, to);
        }
        byte[] out = new byte[to - from]; // the canonical form is never longer than an escaped one
        int n = 0;
        int p = from;
        while (p < to) {
            byte c = b[p];
            if (c != '\\') {
                out[n++] = c;
                p++;
                continue;
            }
            byte e = b[p + 1];
            if (e != 'u') {
                p += 2;
                switch (e) {
                    case '/' -> out[n++] = '/';
                    default -> {
                        out[n++] = '\\';
                        out[n++] = e; // " \ b f n r t stay as they are
                    }
                }
                continue;
            }
            int cu = unicodeEscape(b, p);
            p += 6;
            if (Character.isHighSurrogate((char) cu) && p + 6 <= to && b[p] == '\\' && b[p + 1] == 'u') {
                int low = unicodeEscape(b, p);
                if (Character.isLowSurrogate((char) low)) {
                    n = putUtf8(out, n, Character.toCodePoint((char) cu, (char) low));
                    p += 6;
                    continue;
                }
            }
            n = putCanonical(out, n, cu);
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    private static int unicodeEscape(byte[] b, int p) {
        return (JsonScanner.hex(b[p + 2]) << 12) | (JsonScanner.hex(b[p + 3]) << 8)
                | (JsonScanner.hex(b[p + 4]) << 4) | JsonScanner.hex(b[p + 5]);
    }

    /** Writes one UTF-16 code unit (not part of a surrogate pair) in canonical form. */
    private static int putCanonical(byte[] out, int n, int cu) {
        switch (cu) {
            case '"' -> {
                out[n++] = '\\';
                out[n++] = '"';
            }
            case '\\' -> {
                out[n++] = '\\';
                out[n++] = '\\';
            }
            case '\b' -> {
                out[n++] = '\\';
                out[n++] = 'b';
            }
            case '\f' -> {
                out[n++] = '\\';
                out[n++] = 'f';
            }
            case '\n' -> {
                out[n++] = '\\';
                out[n++] = 'n';
            }
            case '\r' -> {
                out[n++] = '\\';
                out[n++] = 'r';
            }
            case '\t' -> {
                out[n++] = '\\';
                out[n++] = 't';
            }
            default -> {
                if (cu < 0x20 || Character.isSurrogate((char) cu)) {
                    out[n++] = '\\';
                    out[n++] = 'u';
                    out[n++] = HEX[(cu >> 12) & 15];
                    out[n++] = HEX[(cu >> 8) & 15];
                    out[n++] = HEX[(cu >> 4) & 15];
                    out[n++] = HEX[cu & 15];
                } else {
                    n = putUtf8(out, n, cu);
                }
            }
        }
        return n;
    }

    private static int putUtf8(byte[] out, int n, int cp) {
        if (cp < 0x80) {
            out[n++] = (byte) cp;
        } else if (cp < 0x800) {
            out[n++] = (byte) (0xC0 | (cp >> 6));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[n++] = (byte) (0xE0 | (cp >> 12));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        } else {
            out[n++] = (byte) (0xF0 | (cp >> 18));
            out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
            out[n++] = (byte) (0x80 | (cp & 0x3F));
        }
        return n;
    }

    /** The canonical form of a Java string (what {@link #canonical} gives for any JSON spelling of it). */
    public static byte[] canonical(String s) {
        byte[] out = new byte[s.length() * 6];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n = putUtf8(out, n, Character.toCodePoint(c, s.charAt(++i)));
            } else {
                n = putCanonical(out, n, c);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Decodes string content {@code b[from, to)} into a Java string. */
    public static String decode(byte[] b, int from, int to, boolean hasEscape) {
        if (!hasEscape) {
            return new String(b, from, to - from, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(to - from);
        int p = from;
        int runStart = p;
        while (p < to) {
            if (b[p] != '\\') {
                p++;
                continue;
            }
            sb.append(new String(b, runStart, p - runStart, StandardCharsets.UTF_8));
            byte e = b[p + 1];
            switch (e) {
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append((char) unicodeEscape(b, p));
                default -> sb.append((char) e);
            }
            p += e == 'u' ? 6 : 2;
            runStart = p;
        }
        sb.append(new String(b, runStart, to - runStart, StandardCharsets.UTF_8));
        return sb.toString();
    }

    /** Decodes a canonical key back into a Java string. */
    public static String decodeCanonical(byte[] key) {
        return decode(key, 0, key.length, indexOf(key, 0, key.length, (byte) '\\') >= 0);
    }

    public static int indexOf(byte[] b, int from, int to, byte x) {
        for (int i = from; i < to; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Copies the value {@code b[from, to)} (valid JSON, as checked by the scanner) into {@code dst} at
     * {@code at} without the white space between its tokens; strings are copied unchanged. Returns the
     * number of bytes written ({@code dst} needs room for {@code to - from}).
     */
    public static int compactInto(byte[] b, int from, int to, byte[] dst, int at) {
        byte first = b[from];
        if (first != '{' && first != '[') {
            System.arraycopy(b, from, dst, at, to - from); // scalars have no inner white space
            return to - from;
        }
        int n = at;
        int p = from;
        while (p < to) {
            byte c = b[p];
            if (c == '"') {
                int q = p + 1;
                while (b[q] != '"') {
                    q += b[q] == '\\' ? 2 : 1;
                }
                q++;
                System.arraycopy(b, p, dst, n, q - p);
                n += q - p;
                p = q;
            } else {
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    dst[n++] = c;
                }
                p++;
            }
        }
        return n - at;
    }

    /** The compact form of the value {@code b[from, to)} as a new array (see {@link #compactInto}). */
    public static byte[] compact(byte[] b, int from, int to) {
        byte[] out = new byte[to - from];
        int n = compactInto(b, from, to, out, 0);
        return n == out.length ? out : Arrays.copyOf(out, n);
    }
}
