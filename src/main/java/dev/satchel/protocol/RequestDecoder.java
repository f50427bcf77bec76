package dev.satchel.protocol;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.Entry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns one request message into a {@link Request}, on the I/O thread that read it. The whole message is
 * checked for JSON syntax first (any syntax error is status 3, even when other problems exist), then the
 * envelope (13 / 10), then the command's own parameter rules ({@link Command#validate}). A request that
 * fails here is answered without touching any data. One decoder per thread: it reuses its scanner.
 */
public final class RequestDecoder {
    /** Prefix of envelope-level error responses. */
    public static final byte[] ERR = ResponseWriter.prefix("ERR");
    /** Longest unknown command name echoed back as {@code <NAME>_RSP}. */
    public static final int MAX_ECHOED_NAME = 64;
    /** Largest expiry duration in seconds: the deadline must stay representable in milliseconds. */
    public static final long MAX_DURATION_SECONDS = Long.MAX_VALUE / 4000;

    private static final int P_TKN = 1;
    private static final int P_KEYS = 2;
    private static final int P_NAME = 3;
    private static final int P_SHARED = 4;
    private static final int P_EXPIRY = 5;
    private static final int P_TKNS = 6;
    private static final String[] PARAM_NAMES = {"", "tkn", "keys", "name", "shared", "expiry", "tkns"};
    private static final byte[][] PARAM_BYTES = new byte[PARAM_NAMES.length][];

    static {
        for (int i = 0; i < PARAM_NAMES.length; i++) {
            PARAM_BYTES[i] = PARAM_NAMES[i].getBytes(StandardCharsets.US_ASCII);
        }
    }

    private final JsonScanner sc;
    private final TokenFormat tokenFormat;
    private final CommandRegistry commands;
    private final long[] token = new long[2];
    private final Limits limits;
    private final String keyLengthMessage;
    private final String keyCountMessage;
    private final String tokenCountMessage;
    private final String valueSizeMessage;

    /**
     * Request limits (README "Security and limits"). The scanner's (depth, string, number, member name) stop
     * scanning and are answered {@code ERR} 170; the others are answered with the command's response name.
     */
    public record Limits(int maxDepth, int maxStringBytes, int maxNumberChars, int maxKeyBytes, int maxKeysPerRequest,
            int maxValueBytes) {
        /** Only the nesting limit. */
        public static Limits depthOnly(int maxDepth) {
            return new Limits(maxDepth, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
                    Integer.MAX_VALUE);
        }
    }

    public RequestDecoder(CommandRegistry commands, TokenFormat tokenFormat, int maxDepth) {
        this(commands, tokenFormat, Limits.depthOnly(maxDepth));
    }

    public RequestDecoder(CommandRegistry commands, TokenFormat tokenFormat, Limits limits) {
        this.commands = commands;
        this.tokenFormat = tokenFormat;
        this.limits = limits;
        this.sc = new JsonScanner(limits.maxDepth(), limits.maxStringBytes(), limits.maxNumberChars(),
                limits.maxKeyBytes());
        this.keyLengthMessage = "key longer than limits.maxKeyBytes (" + limits.maxKeyBytes() + ")";
        this.keyCountMessage = "more than limits.maxKeysPerRequest (" + limits.maxKeysPerRequest() + ") keys";
        this.tokenCountMessage = "more than limits.maxKeysPerRequest (" + limits.maxKeysPerRequest()
                + ") items in tkns";
        this.valueSizeMessage = "value larger than limits.maxValueBytes (" + limits.maxValueBytes() + ")";
    }

    /** Records a request limit problem (170) unless an earlier problem was found. */
    private static void limitProblem(Request r, String message) {
        if (r.errorStatus == 0) {
            r.errorStatus = Status.LIMIT_EXCEEDED;
            r.errorMessage = message;
        }
    }

    /** Decodes {@code buf[0, length)}. Never throws for any input. */
    public Request decode(byte[] buf, int length) {
        Request r = new Request();
        sc.reset(buf, length);
        try {
            return decodeEnvelope(r, buf);
        } catch (JsonSyntaxException e) {
            return new Request().fail(ERR, e.status(), e.getMessage());
        }
    }

    private Request decodeEnvelope(Request r, byte[] b) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        if (c != '{') {
            sc.scanValue(0);
            requireEnd();
            return r.fail(ERR, Status.COMMAND_SYNTAX, "request must be a JSON object holding one command");
        }
        sc.pos++;
        c = sc.skipWhitespace();
        if (c == '}') {
            sc.pos++;
            requireEnd();
            return r.fail(ERR, Status.COMMAND_SYNTAX, "request object is empty: expected one command");
        }
        if (c != '"') {
            throw sc.unexpected("a command name");
        }
        int nameStart = sc.scanString();
        int nameEnd = sc.pos - 1;
        boolean nameEscaped = sc.stringHasEscape;
        sc.checkNameLength(nameStart, nameEnd);
        sc.expect(':');
        Command command = nameEscaped
                ? commands.lookup(JsonStrings.canonical(b, nameStart, nameEnd, true))
                : commands.lookup(b, nameStart, nameEnd);
        boolean paramsAreObject = sc.skipWhitespace() == '{';
        if (command != null && paramsAreObject) {
            parseParams(r);
        } else {
            sc.scanValue(1);
        }
        c = sc.skipWhitespace();
        if (c == ',') {
            sc.pos++;
            scanRemainingMembers();
            requireEnd();
            return r.fail(ERR, Status.COMMAND_SYNTAX, "request must hold exactly one command");
        }
        if (c != '}') {
            throw sc.unexpected("'}'");
        }
        sc.pos++;
        requireEnd();
        if (command == null) {
            return unknownCommand(r, b, nameStart, nameEnd, nameEscaped);
        }
        if (sc.hasDuplicate() && r.errorStatus == 0) {
            // RFC 8259 leaves duplicate names to the parser: Satchel refuses them at every level
            return r.fail(command.responsePrefix(), Status.COMMAND_SYNTAX,
                    "duplicate member name " + shortQuoted(sc.duplicateName()));
        }
        if (!paramsAreObject) {
            return r.fail(command.responsePrefix(), Status.COMMAND_SYNTAX, "command value must be a JSON object");
        }
        if (r.errorStatus != 0) {
            r.errorName = command.responsePrefix();
            return r;
        }
        r.command = command;
        command.validate(r);
        if (r.errorStatus != 0) {
            r.command = null;
            r.errorName = command.responsePrefix();
        }
        return r;
    }

    /** A name for an error message: quoted, at most 64 characters. */
    private static String shortQuoted(String name) {
        String n = name.length() > 64 ? name.substring(0, 61) + "..." : name;
        StringBuilder q = new StringBuilder(n.length() + 2).append('"');
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20) {
                q.append(String.format("\\u%04x", (int) c));
            } else {
                q.append(c);
            }
        }
        return q.append('"').toString();
    }

    private Request unknownCommand(Request r, byte[] b, int from, int to, boolean escaped) {
        byte[] name = JsonStrings.canonical(b, from, to, escaped);
        if (name.length > MAX_ECHOED_NAME) {
            return r.fail(ERR, Status.COMMAND_NOT_EXIST,
                    "unknown command (name longer than " + MAX_ECHOED_NAME + " bytes)");
        }
        byte[] prefix = new byte[name.length + 16];
        int n = 0;
        prefix[n++] = '{';
        prefix[n++] = '"';
        System.arraycopy(name, 0, prefix, n, name.length);
        n += name.length;
        for (byte x : "_RSP\":{\"st\":".getBytes(StandardCharsets.US_ASCII)) {
            prefix[n++] = x;
        }
        return r.fail(Arrays.copyOf(prefix, n), Status.COMMAND_NOT_EXIST, "unknown command");
    }

    private void requireEnd() throws JsonSyntaxException {
        if (!sc.atEnd()) {
            throw new JsonSyntaxException("unexpected characters after the request object at byte " + sc.pos);
        }
    }

    /** After a ',' at depth 1: scans members up to and including the closing '}'. */
    private void scanRemainingMembers() throws JsonSyntaxException {
        while (true) {
            if (sc.skipWhitespace() != '"') {
                throw sc.unexpected("a member name");
            }
            sc.scanString();
            sc.expect(':');
            sc.scanValue(1);
            int c = sc.skipWhitespace();
            if (c == ',') {
                sc.pos++;
            } else if (c == '}') {
                sc.pos++;
                return;
            } else {
                throw sc.unexpected("',' or '}'");
            }
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

    private int paramId(byte[] b, int from, int to, boolean escaped) {
        if (escaped) {
            byte[] name = JsonStrings.canonical(b, from, to, true);
            return paramId(name, 0, name.length, false);
        }
        int n = to - from;
        for (int i = 1; i < PARAM_BYTES.length; i++) {
            byte[] p = PARAM_BYTES[i];
            if (p.length == n && Arrays.equals(p, 0, n, b, from, to)) {
                return i;
            }
        }
        return 0;
    }

    /** Parses the parameters object at depth 2, whose '{' is at the current position. */
    private void parseParams(Request r) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        sc.checkDepth(2);
        sc.pos++;
        int c = sc.skipWhitespace();
        if (c == '}') {
            sc.pos++;
            return;
        }
        int seen = 0;
        int base = sc.beginObject();
        while (true) {
            if (c != '"') {
                throw sc.unexpected("a parameter name");
            }
            int s = sc.scanString();
            sc.memberName(s, sc.pos - 1, sc.stringHasEscape);
            int id = paramId(b, s, sc.pos - 1, sc.stringHasEscape);
            sc.expect(':');
            sc.skipWhitespace();
            if (id != 0 && (seen & (1 << id)) != 0) {
                if (r.errorStatus == 0) {
                    r.errorStatus = Status.COMMAND_SYNTAX;
                    r.errorMessage = "duplicate parameter '" + PARAM_NAMES[id] + "'";
                }
                id = 0;
            }
            seen |= 1 << id;
            switch (id) {
                case P_TKN -> parseToken(r);
                case P_KEYS -> parseKeys(r);
                case P_NAME -> parseName(r);
                case P_SHARED -> parseShared(r);
                case P_EXPIRY -> parseExpiry(r);
                case P_TKNS -> parseTokenList(r);
                default -> sc.scanValue(2);
            }
            c = sc.skipWhitespace();
            if (c == ',') {
                sc.pos++;
                c = sc.skipWhitespace();
            } else if (c == '}') {
                sc.pos++;
                sc.endObject(base);
                return;
            } else {
                throw sc.unexpected("',' or '}'");
            }
        }
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

    private void parseToken(Request r) throws JsonSyntaxException {
        r.tknState = scanToken(2);
        r.tknHi = token[0];
        r.tknLo = token[1];
    }

    private void parseKeys(Request r) throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int c = sc.skipWhitespace();
        r.keysType = typeOf(c);
        if (c == '{') {
            sc.checkDepth(3);
            sc.pos++;
            c = sc.skipWhitespace();
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
                    c = sc.skipWhitespace();
                    if (c == ',') {
                        sc.pos++;
                        c = sc.skipWhitespace();
                    } else if (c == '}') {
                        sc.pos++;
                        sc.endObject(base);
                        break;
                    } else {
                        throw sc.unexpected("',' or '}'");
                    }
                }
            }
            r.entries = entries;
            r.keyCount = Math.min(n, entries.length);
        } else if (c == '[') {
            sc.checkDepth(3);
            sc.pos++;
            c = sc.skipWhitespace();
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
                        if (r.errorStatus == 0) {
                            if (n == keys.length) {
                                keys = Arrays.copyOf(keys, n * 2);
                            }
                            keys[n++] = JsonStrings.canonical(b, ks, sc.pos - 1, sc.stringHasEscape);
                        }
                    } else {
                        sc.scanValue(3);
                    }
                    c = sc.skipWhitespace();
                    if (c == ',') {
                        sc.pos++;
                        c = sc.skipWhitespace();
                    } else if (c == ']') {
                        sc.pos++;
                        break;
                    } else {
                        throw sc.unexpected("',' or ']'");
                    }
                }
            }
            r.keys = keys;
            r.keyCount = n;
            r.keyItems = items;
        } else {
            sc.scanValue(2);
        }
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

    private void parseName(Request r) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        r.nameType = typeOf(c);
        if (c == '"') {
            int s = sc.scanString();
            r.name = JsonStrings.decode(sc.buffer(), s, sc.pos - 1, sc.stringHasEscape);
        } else {
            sc.scanValue(2);
        }
    }

    private void parseShared(Request r) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        r.sharedType = typeOf(c);
        r.shared = c == 't';
        sc.scanValue(2);
    }

    private void parseExpiry(Request r) throws JsonSyntaxException {
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
                c = sc.skipWhitespace();
                if (c == ',') {
                    sc.pos++;
                    c = sc.skipWhitespace();
                } else if (c == '}') {
                    sc.pos++;
                    sc.endObject(base);
                    break;
                } else {
                    throw sc.unexpected("',' or '}'");
                }
            }
        }
        if (!hasDuration) {
            expiryProblem(r, Status.PARAM_MISSING, "expiry.duration is required");
        }
    }

    private void parseDuration(Request r, int c) throws JsonSyntaxException {
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
            if (v > MAX_DURATION_SECONDS) {
                expiryProblem(r, Status.VALUE_SIZE,
                        "expiry.duration is too large (at most " + MAX_DURATION_SECONDS + " seconds)");
                return;
            }
        }
        r.expiryDurationSeconds = v;
    }

    private static void expiryProblem(Request r, int status, String message) {
        if (r.expiryStatus == 0) {
            r.expiryStatus = status;
            r.expiryMessage = message;
        }
    }

    private void parseTokenList(Request r) throws JsonSyntaxException {
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
                    c = sc.skipWhitespace();
                    if (c == ',') {
                        sc.pos++;
                        c = sc.skipWhitespace();
                        continue;
                    } else if (c == ']') {
                        sc.pos++;
                        break;
                    }
                    throw sc.unexpected("',' or ']'");
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
                c = sc.skipWhitespace();
                if (c == ',') {
                    sc.pos++;
                    c = sc.skipWhitespace();
                } else if (c == ']') {
                    sc.pos++;
                    break;
                } else {
                    throw sc.unexpected("',' or ']'");
                }
            }
        }
        r.tknsCount = Math.min(n, cap);
        r.tknsValid = valid;
        r.tknsHi = his;
        r.tknsLo = los;
        r.tknsRaw = raws;
    }
}
