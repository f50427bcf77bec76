package dev.satchel.persist;

import dev.satchel.engine.CommandLoop;
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
import dev.satchel.store.KeyValues;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of a server with {@code persist.journal} on, on the command loop before the port opens: recovers
 * the journal directory, restores the newest base, replays the segments after it into the engine, opens the
 * writer, installs {@link JournalChanges} as the engine's change sink with {@link JournalCompaction}, and
 * expires every session whose deadline passed while the server was down (those expiries are journalled like
 * any other).
 */
public final class JournalRestore {
    private static final Logger LOG = LoggerFactory.getLogger(JournalRestore.class);

    /** What the start restored, for the log and the banner. */
    public record Restored(JournalChanges sink, JournalCompaction compaction, long baseSeq, int baseSessions,
            long baseKeys, long records, long changes, long segments, int sessions, long sessionKeys, int globalKeys,
            int expired, long millis) {
        public String describe() {
            return (baseSeq == 0 ? "" : "journal base " + baseSeq + " restored (" + baseSessions + " sessions, "
                    + baseKeys + " keys), ") + "journal replayed " + records + " records from " + segments
                    + " segment(s): " + sessions + " sessions, " + sessionKeys + " session keys, " + globalKeys
                    + " global keys" + (expired == 0 ? "" : ", " + expired + " expired while down") + " in " + millis
                    + " ms";
        }
    }

    private JournalRestore() {
    }

    /** The journal directory under {@code persist.path}. */
    public static Path directory(Path persistPath) {
        return persistPath.resolve("journal");
    }

    /**
     * On the loop, before clients: restores the newest base, replays the segments after it, opens the writer
     * and sets up compaction.
     *
     * @param loop the command loop: the writer's durability actions and compaction's snapshot slices run on it
     * @throws JournalException with a one-line message when the journal cannot be used (corrupt record, missing
     *                          segment, unreadable base)
     */
    public static Restored run(Engine engine, Path persistPath, TokenFormat format, JournalPolicy policy,
            boolean repair, long maxBytes, JournalWriter.Options options, CommandLoop loop) throws IOException {
        long t0 = System.nanoTime();
        JournalDirectory dir = new JournalDirectory(directory(persistPath), options.io());
        JournalDirectory.Plan plan = dir.recover();
        LongSupplier wallClock = options.wallClock();
        long offset = engine.now() - wallClock.getAsLong(); // engine clock = wall clock + offset
        int baseSessions = 0;
        long baseKeys = 0;
        long baseBytes = 0;
        if (plan.base() != null) {
            Dataset sessions = readBase(plan.base(), JournalDirectory.BASE_SESSIONS, Format.KIND_SESSIONS, format);
            Dataset keys = readBase(plan.base(), JournalDirectory.BASE_KEYS, Format.KIND_KEYS, format);
            baseSessions = sessions.count();
            baseKeys = sessions.keys() + keys.count();
            restoreBase(engine, sessions, keys, offset);
            baseBytes = Files.size(plan.base().resolve(JournalDirectory.BASE_SESSIONS))
                    + Files.size(plan.base().resolve(JournalDirectory.BASE_KEYS));
        }
        Visitor v = new Visitor(engine, offset);
        JournalReader.Result r = JournalReader.replay(dir, plan, format, v,
                repair ? JournalReader.Mode.REPAIR : JournalReader.Mode.RECOVER);
        JournalWriter writer = JournalWriter.open(dir, format, r.nextSegmentSeq(), options,
                task -> loop.submit((e, out) -> task.run()));
        JournalChanges sink = new JournalChanges(writer, engine::now, wallClock);
        engine.changes(sink);
        int expired = engine.expireAllPastDeadline();
        JournalCompaction compaction = new JournalCompaction(engine, loop, writer, dir, format, maxBytes,
                r.bytes(), baseBytes, wallClock);
        sink.compaction(compaction);
        engine.endOfTurn(); // hands over the expiries; compacts at once if the replayed journal passed the limit
        long millis = (System.nanoTime() - t0) / 1_000_000;
        Restored restored = new Restored(sink, compaction, plan.baseSeq(), baseSessions, baseKeys, r.records(),
                r.changes(), plan.segments().size(), engine.sessionCount(), engine.sessionKeyCount(),
                engine.global().size(), expired, millis);
        LOG.info("{}; writing {} with policy {}", restored.describe(), dir.segmentPath(r.nextSegmentSeq()),
                policy.configName());
        return restored;
    }

    /** Reads and verifies one dataset file of a base; a damaged one stops the start with one line. */
    private static Dataset readBase(Path base, String file, int kind, TokenFormat format) throws IOException {
        Path f = base.resolve(file);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            return DatasetReader.read(ch, f, "journal base", kind, format);
        } catch (PersistException e) {
            throw new JournalException("journal base file " + f + " cannot be used: " + e.getMessage());
        } catch (NoSuchFileException e) {
            throw new JournalException("journal base file " + f + " is missing");
        }
    }

    /** Puts a base's sessions and keys into the (empty) engine; deadlines are savedAt + remaining, wall-clock. */
    private static void restoreBase(Engine engine, Dataset sessions, Dataset keys, long offset) {
        long savedAt = sessions.savedAtMillis();
        for (int i = 0, n = sessions.count(); i < n; i++) {
            int f = sessions.flags(i);
            long duration = sessions.durationMillis(i);
            engine.replayRestore(sessions.tokenHi(i), sessions.tokenLo(i), sessions.name(i),
                    (f & Format.SHARED) != 0, duration, (f & Format.DELETE_SESSION) != 0,
                    (f & Format.EXTEND_ON_SET_ADD) != 0, (f & Format.EXTEND_ON_GET) != 0,
                    duration > 0 ? savedAt + sessions.remainingMillis(i) + offset : 0, sessions.store(i));
            sessions.release(i, i + 1);
        }
        KeyValues global = engine.global();
        for (int i = 0, n = keys.count(); i < n; i++) {
            global.put(keys.entry(i));
        }
        keys.release(0, keys.count());
    }

    /** Applies replayed records to the engine, deadlines converted from the wall clock to the engine's clock. */
    private static final class Visitor implements JournalVisitor {
        private final Engine engine;
        /** engine clock = wall clock + offset, fixed for the whole replay. */
        private final long offset;

        Visitor(Engine engine, long offset) {
            this.engine = engine;
            this.offset = offset;
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

        @Override
        public void allSessionsEnded() {
            engine.replayEndAll();
        }
    }
}
