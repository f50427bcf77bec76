package dev.satchel.engine;

import dev.satchel.json.TokenFormat;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes session tokens. Random tokens come from a CSPRNG, drawn 4 KiB at a time so that creating a session
 * costs a few array reads rather than a call into the provider. Shared-session tokens are
 * HMAC-SHA-256(secret, UTF-8 name), truncated to the token format: stable across servers and restarts for
 * the same secret, and impossible to compute without it.
 */
public final class Tokens {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final TokenFormat format;
    private final SecureRandom random;
    private final byte[] pool = new byte[4096];
    private int poolPos = pool.length;
    private volatile ThreadLocal<Mac> macs;

    /** {@code secret} keys the shared-session hash; it must not be empty. */
    public Tokens(TokenFormat format, byte[] secret) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("shared-session secret must not be empty");
        }
        this.format = format;
        this.random = new SecureRandom();
        this.macs = macs(secret);
    }

    /**
     * Replaces the shared-session key (cluster mode: the cluster's secret, agreed on before clients are served).
     * Call before any shared token is derived.
     */
    public void sharedKey(byte[] secret) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("shared-session secret must not be empty");
        }
        this.macs = macs(secret);
    }

    private static ThreadLocal<Mac> macs(byte[] secret) {
        SecretKeySpec key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        return ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is not available", e);
            }
        });
    }

    public TokenFormat format() {
        return format;
    }

    private long nextRandomLong() {
        if (poolPos == pool.length) {
            random.nextBytes(pool);
            poolPos = 0;
        }
        long v = (long) LONGS.get(pool, poolPos);
        poolPos += 8;
        return v;
    }

    /**
     * Draws a random token into {@code out[0..1]} (hi, lo). Never all-zero. Not thread-safe: the command loop
     * calls it.
     */
    public void random(long[] out) {
        long hi;
        long lo;
        do {
            hi = format == TokenFormat.STRING ? nextRandomLong() : 0;
            lo = nextRandomLong();
        } while (hi == 0 && lo == 0);
        out[0] = hi;
        out[1] = lo;
    }

    /** The token of the shared session called {@code name}, into {@code out[0..1]}. Thread-safe. */
    public void shared(String name, long[] out) {
        byte[] digest = macs.get().doFinal(name.getBytes(StandardCharsets.UTF_8));
        long a = (long) LONGS.get(digest, 0);
        long b = (long) LONGS.get(digest, 8);
        if (format == TokenFormat.STRING) {
            out[0] = a;
            out[1] = b;
        } else {
            out[0] = 0;
            out[1] = a != 0 ? a : (b != 0 ? b : 1); // 0 is never a token
        }
    }
}
