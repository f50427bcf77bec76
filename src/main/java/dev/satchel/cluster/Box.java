package dev.satchel.cluster;

import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Session;
import dev.satchel.store.Entry;
import dev.satchel.store.KeyValues;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What the distributed caches store under one key: a session (changed in place by the commands that run on
 * it), the global key space, or the cluster's shared-session secret; plus the ring of the last
 * {@link #RING} commands that changed it, by id, with their limit verdicts and responses.
 *
 * <p>The ring makes every command idempotent under re-execution: Infinispan retries a write whose topology
 * changed under it, and the retry runs again on owners that had already applied it (measured in the spike: a
 * non-idempotent command applied twice and replicas diverging). A command whose id is in the ring is answered
 * from it and changes nothing. The ring is part of the value, so every owner keeps it and a new primary
 * deduplicates too. When a session ends, its box stays as a tombstone ({@link #session} null) until
 * {@link #keepUntil}, so a retried SH_END still gets its first answer.
 *
 * <p>Locking: every command runs under Infinispan's key lock on the primary and in the primary's order on the
 * backups; besides them only the marshaller reads a box (state transfer), so both synchronize on the box.
 */
final class Box {
    /** Commands remembered per session: far more than a connection pipelines on one session during a retry. */
    static final int RING = 32;
    private static final byte KIND_SESSION = 1;
    private static final byte KIND_TOMBSTONE = 2;
    private static final byte KIND_GLOBAL = 3;
    private static final byte KIND_SECRET = 4;
    /** A bucket of the global key space: its entries in position order, each with its insertion stamp. */
    private static final byte KIND_BUCKET = 5;
    /**
     * Set in the kind byte of a blob whose ring is written as records (id, verdict, response). A blob without it
     * (written before verdicts existed) holds (id, response) pairs, read as admitted commands.
     */
    private static final int RING_RECORDS = 0x10;

    /** The live session; null for a tombstone or a box of the globals cache. */
    Session session;
    /** One bucket of the global key space (globals cache, a key of {@link Buckets}), stamped; null otherwise. */
    KeyValues global;
    /** The cluster's shared-session secret (globals cache, key {@link SessionKey#SHARED_SECRET}); null otherwise. */
    byte[] secret;
    /** A tombstone is removed after this time (wall-clock ms). */
    long keepUntil;

    /**
     * The ring, oldest first from {@link #next} once full: one array per command, its id (8 bytes, big-endian),
     * the verdict of its limit checks (1 byte, {@code OwnerExecutor.ADMITTED} or a refusal) and its response.
     * Allocated on the first command and grown by doubling up to {@link #RING}: most sessions see a few commands,
     * and each copy of every session carries the ring.
     */
    private byte[][] ring;
    private int count;
    private int next;

    /** The record of command {@code id} (read it with {@link #verdict} and {@link #response}), or null. */
    byte[] recall(long id) {
        for (int i = 0; i < count; i++) {
            if (id(ring[i]) == id) {
                return ring[i];
            }
        }
        return null;
    }

    /** The verdict of a record {@link #recall} returned. */
    static byte verdict(byte[] record) {
        return record[8];
    }

    /** The response of a record {@link #recall} returned. */
    static byte[] response(byte[] record) {
        return java.util.Arrays.copyOfRange(record, 9, record.length);
    }

    private static long id(byte[] record) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (record[i] & 0xFF);
        }
        return v;
    }

    /** Records that command {@code id} was applied with this verdict and response (the oldest record drops out). */
    void remember(long id, byte verdict, byte[] response) {
        byte[] record = new byte[9 + response.length];
        for (int i = 7; i >= 0; i--) {
            record[i] = (byte) id;
            id >>>= 8;
        }
        record[8] = verdict;
        System.arraycopy(response, 0, record, 9, response.length);
        add(record);
    }

    private void add(byte[] record) {
        if (ring == null) {
            ring = new byte[2][];
        } else if (count == ring.length && count < RING) {
            ring = java.util.Arrays.copyOf(ring, Math.min(RING, count * 2)); // in order: next wrapped to 0
            next = count;
        }
        ring[next] = record;
        next = (next + 1) % ring.length;
        if (count < ring.length) {
            count++;
        }
    }

    boolean remembersAnything() {
        return count > 0;
    }

    /** Live sessions in this box (for the member's budget): 1 for a session, else 0. */
    long heldSessions() {
        return session != null ? 1 : 0;
    }

    /** Key and value bytes in this box (for the member's budget). */
    long heldBytes() {
        KeyValues kv = session != null ? session.data() : global;
        return kv == null ? 0 : kv.storedBytes();
    }

    boolean isTombstone() {
        return session == null && global == null && secret == null;
    }

    // ---- the binary form: the only thing ProtoStream sees (one bytes field) ----

    synchronized byte[] toBlob() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            if (session != null) {
                out.writeByte(KIND_SESSION | RING_RECORDS);
                OwnerExecutor.write(session, out);
            } else if (global != null) {
                out.writeByte(KIND_BUCKET | RING_RECORDS);
                writeStamped(global, false, out);
            } else if (secret != null) {
                out.writeByte(KIND_SECRET | RING_RECORDS);
                out.writeInt(secret.length);
                out.write(secret);
            } else {
                out.writeByte(KIND_TOMBSTONE | RING_RECORDS);
            }
            out.writeLong(keepUntil);
            out.writeByte(count);
            for (int k = 0; k < count; k++) {
                byte[] record = ring[(next - count + k + ring.length) % ring.length]; // oldest first
                out.writeInt(record.length);
                out.write(record);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Box fromBlob(byte[] blob) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(blob));
            Box b = new Box();
            int kind = in.readByte();
            switch (kind & ~RING_RECORDS) {
                case KIND_SESSION -> b.session = OwnerExecutor.read(in);
                case KIND_GLOBAL -> b.global = OwnerExecutor.readStore(in); // before buckets: read, never written
                case KIND_BUCKET -> b.global = readStamped(in);
                case KIND_SECRET -> {
                    b.secret = new byte[in.readInt()];
                    in.readFully(b.secret);
                }
                case KIND_TOMBSTONE -> {
                }
                default -> throw new IOException("unknown box kind");
            }
            b.keepUntil = in.readLong();
            int n = in.readByte();
            for (int k = 0; k < n; k++) {
                if ((kind & RING_RECORDS) != 0) {
                    byte[] record = new byte[in.readInt()];
                    in.readFully(record);
                    b.add(record);
                } else {
                    long id = in.readLong();
                    byte[] response = new byte[in.readInt()];
                    in.readFully(response);
                    b.remember(id, OwnerExecutor.ADMITTED, response);
                }
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt cluster value", e);
        }
    }

    /** A new stamped store (a bucket of the global key space). */
    static KeyValues bucketStore() {
        KeyValues kv = new KeyValues();
        kv.stamped();
        return kv;
    }

    /**
     * Writes a bucket's entries (or only their keys) in position order, each with its stamp: a count, then per
     * entry its stamp, length and bytes. {@code kv} null: none.
     */
    static void writeStamped(KeyValues kv, boolean keysOnly, DataOutputStream out) throws IOException {
        out.writeInt(kv == null ? 0 : kv.size());
        if (kv == null) {
            return;
        }
        for (int p = 0, end = kv.end(); p < end; p++) {
            byte[] e = kv.entryAt(p);
            if (e == null) {
                continue;
            }
            out.writeLong(kv.stampAt(p));
            if (keysOnly) {
                int ko = Entry.keyOffset(e);
                int kl = Entry.keyLength(e);
                out.writeInt(kl);
                out.write(e, ko, kl);
            } else {
                out.writeInt(e.length);
                out.write(e);
            }
        }
    }

    /** Reads what {@link #writeStamped} wrote (whole entries) into a new stamped store. */
    static KeyValues readStamped(DataInputStream in) throws IOException {
        KeyValues kv = bucketStore();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            long stamp = in.readLong();
            byte[] e = new byte[in.readInt()];
            in.readFully(e);
            kv.putStamped(e, stamp);
        }
        return kv;
    }
}
