package dev.satchel.store;

/**
 * One stored key-value pair packed into a single byte array: the key's length as an unsigned LEB128
 * varint, the key in canonical form (see {@code JsonStrings}), then the value's compact JSON bytes. One
 * array per pair keeps memory per key low (one object header, no String, no boxed node) and lets responses
 * copy key and value bytes straight out.
 */
public final class Entry {
    private Entry() {
    }

    /** Bytes needed for the varint of {@code n}. */
    public static int varintSize(int n) {
        int size = 1;
        while ((n >>>= 7) != 0) {
            size++;
        }
        return size;
    }

    /** Writes the varint of {@code n} at {@code at}; returns the offset after it. */
    public static int putVarint(byte[] dst, int at, int n) {
        while ((n & ~0x7F) != 0) {
            dst[at++] = (byte) ((n & 0x7F) | 0x80);
            n >>>= 7;
        }
        dst[at++] = (byte) n;
        return at;
    }

    /** A new entry from a canonical key and a compact value. */
    public static byte[] of(byte[] key, byte[] value) {
        int v = varintSize(key.length);
        byte[] e = new byte[v + key.length + value.length];
        putVarint(e, 0, key.length);
        System.arraycopy(key, 0, e, v, key.length);
        System.arraycopy(value, 0, e, v + key.length, value.length);
        return e;
    }

    public static int keyLength(byte[] e) {
        int b = e[0];
        if (b >= 0) {
            return b;
        }
        int n = b & 0x7F;
        int shift = 7;
        int i = 1;
        do {
            b = e[i++];
            n |= (b & 0x7F) << shift;
            shift += 7;
        } while (b < 0);
        return n;
    }

    public static int keyOffset(byte[] e) {
        if (e[0] >= 0) {
            return 1;
        }
        int i = 1;
        while (e[i] < 0) {
            i++;
        }
        return i + 1;
    }

    public static int valueOffset(byte[] e) {
        return keyOffset(e) + keyLength(e);
    }

    public static byte[] key(byte[] e) {
        int off = keyOffset(e);
        return java.util.Arrays.copyOfRange(e, off, off + keyLength(e));
    }

    public static byte[] value(byte[] e) {
        return java.util.Arrays.copyOfRange(e, valueOffset(e), e.length);
    }
}
