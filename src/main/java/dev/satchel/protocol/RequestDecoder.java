package dev.satchel.protocol;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.Request;
import dev.satchel.json.JsonScanner;
import dev.satchel.json.JsonStrings;
import dev.satchel.json.JsonSyntaxException;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.CommandSpec;
import dev.satchel.spec.CommandSpecs;
import dev.satchel.spec.ParamSpec;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Turns one request message into a {@link Request}, on the I/O thread that read it. The whole message is
 * checked for JSON syntax first (any syntax error is status 3, even when other problems exist), then the
 * envelope (13 / 10), then the command's own parameter rules ({@link Command#validate}). The decoder finds the
 * parameters the commands declare and hands each value to its reader ({@link ParamDecoder}). A request that
 * fails here is answered without touching any data. One decoder per thread: it reuses its scanner.
 */
public final class RequestDecoder {
    /** Prefix of envelope-level error responses. */
    public static final byte[] ERR = ResponseWriter.prefix("ERR");
    /** Longest unknown command name echoed back as {@code <NAME>_RSP}. */
    public static final int MAX_ECHOED_NAME = 64;
    /** Largest expiry duration in seconds: the deadline must stay representable in milliseconds. */
    public static final long MAX_DURATION_SECONDS = Long.MAX_VALUE / 4000;

    /** How a parameter's value is read; one per parameter name the commands declare. */
    private static final int P_TKN = 1;
    private static final int P_KEYS = 2;
    private static final int P_NAME = 3;
    private static final int P_SHARED = 4;
    private static final int P_EXPIRY = 5;
    private static final int P_TKNS = 6;
    /**
     * The parameter names declared in {@link CommandSpecs}, index 0 unused (an undeclared member is skipped), and
     * the reader of each ({@link #readerOf}): a declared name without a reader fails here, at class load.
     */
    private static final String[] PARAM_NAMES;
    private static final byte[][] PARAM_BYTES;
    private static final int[] PARAM_READERS;

    static {
        Set<String> names = new LinkedHashSet<>();
        for (CommandSpec spec : CommandSpecs.all()) {
            for (ParamSpec p : spec.params()) {
                names.add(p.name());
            }
        }
        PARAM_NAMES = new String[names.size() + 1];
        PARAM_BYTES = new byte[names.size() + 1][];
        PARAM_READERS = new int[names.size() + 1];
        PARAM_NAMES[0] = "";
        PARAM_BYTES[0] = new byte[0];
        int i = 1;
        for (String name : names) {
            PARAM_NAMES[i] = name;
            PARAM_BYTES[i] = name.getBytes(StandardCharsets.US_ASCII);
            PARAM_READERS[i] = readerOf(name);
            i++;
        }
        if (PARAM_NAMES.length > 31) {
            throw new ExceptionInInitializerError("more than 30 parameter names: the seen-set is one int");
        }
    }

    private static int readerOf(String param) {
        return switch (param) {
            case "tkn" -> P_TKN;
            case "keys" -> P_KEYS;
            case "name" -> P_NAME;
            case "shared" -> P_SHARED;
            case "expiry" -> P_EXPIRY;
            case "tkns" -> P_TKNS;
            default -> throw new ExceptionInInitializerError("CommandSpecs declares parameter '" + param
                    + "', which RequestDecoder cannot read");
        };
    }

    private final JsonScanner sc;
    private final CommandRegistry commands;
    private final ParamDecoder params;

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
        this.sc = new JsonScanner(limits.maxDepth(), limits.maxStringBytes(), limits.maxNumberChars(),
                limits.maxKeyBytes());
        this.params = new ParamDecoder(sc, tokenFormat, limits);
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
        if (sc.hasDuplicate() && r.errorStatus == null) {
            // RFC 8259 leaves duplicate names to the parser: Satchel refuses them at every level
            return r.fail(command.responsePrefix(), Status.COMMAND_SYNTAX,
                    "duplicate member name " + shortQuoted(sc.duplicateName()));
        }
        if (!paramsAreObject) {
            return r.fail(command.responsePrefix(), Status.COMMAND_SYNTAX, "command value must be a JSON object");
        }
        if (r.errorStatus != null) {
            r.errorName = command.responsePrefix();
            return r;
        }
        r.command = command;
        command.validate(r);
        if (r.errorStatus != null) {
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
                if (r.errorStatus == null) {
                    r.errorStatus = Status.COMMAND_SYNTAX;
                    r.errorMessage = "duplicate parameter '" + PARAM_NAMES[id] + "'";
                }
                id = 0;
            }
            seen |= 1 << id;
            switch (PARAM_READERS[id]) {
                case P_TKN -> params.parseToken(r);
                case P_KEYS -> params.parseKeys(r);
                case P_NAME -> params.parseName(r);
                case P_SHARED -> params.parseShared(r);
                case P_EXPIRY -> params.parseExpiry(r);
                case P_TKNS -> params.parseTokenList(r);
                default -> sc.scanValue(2);
            }
            if (!sc.nextMember(base)) {
                return;
            }
            c = sc.skipWhitespace();
        }
    }
}
