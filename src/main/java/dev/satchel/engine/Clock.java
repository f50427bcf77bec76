package dev.satchel.engine;

/**
 * The engine's time source in milliseconds. Only differences matter (deadlines, remaining time), so the
 * system clock is monotonic. Tests inject a {@link ManualClock} and move time forward instead of sleeping.
 */
public interface Clock {
    long millis();

    /** A monotonic clock: never jumps with wall-clock changes. */
    static Clock system() {
        return () -> System.nanoTime() / 1_000_000L;
    }
}
