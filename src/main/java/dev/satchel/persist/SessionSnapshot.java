package dev.satchel.persist;

import java.util.ArrayList;
import java.util.List;

/**
 * The sessions to save, captured on the command loop: per session its settings, the time left in its
 * period, and a reference to its store's entry array (positions {@code [0, end)}, null at holes). The store
 * was frozen by the capture (copy on write), so the writer thread reads these arrays while the loop goes
 * on; entry arrays themselves are never modified. Records are kept in blocks of {@link #BLOCK} so that
 * capturing a million sessions never allocates one huge array in a single loop turn. Filled on the loop,
 * then only read (by the writer, after a hand-over through a future).
 */
public final class SessionSnapshot {
    static final int BLOCK = 16_384;

    /** One block of records, as parallel arrays. */
    static final class Block {
        int count;
        final long[] hi = new long[BLOCK];
        final long[] lo = new long[BLOCK];
        final String[] names = new String[BLOCK];
        final byte[] flags = new byte[BLOCK];
        final long[] durationMillis = new long[BLOCK];
        final long[] remainingMillis = new long[BLOCK];
        final byte[][][] entries = new byte[BLOCK][][];
        final int[] ends = new int[BLOCK];
        final int[] keyCounts = new int[BLOCK];
    }

    final List<Block> blocks = new ArrayList<>();
    private Block last;
    int count;
    long keys;

    public SessionSnapshot() {
    }

    /**
     * Adds one session. {@code flags} are {@link Format#SHARED} etc. (HAS_NAME is set from {@code name}).
     * {@code entries} may be null when {@code keyCount} is 0.
     */
    public void add(long tokenHi, long tokenLo, String name, int sessionFlags, long duration, long remaining,
            byte[][] storeEntries, int end, int keyCount) {
        Block b = last;
        if (b == null || b.count == BLOCK) {
            b = last = new Block();
            blocks.add(b);
        }
        int i = b.count++;
        b.hi[i] = tokenHi;
        b.lo[i] = tokenLo;
        b.names[i] = name;
        b.flags[i] = (byte) (sessionFlags | (name != null ? Format.HAS_NAME : 0));
        b.durationMillis[i] = duration;
        b.remainingMillis[i] = remaining;
        b.entries[i] = keyCount == 0 ? null : storeEntries;
        b.ends[i] = keyCount == 0 ? 0 : end;
        b.keyCounts[i] = keyCount;
        count++;
        keys += keyCount;
    }

    public int count() {
        return count;
    }

    public long keys() {
        return keys;
    }
}
