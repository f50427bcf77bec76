package dev.satchel.cluster;

/**
 * The key of a session in the distributed cache: its token (two longs). Its hash code is a pure function of the
 * token, so every member puts a session in the same segment (Infinispan hashes {@link #hashCode()} of object
 * keys). In the globals cache, {@link #SHARED_SECRET} holds the cluster's shared-session secret and the keys of
 * {@link Buckets} the global key space, one bucket each; sessions live in another cache.
 */
final class SessionKey {
    static final SessionKey SHARED_SECRET = new SessionKey(0, 1);

    final long hi;
    final long lo;

    SessionKey(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionKey k && k.hi == hi && k.lo == lo;
    }

    @Override
    public int hashCode() {
        long h = hi * 0x9E3779B97F4A7C15L + lo;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    @Override
    public String toString() {
        return "SessionKey[" + Long.toHexString(hi).hashCode() + "]"; // never the token itself: logs are not for tokens
    }
}
