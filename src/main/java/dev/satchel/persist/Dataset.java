package dev.satchel.persist;

import dev.satchel.store.KeyValues;
import java.nio.file.Path;

/**
 * A dataset read from disk, verified and decoded off the command loop, ready to be inserted: sessions with
 * their stores already built, or the entries of a key space. Handed to the loop through its task queue.
 */
public final class Dataset {
    final int kind;
    final Path file;
    final long savedAtMillis;
    int count;
    long keys;
    // kind == KIND_SESSIONS
    long[] hi;
    long[] lo;
    String[] names;
    byte[] flags;
    long[] durationMillis;
    long[] remainingMillis;
    KeyValues[] stores;
    // kind == KIND_KEYS
    byte[][] entries;

    Dataset(int kind, Path file, long savedAtMillis) {
        this.kind = kind;
        this.file = file;
        this.savedAtMillis = savedAtMillis;
    }

    public boolean holdsSessions() {
        return kind == Format.KIND_SESSIONS;
    }

    /** The file it was read from. */
    public Path file() {
        return file;
    }

    /** Wall-clock time of the save (milliseconds since the epoch). */
    public long savedAtMillis() {
        return savedAtMillis;
    }

    /** Sessions (session datasets) or keys (key datasets). */
    public int count() {
        return count;
    }

    /** Keys in all (across sessions for session datasets). */
    public long keys() {
        return keys;
    }

    public long tokenHi(int i) {
        return hi[i];
    }

    public long tokenLo(int i) {
        return lo[i];
    }

    public String name(int i) {
        return names[i];
    }

    /** {@link Format#SHARED} and the other session flags. */
    public int flags(int i) {
        return flags[i];
    }

    public long durationMillis(int i) {
        return durationMillis[i];
    }

    /** Time that was left in the session's period when it was saved (expiring sessions). */
    public long remainingMillis(int i) {
        return remainingMillis[i];
    }

    /** The session's store, built off the loop, or null when it had no keys. */
    public KeyValues store(int i) {
        return stores[i];
    }

    /** An entry of a key dataset. */
    public byte[] entry(int i) {
        return entries[i];
    }

    /** Drops the decoded data of items before {@code i} so memory is freed while a large load is applied. */
    public void release(int from, int to) {
        if (kind == Format.KIND_SESSIONS) {
            java.util.Arrays.fill(stores, from, to, null);
            java.util.Arrays.fill(names, from, to, null);
        } else {
            java.util.Arrays.fill(entries, from, to, null);
        }
    }
}
