package dev.satchel.persist;

/**
 * The global key space to save: a reference to its frozen entry array (positions {@code [0, end)}, null at
 * holes) and its key count, captured on the command loop.
 */
public record KeySnapshot(byte[][] entries, int end, int keyCount) {
}
