package dev.satchel.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The latency recorders of one event-loop thread, one per {@link Op}: the loop's connections record into them
 * without locks, and the reporting thread takes interval histograms from them.
 */
final class LoopStats {

    /** Latencies are recorded in microseconds, up to a minute, with 3 significant digits. */
    static final long HIGHEST_MICROS = 60_000_000L;
    static final int DIGITS = 3;

    private final SingleWriterRecorder[] recorders = new SingleWriterRecorder[Op.ALL.length];
    private final Histogram[] recycled = new Histogram[Op.ALL.length];

    LoopStats() {
        for (int i = 0; i < recorders.length; i++) {
            recorders[i] = new SingleWriterRecorder(1, HIGHEST_MICROS, DIGITS);
        }
    }

    static Histogram newHistogram() {
        return new Histogram(1, HIGHEST_MICROS, DIGITS);
    }

    /** Records one latency; called only by this loop's thread. */
    void record(Op op, long nanos) {
        long micros = (nanos + 500) / 1000;
        recorders[op.ordinal()].recordValue(Math.min(Math.max(micros, 1), HIGHEST_MICROS));
    }

    /**
     * Adds what was recorded since the last call to {@code totals} and {@code interval} (either may be null).
     * Called only by the reporting thread.
     */
    void drainInto(Histogram[] totals, Histogram interval) {
        for (int i = 0; i < recorders.length; i++) {
            Histogram h = recorders[i].getIntervalHistogram(recycled[i]);
            recycled[i] = h;
            if (h.getTotalCount() == 0) {
                continue;
            }
            if (totals != null) {
                totals[i].add(h);
            }
            if (interval != null) {
                interval.add(h);
            }
        }
    }
}
