package dev.satchel.engine;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.CommandSpec;
import dev.satchel.spec.CommandSpecs;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;

/**
 * One protocol command. {@link #request} runs on the thread that decoded the request and builds the immutable
 * {@link Request} the command reads; the command's semantics run on an executor (the command loop's
 * {@link Engine}) and alone touch data. A request refused while decoding never reaches data.
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

    /**
     * Builds this command's {@link Request} from its parameters, on the thread that decoded them (an I/O thread, or
     * a cluster owner decoding again), after the decoder checked them against the declaration ({@link #spec()}:
     * presence, JSON type, value rules). Picks the shape the command's semantics read, and checks what spans
     * parameters; a problem is answered with {@link #refuse}. Default: {@link Request.Plain}, for a command that
     * takes no parameter besides {@code tkn}.
     */
    public Request request(Params p) {
        return new Request.Plain(this, p);
    }

    /**
     * Null when the command can run on this server, else why not: the request is answered 14 (CommandDisabled)
     * before its parameters are checked. Default: always available.
     */
    public String disabled() {
        return null;
    }

    /** The refusal of a request for a problem found in {@link #request}: {@code status} must be declared. */
    protected final Request refuse(Params p, Status status, String message) {
        return Request.refused(this, status, message, p.messageBytes());
    }

    /** Writes a problem the executor reported (see {@link Problem}). */
    protected final void error(ResponseWriter out, Problem problem) {
        out.error(responsePrefix, problem.status(), problem.message());
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
