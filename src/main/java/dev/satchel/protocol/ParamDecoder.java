package dev.satchel.protocol;

import dev.satchel.engine.Request;
import dev.satchel.json.JsonScanner;
import dev.satchel.json.JsonStrings;
import dev.satchel.json.JsonSyntaxException;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import java.util.Arrays;

/**
 * Reads the value of each parameter the commands declare into a {@link Request}, for {@link RequestDecoder}
 * (which owns the envelope and finds the parameters): tokens, {@code keys} objects (packed into stored
 * entries) and arrays, names, {@code shared}, {@code expiry} and {@code tkns}. Checks the per-request limits
 * as it reads (170); type problems are left to the command's validation, except inside {@code expiry}.
 * Shares its decoder's scanner; one per I/O thread like it.
 */
final class ParamDecoder {
    private final JsonScanner sc;
    private final TokenFormat tokenFormat;
    private final RequestDecoder.Limits limits;
    private final long[] token = new long[2];
    private final String keyLengthMessage;
    private final String keyCountMessage;
    private final String tokenCountMessage;
    private final String valueSizeMessage;

    ParamDecoder(JsonScanner sc, TokenFormat tokenFormat, RequestDecoder.Limits limits) {
        this.sc = sc;
        this.tokenFormat = tokenFormat;
        this.limits = limits;
        this.keyLengthMessage = "key longer than limits.maxKeyBytes (" + limits.maxKeyBytes() + ")";
        this.keyCountMessage = "more than limits.maxKeysPerRequest (" + limits.maxKeysPerRequest() + ") keys";
        this.tokenCountMessage = "more than limits.maxKeysPerRequest (" + limits.maxKeysPerRequest()
                + ") items in tkns";
        this.valueSizeMessage = "value larger than limits.maxValueBytes (" + limits.maxValueBytes() + ")";
    }

    /** Records a request limit problem (170) unless an earlier problem was found. */
    private static void limitProblem(Request r, String message) {
        if (r.errorStatus == null) {
            r.errorStatus = Status.LIMIT_EXCEEDED;
            r.errorMessage = message;
        }
    }

    private static byte typeOf(int c) {
        return switch (c) {
            case '{' -> Request.OBJECT;
            case '[' -> Request.ARRAY;
            case '"' -> Request.STRING;
            case 't', 'f' -> Request.BOOLEAN;
            case 'n' -> Request.NULL;
            default -> Request.NUMBER;
        };
    }

    /**
     * Scans a token value at the current position (depth {@code depth}) into {@link #token}; returns
     * {@link Request#TOKEN_VALID} or {@link Request#TOKEN_MALFORMED}.
     */
    private byte scanToken(int depth) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int c = sc.skipWhitespace();
        if (c == '"') {
            int s = sc.scanString();
            int e = sc.pos - 1;
            byte[] text = b;
            if (sc.stringHasEscape) {
                text = JsonStrings.canonical(b, s, e, true);
                s = 0;
                e = text.length;
            }
            if (tokenFormat == TokenFormat.STRING) {
                return TokenFormat.parseBase64(text, s, e, token) ? Request.TOKEN_VALID : Request.TOKEN_MALFORMED;
            }
            return uint64Token(text, s, e);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            int s = sc.pos;
            sc.scanNumber();
            if (tokenFormat == TokenFormat.UINT64 && sc.numberIsInteger && !sc.numberIsNegative) {
                return uint64Token(b, s, sc.pos);
            }
            return Request.TOKEN_MALFORMED;
        }
        sc.scanValue(depth);
        return Request.TOKEN_MALFORMED;
    }

    private byte uint64Token(byte[] text, int from, int to) {
        long v = TokenFormat.parseUnsigned(text, from, to);
        if (v == 0) {
            return Request.TOKEN_MALFORMED;
        }
        token[0] = 0;
        token[1] = v;
        return Request.TOKEN_VALID;
    }

    void parseToken(Request r) throws JsonSyntaxException {
        r.tknState = scanToken(2);
        r.tknHi = token[0];
        r.tknLo = token[1];
    }

    void parseKeys(Request r) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        r.keysType = typeOf(c);
        if (c == '{') {
            parseKeysObject(r);
        } else if (c == '[') {
            parseKeysArray(r);
        } else {
            sc.scanValue(2);
        }
    }

    /** A {@code keys} object, its '{' at the current position: each member packed into a stored entry. */
    private void parseKeysObject(Request r) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        sc.checkDepth(3);
        sc.pos++;
        int c = sc.skipWhitespace();
        byte[][] entries = new byte[4][];
        int n = 0;
        if (c == '}') {
            sc.pos++;
        } else {
            int base = sc.beginObject();
            boolean build = true; // stops after a limit problem: the request is refused anyway
            while (true) {
                if (c != '"') {
                    throw sc.unexpected("a key");
                }
                int ks = sc.scanString();
                int ke = sc.pos - 1;
                boolean escaped = sc.stringHasEscape;
                if (ke - ks > limits.maxKeyBytes()) {
                    limitProblem(r, keyLengthMessage);
                    build = false;
                }
                sc.name(ks, ke, escaped);
                sc.expect(':');
                sc.skipWhitespace();
                int vs = sc.pos;
                sc.scanValue(3);
                if (n == limits.maxKeysPerRequest()) {
                    limitProblem(r, keyCountMessage);
                    build = false;
                }
                if (build) {
                    if (n == entries.length) {
                        entries = Arrays.copyOf(entries, n * 2);
                    }
                    byte[] e = entry(b, ks, ke, escaped, vs, sc.pos);
                    if (sc.pos - vs > limits.maxValueBytes()
                            && e.length - Entry.valueOffset(e) > limits.maxValueBytes()) {
                        limitProblem(r, valueSizeMessage);
                        build = false;
                    }
                    entries[n] = e;
                }
                n++;
                if (!sc.nextMember(base)) {
                    break;
                }
                c = sc.skipWhitespace();
            }
        }
        r.entries = entries;
        r.keyCount = Math.min(n, entries.length);
    }

    /** A {@code keys} array, its '[' at the current position: the canonical bytes of its string items. */
    private void parseKeysArray(Request r) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        sc.checkDepth(3);
        sc.pos++;
        int c = sc.skipWhitespace();
        byte[][] keys = new byte[4][];
        int n = 0;
        int items = 0;
        if (c == ']') {
            sc.pos++;
        } else {
            while (true) {
                items++;
                if (items > limits.maxKeysPerRequest()) {
                    limitProblem(r, keyCountMessage);
                }
                if (c == '"') {
                    int ks = sc.scanString();
                    if (sc.pos - 1 - ks > limits.maxKeyBytes()) {
                        limitProblem(r, keyLengthMessage);
                    }
                    if (r.errorStatus == null) {
                        if (n == keys.length) {
                            keys = Arrays.copyOf(keys, n * 2);
                        }
                        keys[n++] = JsonStrings.canonical(b, ks, sc.pos - 1, sc.stringHasEscape);
                    }
                } else {
                    sc.scanValue(3);
                }
                if (!sc.nextItem()) {
                    break;
                }
                c = sc.skipWhitespace();
            }
        }
        r.keys = keys;
        r.keyCount = n;
        r.keyItems = items;
    }

    /** Packs key {@code b[ks, ke)} and value {@code b[vs, ve)} into one stored entry. */
    private static byte[] entry(byte[] b, int ks, int ke, boolean keyEscaped, int vs, int ve) {
        byte[] key = keyEscaped ? JsonStrings.canonical(b, ks, ke, true) : null;
        int keyLength = key != null ? key.length : ke - ks;
        int at = Entry.varintSize(keyLength);
        byte[] e = new byte[at + keyLength + (ve - vs)];
        Entry.putVarint(e, 0, keyLength);
        if (key != null) {
            System.arraycopy(key, 0, e, at, keyLength);
        } else {
            System.arraycopy(b, ks, e, at, keyLength);
        }
        at += keyLength;
        int n = JsonStrings.compactInto(b, vs, ve, e, at);
        return at + n == e.length ? e : Arrays.copyOf(e, at + n);
    }

    void parseName(Request r) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        r.nameType = typeOf(c);
        if (c == '"') {
            int s = sc.scanString();
            r.name = JsonStrings.decode(sc.buffer(), s, sc.pos - 1, sc.stringHasEscape);
        } else {
            sc.scanValue(2);
        }
    }

    void parseShared(Request r) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        r.sharedType = typeOf(c);
        r.shared = c == 't';
        sc.scanValue(2);
    }

    void parseExpiry(Request r) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int c = sc.skipWhitespace();
        r.expiryType = typeOf(c);
        if (c != '{') {
            sc.scanValue(2);
            return;
        }
        sc.checkDepth(3);
        sc.pos++;
        c = sc.skipWhitespace();
        boolean hasDuration = false;
        int seen = 0;
        if (c == '}') {
            sc.pos++;
        } else {
            int base = sc.beginObject();
            while (true) {
                if (c != '"') {
                    throw sc.unexpected("a member name");
                }
                int s = sc.scanString();
                sc.memberName(s, sc.pos - 1, sc.stringHasEscape);
                String member = JsonStrings.decode(b, s, sc.pos - 1, sc.stringHasEscape);
                sc.expect(':');
                c = sc.skipWhitespace();
                int bit = switch (member) {
                    case "duration" -> 1;
                    case "deleteSession" -> 2;
                    case "extendOnSetAdd" -> 4;
                    case "extendOnGet" -> 8;
                    default -> 0;
                };
                if ((seen & bit) != 0) {
                    expiryProblem(r, Status.COMMAND_SYNTAX, "duplicate member 'expiry." + member + "'");
                    sc.scanValue(3);
                } else if (bit == 1) {
                    hasDuration = true;
                    parseDuration(r, c);
                } else if (bit != 0) {
                    if (c == 't' || c == 'f') {
                        boolean v = c == 't';
                        switch (bit) {
                            case 2 -> r.expiryDeleteSession = v;
                            case 4 -> r.expiryExtendOnSetAdd = v;
                            default -> r.expiryExtendOnGet = v;
                        }
                    } else {
                        expiryProblem(r, Status.VALUE_TYPE_INVALID, "expiry." + member + " must be a boolean");
                    }
                    sc.scanValue(3);
                } else {
                    sc.scanValue(3);
                }
                seen |= bit;
                if (!sc.nextMember(base)) {
                    break;
                }
                c = sc.skipWhitespace();
            }
        }
        if (!hasDuration) {
            expiryProblem(r, Status.PARAM_MISSING, "expiry.duration is required");
        }
    }

    void parseDuration(Request r, int c) throws JsonSyntaxException {
        if (c != '-' && (c < '0' || c > '9')) {
            expiryProblem(r, Status.VALUE_TYPE_INVALID, "expiry.duration must be a whole number of seconds");
            sc.scanValue(3);
            return;
        }
        int s = sc.pos;
        sc.scanNumber();
        final byte[] b = sc.buffer();
        if (sc.numberIsNegative && sc.numberIsInteger && sc.pos - s == 2 && b[s + 1] == '0') {
            r.expiryDurationSeconds = 0; // -0 is zero (the only negative spelling of it: JSON has no -00)
            return;
        }
        if (sc.numberIsNegative || !sc.numberIsInteger) {
            expiryProblem(r, Status.VALUE_TYPE_INVALID,
                    "expiry.duration must be a whole number of seconds, 0 or more");
            return;
        }
        long v = 0;
        for (int i = s; i < sc.pos; i++) {
            v = v * 10 + (b[i] - '0');
            if (v > RequestDecoder.MAX_DURATION_SECONDS) {
                expiryProblem(r, Status.VALUE_SIZE,
                        "expiry.duration is too large (at most " + RequestDecoder.MAX_DURATION_SECONDS + " seconds)");
                return;
            }
        }
        r.expiryDurationSeconds = v;
    }

    private static void expiryProblem(Request r, Status status, String message) {
        if (r.expiryStatus == null) {
            r.expiryStatus = status;
            r.expiryMessage = message;
        }
    }

    void parseTokenList(Request r) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int c = sc.skipWhitespace();
        r.tknsType = typeOf(c);
        if (c != '[') {
            sc.scanValue(2);
            return;
        }
        sc.checkDepth(3);
        sc.pos++;
        c = sc.skipWhitespace();
        int n = 0;
        int cap = 4;
        boolean[] valid = new boolean[cap];
        long[] his = new long[cap];
        long[] los = new long[cap];
        byte[][] raws = new byte[cap][];
        if (c == ']') {
            sc.pos++;
        } else {
            while (true) {
                int s = sc.pos;
                byte state = scanToken(3);
                if (n == limits.maxKeysPerRequest()) {
                    limitProblem(r, tokenCountMessage);
                }
                if (r.errorStatus == Status.LIMIT_EXCEEDED) {
                    n++; // counted, not kept: the request is refused
                    if (!sc.nextItem()) {
                        break;
                    }
                    c = sc.skipWhitespace();
                    continue;
                }
                if (n == cap) {
                    cap *= 2;
                    valid = Arrays.copyOf(valid, cap);
                    his = Arrays.copyOf(his, cap);
                    los = Arrays.copyOf(los, cap);
                    raws = Arrays.copyOf(raws, cap);
                }
                valid[n] = state == Request.TOKEN_VALID;
                his[n] = token[0];
                los[n] = token[1];
                raws[n] = valid[n] ? Arrays.copyOfRange(b, s, sc.pos) : null;
                n++;
                if (!sc.nextItem()) {
                    break;
                }
                c = sc.skipWhitespace();
            }
        }
        r.tknsCount = Math.min(n, cap);
        r.tknsValid = valid;
        r.tknsHi = his;
        r.tknsLo = los;
        r.tknsRaw = raws;
    }
}
