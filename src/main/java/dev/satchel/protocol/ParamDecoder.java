package dev.satchel.protocol;

import dev.satchel.engine.Params;
import dev.satchel.json.JsonScanner;
import dev.satchel.json.JsonStrings;
import dev.satchel.json.JsonSyntaxException;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import java.util.Arrays;

/**
 * Reads the value of each parameter the commands declare, for {@link RequestDecoder} (which owns the envelope,
 * finds the parameters and checks them against the declaration): tokens, {@code keys} objects (packed into stored
 * entries) and arrays, names, {@code shared}, {@code expiry} and {@code tkns}. Checks the per-request limits as it
 * reads (170). Then it is the {@link Params} the command builds its immutable request from: the values live in
 * arrays and fields reused from message to message, so reading allocates only what the request keeps (entries,
 * keys, strings) and the request copies out exactly what it needs. Shares its decoder's scanner; one per I/O thread
 * like it.
 */
final class ParamDecoder implements Params {
    /** JSON type of a parameter as sent; {@code ABSENT} when not given. */
    static final byte ABSENT = 0;
    static final byte OBJECT = 1;
    static final byte ARRAY = 2;
    static final byte STRING = 3;
    static final byte NUMBER = 4;
    static final byte BOOLEAN = 5;
    static final byte NULL = 6;

    /** The parameters this class reads, by how their value is read (index into {@link #types}). */
    static final int P_TKN = 1;
    static final int P_KEYS = 2;
    static final int P_NAME = 3;
    static final int P_SHARED = 4;
    static final int P_EXPIRY = 5;
    static final int P_TKNS = 6;

    private final JsonScanner sc;
    private final TokenFormat tokenFormat;
    private final RequestDecoder.Limits limits;
    private final long[] token = new long[2];
    private final String keyLengthMessage;
    private final String keyCountMessage;
    private final String tokenCountMessage;
    private final String valueSizeMessage;

    // ---- the values of the current message (reset by begin) ----

    private int messageBytes;
    /** The message's bytes while a request is built from it, when messages are kept (cluster mode); else null. */
    private byte[] kept;
    /** The readers used for this message, bit {@code 1 << P_*} each (what {@link #begin} must reset next time). */
    private int used;
    /** JSON type of each parameter as sent, by reader ({@code P_*}). */
    private final byte[] types = new byte[7];
    /** First problem met while reading (a request limit, a repeated parameter), or null. */
    private Status problem;
    private String problemMessage;
    private boolean tokenValid;
    private long tokenHi;
    private long tokenLo;
    private byte[][] entries = new byte[16][];
    private int entryCount;
    private byte[][] keys = new byte[16][];
    private int keyCount;
    /** Items of a {@code keys} array of any type (non-strings are not in {@link #keys}). */
    private int keyItems;
    private String name;
    private boolean shared;
    private long expirySeconds;
    private boolean expiryDeleteSession;
    private boolean expiryExtendOnSetAdd;
    private boolean expiryExtendOnGet;
    /** First problem inside {@code expiry}, or null. */
    private Status expiryProblem;
    private String expiryMessage;
    private int tknsCount;
    private boolean[] tknsValid = new boolean[16];
    private long[] tknsHi = new long[16];
    private long[] tknsLo = new long[16];
    private byte[][] tknsText = new byte[16][];

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

    /** Forgets the previous message's values ({@link #release} dropped its arrays); {@code n} is the new one's size. */
    void begin(int n) {
        messageBytes = n;
        problem = null;
        problemMessage = null;
        int u = used;
        if (u != 0) {
            used = 0;
            forget(u);
        }
    }

    /** Resets the values of the parameters read last time (bit {@code 1 << P_*} each): only those were set. */
    private void forget(int u) {
        if ((u & 1 << P_TKN) != 0) {
            types[P_TKN] = ABSENT;
            tokenValid = false;
            tokenHi = 0;
            tokenLo = 0;
        }
        if ((u & 1 << P_KEYS) != 0) {
            types[P_KEYS] = ABSENT;
            keyItems = 0;
        }
        if ((u & 1 << P_NAME) != 0) {
            types[P_NAME] = ABSENT;
            name = null;
        }
        if ((u & 1 << P_SHARED) != 0) {
            types[P_SHARED] = ABSENT;
            shared = false;
        }
        if ((u & 1 << P_EXPIRY) != 0) {
            types[P_EXPIRY] = ABSENT;
            expirySeconds = 0;
            expiryDeleteSession = false;
            expiryExtendOnSetAdd = false;
            expiryExtendOnGet = false;
            expiryProblem = null;
            expiryMessage = null;
        }
        if ((u & 1 << P_TKNS) != 0) {
            types[P_TKNS] = ABSENT;
        }
    }

    /** Cluster mode: the requests built from this message get a copy of it ({@link #message()}). */
    void keep(byte[] buf) {
        this.kept = buf;
    }

    @Override
    public byte[] message() {
        byte[] b = kept;
        return b == null ? null : java.util.Arrays.copyOf(b, messageBytes);
    }

    /** Drops the references to the last message's keys and values (they belong to its request, or to no one). */
    void release() {
        kept = null;
        for (int i = 0; i < entryCount; i++) {
            entries[i] = null;
        }
        for (int i = 0; i < keyCount; i++) {
            keys[i] = null;
        }
        for (int i = 0; i < tknsCount; i++) {
            tknsText[i] = null;
        }
        entryCount = 0;
        keyCount = 0;
        tknsCount = 0;
    }

    /** Records a problem met while reading (the first one wins). */
    void problem(Status status, String message) {
        if (problem == null) {
            problem = status;
            problemMessage = message;
        }
    }

    Status problem() {
        return problem;
    }

    String problemMessage() {
        return problemMessage;
    }

    /** The JSON type parameter reader {@code p} ({@code P_*}) saw; {@link #ABSENT} if not given. */
    byte type(int p) {
        return types[p];
    }

    boolean tokenValid() {
        return tokenValid;
    }

    int keyItems() {
        return keyItems;
    }

    Status expiryProblem() {
        return expiryProblem;
    }

    String expiryMessage() {
        return expiryMessage;
    }

    /** Reads the value of the parameter whose reader is {@code p} ({@code P_*}), at the current position. */
    void read(int p) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        types[p] = typeOf(c);
        used |= 1 << p;
        switch (p) {
            case P_TKN -> {
                tokenValid = scanToken(2);
                tokenHi = token[0];
                tokenLo = token[1];
            }
            case P_KEYS -> {
                if (c == '{') {
                    readEntries();
                } else if (c == '[') {
                    readKeys();
                } else {
                    sc.scanValue(2);
                }
            }
            case P_NAME -> {
                if (c == '"') {
                    int s = sc.scanString();
                    name = JsonStrings.decode(sc.buffer(), s, sc.pos - 1, sc.stringHasEscape);
                } else {
                    sc.scanValue(2);
                }
            }
            case P_SHARED -> {
                shared = c == 't';
                sc.scanValue(2);
            }
            case P_EXPIRY -> {
                if (c == '{') {
                    readExpiry();
                } else {
                    sc.scanValue(2);
                }
            }
            case P_TKNS -> {
                if (c == '[') {
                    readTokenList();
                } else {
                    sc.scanValue(2);
                }
            }
            default -> throw new IllegalArgumentException("no parameter reader " + p);
        }
    }

    private static byte typeOf(int c) {
        return switch (c) {
            case '{' -> OBJECT;
            case '[' -> ARRAY;
            case '"' -> STRING;
            case 't', 'f' -> BOOLEAN;
            case 'n' -> NULL;
            default -> NUMBER;
        };
    }

    /** Scans a token value at the current position (depth {@code depth}) into {@link #token}; true if well-formed. */
    private boolean scanToken(int depth) throws JsonSyntaxException {
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
                return TokenFormat.parseBase64(text, s, e, token);
            }
            return uint64Token(text, s, e);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            int s = sc.pos;
            sc.scanNumber();
            return tokenFormat == TokenFormat.UINT64 && sc.numberIsInteger && !sc.numberIsNegative
                    && uint64Token(b, s, sc.pos);
        }
        sc.scanValue(depth);
        return false;
    }

    private boolean uint64Token(byte[] text, int from, int to) {
        long v = TokenFormat.parseUnsigned(text, from, to);
        if (v == 0) {
            return false;
        }
        token[0] = 0;
        token[1] = v;
        return true;
    }

    /** A {@code keys} object, its '{' at the current position: each member packed into a stored entry. */
    private void readEntries() throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int n = 0;
        int base = sc.openObject(3);
        if (base >= 0) {
            boolean build = true; // stops after a limit problem: the request is refused anyway
            do {
                int ks = sc.nameNext("a key");
                int ke = sc.pos - 1;
                boolean escaped = sc.stringHasEscape;
                if (ke - ks > limits.maxKeyBytes()) {
                    problem(Status.LIMIT_EXCEEDED, keyLengthMessage);
                    build = false;
                }
                sc.name(ks, ke, escaped);
                sc.valueNext();
                int vs = sc.pos;
                sc.scanValue(3);
                if (n == limits.maxKeysPerRequest()) {
                    problem(Status.LIMIT_EXCEEDED, keyCountMessage);
                    build = false;
                }
                if (build) {
                    byte[] e = entry(b, ks, ke, escaped, vs, sc.pos);
                    if (sc.pos - vs > limits.maxValueBytes()
                            && e.length - Entry.valueOffset(e) > limits.maxValueBytes()) {
                        problem(Status.LIMIT_EXCEEDED, valueSizeMessage);
                        build = false;
                    }
                    if (n == entries.length) {
                        entries = Arrays.copyOf(entries, n * 2);
                    }
                    entries[n] = e;
                    entryCount = n + 1;
                }
                n++;
            } while (sc.nextMember(base));
        }
    }

    /** A {@code keys} array, its '[' at the current position: the canonical bytes of its string items. */
    private void readKeys() throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int items = 0;
        if (sc.openArray(3)) {
            do {
                items++;
                if (items > limits.maxKeysPerRequest()) {
                    problem(Status.LIMIT_EXCEEDED, keyCountMessage);
                }
                if (sc.skipWhitespace() == '"') {
                    int ks = sc.scanString();
                    if (sc.pos - 1 - ks > limits.maxKeyBytes()) {
                        problem(Status.LIMIT_EXCEEDED, keyLengthMessage);
                    }
                    if (problem == null) {
                        if (keyCount == keys.length) {
                            keys = Arrays.copyOf(keys, keyCount * 2);
                        }
                        keys[keyCount++] = JsonStrings.canonical(b, ks, sc.pos - 1, sc.stringHasEscape);
                    }
                } else {
                    sc.scanValue(3);
                }
            } while (sc.nextItem());
        }
        keyItems = items;
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

    /** An {@code expiry} object, its '{' at the current position; its problems are kept for the declared rule. */
    private void readExpiry() throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        boolean hasDuration = false;
        int seen = 0;
        int base = sc.openObject(3);
        if (base >= 0) {
            do {
                int s = sc.nameNext("a member name");
                sc.memberName(s, sc.pos - 1, sc.stringHasEscape);
                String member = JsonStrings.decode(b, s, sc.pos - 1, sc.stringHasEscape);
                int c = sc.valueNext();
                int bit = switch (member) {
                    case "duration" -> 1;
                    case "deleteSession" -> 2;
                    case "extendOnSetAdd" -> 4;
                    case "extendOnGet" -> 8;
                    default -> 0;
                };
                if ((seen & bit) != 0) {
                    expiryProblem(Status.COMMAND_SYNTAX, "duplicate member 'expiry." + member + "'");
                    sc.scanValue(3);
                } else if (bit == 1) {
                    hasDuration = true;
                    readDuration(c);
                } else if (bit != 0) {
                    if (c == 't' || c == 'f') {
                        boolean v = c == 't';
                        switch (bit) {
                            case 2 -> expiryDeleteSession = v;
                            case 4 -> expiryExtendOnSetAdd = v;
                            default -> expiryExtendOnGet = v;
                        }
                    } else {
                        expiryProblem(Status.VALUE_TYPE_INVALID, "expiry." + member + " must be a boolean");
                    }
                    sc.scanValue(3);
                } else {
                    sc.scanValue(3);
                }
                seen |= bit;
            } while (sc.nextMember(base));
        }
        if (!hasDuration) {
            expiryProblem(Status.PARAM_MISSING, "expiry.duration is required");
        }
    }

    private void readDuration(int c) throws JsonSyntaxException {
        if (c != '-' && (c < '0' || c > '9')) {
            expiryProblem(Status.VALUE_TYPE_INVALID, "expiry.duration must be a whole number of seconds");
            sc.scanValue(3);
            return;
        }
        int s = sc.pos;
        sc.scanNumber();
        final byte[] b = sc.buffer();
        if (sc.numberIsNegative && sc.numberIsInteger && sc.pos - s == 2 && b[s + 1] == '0') {
            expirySeconds = 0; // -0 is zero (the only negative spelling of it: JSON has no -00)
            return;
        }
        if (sc.numberIsNegative || !sc.numberIsInteger) {
            expiryProblem(Status.VALUE_TYPE_INVALID, "expiry.duration must be a whole number of seconds, 0 or more");
            return;
        }
        long v = 0;
        for (int i = s; i < sc.pos; i++) {
            v = v * 10 + (b[i] - '0');
            if (v > RequestDecoder.MAX_DURATION_SECONDS) {
                expiryProblem(Status.VALUE_SIZE,
                        "expiry.duration is too large (at most " + RequestDecoder.MAX_DURATION_SECONDS + " seconds)");
                return;
            }
        }
        expirySeconds = v;
    }

    private void expiryProblem(Status status, String message) {
        if (expiryProblem == null) {
            expiryProblem = status;
            expiryMessage = message;
        }
    }

    /** A {@code tkns} array, its '[' at the current position: each item's validity, value and text. */
    private void readTokenList() throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int n = 0;
        if (sc.openArray(3)) {
            do {
                sc.skipWhitespace();
                int s = sc.pos;
                boolean valid = scanToken(3);
                if (n == limits.maxKeysPerRequest()) {
                    problem(Status.LIMIT_EXCEEDED, tokenCountMessage);
                }
                if (problem != Status.LIMIT_EXCEEDED) { // past the limit: counted, not kept (the request is refused)
                    if (n == tknsValid.length) {
                        int cap = n * 2;
                        tknsValid = Arrays.copyOf(tknsValid, cap);
                        tknsHi = Arrays.copyOf(tknsHi, cap);
                        tknsLo = Arrays.copyOf(tknsLo, cap);
                        tknsText = Arrays.copyOf(tknsText, cap);
                    }
                    tknsValid[n] = valid;
                    tknsHi[n] = token[0];
                    tknsLo[n] = token[1];
                    tknsText[n] = valid ? Arrays.copyOfRange(b, s, sc.pos) : null;
                    tknsCount = n + 1;
                }
                n++;
            } while (sc.nextItem());
        }
    }

    // ---- Params: what the command builds its request from ----

    @Override
    public int messageBytes() {
        return messageBytes;
    }

    @Override
    public long tokenHi() {
        return tokenHi;
    }

    @Override
    public long tokenLo() {
        return tokenLo;
    }

    @Override
    public byte[][] entries() {
        byte[][] copy = new byte[entryCount][];
        System.arraycopy(entries, 0, copy, 0, entryCount);
        return copy;
    }

    @Override
    public byte[][] keys() {
        byte[][] copy = new byte[keyCount][];
        System.arraycopy(keys, 0, copy, 0, keyCount);
        return copy;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean shared() {
        return shared;
    }

    @Override
    public boolean expiryGiven() {
        return types[P_EXPIRY] != ABSENT;
    }

    @Override
    public long expirySeconds() {
        return expirySeconds;
    }

    @Override
    public boolean expiryDeleteSession() {
        return expiryDeleteSession;
    }

    @Override
    public boolean expiryExtendOnSetAdd() {
        return expiryExtendOnSetAdd;
    }

    @Override
    public boolean expiryExtendOnGet() {
        return expiryExtendOnGet;
    }

    @Override
    public boolean tokensGiven() {
        return types[P_TKNS] != ABSENT;
    }

    @Override
    public int tokenCount() {
        return tknsCount;
    }

    @Override
    public boolean tokenValid(int i) {
        return tknsValid[i];
    }

    @Override
    public long tokenHi(int i) {
        return tknsHi[i];
    }

    @Override
    public long tokenLo(int i) {
        return tknsLo[i];
    }

    @Override
    public byte[] tokenText(int i) {
        return tknsText[i];
    }
}
