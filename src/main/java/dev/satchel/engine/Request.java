package dev.satchel.engine;

import dev.satchel.spec.Status;

/**
 * One decoded request: the command and its parameters, already checked for JSON syntax and types on the
 * I/O thread, or the error response to send instead ({@link #errorStatus} != null). Stored keys and values are
 * private copies (canonical key bytes, compact value bytes), so the request outlives the frame it came from.
 */
public final class Request {
    /** JSON type of a parameter as sent; {@code ABSENT} when not given. */
    public static final byte ABSENT = 0;
    public static final byte OBJECT = 1;
    public static final byte ARRAY = 2;
    public static final byte STRING = 3;
    public static final byte NUMBER = 4;
    public static final byte BOOLEAN = 5;
    public static final byte NULL = 6;

    /** State of {@code tkn}. */
    public static final byte TOKEN_ABSENT = 0;
    public static final byte TOKEN_VALID = 1;
    public static final byte TOKEN_MALFORMED = 2;

    /** The command; null only for envelope-level errors. */
    public Command command;

    /** Non-null when this request is answered with an error without running: the status to send. */
    public Status errorStatus;
    public String errorMessage;
    /** For errors: the response member name as JSON-ready bytes ({@code ERR} or {@code <CMD>_RSP}). */
    public byte[] errorName;

    public byte tknState;
    public long tknHi;
    public long tknLo;

    public byte keysType;
    /** Number of {@link #keys} or {@link #entries}. */
    public int keyCount;
    /** For a {@code keys} array: the canonical bytes of its string items, in order. */
    public byte[][] keys;
    /** For a {@code keys} object: each member as a stored entry (see {@code Entry}), in order. */
    public byte[][] entries;
    /** For a {@code keys} array: the number of items of any type (non-strings are skipped in {@link #keys}). */
    public int keyItems;

    public byte nameType;
    public String name;

    public byte sharedType;
    public boolean shared;

    public byte expiryType;
    /** First problem inside {@code expiry}, or null. */
    public Status expiryStatus;
    public String expiryMessage;
    public long expiryDurationSeconds;
    public boolean expiryDeleteSession;
    public boolean expiryExtendOnSetAdd;
    public boolean expiryExtendOnGet;

    public byte tknsType;
    public int tknsCount;
    /** For each item of {@code tkns}: whether it is a well-formed token, its value, and its JSON text. */
    public boolean[] tknsValid;
    public long[] tknsHi;
    public long[] tknsLo;
    public byte[][] tknsRaw;

    /** Size of the message this request came from, in bytes (for the connection's in-flight accounting). */
    public int messageBytes;

    /**
     * A copy of the message this request was decoded from, kept only in cluster mode (null otherwise): the
     * command travels to the member that owns its session as these bytes and is decoded there again.
     */
    public byte[] message;

    /** Makes this an error answer to send without running anything. */
    public Request fail(byte[] responseName, Status status, String message) {
        this.errorName = responseName;
        this.errorStatus = status;
        this.errorMessage = message;
        return this;
    }
}
