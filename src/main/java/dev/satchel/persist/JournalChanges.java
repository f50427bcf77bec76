package dev.satchel.persist;

import dev.satchel.engine.Changes;
import dev.satchel.engine.Clock;
import dev.satchel.engine.Session;
import dev.satchel.persist.journal.JournalDeadlines;
import dev.satchel.persist.journal.JournalFormat;
import dev.satchel.persist.journal.JournalPolicy;
import dev.satchel.persist.journal.JournalWriter;
import dev.satchel.store.KeyValues;
import java.util.function.LongSupplier;

/**
 * The engine's change sink when {@code persist.journal} is on: encodes every change into the
 * {@link JournalWriter} on the command loop (docs/persistence.md, "Journal").
 *
 * <ul>
 * <li>Each request's changes form one group ({@link #beginRequest}/{@link #endRequest}), replayed all or
 * nothing: a multi-key SET, a write and the deadline move it causes, SH_END_ALL's ends.</li>
 * <li>Deadlines are converted from the engine's monotonic clock to wall-clock instants as they are written.
 * Sliding moves are recorded only when {@link JournalDeadlines} says so; the last recorded deadline is kept on
 * the session.</li>
 * <li>A session restored by a load is recorded with its keys (several put records if it is large).</li>
 * </ul>
 * Loop thread only, like the engine.
 */
public final class JournalChanges implements Changes {
    /** Puts of a restored session are split into records of about this many bytes. */
    static final int PUT_RECORD_BYTES = 1 << 20;
    /** A restored session up to this many bytes of keys is one group (all or nothing); larger ones are not. */
    static final long GROUP_LIMIT_BYTES = 64L << 20;

    private final JournalWriter writer;
    private final Clock clock;
    private final LongSupplier wallClock;
    private final boolean always;
    private boolean inGroup;
    /** Null until the start has replayed the journal (then set once, on the loop). */
    private JournalCompaction compaction;

    public JournalChanges(JournalWriter writer, Clock clock, LongSupplier wallClock) {
        this.writer = writer;
        this.clock = clock;
        this.wallClock = wallClock;
        this.always = writer.policy() == JournalPolicy.ALWAYS;
    }

    public JournalWriter writer() {
        return writer;
    }

    /** Compaction, checked after each turn (set on the loop once the start has replayed the journal). */
    void compaction(JournalCompaction c) {
        this.compaction = c;
    }

    /** The journal's compaction (null before the start finished). Loop thread. */
    public JournalCompaction compaction() {
        return compaction;
    }

    /** A deadline on the engine's clock as a wall-clock instant (epoch ms, at least 1). */
    private long wall(long deadline) {
        return Math.max(1, deadline - clock.millis() + wallClock.getAsLong());
    }

    @Override
    public void beginRequest() {
        writer.beginGroup();
        inGroup = true;
    }

    @Override
    public void endRequest() {
        inGroup = false;
        writer.endGroup();
    }

    @Override
    public String refusal() {
        String f = writer.failure();
        if (f != null) {
            return f + " (changes are refused until the journal can be written again)";
        }
        if (writer.overBacklog()) {
            return "journal backlog: " + writer.backlogBytes() + " bytes wait for the disk, more than "
                    + writer.maxBacklogBytes() + " (changes are refused until the disk catches up)";
        }
        return null;
    }

    @Override
    public void endOfTurn() {
        writer.flush();
        if (compaction != null) {
            compaction.afterTurn();
        }
    }

    @Override
    public void whenDurable(Runnable action) {
        if (always) {
            writer.whenDurable(writer.position(), action);
        } else {
            action.run();
        }
    }

    @Override
    public void sessionCreated(Session s) {
        KeyValues data = s.data();
        boolean group = false;
        if (data != null && data.size() > 0 && !inGroup && data.storedBytes() <= GROUP_LIMIT_BYTES) {
            writer.beginGroup();
            group = true;
        }
        int flags = s.shared() ? JournalFormat.SHARED : 0;
        long deadline = 0;
        if (s.expires()) {
            flags |= JournalFormat.EXPIRES | (s.deleteSession() ? JournalFormat.DELETE_SESSION : 0)
                    | (s.extendOnSetAdd() ? JournalFormat.EXTEND_ON_SET_ADD : 0)
                    | (s.extendOnGet() ? JournalFormat.EXTEND_ON_GET : 0);
            deadline = wall(s.deadline());
            s.journalledDeadline(s.deadline());
        }
        writer.sessionCreated(s.tokenHi(), s.tokenLo(), s.name(), flags, s.durationMillis(), deadline);
        if (data != null && data.size() > 0) {
            putAll(s, data);
        }
        if (group) {
            writer.endGroup();
        }
    }

    /** The keys of a restored session, in insertion order, in records of about {@link #PUT_RECORD_BYTES}. */
    private void putAll(Session s, KeyValues data) {
        int bytes = 0;
        boolean open = false;
        for (int p = 0, end = data.end(); p < end; p++) {
            byte[] e = data.entryAt(p);
            if (e == null) {
                continue; // a removed slot
            }
            if (!open) {
                writer.beginSessionPut(s.tokenHi(), s.tokenLo());
                open = true;
                bytes = 0;
            }
            writer.addItem(e, 0, e.length);
            bytes += e.length;
            if (bytes >= PUT_RECORD_BYTES) {
                writer.endRecord();
                open = false;
            }
        }
        if (open) {
            writer.endRecord();
        }
    }

    @Override
    public void sessionEnded(Session s) {
        writer.sessionEnded(s.tokenHi(), s.tokenLo());
    }

    @Override
    public void allSessionsEnded() {
        writer.allSessionsEnded();
    }

    @Override
    public void sessionExpiredData(Session s) {
        writer.sessionCleared(s.tokenHi(), s.tokenLo(), wall(s.deadline()));
        s.journalledDeadline(s.deadline());
    }

    @Override
    public void deadlineMoved(Session s) {
        long d = s.deadline();
        if (JournalDeadlines.shouldRecord(s.journalledDeadline(), d, s.durationMillis(),
                JournalDeadlines.DEFAULT_GRANULARITY_MILLIS)
                && writer.deadlineMoved(s.tokenHi(), s.tokenLo(), wall(d))) {
            s.journalledDeadline(d);
        }
    }

    @Override
    public void put(Session s, byte[] entry) {
        if (s == null) {
            writer.kvPut(entry);
        } else {
            writer.sessionPut(s.tokenHi(), s.tokenLo(), entry);
        }
    }

    @Override
    public void removed(Session s, byte[] key) {
        if (s == null) {
            writer.kvRemove(key, 0, key.length);
        } else {
            writer.sessionRemove(s.tokenHi(), s.tokenLo(), key, 0, key.length);
        }
    }

    @Override
    public void storeCleared(Session s) {
        if (s == null) {
            writer.kvCleared();
        } else {
            // the deadline is unchanged by a clear: record it as it is (0 for a session that never expires)
            writer.sessionCleared(s.tokenHi(), s.tokenLo(), s.expires() ? wall(s.deadline()) : 0);
            if (s.expires()) {
                s.journalledDeadline(s.deadline());
            }
        }
    }
}
