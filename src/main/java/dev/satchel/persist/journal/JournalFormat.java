package dev.satchel.persist.journal;

import dev.satchel.json.TokenFormat;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Constants and the segment header of the journal format, version 1 (described for people in
 * {@code docs/persistence.md}, section "Journal").
 *
 * <pre>
 * segment = header record*
 * header  = magic(8) version(u16) tokenFormat(u8) flags(u8) seq(i64) createdAt(i64) headerCrc(u32)   32 bytes
 * record  = length(u32) crc(u32) type(u8) payload          length = 1 + payload bytes;
 *                                                           crc = CRC32C of the length field, type and payload
 * group   = record of type GROUP whose payload is inner*;  inner = length(u32) type(u8) payload
 * </pre>
 * Integers are big-endian; varints are unsigned LEB128 as in the dataset format.
 */
public final class JournalFormat {
    private JournalFormat() {
    }

    /** "SATJRNL" and 0x1A. Magic and version keep these offsets in every future version. */
    static final byte[] MAGIC = {'S', 'A', 'T', 'J', 'R', 'N', 'L', 0x1A};
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 32;
    /** length(4) + crc(4) + type(1). */
    public static final int RECORD_OVERHEAD = 9;
    /** length(4) + type(1) of a record inside a group. */
    public static final int INNER_OVERHEAD = 5;
    /** Largest value of a record's length field (type and payload). Requests are far smaller. */
    public static final int MAX_RECORD_BYTES = 1 << 30;

    /** Token format codes in the header: the same numbers as in dataset files. */
    static final int TOKENS_STRING = 1;
    static final int TOKENS_UINT64 = 2;

    // ---- record types ----
    /** token, flags(u8), [name: varint length + UTF-8], [duration varint, deadline i64] */
    public static final int SESSION_CREATED = 1;
    /** token */
    public static final int SESSION_ENDED = 2;
    /** token, deadline i64 (0: none) */
    public static final int SESSION_CLEARED = 3;
    /** token, deadline i64 */
    public static final int DEADLINE_MOVED = 4;
    /** token, entry* (varint length + packed entry) */
    public static final int SESSION_PUT = 5;
    /** token, key* (varint length + canonical key) */
    public static final int SESSION_REMOVE = 6;
    /** entry* */
    public static final int KV_PUT = 7;
    /** key* */
    public static final int KV_REMOVE = 8;
    /** (no payload) */
    public static final int KV_CLEARED = 9;
    /** inner record*: applied all or nothing */
    public static final int GROUP = 10;
    /** (no payload): every session ended at once (SH_END_ALL), one record however many there were */
    public static final int ALL_SESSIONS_ENDED = 11;
    static final int MAX_TYPE = ALL_SESSIONS_ENDED;

    /** Session flags in SESSION_CREATED: the same bits as in dataset files ({@link dev.satchel.persist.Format}). */
    public static final int SHARED = dev.satchel.persist.Format.SHARED;
    public static final int HAS_NAME = dev.satchel.persist.Format.HAS_NAME;
    public static final int EXPIRES = dev.satchel.persist.Format.EXPIRES;
    public static final int DELETE_SESSION = dev.satchel.persist.Format.DELETE_SESSION;
    public static final int EXTEND_ON_SET_ADD = dev.satchel.persist.Format.EXTEND_ON_SET_ADD;
    public static final int EXTEND_ON_GET = dev.satchel.persist.Format.EXTEND_ON_GET;
    static final int KNOWN_SESSION_FLAGS = SHARED | HAS_NAME | EXPIRES | DELETE_SESSION | EXTEND_ON_SET_ADD
            | EXTEND_ON_GET;
    static final int EXPIRY_ONLY_FLAGS = DELETE_SESSION | EXTEND_ON_SET_ADD | EXTEND_ON_GET;

    /** "No deadline" in SESSION_CLEARED (deadlines are wall-clock milliseconds since the epoch, always > 0). */
    public static final long NO_DEADLINE = 0;

    /** Longest session name accepted in a record, in UTF-8 bytes. */
    static final int MAX_NAME_BYTES = 8192;

    static final String[] TYPE_NAMES = {"?", "session created", "session ended", "session cleared",
        "deadline moved", "session put", "session remove", "kv put", "kv remove", "kv cleared", "group",
        "all sessions ended"};

    static int tokenCode(TokenFormat format) {
        return format == TokenFormat.STRING ? TOKENS_STRING : TOKENS_UINT64;
    }

    static int tokenBytes(TokenFormat format) {
        return format == TokenFormat.STRING ? 16 : 8;
    }

    static String tokenName(int code) {
        return code == TOKENS_STRING ? "string" : code == TOKENS_UINT64 ? "uint64" : "unknown (" + code + ")";
    }

    /** The 32-byte header of segment {@code seq}. */
    static byte[] header(TokenFormat format, long seq, long createdAtMillis) {
        byte[] h = new byte[HEADER_BYTES];
        System.arraycopy(MAGIC, 0, h, 0, MAGIC.length);
        h[8] = 0;
        h[9] = (byte) VERSION;
        h[10] = (byte) tokenCode(format);
        h[11] = 0;
        putLong(h, 12, seq);
        putLong(h, 20, createdAtMillis);
        CRC32C crc = new CRC32C();
        crc.update(h, 0, HEADER_BYTES - 4);
        putInt(h, HEADER_BYTES - 4, (int) crc.getValue());
        return h;
    }

    static String segmentName(long seq) {
        return String.format("journal-%019d.log", seq);
    }

    static String baseName(long seq) {
        return String.format("base-%019d", seq);
    }

    /** Big-endian views of a byte array: one bounds check and one (byte-swapped) store or load each. */
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    static void putInt(byte[] b, int at, int v) {
        INT.set(b, at, v);
    }

    static void putLong(byte[] b, int at, long v) {
        LONG.set(b, at, v);
    }

    static int getInt(byte[] b, int at) {
        return (int) INT.get(b, at);
    }

    static long getLong(byte[] b, int at) {
        return (long) LONG.get(b, at);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
