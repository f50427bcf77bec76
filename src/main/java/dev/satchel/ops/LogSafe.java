package dev.satchel.ops;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * What may be written to logs. A session token grants access to its session, so logs never hold one:
 * {@link #token} renders it as the first 8 hex digits of its SHA-256 ({@code tkn#1a2b3c4d}), enough to follow
 * one session through the logs and useless to reach it. Use it wherever a token, a shared secret or an
 * authentication secret could end up in a log line.
 */
public final class LogSafe {
    private LogSafe() {
    }

    /** {@code tkn#} and 8 hex digits of the SHA-256 of the token as the client sends it; {@code tkn#-} for null. */
    public static String token(CharSequence token) {
        if (token == null) {
            return "tkn#-";
        }
        return "tkn#" + shortHash(token.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The same for a token held as two longs (string tokens: 128 bits; uint64 tokens: {@code hi} is 0). */
    public static String token(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return "tkn#" + shortHash(b);
    }

    /** A secret setting for the start-up banner: only whether it is set. */
    public static String secret(String value) {
        return value == null || value.isEmpty() ? "not set" : "set";
    }

    private static String shortHash(byte[] b) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(b);
            StringBuilder s = new StringBuilder(8);
            for (int i = 0; i < 4; i++) {
                s.append(Character.forDigit((d[i] >> 4) & 0xF, 16)).append(Character.forDigit(d[i] & 0xF, 16));
            }
            return s.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
