package dev.satchel.json;

/**
 * How session tokens look on the wire. A token is held as two longs: {@code hi} and {@code lo} (a uint64
 * token has {@code hi == 0}). Parsing never allocates.
 */
public enum TokenFormat {
    /** 128 random bits as 22 characters of unpadded base64url, a JSON string. The default. */
    STRING,
    /** NemesisDB compatibility: an unsigned 64-bit integer, never 0, a JSON number (or decimal string in). */
    UINT64;

    private static final byte[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".getBytes();
    private static final byte[] DECODE = new byte[128];

    static {
        java.util.Arrays.fill(DECODE, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            DECODE[ALPHABET[i]] = (byte) i;
        }
    }

    /** Length of a string token. */
    public static final int STRING_LENGTH = 22;

    /** The config spelling: {@code string} or {@code uint64}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static TokenFormat fromConfigName(String s) {
        return switch (s) {
            case "string" -> STRING;
            case "uint64" -> UINT64;
            default -> throw new IllegalArgumentException("expected \"string\" or \"uint64\"");
        };
    }

    /**
     * Decodes a 22-character base64url token from {@code b[from, to)} into {@code out[0..1]} (hi, lo).
     * Returns false if the text is not a canonical string token.
     */
    public static boolean parseBase64(byte[] b, int from, int to, long[] out) {
        if (to - from != STRING_LENGTH) {
            return false;
        }
        long hi = 0;
        long lo = 0;
        // 22 chars x 6 bits = 132 bits: the first 21 chars carry 126 bits, the last one 2 more + 4 zero bits.
        for (int i = 0; i < STRING_LENGTH; i++) {
            int c = b[from + i];
            if (c < 0 || DECODE[c] < 0) {
                return false;
            }
            int v = DECODE[c];
            if (i == STRING_LENGTH - 1) {
                if ((v & 0x0F) != 0) {
                    return false; // non-canonical padding bits
                }
                v >>>= 4;
                hi = (hi << 2) | (lo >>> 62);
                lo = (lo << 2) | v;
            } else {
                hi = (hi << 6) | (lo >>> 58);
                lo = (lo << 6) | v;
            }
        }
        out[0] = hi;
        out[1] = lo;
        return true;
    }

    /** Writes the 22-character base64url form of (hi, lo) into {@code dst} at {@code at}. */
    public static void writeBase64(long hi, long lo, byte[] dst, int at) {
        // Emit 21 groups of 6 bits from the top of the 128-bit number, then the last 2 bits shifted left by 4.
        for (int i = 0; i < 21; i++) {
            int shift = 122 - 6 * i; // bit offset of this group's lowest bit within 128 bits
            int v;
            if (shift >= 64) {
                v = (int) ((hi >>> (shift - 64)) & 0x3F);
            } else if (shift > 58) {
                v = (int) (((hi << (64 - shift)) | (lo >>> shift)) & 0x3F);
            } else {
                v = (int) ((lo >>> shift) & 0x3F);
            }
            dst[at + i] = ALPHABET[v];
        }
        dst[at + 21] = ALPHABET[(int) (lo & 0x3) << 4];
    }

    /**
     * Parses an unsigned decimal {@code b[from, to)} (digits only) into a uint64 token. Returns 0 when it is
     * not a valid token (empty, not digits, over 2^64-1, or 0 itself).
     */
    public static long parseUnsigned(byte[] b, int from, int to) {
        int n = to - from;
        if (n <= 0 || n > 20) {
            return 0;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) {
                return 0;
            }
            // overflow check for unsigned 64-bit: v * 10 + d <= 2^64 - 1
            if (Long.compareUnsigned(v, Long.divideUnsigned(-1L, 10)) > 0) {
                return 0;
            }
            long next = v * 10 + d;
            if (Long.compareUnsigned(next, v * 10) < 0) {
                return 0;
            }
            v = next;
        }
        return v;
    }
}
