package dev.satchel.persist.journal;

/**
 * When journal records reach the disk ({@code persist.journal}, issue 13). {@link #OFF} means no journal
 * at all: no {@link JournalWriter} is created.
 */
public enum JournalPolicy {
    /** No journal: data changed since the last save is lost on a crash. */
    OFF,
    /**
     * Writes are acknowledged before their fsync; the journal thread writes handed-over records within about
     * 100 ms ({@link JournalWriter.Options#DEFAULT_WRITE_DELAY_MILLIS}) and fsyncs at least once a second while
     * data is pending. A crash of the process loses at most what was not written yet (about the last 100 ms);
     * a power loss loses at most about the last second.
     */
    EVERYSEC,
    /**
     * A write's response waits for the fsync of its record ({@link JournalWriter#whenDurable}); one fsync
     * covers everything handed over before it (group commit).
     */
    ALWAYS;

    /** The config spelling: {@code off}, {@code everysec} or {@code always}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static JournalPolicy fromConfigName(String s) {
        return switch (s) {
            case "off" -> OFF;
            case "everysec" -> EVERYSEC;
            case "always" -> ALWAYS;
            default -> throw new IllegalArgumentException("expected \"off\", \"everysec\" or \"always\"");
        };
    }
}
