package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.CommandSpec;
import dev.satchel.spec.CommandSpecs;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;

/**
 * One protocol command. {@link #validate} runs on the I/O thread that decoded the request and may only
 * look at the request; the command's semantics run on an executor (the command loop's {@link Engine}) and
 * alone touch data. A command that fails validation never reaches data.
 *
 * <p>Three kinds, by what their semantics need (see {@link Kind}): a {@link StoreCommand} works on one key-value
 * store, a {@link SessionCommand} on one session, and a {@link TableCommand} on the whole table; the executor
 * finds the store or session, so the first two never see anything but what they are handed.
 */
public abstract sealed class Command permits StoreCommand, SessionCommand, TableCommand {
    /** What the executor hands a command; read once per request to pick the path. */
    public enum Kind {
        /** {@link StoreCommand}: one session's store or the global one. */
        STORE,
        /** {@link SessionCommand}: one session, found by its token. */
        SESSION,
        /** {@link TableCommand}: run by the executor against all its data. */
        TABLE
    }

    private final String name;
    private final CommandSpec spec;
    private final byte[] nameBytes;
    private final byte[] responsePrefix;
    private final Kind kind;
    /** Whether running it may change data (refused while a journal cannot record changes). */
    private final boolean mutates;
    /** The commands that change data, by name. */
    private static final java.util.Set<String> MUTATING = java.util.Set.of("SH_NEW", "SH_END", "SH_END_ALL",
            "SH_SET", "SH_ADD", "SH_RMV", "SH_CLEAR", "SH_CLEAR_SET", "KV_SET", "KV_ADD", "KV_RMV", "KV_CLEAR",
            "KV_CLEAR_SET", "SH_LOAD", "KV_LOAD");
    /** Position in the server's {@link CommandRegistry}, for per-command counters on the loop; -1 if none. */
    private int index = -1;

    /** A command declared in {@link CommandSpecs}; throws for a name the protocol does not declare. */
    Command(String name, Kind kind) {
        this.spec = CommandSpecs.require(name);
        this.name = name;
        this.kind = kind;
        this.mutates = MUTATING.contains(name);
        this.nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        this.responsePrefix = ResponseWriter.prefix(spec.responseName());
    }

    public final String name() {
        return name;
    }

    /** The command's declaration: parameters, statuses, short form. */
    public final CommandSpec spec() {
        return spec;
    }

    public final Kind kind() {
        return kind;
    }

    /**
     * True for the commands that may change data (sessions created or ended, keys written or removed, loads):
     * refused while the journal cannot record changes. Reads (and saves, which change nothing) are not.
     */
    public final boolean mutates() {
        return mutates;
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

    // ---- validation helpers, in the order commands apply them: token, then parameters ----

    protected static boolean invalid(Request r, Status status, String message) {
        if (r.errorStatus == null) {
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
    protected final void error(ResponseWriter out, Status status, String message) {
        out.error(responsePrefix, status, message);
    }

    /** Writes {@code {"<NAME>_RSP":{"st":1}}}. */
    protected final void ok(ResponseWriter out) {
        out.begin(responsePrefix, Status.OK).end();
    }
}
