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
import dev.satchel.spec.DatasetNames;
import dev.satchel.spec.JsonType;
import dev.satchel.spec.ParamSpec;
import dev.satchel.spec.Status;
import dev.satchel.spec.ValueRule;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Turns one request message into a {@link Request}, on the I/O thread that read it. The whole message is
 * checked for JSON syntax first (any syntax error is status 3, even when other problems exist), then the
 * envelope (13 / 10), then the request limits met while reading (170), then the parameters against the command's
 * declaration ({@link CommandSpec#params()}, in declared order: missing 26, wrong JSON type 41, a malformed token
 * 101, then each {@link ValueRule}): every status a malformed parameter gets is decided here, from the
 * declaration, and nowhere else. Last the command builds its immutable request ({@link Command#request}), checking
 * only what spans parameters. The decoder finds the parameters the commands declare and hands each value to its
 * reader ({@link ParamDecoder}). A request refused here is answered without touching any data. One decoder per
 * thread: it reuses its scanner and its parameter values, so a request costs one object plus what it keeps.
 */
public final class RequestDecoder {
    /** Prefix of envelope-level error responses. */
    public static final byte[] ERR = ResponseWriter.prefix("ERR");
    /** Longest unknown command name echoed back as {@code <NAME>_RSP}. */
    public static final int MAX_ECHOED_NAME = 64;
    /** Largest expiry duration in seconds: the deadline must stay representable in milliseconds. */
    public static final long MAX_DURATION_SECONDS = Long.MAX_VALUE / 4000;

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
            case "tkn" -> ParamDecoder.P_TKN;
            case "keys" -> ParamDecoder.P_KEYS;
            case "name" -> ParamDecoder.P_NAME;
            case "shared" -> ParamDecoder.P_SHARED;
            case "expiry" -> ParamDecoder.P_EXPIRY;
            case "tkns" -> ParamDecoder.P_TKNS;
            default -> throw new ExceptionInInitializerError("CommandSpecs declares parameter '" + param
                    + "', which RequestDecoder cannot read");
        };
    }

    private final JsonScanner sc;
    private final CommandRegistry commands;
    private final ParamDecoder params;
    /**
     * By registry position, for each declared parameter in order: its declaration (for messages), its reader, the
     * JSON type byte it needs (ABSENT for a token, checked apart), whether it is required, and its value rules.
     */
    private final ParamSpec[][] declared;
    private final int[][] readers;
    private final byte[][] types;
    private final boolean[][] required;
    private final ValueRule[][][] rules;

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

    /** Cluster mode: requests carry a copy of their message. */
    private final boolean keepMessages;

    public RequestDecoder(CommandRegistry commands, TokenFormat tokenFormat, int maxDepth) {
        this(commands, tokenFormat, Limits.depthOnly(maxDepth));
    }

    public RequestDecoder(CommandRegistry commands, TokenFormat tokenFormat, Limits limits) {
        this(commands, tokenFormat, limits, false);
    }

    /**
     * @param keepMessages give each request a copy of its message ({@link Request#rawMessage()}: cluster mode, where
     *                     the request travels to its session's owner as those bytes)
     */
    public RequestDecoder(CommandRegistry commands, TokenFormat tokenFormat, Limits limits, boolean keepMessages) {
        this.keepMessages = keepMessages;
        this.commands = commands;
        this.sc = new JsonScanner(limits.maxDepth(), limits.maxStringBytes(), limits.maxNumberChars(),
                limits.maxKeyBytes());
        this.params = new ParamDecoder(sc, tokenFormat, limits);
        int n = commands.size();
        this.declared = new ParamSpec[n][];
        this.readers = new int[n][];
        this.types = new byte[n][];
        this.required = new boolean[n][];
        this.rules = new ValueRule[n][][];
        for (int i = 0; i < n; i++) {
            CommandSpec spec = commands.get(i).spec();
            List<ParamSpec> ps = spec.params();
            declared[i] = ps.toArray(new ParamSpec[0]);
            readers[i] = new int[ps.size()];
            types[i] = new byte[ps.size()];
            required[i] = new boolean[ps.size()];
            rules[i] = new ValueRule[ps.size()][];
            for (int j = 0; j < ps.size(); j++) {
                ParamSpec p = ps.get(j);
                readers[i][j] = readerOf(p.name());
                types[i][j] = typeByte(p.type());
                required[i][j] = p.required();
                rules[i][j] = p.rules().toArray(new ValueRule[0]);
                for (ValueRule rule : p.rules()) {
                    if (!applies(rule, readers[i][j])) {
                        throw new IllegalArgumentException(spec.name() + "." + p.name() + ": rule " + rule
                                + " does not apply to this parameter");
                    }
                }
            }
        }
    }

    /** The JSON type byte ({@link ParamDecoder#OBJECT}, ...) a declared type needs; 0 for a token (checked apart). */
    private static byte typeByte(JsonType t) {
        return switch (t) {
            case OBJECT -> ParamDecoder.OBJECT;
            case ARRAY -> ParamDecoder.ARRAY;
            case STRING -> ParamDecoder.STRING;
            case BOOLEAN -> ParamDecoder.BOOLEAN;
            case NUMBER -> ParamDecoder.NUMBER;
            case TOKEN -> ParamDecoder.ABSENT;
        };
    }

    /** Whether the decoder can check {@code rule} on the parameter read by {@code reader}. */
    private static boolean applies(ValueRule rule, int reader) {
        return switch (rule) {
            case NON_EMPTY -> reader == ParamDecoder.P_KEYS || reader == ParamDecoder.P_TKNS;
            case SESSION_NAME, DATASET_NAME -> reader == ParamDecoder.P_NAME;
            case EVERY_ITEM_A_TOKEN -> reader == ParamDecoder.P_TKNS;
            case EXPIRY_MEMBERS -> reader == ParamDecoder.P_EXPIRY;
        };
    }

    /** Decodes {@code buf[0, length)}. Never throws for any input. */
    public Request decode(byte[] buf, int length) {
        sc.reset(buf, length);
        params.begin(length);
        if (keepMessages) {
            params.keep(buf);
        }
        try {
            return decodeEnvelope(buf, length);
        } catch (JsonSyntaxException e) {
            return Request.refused(ERR, e.status(), e.getMessage(), length);
        } finally {
            params.release();
        }
    }

    private Request decodeEnvelope(byte[] b, int length) throws JsonSyntaxException {
        int c = sc.skipWhitespace();
        if (c != '{') {
            sc.scanValue(0);
            requireEnd();
            return Request.refused(ERR, Status.COMMAND_SYNTAX, "request must be a JSON object holding one command",
                    length);
        }
        sc.pos++;
        c = sc.skipWhitespace();
        if (c == '}') {
            sc.pos++;
            requireEnd();
            return Request.refused(ERR, Status.COMMAND_SYNTAX, "request object is empty: expected one command",
                    length);
        }
        if (c != '"') {
            throw sc.unexpected("a command name");
        }
        int nameStart = sc.scanString();
        int nameEnd = sc.pos - 1;
        boolean nameEscaped = sc.stringHasEscape;
        sc.checkNameLength(nameStart, nameEnd);
        sc.expect(':');
        int position;
        if (nameEscaped) {
            byte[] name = JsonStrings.canonical(b, nameStart, nameEnd, true);
            position = commands.position(name, 0, name.length);
        } else {
            position = commands.position(b, nameStart, nameEnd);
        }
        Command command = position < 0 ? null : commands.get(position);
        boolean paramsAreObject = sc.skipWhitespace() == '{';
        if (command != null && paramsAreObject) {
            parseParams();
        } else {
            sc.scanValue(1);
        }
        c = sc.skipWhitespace();
        if (c == ',') {
            sc.pos++;
            scanRemainingMembers();
            requireEnd();
            return Request.refused(ERR, Status.COMMAND_SYNTAX, "request must hold exactly one command", length);
        }
        if (c != '}') {
            throw sc.unexpected("'}'");
        }
        sc.pos++;
        requireEnd();
        if (command == null) {
            return unknownCommand(b, nameStart, nameEnd, nameEscaped, length);
        }
        if (sc.hasDuplicate() && params.problem() == null) {
            // RFC 8259 leaves duplicate names to the parser: Satchel refuses them at every level
            return Request.refused(command, Status.COMMAND_SYNTAX,
                    "duplicate member name " + shortQuoted(sc.duplicateName()), length);
        }
        if (!paramsAreObject) {
            return Request.refused(command, Status.COMMAND_SYNTAX, "command value must be a JSON object", length);
        }
        if (params.problem() != null) {
            return Request.refused(command, params.problem(), params.problemMessage(), length);
        }
        return checked(command, position, length);
    }

    /**
     * The parameters against the command's declaration, then the command's request: 14 if the command is disabled
     * here, then each declared parameter in order (missing, JSON type or token, value rules).
     */
    private Request checked(Command command, int position, int length) {
        String disabled = command.disabled();
        if (disabled != null) {
            return Request.refused(command, Status.COMMAND_DISABLED, disabled, length);
        }
        int[] rs = readers[position];
        byte[] ts = types[position];
        for (int i = 0; i < rs.length; i++) {
            int reader = rs[i];
            byte type = params.type(reader);
            if (type == ParamDecoder.ABSENT) {
                if (required[position][i]) {
                    ParamSpec p = declared[position][i];
                    return Request.refused(command, p.type() == JsonType.TOKEN ? Status.SESSION_TOKEN_INVALID
                            : Status.PARAM_MISSING, p.name() + " is required", length);
                }
                continue;
            }
            byte wanted = ts[i];
            if (wanted == ParamDecoder.ABSENT) { // a token
                if (!params.tokenValid()) {
                    return Request.refused(command, Status.SESSION_TOKEN_INVALID, declared[position][i].name()
                            + " is not a valid session token", length);
                }
            } else if (type != wanted) {
                ParamSpec p = declared[position][i];
                return Request.refused(command, Status.VALUE_TYPE_INVALID, p.name() + " must be " + p.type().phrase(),
                        length);
            }
            for (ValueRule rule : rules[position][i]) {
                Request refused = broken(command, declared[position][i], reader, rule, length);
                if (refused != null) {
                    return refused;
                }
            }
        }
        return command.request(params);
    }

    /** Null if parameter {@code p} (read by {@code reader}) keeps {@code rule}, else the refusal. */
    private Request broken(Command command, ParamSpec p, int reader, ValueRule rule, int length) {
        switch (rule) {
            case NON_EMPTY -> {
                int items = reader == ParamDecoder.P_KEYS ? params.keyItems() : params.tokenCount();
                if (items == 0) {
                    return Request.refused(command, Status.VALUE_SIZE, p.name() + " must not be empty", length);
                }
            }
            case SESSION_NAME -> {
                String problem = sessionNameProblem(params.name());
                if (problem != null) {
                    return Request.refused(command, Status.VALUE_SIZE, problem, length);
                }
            }
            case DATASET_NAME -> {
                String problem = DatasetNames.problem(params.name());
                if (problem != null) {
                    return Request.refused(command, Status.VALUE_SIZE, problem, length);
                }
            }
            case EVERY_ITEM_A_TOKEN -> {
                for (int i = 0, n = params.tokenCount(); i < n; i++) {
                    if (!params.tokenValid(i)) {
                        return Request.refused(command, Status.SESSION_TOKEN_INVALID, p.name() + "[" + i
                                + "] is not a valid session token", length);
                    }
                }
            }
            case EXPIRY_MEMBERS -> {
                if (params.expiryProblem() != null) {
                    return Request.refused(command, params.expiryProblem(), params.expiryMessage(), length);
                }
            }
            default -> throw new IllegalStateException("unchecked rule " + rule);
        }
        return null;
    }

    /** Null if {@code name} is a valid session name ({@link ValueRule#SESSION_NAME}), else why not. */
    static String sessionNameProblem(String name) {
        int max = CommandSpecs.MAX_SESSION_NAME_BYTES;
        if (name.isEmpty()) {
            return "name must not be empty";
        }
        if (hasUnpairedSurrogate(name)) {
            // UTF-8 cannot encode it: it would hash like "?" and collide with other names
            return "name contains an unpaired UTF-16 surrogate escape";
        }
        if (name.length() > max || name.getBytes(StandardCharsets.UTF_8).length > max) {
            return "name is longer than " + max + " bytes";
        }
        return null;
    }

    private static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
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

    private static Request unknownCommand(byte[] b, int from, int to, boolean escaped, int length) {
        byte[] name = JsonStrings.canonical(b, from, to, escaped);
        if (name.length > MAX_ECHOED_NAME) {
            return Request.refused(ERR, Status.COMMAND_NOT_EXIST,
                    "unknown command (name longer than " + MAX_ECHOED_NAME + " bytes)", length);
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
        return Request.refused(Arrays.copyOf(prefix, n), Status.COMMAND_NOT_EXIST, "unknown command", length);
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
    private void parseParams() throws JsonSyntaxException {
        final byte[] b = sc.buffer();
        int seen = 0;
        int base = sc.openObject(2);
        if (base < 0) {
            return;
        }
        do {
            int s = sc.nameNext("a parameter name");
            sc.memberName(s, sc.pos - 1, sc.stringHasEscape);
            int id = paramId(b, s, sc.pos - 1, sc.stringHasEscape);
            sc.valueNext();
            if (id != 0 && (seen & (1 << id)) != 0) {
                params.problem(Status.COMMAND_SYNTAX, "duplicate parameter '" + PARAM_NAMES[id] + "'");
                id = 0;
            }
            seen |= 1 << id;
            if (id == 0) {
                sc.scanValue(2);
            } else {
                params.read(PARAM_READERS[id]);
            }
        } while (sc.nextMember(base));
    }
}
