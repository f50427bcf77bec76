package dev.satchel.cluster;

/**
 * Cluster mode's partitions of the global key space (KV_*): a fixed number of buckets, each one entry of the
 * globals cache, so the global keys spread over every member's primaries instead of sitting on one. The bucket of
 * a key is a fixed function of its canonical bytes (the key as UTF-8, see {@code JsonStrings}): the same on every
 * member, in every run and in every version, and independent of the membership. Changing {@link #COUNT} or
 * {@link #of} moves keys to other buckets, which a running cluster cannot do: both are part of the wire format
 * between members.
 */
final class Buckets {
    /** How many buckets the global key space has (a power of two). */
    static final int COUNT = 64;
    /** The {@code lo} of bucket 0's key; {@code hi} is 0. Above {@link SessionKey#SHARED_SECRET}'s 1. */
    private static final long FIRST = 0x100;
    private static final SessionKey[] KEYS = new SessionKey[COUNT];

    static {
        for (int b = 0; b < COUNT; b++) {
            KEYS[b] = new SessionKey(0, FIRST + b);
        }
    }

    private Buckets() {
    }

    /**
     * The bucket of the canonical key {@code key}: 64-bit FNV-1a over its bytes, folded (high half into the low)
     * and masked. FNV-1a is fixed by its published constants, so it never depends on the JVM or a seed.
     */
    static int of(byte[] key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return (int) ((h ^ (h >>> 32)) & (COUNT - 1));
    }

    /** The globals cache's key of bucket {@code b}. */
    static SessionKey key(int b) {
        return KEYS[b];
    }

    /** The bucket a globals cache key stands for, or -1 when it is not a bucket's key. */
    static int index(SessionKey k) {
        long b = k.lo - FIRST;
        return k.hi == 0 && b >= 0 && b < COUNT ? (int) b : -1;
    }
}
