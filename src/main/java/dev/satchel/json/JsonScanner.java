package dev.satchel.json;

import dev.satchel.spec.Status;

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
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    /** Objects with at most this many members are checked for duplicate names pair by pair, larger ones by hash. */
    private static final int PAIRWISE_MAX = 8;

    private byte[] buf;
    private int end;
    /** Current read position; public to the decoder in this package. */
    public int pos;
    private final int maxDepth;
    private final int maxStringBytes;
    private final int maxNumberChars;
    private final int maxNameBytes;
    private final String stringLimitMessage;
    private final String numberLimitMessage;
    private final String nameLimitMessage;

    /**
     * Member names of the objects being scanned, innermost last: (start, end, escaped) triples of offsets into
     * the buffer. An object remembers where its names begin ({@link #beginObject}); when it ends, its names are
     * checked for duplicates ({@link #endObject}) and dropped. Reused across messages: no allocation.
     */
    private int[] names = new int[96];
    private int nameTop;
    /** Open-addressing table of member numbers + 1 for objects with many members; reused. */
    private int[] nameTable = new int[64];
    private final long seed = new java.security.SecureRandom().nextLong();
    /** Offsets (start, end) of the first duplicate member name found in this message, or start -1. */
    private int duplicateStart = -1;
    private int duplicateEnd;
    private boolean duplicateEscaped;

    /** Set by {@link #scanString()}: the string contains at least one backslash escape. */
    public boolean stringHasEscape;
    /** Set by {@link #scanNumber()}: the number has neither fraction nor exponent. */
    public boolean numberIsInteger;
    /** Set by {@link #scanNumber()}: the number starts with a minus sign. */
    public boolean numberIsNegative;

    public JsonScanner(int maxDepth) {
        this(maxDepth, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * @param maxDepth       deepest nesting (limits.maxDepth)
     * @param maxStringBytes longest string content in bytes as sent, escapes included (limits.maxStringBytes)
     * @param maxNumberChars longest number literal (limits.maxNumberChars)
     * @param maxNameBytes   longest member name in bytes as sent (limits.maxKeyBytes)
     */
    public JsonScanner(int maxDepth, int maxStringBytes, int maxNumberChars, int maxNameBytes) {
        this.maxDepth = maxDepth;
        this.maxStringBytes = maxStringBytes;
        this.maxNumberChars = maxNumberChars;
        this.maxNameBytes = maxNameBytes;
        this.stringLimitMessage = "string longer than limits.maxStringBytes (" + maxStringBytes + ")";
        this.numberLimitMessage = "number longer than limits.maxNumberChars (" + maxNumberChars + ")";
        this.nameLimitMessage = "member name longer than limits.maxKeyBytes (" + maxNameBytes + ")";
    }

    public void reset(byte[] buf, int length) {
        this.buf = buf;
        this.end = length;
        this.pos = 0;
        this.nameTop = 0;
        this.duplicateStart = -1;
        if (names.length > 3 * 4096) {
            names = new int[96]; // do not keep the memory of one huge object
            nameTable = new int[64];
        }
    }

    public byte[] buffer() {
        return buf;
    }

    public int end() {
        return end;
    }

    /** Skips white space; returns the next byte (0-255) without consuming it, or -1 at the end. */
    public int skipWhitespace() {
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

    public void expect(char c) throws JsonSyntaxException {
        if (skipWhitespace() != c) {
            throw unexpected("'" + c + "'");
        }
        pos++;
    }

    public JsonSyntaxException unexpected(String wanted) {
        if (pos >= end) {
            return new JsonSyntaxException("unexpected end of input, expected " + wanted);
        }
        return new JsonSyntaxException("unexpected character at byte " + pos + ", expected " + wanted);
    }

    /** True when only white space is left. */
    public boolean atEnd() {
        return skipWhitespace() < 0;
    }

    /**
     * Scans a string whose opening quote is at {@link #pos}; leaves {@link #pos} after the closing quote and
     * returns the offset of the first content byte (the content ends at {@code pos - 1}).
     */
    public int scanString() throws JsonSyntaxException {
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
        if (p - start > maxStringBytes) {
            pos = start;
            throw new JsonSyntaxException(Status.LIMIT_EXCEEDED, stringLimitMessage);
        }
        return start;
    }

    public static int hex(byte c) {
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
    public void scanNumber() throws JsonSyntaxException {
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
        if (p - pos > maxNumberChars) {
            throw new JsonSyntaxException(Status.LIMIT_EXCEEDED, numberLimitMessage);
        }
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
    public void scanValue(int depth) throws JsonSyntaxException {
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

    public void checkDepth(int depth) throws JsonSyntaxException {
        if (depth > maxDepth) {
            throw new JsonSyntaxException(Status.LIMIT_EXCEEDED,
                    "nesting deeper than limits.maxDepth (" + maxDepth + ")");
        }
    }

    /** Scans an object whose '{' is at {@link #pos}; {@code depth} is its own depth (1 = top level). */
    public void scanObject(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++;
        int c = skipWhitespace();
        if (c == '}') {
            pos++;
            return;
        }
        int base = beginObject();
        while (true) {
            if (c != '"') {
                throw unexpected("a member name");
            }
            int s = scanString();
            memberName(s, pos - 1, stringHasEscape);
            expect(':');
            scanValue(depth);
            c = skipWhitespace();
            if (c == ',') {
                pos++;
                c = skipWhitespace();
            } else if (c == '}') {
                pos++;
                endObject(base);
                return;
            } else {
                throw unexpected("',' or '}'");
            }
        }
    }

    // ---- stepping through objects and arrays whose contents the caller reads ----

    /**
     * Opens the object whose '{' is at {@link #pos}, of depth {@code depth}: -1 if it is empty (then past its '}'),
     * else the base to pass to {@link #nextMember} (its first member's name comes next). A loop over its members:
     * {@code for (int base = openObject(d); base >= 0 && ...; )} or {@code do { ... } while (nextMember(base))}.
     */
    public int openObject(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++;
        if (skipWhitespace() == '}') {
            pos++;
            return -1;
        }
        return beginObject();
    }

    /** Opens the array whose '[' is at {@link #pos}: false if it is empty (then past its ']'), else true. */
    public boolean openArray(int depth) throws JsonSyntaxException {
        checkDepth(depth);
        pos++;
        if (skipWhitespace() == ']') {
            pos++;
            return false;
        }
        return true;
    }

    /**
     * Scans the member name that must come next (else "expected {@code wanted}"); returns its start, its end is
     * {@code pos - 1} and {@link #stringHasEscape} says whether it has escapes. The caller checks and remembers it
     * ({@link #memberName} or {@link #name}), then calls {@link #valueNext}.
     */
    public int nameNext(String wanted) throws JsonSyntaxException {
        if (skipWhitespace() != '"') {
            throw unexpected(wanted);
        }
        return scanString();
    }

    /** After a member name: the ':' and white space; returns the first character of the value (at {@link #pos}). */
    public int valueNext() throws JsonSyntaxException {
        expect(':');
        return skipWhitespace();
    }

    // ---- member names: length limit and duplicates ----

    /** Starts collecting the member names of an object; pass the result to {@link #endObject}. */
    public int beginObject() {
        return nameTop;
    }

    /** A member name {@code buf[start, end)}: checked against limits.maxKeyBytes, then remembered. */
    public void memberName(int start, int end, boolean escaped) throws JsonSyntaxException {
        checkNameLength(start, end);
        name(start, end, escaped);
    }

    /** Refuses a member name {@code buf[start, end)} longer than limits.maxKeyBytes (170, scanning stops). */
    public void checkNameLength(int start, int end) throws JsonSyntaxException {
        if (end - start > maxNameBytes) {
            pos = start;
            throw new JsonSyntaxException(Status.LIMIT_EXCEEDED, nameLimitMessage);
        }
    }

    /** Remembers a member name of the current object without a length check (the caller checked it). */
    public void name(int start, int end, boolean escaped) {
        int t = nameTop;
        if (t + 3 > names.length) {
            names = java.util.Arrays.copyOf(names, names.length * 2);
        }
        names[t] = start;
        names[t + 1] = end;
        names[t + 2] = escaped ? 1 : 0;
        nameTop = t + 3;
    }

    /**
     * After an object member: true past a ',' (another member follows), false past the closing '}', which ends
     * the object begun at {@code base} ({@link #endObject}).
     */
    public boolean nextMember(int base) throws JsonSyntaxException {
        int c = skipWhitespace();
        if (c == ',') {
            pos++;
            return true;
        }
        if (c == '}') {
            pos++;
            endObject(base);
            return false;
        }
        throw unexpected("',' or '}'");
    }

    /** After an array item: true past a ',' (another item follows), false past the closing ']'. */
    public boolean nextItem() throws JsonSyntaxException {
        int c = skipWhitespace();
        if (c == ',') {
            pos++;
            return true;
        }
        if (c == ']') {
            pos++;
            return false;
        }
        throw unexpected("',' or ']'");
    }

    /** Ends an object begun at {@code base}: notes the first duplicate name (if none was found yet). */
    public void endObject(int base) {
        int n = (nameTop - base) / 3;
        if (n >= 2 && duplicateStart < 0) {
            if (n <= PAIRWISE_MAX) {
                pairwise(base, n);
            } else {
                hashed(base, n);
            }
        }
        nameTop = base;
    }

    /** True once a member name was found twice in one object of this message. */
    public boolean hasDuplicate() {
        return duplicateStart >= 0;
    }

    /** The first duplicate member name, decoded (for the error message). */
    public String duplicateName() {
        return JsonStrings.decode(buf, duplicateStart, duplicateEnd, duplicateEscaped);
    }

    private void pairwise(int base, int n) {
        for (int i = 1; i < n; i++) {
            int a = base + 3 * i;
            for (int j = 0; j < i; j++) {
                if (sameName(a, base + 3 * j)) {
                    noteDuplicate(a);
                    return;
                }
            }
        }
    }

    private void hashed(int base, int n) {
        int size = Integer.highestOneBit(n * 2 - 1) << 1;
        if (nameTable.length < size) {
            nameTable = new int[size];
        } else {
            java.util.Arrays.fill(nameTable, 0, size, 0);
        }
        final int[] table = nameTable;
        final int mask = size - 1;
        for (int i = 0; i < n; i++) {
            int a = base + 3 * i;
            int slot = hashName(a) & mask;
            while (true) {
                int other = table[slot];
                if (other == 0) {
                    table[slot] = i + 1;
                    break;
                }
                if (sameName(a, base + 3 * (other - 1))) {
                    noteDuplicate(a);
                    return;
                }
                slot = (slot + 1) & mask;
            }
        }
    }

    private void noteDuplicate(int a) {
        duplicateStart = names[a];
        duplicateEnd = names[a + 1];
        duplicateEscaped = names[a + 2] != 0;
    }

    /** Names are equal when their decoded strings are: {@code "a"} and {@code "\u0061"} are the same name. */
    private boolean sameName(int a, int b) {
        int as = names[a];
        int ae = names[a + 1];
        int bs = names[b];
        int be = names[b + 1];
        if (names[a + 2] == 0 && names[b + 2] == 0) {
            return ae - as == be - bs && java.util.Arrays.equals(buf, as, ae, buf, bs, be);
        }
        // rare: an escape in either; compare canonical forms (a raw unescaped name is its own canonical form)
        byte[] x = JsonStrings.canonical(buf, as, ae, names[a + 2] != 0);
        byte[] y = JsonStrings.canonical(buf, bs, be, names[b + 2] != 0);
        return java.util.Arrays.equals(x, y);
    }

    /** Seeded hash of a name's canonical bytes, so clients cannot choose colliding names in advance. */
    private int hashName(int a) {
        int s = names[a];
        int e = names[a + 1];
        if (names[a + 2] != 0) {
            byte[] c = JsonStrings.canonical(buf, s, e, true);
            return hash(c, 0, c.length);
        }
        return hash(buf, s, e);
    }

    private int hash(byte[] b, int from, int to) {
        long h = seed ^ ((to - from) * 0x9E3779B97F4A7C15L);
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long w = (long) LONGS.get(b, i);
            h = Long.rotateLeft(h ^ (w * 0x87C37B91114253D5L), 31) * 0x4CF5AD432745937FL;
        }
        long tail = 0;
        for (int shift = 0; i < to; i++, shift += 8) {
            tail |= (b[i] & 0xFFL) << shift;
        }
        h ^= tail * 0x87C37B91114253D5L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h;
    }

    /** Scans an array whose '[' is at {@link #pos}; {@code depth} is its own depth. */
    public void scanArray(int depth) throws JsonSyntaxException {
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
