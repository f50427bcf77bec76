package dev.satchel.engine;

import dev.satchel.protocol.Request;
import dev.satchel.protocol.ResponseWriter;
import dev.satchel.protocol.Status;
import java.nio.charset.StandardCharsets;

/**
 * One protocol command. {@link #validate} runs on the I/O thread that decoded the request and may only
 * look at the request; {@link #execute} runs on the command loop and alone touches data. A command that
 * fails validation never reaches the loop's data.
 */
public abstract class Command {
    private final String name;
    private final byte[] nameBytes;
    private final byte[] responsePrefix;
    /** Position in the server's {@link CommandRegistry}, for per-command counters on the loop; -1 if none. */
    private int index = -1;

    protected Command(String name) {
        this.name = name;
        this.nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        this.responsePrefix = ResponseWriter.prefix(name + "_RSP");
    }

    public final String name() {
        return name;
    }

    /** Position in the {@link CommandRegistry} holding this command (its metrics slot), or -1. */
    public final int index() {
        return index;
    }

    final void index(int position) {
        this.index = position;
    }

    final byte[] nameBytes() {
        return nameBytes;
    }

    /** {@code {"<NAME>_RSP":{"st":} */
    public final byte[] responsePrefix() {
        return responsePrefix;
    }

    /** Checks parameters; on a problem sets {@link Request#errorStatus} and message. Default: nothing to check. */
    public void validate(Request r) {
    }

    /** Runs the command and writes exactly one response. */
    public abstract void execute(Engine engine, Request r, ResponseWriter out);

    // ---- validation helpers, in the order commands apply them: token, then parameters ----

    protected static boolean invalid(Request r, int status, String message) {
        if (r.errorStatus == 0) {
            r.errorStatus = status;
            r.errorMessage = message;
        }
        return false;
    }

    protected static boolean requireToken(Request r) {
        return switch (r.tknState) {
            case Request.TOKEN_VALID -> true;
            case Request.TOKEN_ABSENT -> invalid(r, Status.SESSION_TOKEN_INVALID, "tkn is required");
            default -> invalid(r, Status.SESSION_TOKEN_INVALID, "tkn is not a valid session token");
        };
    }

    protected static boolean requireKeysObject(Request r) {
        if (r.keysType == Request.ABSENT) {
            return invalid(r, Status.PARAM_MISSING, "keys is required");
        }
        if (r.keysType != Request.OBJECT) {
            return invalid(r, Status.VALUE_TYPE_INVALID, "keys must be an object");
        }
        return true;
    }

    protected static boolean requireKeysArray(Request r, boolean nonEmpty) {
        if (r.keysType == Request.ABSENT) {
            return invalid(r, Status.PARAM_MISSING, "keys is required");
        }
        if (r.keysType != Request.ARRAY) {
            return invalid(r, Status.VALUE_TYPE_INVALID, "keys must be an array");
        }
        if (nonEmpty && r.keyItems == 0) {
            return invalid(r, Status.VALUE_SIZE, "keys must not be empty");
        }
        return true;
    }

    /** A required or optional string parameter {@code name}, non-empty and at most {@code maxBytes} long. */
    protected static boolean checkName(Request r, boolean required, int maxBytes) {
        if (r.nameType == Request.ABSENT) {
            return !required || invalid(r, Status.PARAM_MISSING, "name is required");
        }
        if (r.nameType != Request.STRING) {
            return invalid(r, Status.VALUE_TYPE_INVALID, "name must be a string");
        }
        if (r.name.isEmpty()) {
            return invalid(r, Status.VALUE_SIZE, "name must not be empty");
        }
        if (hasUnpairedSurrogate(r.name)) {
            // UTF-8 cannot encode it: it would hash like "?" and collide with other names
            return invalid(r, Status.VALUE_SIZE, "name contains an unpaired UTF-16 surrogate escape");
        }
        if (r.name.length() > maxBytes || r.name.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return invalid(r, Status.VALUE_SIZE, "name is longer than " + maxBytes + " bytes");
        }
        return true;
    }

    static boolean hasUnpairedSurrogate(String s) {
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

    /** Writes an error response for this command. */
    protected final void error(ResponseWriter out, int status, String message) {
        out.error(responsePrefix, status, message);
    }

    /** Writes {@code {"<NAME>_RSP":{"st":1}}}. */
    protected final void ok(ResponseWriter out) {
        out.begin(responsePrefix, Status.OK).end();
    }
}
