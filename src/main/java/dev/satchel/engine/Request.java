package dev.satchel.engine;

import dev.satchel.spec.Status;

/**
 * One decoded request, immutable: its command and the parameters of the command's shape, already checked on the
 * I/O thread against the command's declaration, or the error answer to send instead ({@link Refused}). The decoder
 * builds it (through {@link Command#request}, which picks the shape) and the command reads it; nothing changes it
 * afterwards, so it can cross threads (I/O thread to command loop, or to a cluster owner) without copies.
 *
 * <p>One object per request, as small as its shape: the token (when the command takes {@code tkn}) and the size of
 * the message it came from live here; each shape adds its own fields. Stored keys and values are private copies
 * (canonical key bytes, compact value bytes), so a request outlives the frame it came from; their arrays are handed
 * to the store as they are and must not be modified.
 */
public abstract sealed class Request permits Request.Refused, Request.Plain, Request.Entries, Request.Keys,
        Request.Named, Request.NewSession, Request.Tokens {
    private final Command command;
    private final long tokenHi;
    private final long tokenLo;
    private final int messageBytes;
    /** Cluster mode only: a copy of the message (see {@link #rawMessage()}); null otherwise. */
    private final byte[] message;

    Request(Command command, long tokenHi, long tokenLo, int messageBytes) {
        this(command, tokenHi, tokenLo, messageBytes, null);
    }

    Request(Command command, long tokenHi, long tokenLo, int messageBytes, byte[] message) {
        this.command = command;
        this.tokenHi = tokenHi;
        this.tokenLo = tokenLo;
        this.messageBytes = messageBytes;
        this.message = message;
    }

    Request(Command command, Params p) {
        this(command, p.tokenHi(), p.tokenLo(), p.messageBytes(), p.message());
    }

    /** The command; null only for a {@link Refused} request that named no known command. */
    public final Command command() {
        return command;
    }

    /** High half of the token ({@code tkn}, or the one SH_NEW derived from a shared name); 0 if none. */
    public final long tokenHi() {
        return tokenHi;
    }

    /** Low half of the token; 0 if none. */
    public final long tokenLo() {
        return tokenLo;
    }

    /** Size of the message this request came from, in bytes (the connection's in-flight accounting). */
    public final int messageBytes() {
        return messageBytes;
    }

    /**
     * A copy of the message this request was decoded from, kept only in cluster mode (null otherwise): the
     * command travels to the member that owns its session as these bytes and is decoded there again.
     */
    public final byte[] rawMessage() {
        return message;
    }

    /**
     * The answer to a request refused before running (malformed JSON, unknown command, a parameter that breaks the
     * command's declaration, a request limit): it never touches data.
     */
    public static Refused refused(byte[] responsePrefix, Status status, String message, int messageBytes) {
        return new Refused(null, responsePrefix, status, message, messageBytes);
    }

    /** {@code command}'s answer to a request refused before running (answered as {@code <NAME>_RSP}). */
    public static Refused refused(Command command, Status status, String message, int messageBytes) {
        return new Refused(command, command.responsePrefix(), status, message, messageBytes);
    }

    /** A request refused before running: the status and message to answer under {@link #responsePrefix()}. */
    public static final class Refused extends Request {
        private final byte[] responsePrefix;
        private final Status status;
        private final String message;

        Refused(Command command, byte[] responsePrefix, Status status, String message, int messageBytes) {
            super(command, 0, 0, messageBytes);
            this.responsePrefix = responsePrefix;
            this.status = status;
            this.message = message;
        }

        /** The command it named when known (for checks and diagnostics; metrics count it under no command). */
        public Command named() {
            return command();
        }

        /** {@code {"ERR":{"st":} or {@code {"<NAME>_RSP":{"st":}: the response's start as JSON bytes. */
        public byte[] responsePrefix() {
            return responsePrefix;
        }

        public Status status() {
            return status;
        }

        public String message() {
            return message;
        }
    }

    /** No parameters besides the token, if the command takes one (COUNT, KEYS, CLEAR, SH_END, SH_INFO, ...). */
    public static final class Plain extends Request {
        public Plain(Command command, Params p) {
            super(command, p);
        }
    }

    /** A {@code keys} object: each member packed as a stored entry (SET, ADD, CLEAR_SET). */
    public static final class Entries extends Request {
        private final byte[][] entries;

        public Entries(Command command, Params p) {
            super(command, p);
            this.entries = p.entries();
        }

        /** Number of members. */
        public int count() {
            return entries.length;
        }

        /** Member {@code i} as a stored entry (see {@code store.Entry}); handed to the store as it is. */
        public byte[] entry(int i) {
            return entries[i];
        }
    }

    /** A {@code keys} array (GET, RMV, CONTAINS): the canonical bytes of its string items, in order. */
    public static final class Keys extends Request {
        private final byte[][] keys;

        public Keys(Command command, Params p) {
            super(command, p);
            this.keys = p.keys();
        }

        /** Number of string items. */
        public int count() {
            return keys.length;
        }

        /** String item {@code i}, canonical key bytes. */
        public byte[] key(int i) {
            return keys[i];
        }
    }

    /** A {@code name} (SH_OPEN, SH_LOAD, KV_SAVE, KV_LOAD). */
    public static final class Named extends Request {
        private final String name;

        public Named(Command command, Params p) {
            super(command, p);
            this.name = p.name();
        }

        public String name() {
            return name;
        }
    }

    /**
     * SH_NEW: the session to create. A shared one carries the token derived from its name (on the I/O thread, so
     * the command loop never runs the HMAC); expiry settings are as they take effect ({@code durationMillis} 0:
     * never expires, and the flags are false).
     */
    public static final class NewSession extends Request {
        private final String name;
        private final boolean shared;
        private final long durationMillis;
        private final boolean deleteSession;
        private final boolean extendOnSetAdd;
        private final boolean extendOnGet;

        /** A session named {@code p.name()} (or unnamed), not shared, with {@code p}'s expiry. */
        public NewSession(Command command, Params p) {
            this(command, p, false, 0, 0);
        }

        /** A shared session named {@code p.name()} whose token is {@code tokenHi, tokenLo}. */
        public NewSession(Command command, Params p, long tokenHi, long tokenLo) {
            this(command, p, true, tokenHi, tokenLo);
        }

        private NewSession(Command command, Params p, boolean shared, long tokenHi, long tokenLo) {
            super(command, tokenHi, tokenLo, p.messageBytes(), p.message());
            boolean expires = p.expiryGiven() && p.expirySeconds() > 0;
            this.name = p.name();
            this.shared = shared;
            this.durationMillis = expires ? p.expirySeconds() * 1000 : 0;
            this.deleteSession = expires && p.expiryDeleteSession();
            this.extendOnSetAdd = expires && p.expiryExtendOnSetAdd();
            this.extendOnGet = expires && p.expiryExtendOnGet();
        }

        /** The name, or null. */
        public String name() {
            return name;
        }

        public boolean shared() {
            return shared;
        }

        public long durationMillis() {
            return durationMillis;
        }

        public boolean deleteSession() {
            return deleteSession;
        }

        public boolean extendOnSetAdd() {
            return extendOnSetAdd;
        }

        public boolean extendOnGet() {
            return extendOnGet;
        }
    }

    /**
     * A {@code tkns} array (SH_EXISTS; SH_SAVE with an optional {@code name}): for each item, whether it is a
     * well-formed token, its value and its JSON text, in request order.
     */
    public static final class Tokens extends Request {
        private final String name;
        private final boolean listed;
        private final boolean[] valid;
        private final long[] his;
        private final long[] los;
        private final byte[][] raws;

        public Tokens(Command command, Params p) {
            super(command, p);
            this.name = p.name();
            this.listed = p.tokensGiven();
            int n = p.tokenCount();
            this.valid = new boolean[n];
            this.his = new long[n];
            this.los = new long[n];
            this.raws = new byte[n][];
            for (int i = 0; i < n; i++) {
                valid[i] = p.tokenValid(i);
                his[i] = p.tokenHi(i);
                los[i] = p.tokenLo(i);
                raws[i] = p.tokenText(i);
            }
        }

        /** The {@code name} parameter, or null. */
        public String name() {
            return name;
        }

        /** False when {@code tkns} was left out (SH_SAVE: every session). */
        public boolean listed() {
            return listed;
        }

        public int count() {
            return valid.length;
        }

        /** Whether item {@code i} is a well-formed token. */
        public boolean valid(int i) {
            return valid[i];
        }

        public long hi(int i) {
            return his[i];
        }

        public long lo(int i) {
            return los[i];
        }

        /** Item {@code i}'s JSON text when it is a well-formed token (what SH_EXISTS echoes), else null. */
        public byte[] text(int i) {
            return raws[i];
        }
    }
}
