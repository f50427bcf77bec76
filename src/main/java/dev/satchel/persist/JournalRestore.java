package dev.satchel.persist;

import dev.satchel.engine.Engine;
import dev.satchel.engine.Session;
import dev.satchel.json.TokenFormat;
import dev.satchel.persist.journal.JournalDirectory;
import dev.satchel.persist.journal.JournalException;
import dev.satchel.persist.journal.JournalFormat;
import dev.satchel.persist.journal.JournalPolicy;
import dev.satchel.persist.journal.JournalReader;
import dev.satchel.persist.journal.JournalVisitor;
import dev.satchel.persist.journal.JournalWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of a server with {@code persist.journal} on, on the command loop before the port opens: recovers
 * the journal directory, replays the segments into the engine, opens the writer, installs
 * {@link JournalChanges} as the engine's change sink, and expires every session whose deadline passed while
 * the server was down (those expiries are journalled like any other).
 */
public final class JournalRestore {
    private static final Logger LOG = LoggerFactory.getLogger(JournalRestore.class);

    /** What the start restored, for the log and the banner. */
    public record Restored(JournalChanges sink, long records, long changes, long segments, int sessions,
            long sessionKeys, int globalKeys, int expired, long millis) {
        public String describe() {
            return "journal replayed " + records + " records from " + segments + " segment(s): " + sessions
                    + " sessions, " + sessionKeys + " session keys, " + globalKeys + " global keys"
                    + (expired == 0 ? "" : ", " + expired + " expired while down") + " in " + millis + " ms";
        }
    }

    private JournalRestore() {
    }

    /** The journal directory under {@code persist.path}. */
    public static Path directory(Path persistPath) {
        return persistPath.resolve("journal");
    }

    /**
     * On the loop, before clients: restores and opens the journal.
     *
     * @param loop runs the writer's durability actions on the command loop
     * @throws JournalException with a one-line message when the journal cannot be used (corrupt record, missing
     *                          segment, a base this version cannot read)
     */
    public static Restored run(Engine engine, Path persistPath, TokenFormat format, JournalPolicy policy,
            boolean repair, long maxBytes, JournalWriter.Options options, Executor loop) throws IOException {
        long t0 = System.nanoTime();
        JournalDirectory dir = new JournalDirectory(directory(persistPath), options.io());
        JournalDirectory.Plan plan = dir.recover();
        if (plan.base() != null) {
            // bases are written by compaction, which this version does not do: a base comes from a newer server
            throw new JournalException("journal base " + plan.base() + " cannot be read by this version (it does not"
                    + " compact the journal); start the version that wrote it");
        }
        long journalBytes = plan.segmentBytes();
        if (journalBytes > maxBytes) {
            LOG.warn("the journal in {} holds {} bytes, more than persist.journalMaxBytes ({}): this version does not"
                    + " compact it, so every start replays all of it (to shrink it: SH_SAVE and KV_SAVE, stop, move"
                    + " the journal directory away, start, SH_LOAD and KV_LOAD)", dir.path(), journalBytes, maxBytes);
        }
        LongSupplier wallClock = options.wallClock();
        Visitor v = new Visitor(engine, wallClock);
        JournalReader.Result r = JournalReader.replay(dir, plan, format, v,
                repair ? JournalReader.Mode.REPAIR : JournalReader.Mode.RECOVER);
        JournalWriter writer = JournalWriter.open(dir, format, r.nextSegmentSeq(), options, loop);
        JournalChanges sink = new JournalChanges(writer, engine::now, wallClock);
        engine.changes(sink);
        int expired = engine.expireAllPastDeadline();
        engine.endOfTurn();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        Restored restored = new Restored(sink, r.records(), r.changes(), plan.segments().size(), engine.sessionCount(),
                engine.sessionKeyCount(), engine.global().size(), expired, millis);
        LOG.info("{}; writing {} with policy {}", restored.describe(), dir.segmentPath(r.nextSegmentSeq()),
                policy.configName());
        return restored;
    }

    /** Applies replayed records to the engine, deadlines converted from the wall clock to the engine's clock. */
    private static final class Visitor implements JournalVisitor {
        private final Engine engine;
        /** engine clock = wall clock + offset, fixed for the whole replay. */
        private final long offset;

        Visitor(Engine engine, LongSupplier wallClock) {
            this.engine = engine;
            this.offset = engine.now() - wallClock.getAsLong();
        }

        private Session find(long hi, long lo) {
            return engine.replayFind(hi, lo);
        }

        @Override
        public void sessionCreated(long hi, long lo, String name, int flags, long durationMillis, long deadline) {
            boolean expires = (flags & JournalFormat.EXPIRES) != 0;
            engine.replayCreate(hi, lo, name, (flags & JournalFormat.SHARED) != 0, expires ? durationMillis : 0,
                    (flags & JournalFormat.DELETE_SESSION) != 0, (flags & JournalFormat.EXTEND_ON_SET_ADD) != 0,
                    (flags & JournalFormat.EXTEND_ON_GET) != 0, expires ? deadline + offset : 0);
        }

        @Override
        public void sessionEnded(long hi, long lo) {
            Session s = find(hi, lo);
            if (s != null) {
                engine.end(s);
            }
        }

        @Override
        public void sessionCleared(long hi, long lo, long deadline) {
            Session s = find(hi, lo);
            if (s != null) {
                engine.replayClear(s, deadline == JournalFormat.NO_DEADLINE ? 0 : deadline + offset);
            }
        }

        @Override
        public void deadlineMoved(long hi, long lo, long deadline) {
            Session s = find(hi, lo);
            if (s != null) {
                engine.replayDeadline(s, deadline + offset);
            }
        }

        @Override
        public void sessionPut(long hi, long lo, byte[] entry) {
            Session s = find(hi, lo);
            if (s != null) {
                engine.replayPut(s, entry);
            }
        }

        @Override
        public void sessionRemove(long hi, long lo, byte[] key) {
            Session s = find(hi, lo);
            if (s != null) {
                engine.replayRemove(s, key);
            }
        }

        @Override
        public void kvPut(byte[] entry) {
            engine.global().put(entry);
        }

        @Override
        public void kvRemove(byte[] key) {
            engine.global().remove(key);
        }

        @Override
        public void kvCleared() {
            engine.global().clear();
        }
    }
}
