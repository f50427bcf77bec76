package dev.satchel.protocol;

/**
 * A validating JSON scanner over a byte array (RFC 8259). It does not build values: it checks syntax and
 * reports exact byte offsets, so the decoder can keep a value as the bytes the client sent. It allocates
 * nothing while scanning and limits nesting depth, so hostile input costs at most linear time and bounded
 * stack. One instance is reused by one thread via {@link #reset}.
 *
 * <p>UTF-8 validity of the bytes is checked by the WebSocket layer before text reaches the scanner; the
 * scanner only rejects what JSON itself forbids (raw control characters in strings, bad escapes, ...).
 */
public final class JsonScanner {
    private byte[] buf;
    private int end;
    /** Current read position; public to the decoder in this package. */
    int pos;
    private final int maxDepth;

    /** Set by {@link #scanString()}: the string contains at least one backslash escape. */
    boolean stringHasEscape;
    /** Set by {@link #scanNumber()}: the number has neither fraction nor exponent. */
    boolean numberIsInteger;
    /** Set by {@link #scanNumber()}: the number starts with a minus sign. */
    boolean numberIsNegative;

    public JsonScanner(int maxDepth) {
        this.maxDepth = maxDepth;
    }

    public void reset(byte[] buf, int length) {
        this.buf = buf;
        this.end = length;
        this.pos = 0;
    }

    byte[] buffer() {
        return buf;
    }

    int end() {
        return end;
    }

    /** Skips white space; returns the next byte (0-255) without consuming it, or -1 at the end. */
    int skipWhitespace() {
        int p = pos;
        final byte[] b = buf;
        while (p < end) {
            byte c = b[p];
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                p++;
            } else {
                pos = p;
                return c & 0xFF;
            }
        }
        pos = p;
        return -1;
    }

    void expect(char c) throws JsonSyntaxException {
        if (skipWhitespace() != c) {
            throw unexpected("'" + c + "'");
        }
        pos++;
    }

    JsonSyntaxException unexpected(String wanted) {
        if (pos >= end) {
            return new JsonSyntaxException("unexpected end of input, expected " + wanted);
        }
        return new JsonSyntaxException("unexpected character at byte " + pos + ", expected " + wanted);
    }

    /** True when only white space is left. */
    boolean atEnd() {
        return skipWhitespace() < 0;
    }

    /**
     * Scans a string whose opening quote is at {@link #pos}; leaves {@link #pos} after the closing quote and
     * returns the offset of the first content byte (the content ends at {@code pos - 1}).
     */
    int scanString() throws JsonSyntaxException {
        final byte[] b = buf;
        int p = pos + 1;
        final int start = p;
        boolean escape = false;
        while (true) {
            if (p >= end) {
                pos = p;
                throw new JsonSyntaxException("unterminated string");
            }
            byte c = b[p];
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                escape = true;
                if (p + 1 >= end) {
                    pos = p;
                    throw new JsonSyntaxException("unterminated string");
                }
                byte e = b[p + 1];
                switch (e) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> p += 2;
                    case 'u' -> {
                        if (p + 6 > end || hex(b[p + 2]) < 0 || hex(b[p + 3]) < 0 || hex(b[p + 4]) < 0
                                || hex(b[p + 5]) < 0) {
                            pos = p;
                            throw new JsonSyntaxException("invalid \\u escape at byte " + p);
                        }
                        p += 6;
                    }
                    default -> {
                        pos = p;
                        throw new JsonSyntaxException("invalid escape at byte " + p);
                    }
                }
            } else if ((c & 0xFF) < 0x20) {
                pos = p;
                throw new JsonSyntaxException("control character in string at byte " + p);
            } else {
                p++;
            }
        }
        stringHasEscape = escape;
        pos = p + 1;
        return start;
    }

    static int hex(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** Scans a number starting at {@link #pos}; leaves {@link #pos} after it. */
    void scanNumber() throws JsonSyntaxException {
        final byte[] b = buf;
        int p = pos;
        boolean negative = false;
        if (p < end && b[p] == '-') {
            negative = true;
            p++;
        }
        if (p >= end) {
            pos = p;
            throw new JsonSyntaxException("unexpected end of input in number");
        }
        if (b[p] == '0') {
            p++;
        } else if (b[p] >= '1' && b[p] <= '9') {
            p++;
            while (p < end && b[p] >= '0' && b[p] <= '9') {
                p++;
            }
        } else {
            pos = p;
            throw new JsonSyntaxException("invalid number at byte " + p);
        }
        boolean integer = true;
        if (p < end && b[p] == '.') {
            integer = false;
            p++;
            int digits = p;
            while (p < end && b[p] >= '0' && b[p] <= '9') {
                p++;
            }
            if (p == digits) {
                pos = p;
                throw new JsonSyntaxException("invalid number at byte " + p);
            }
        }
        if (p < end && (b[p] == 'e' || b[p] == 'E')) {
            integer = false;
            p++;
            if (p < end && (b[p] == '+' || b[p] == '-')) {
                p++;
            }
            int digits = p;
            while (p < end && b[p] >= '0' && b[p] <= '9') {
                p++;
            }
            if (p == digits) {
                pos = p;
                throw new JsonSyntaxException("invalid number at byte " + p);
            }
        }
        numberIsInteger = integer;
        numberIsNegative = negative;
        pos = p;
    }

    private void scanLiteral(String word) throws JsonSyntaxException {
        int n = word.length();
        if (pos + n > end) {
            throw new JsonSyntaxException("invalid literal at byte " + pos);
        }
        for (int i = 0; i < n; i++) {
            if (buf[pos + i] != word.charAt(i)) {
                throw new JsonSyntaxException("invalid literal at byte " + pos);
            }
        }
        pos += n;
    }

    /**
     * Scans any value starting at the next non-white-space byte; {@code depth} is the nesting depth of the
     * container holding it (0 at top level). Leaves {@link #pos} after the value.
     */
    void scanValue(int depth) throws JsonSyntaxException {
        int c = skipWhitespace();
        switch (c) {
            case '{' -> scanObject(depth + 1);
            case '[' -> scanArray(depth + 1);
            case '"' -> scanString();
            case 't' -> scanLiteral("true");
            case 'f' -> scanLiteral("false");
            case 'n' -> scanLiteral("null");
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> scanNumber();
            default -> throw unexpected("a value");
        }
    }

    void checkDepth(int depth) throws JsonSyntaxException {
        if (depth > maxDepth) {
            throw new JsonSyntaxException(Status.LIMIT_EXCEEDED,
                    "nesting deeper than limits.maxDepth (" + maxDepth + ")");
        }
    }

    /** Scans an object whose '{' is at {@link #pos}; {@code depth} is its own depth (1 = top level). */
    void scanObject(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++;
        int c = skipWhitespace();
        if (c == '}') {
            pos++;
            return;
        }
        while (true) {
            if (c != '"') {
                throw unexpected("a member name");
            }
            scanString();
            expect(':');
            scanValue(depth);
            c = skipWhitespace();
            if (c == ',') {
                pos++;
                c = skipWhitespace();
            } else if (c == '}') {
                pos++;
                return;
            } else {
                throw unexpected("',' or '}'");
            }
        }
    }

    /** Scans an array whose '[' is at {@link #pos}; {@code depth} is its own depth. */
    void scanArray(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++;
        int c = skipWhitespace();
        if (c == ']') {
            pos++;
            return;
        }
        while (true) {
            scanValue(depth);
            c = skipWhitespace();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return;
            } else {
                throw unexpected("',' or ']'");
            }
        }
    }
}
