package dev.satchel.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * One key-value store (a session's, or the global one): packed {@link Entry} arrays in insertion order,
 * found through an open-addressing index of entry positions. Overwriting a key keeps its position; removed
 * positions are holes until the next compaction, so iteration order is always insertion order.
 *
 * <p>Memory per key is the entry array itself plus about 16 bytes of index, against ~90 bytes of overhead
 * for a {@code LinkedHashMap<String, byte[]>}. Keys are hashed with a per-process random seed so clients
 * cannot choose colliding keys in advance. Not thread-safe: owned by the command loop.
 */
public final class KeyValues {
    private static final byte[][] NO_ENTRIES = new byte[0][];
    private static final int[] NO_INTS = new int[0];
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long SEED = new SecureRandom().nextLong();

    /** An empty store for reading a session that has no data; never written to. */
    public static final KeyValues EMPTY = new KeyValues();

    private byte[][] entries = NO_ENTRIES;
    private int[] hashes = NO_INTS;
    /** Entry position + 1 per slot; 0 is an empty slot. Length is a power of two, at least twice the entries. */
    private int[] index = NO_INTS;
    private int end;
    private int live;
    private long bytes;
    /**
     * True while a snapshot may hold {@link #entries} (see {@link #freeze}): the next overwrite or removal
     * copies the array first instead of changing it in place.
     */
    private boolean frozen;
    /**
     * Cluster mode's buckets of the global key space only (null everywhere else, so a session's store costs no
     * more): an insertion stamp per position, by which the buckets' keys are merged back into one insertion order.
     */
    private Stamps stamps;

    /** The stamps of a stamped store and the stamps its next insertions take ({@link #stampNext}). */
    private static final class Stamps {
        long[] at = NO_LONGS;
        long base;
        int[] order;
        int calls;
    }

    private static final long[] NO_LONGS = new long[0];

    /**
     * Makes this store keep an insertion stamp per key (cluster mode's buckets of the global key space). Stamps
     * are chosen by {@link #stampNext} or {@link #putStamped}; a key inserted otherwise gets 0.
     */
    public void stamped() {
        if (stamps == null) {
            stamps = new Stamps();
            stamps.at = new long[entries.length];
        }
    }

    /**
     * The stamps of the following calls of {@link #put} and {@link #add} (stamped stores only): call {@code i}
     * (counted from 0, whether it inserts or not) stamps a key it inserts with {@code base + order[i]}, or
     * {@code base + i} when {@code order} is null. A key already present keeps its stamp, as it keeps its position.
     */
    public void stampNext(long base, int[] order) {
        stamps.base = base;
        stamps.order = order;
        stamps.calls = 0;
    }

    /** The stamp of the entry at {@code position} (stamped stores only). */
    public long stampAt(int position) {
        return stamps.at[position];
    }

    /** Inserts or overwrites, stamping a new key with {@code stamp} (stamped stores only). */
    public boolean putStamped(byte[] entry, long stamp) {
        stampNext(stamp, null);
        return insert(entry, true);
    }

    /** Number of keys. */
    public int size() {
        return live;
    }

    /** Sum of the stored entries' lengths (key and value bytes plus a length byte or two). */
    public long storedBytes() {
        return bytes;
    }

    /** Positions run from 0 to {@code end() - 1}; {@link #entryAt} is null at removed positions. */
    public int end() {
        return end;
    }

    public byte[] entryAt(int position) {
        return entries[position];
    }

    static int hash(byte[] b, int off, int len) {
        long h = SEED ^ (len * 0x9E3779B97F4A7C15L);
        int i = off;
        int stop = off + len - 7;
        for (; i < stop; i += 8) {
            long w = (long) LONGS.get(b, i);
            h = Long.rotateLeft(h ^ (w * 0x87C37B91114253D5L), 31) * 0x4CF5AD432745937FL;
        }
        long tail = 0;
        for (int shift = 0; i < off + len; i++, shift += 8) {
            tail |= (b[i] & 0xFFL) << shift;
        }
        h ^= tail * 0x87C37B91114253D5L;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) h;
    }

    /** Slot holding key {@code b[off, off + len)}, or -(free slot + 1) when absent. Index must be non-empty. */
    private int slotOf(byte[] b, int off, int len, int h) {
        final int mask = index.length - 1;
        int slot = h & mask;
        while (true) {
            int p = index[slot];
            if (p == 0) {
                return -(slot + 1);
            }
            p--;
            if (hashes[p] == h) {
                byte[] e = entries[p];
                int ko = Entry.keyOffset(e);
                if (Entry.keyLength(e) == len && Arrays.equals(e, ko, ko + len, b, off, off + len)) {
                    return slot;
                }
            }
            slot = (slot + 1) & mask;
        }
    }

    /** Position of the entry with canonical key {@code key}, or -1. */
    public int find(byte[] key) {
        if (live == 0) {
            return -1;
        }
        int slot = slotOf(key, 0, key.length, hash(key, 0, key.length));
        return slot < 0 ? -1 : index[slot] - 1;
    }

    public boolean contains(byte[] key) {
        return find(key) >= 0;
    }

    /** Inserts or overwrites; returns true when the key was new. */
    public boolean put(byte[] entry) {
        return insert(entry, true);
    }

    /** Inserts only if the key is absent; returns true when inserted. */
    public boolean add(byte[] entry) {
        return insert(entry, false);
    }

    private boolean insert(byte[] entry, boolean overwrite) {
        long stamp = 0;
        if (stamps != null) {
            Stamps st = stamps;
            int call = st.calls++;
            stamp = st.base + (st.order == null ? call : st.order[Math.min(call, st.order.length - 1)]);
        }
        int ko = Entry.keyOffset(entry);
        int kl = Entry.keyLength(entry);
        int h = hash(entry, ko, kl);
        if (index.length == 0) {
            allocate(4);
        }
        int slot = slotOf(entry, ko, kl, h);
        if (slot >= 0) {
            if (overwrite) {
                if (frozen) {
                    thaw();
                }
                int p = index[slot] - 1;
                bytes += entry.length - entries[p].length;
                entries[p] = entry;
            }
            return false;
        }
        if (end == entries.length) {
            makeRoom();
            slot = slotOf(entry, ko, kl, h);
        }
        entries[end] = entry;
        hashes[end] = h;
        if (stamps != null) {
            stamps.at[end] = stamp;
        }
        index[-slot - 1] = ++end;
        live++;
        bytes += entry.length;
        return true;
    }

    private void allocate(int capacity) {
        frozen = false;
        entries = new byte[capacity][];
        hashes = new int[capacity];
        index = new int[capacity * 2];
        if (stamps != null) {
            stamps.at = new long[capacity];
        }
    }

    /** Called when the entry arrays are full: squeezes out holes, growing if they are mostly live. */
    private void makeRoom() {
        int capacity = live >= end - end / 4 ? entries.length * 2 : entries.length;
        byte[][] oldEntries = entries;
        int[] oldHashes = hashes;
        long[] oldStamps = stamps != null ? stamps.at : null;
        int oldEnd = end;
        allocate(capacity);
        int n = 0;
        final int mask = index.length - 1;
        for (int p = 0; p < oldEnd; p++) {
            byte[] e = oldEntries[p];
            if (e != null) {
                int h = oldHashes[p];
                entries[n] = e;
                hashes[n] = h;
                if (oldStamps != null) {
                    stamps.at[n] = oldStamps[p];
                }
                int slot = h & mask;
                while (index[slot] != 0) {
                    slot = (slot + 1) & mask;
                }
                index[slot] = ++n;
            }
        }
        end = n;
    }

    /** Removes a key; returns true when it was there. */
    public boolean remove(byte[] key) {
        if (live == 0) {
            return false;
        }
        int slot = slotOf(key, 0, key.length, hash(key, 0, key.length));
        if (slot < 0) {
            return false;
        }
        int p = index[slot] - 1;
        if (frozen) {
            thaw();
        }
        bytes -= entries[p].length;
        entries[p] = null;
        live--;
        if (live == 0) {
            clear();
            return true;
        }
        deleteSlot(slot);
        return true;
    }

    /** Backward-shift deletion: keeps every probe chain unbroken without tombstones. */
    private void deleteSlot(int hole) {
        final int mask = index.length - 1;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            int p = index[j];
            if (p == 0) {
                index[hole] = 0;
                return;
            }
            int home = hashes[p - 1] & mask;
            // move j into the hole unless its home lies cyclically in (hole, j]
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                index[hole] = p;
                hole = j;
            }
        }
    }

    /**
     * For a consistent snapshot read by another thread (a save): returns the entry array, whose positions
     * {@code [0, end())} as of now will never change. Copy on write: the next overwrite or removal copies
     * the array first; appends only write past {@code end()}, and growth and {@link #clear} replace the
     * array, so none of them disturbs the snapshot. Entry arrays themselves are never modified. O(1).
     */
    public byte[][] freeze() {
        frozen = true;
        return entries;
    }

    /** Gives this store a private copy of a frozen entry array. */
    private void thaw() {
        entries = entries.clone();
        frozen = false;
    }

    /** Removes every key; returns how many there were. */
    public int clear() {
        int n = live;
        frozen = false;
        entries = NO_ENTRIES;
        hashes = NO_INTS;
        index = NO_INTS;
        end = 0;
        live = 0;
        bytes = 0;
        if (stamps != null) {
            stamps.at = NO_LONGS;
        }
        return n;
    }
}
