package dev.satchel.engine;

import dev.satchel.store.KeyValues;

/**
 * One session: its token, optional name, its own key-value store and its expiry settings. Owned by the
 * command loop; only the executor ({@link Engine}) changes its life and settings, and commands its store.
 */
public final class Session {
    final long tokenHi;
    final long tokenLo;
    final String name;
    final boolean shared;
    /** Created on the first write, so an empty session costs only this object. */
    KeyValues data;

    /** Expiry period in milliseconds; 0 means the session never expires. */
    final long durationMillis;
    final boolean deleteSession;
    final boolean extendOnSetAdd;
    final boolean extendOnGet;
    /** When the current period ends, on the engine's clock; meaningful when {@link #durationMillis} > 0. */
    long deadline;
    boolean ended;
    /** The deadline (engine clock) a journal last recorded for this session (see Engine#journalledDeadline). */
    long journalledDeadline;
    /** For consistent snapshots: see {@link Engine.Capture}. */
    int snapSeq;

    Session(long tokenHi, long tokenLo, String name, boolean shared, long durationMillis, boolean deleteSession,
            boolean extendOnSetAdd, boolean extendOnGet) {
        this.tokenHi = tokenHi;
        this.tokenLo = tokenLo;
        this.name = name;
        this.shared = shared;
        this.durationMillis = durationMillis;
        this.deleteSession = deleteSession;
        this.extendOnSetAdd = extendOnSetAdd;
        this.extendOnGet = extendOnGet;
    }

    public long tokenHi() {
        return tokenHi;
    }

    public long tokenLo() {
        return tokenLo;
    }

    public String name() {
        return name;
    }

    public boolean shared() {
        return shared;
    }

    public boolean expires() {
        return durationMillis > 0;
    }

    public long durationMillis() {
        return durationMillis;
    }

    public boolean deleteSession() {
        return deleteSession;
    }

    public boolean extendOnSetAdd() {
        return extendOnSetAdd;
    }

    public boolean extendOnGet() {
        return extendOnGet;
    }

    public long deadline() {
        return deadline;
    }

    /** This session's store, or null while it holds no key. */
    public KeyValues data() {
        return data;
    }

    /** The deadline (engine clock) a journal last recorded for this session; 0 before any. */
    public long journalledDeadline() {
        return journalledDeadline;
    }

    /** A journal records that it wrote {@code deadline} (engine clock) for this session. */
    public void journalledDeadline(long deadline) {
        this.journalledDeadline = deadline;
    }

    /** True once the session has ended (by command or expiry); an ended session is never changed again. */
    public boolean ended() {
        return ended;
    }

    public int keyCount() {
        return data == null ? 0 : data.size();
    }

    /** This session's store, created if needed. */
    KeyValues store() {
        if (data == null) {
            data = new KeyValues();
        }
        return data;
    }
}
