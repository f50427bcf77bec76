package dev.satchel.cluster;

import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Session;
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
 * {@link #RING} commands that changed it, by id, with their responses.
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

    /** The live session; null for a tombstone or a box of the globals cache. */
    Session session;
    /** The global key space (globals cache, key {@link SessionKey#GLOBAL}); null otherwise. */
    KeyValues global;
    /** The cluster's shared-session secret (globals cache, key {@link SessionKey#SHARED_SECRET}); null otherwise. */
    byte[] secret;
    /** A tombstone is removed after this time (wall-clock ms). */
    long keepUntil;

    private long[] ids;
    private byte[][] responses;
    private int count;
    private int next;

    /** The response recorded for command {@code id}, or null. */
    byte[] recall(long id) {
        for (int i = 0; i < count; i++) {
            if (ids[i] == id) {
                return responses[i];
            }
        }
        return null;
    }

    /** Records that command {@code id} was applied with this response (the oldest record drops out). */
    void remember(long id, byte[] response) {
        if (ids == null) {
            ids = new long[RING];
            responses = new byte[RING][];
        }
        ids[next] = id;
        responses[next] = response;
        next = (next + 1) % RING;
        if (count < RING) {
            count++;
        }
    }

    boolean remembersAnything() {
        return count > 0;
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
                out.writeByte(KIND_SESSION);
                OwnerExecutor.write(session, out);
            } else if (global != null) {
                out.writeByte(KIND_GLOBAL);
                OwnerExecutor.writeStore(global, out);
            } else if (secret != null) {
                out.writeByte(KIND_SECRET);
                out.writeInt(secret.length);
                out.write(secret);
            } else {
                out.writeByte(KIND_TOMBSTONE);
            }
            out.writeLong(keepUntil);
            out.writeByte(count);
            for (int k = 0; k < count; k++) {
                int i = (next - count + k + RING) % RING; // oldest first
                out.writeLong(ids[i]);
                out.writeInt(responses[i].length);
                out.write(responses[i]);
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
            switch (in.readByte()) {
                case KIND_SESSION -> b.session = OwnerExecutor.read(in);
                case KIND_GLOBAL -> b.global = OwnerExecutor.readStore(in);
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
                long id = in.readLong();
                byte[] r = new byte[in.readInt()];
                in.readFully(r);
                b.remember(id, r);
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt cluster value", e);
        }
    }
}
