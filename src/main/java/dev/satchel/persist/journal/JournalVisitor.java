package dev.satchel.persist.journal;

/**
 * Receives replayed records, in journal order, on the thread that runs {@link JournalReader#replay}. A record
 * is handed over only after it (for a group: the whole group) has been read and verified, so a group or a
 * multi-entry put is applied completely or not at all. Tokens are (hi, lo); uint64 tokens have {@code hi == 0}.
 * Deadlines are wall-clock milliseconds since the epoch. Entries and keys are fresh arrays the visitor may keep.
 */
public interface JournalVisitor {
    /**
     * @param flags {@link JournalFormat#SHARED}, {@link JournalFormat#HAS_NAME}, {@link JournalFormat#EXPIRES}
     *              and the expiry flags
     * @param durationMillis the expiry period, 0 when it does not expire
     * @param deadline the end of its first period, 0 when it does not expire
     */
    void sessionCreated(long hi, long lo, String name, int flags, long durationMillis, long deadline);

    void sessionEnded(long hi, long lo);

    /** @param deadline the new deadline, or {@link JournalFormat#NO_DEADLINE} */
    void sessionCleared(long hi, long lo, long deadline);

    void deadlineMoved(long hi, long lo, long deadline);

    /** A packed entry (keyLength varint, key, value) put into a session. */
    void sessionPut(long hi, long lo, byte[] entry);

    /** A key (canonical form) removed from a session. */
    void sessionRemove(long hi, long lo, byte[] key);

    void kvPut(byte[] entry);

    void kvRemove(byte[] key);

    void kvCleared();

    /** Every session ended at once (SH_END_ALL). */
    void allSessionsEnded();
}
