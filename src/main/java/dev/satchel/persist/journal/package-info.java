/**
 * The append-only journal (issue 13): durability between saves.
 *
 * <p>The engine-independent core: the segment format ({@link dev.satchel.persist.journal.JournalFormat}), the
 * writer the command loop appends to ({@link dev.satchel.persist.journal.JournalWriter}, with its
 * {@code satchel-journal} thread and the {@link dev.satchel.persist.journal.JournalIo} fault seam), the
 * directory of base snapshots and segments ({@link dev.satchel.persist.journal.JournalDirectory}) and the
 * replay ({@link dev.satchel.persist.journal.JournalReader} into a
 * {@link dev.satchel.persist.journal.JournalVisitor}). It knows nothing of sessions beyond tokens, names, flags
 * and deadlines, and treats entries as opaque packed byte arrays. The engine wiring (a change sink that calls
 * the writer, restore at start, compaction) is the next step: see {@code docs/persistence.md}, "Journal".
 */
package dev.satchel.persist.journal;
