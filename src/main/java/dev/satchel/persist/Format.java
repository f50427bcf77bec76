package dev.satchel.persist;

import java.nio.charset.StandardCharsets;

/**
 * Constants of the dataset file format, version 1 (described for people in {@code docs/persistence.md}).
 *
 * <pre>
 * file    = header body trailer
 * header  = magic(8) version(u16) kind(u8) tokenFormat(u8) flags(u32) savedAt(i64) records(u64) keys(u64)
 *           headerCrc(u32)                                     44 bytes, integers big-endian
 * body    = records x (session | entry)
 * session = token(16 or 8) flags(u8) [name] [duration remaining] keyCount(varint) keyCount x entry
 * entry   = length(varint) length bytes: keyLength(varint) key value
 * trailer = endMagic(8) bodyLength(u64) fileCrc(u32)           20 bytes; fileCrc = CRC32C of every byte before it
 * </pre>
 */
public final class Format {
    private Format() {
    }

    /** "SATCHEL" and 0x1A. Magic and version keep these offsets in every future version. */
    static final byte[] MAGIC = {'S', 'A', 'T', 'C', 'H', 'E', 'L', 0x1A};
    static final byte[] END_MAGIC = "SATCHEND".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    public static final int HEADER_BYTES = 44;
    public static final int TRAILER_BYTES = 20;

    public static final int KIND_SESSIONS = 1;
    public static final int KIND_KEYS = 2;

    static final int TOKENS_NONE = 0;
    static final int TOKENS_STRING = 1;
    static final int TOKENS_UINT64 = 2;

    /** Session record flags. */
    public static final int SHARED = 1;
    public static final int HAS_NAME = 2;
    public static final int EXPIRES = 4;
    public static final int DELETE_SESSION = 8;
    public static final int EXTEND_ON_SET_ADD = 16;
    public static final int EXTEND_ON_GET = 32;
    static final int KNOWN_FLAGS = 63;

    /** Longest canonical session name accepted in a file (names are at most 1024 UTF-8 bytes, escapes x6). */
    static final int MAX_NAME_BYTES = 8192;

    static String kindName(int kind) {
        return kind == KIND_SESSIONS ? "sessions" : "keys";
    }

    public static String loadCommand(int kind) {
        return kind == KIND_SESSIONS ? "SH_LOAD" : "KV_LOAD";
    }
}
