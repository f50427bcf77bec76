package dev.satchel.bench;

import org.HdrHistogram.Histogram;

/**
 * What a run measured.
 *
 * @param settings       the run's settings
 * @param transport      {@code epoll} or {@code nio}
 * @param elapsedSeconds from the start of measuring to the last measured response
 * @param latency        measured latencies (µs) per {@link Op}, indexed by ordinal
 * @param errorsByOp     responses with a status other than 1 per op (warm-up included)
 * @param missesByOp     reads that found no key, per op (warm-up included)
 * @param setupErrors    failed setup requests
 * @param firstError     the first error response or failure, or {@code null}
 * @param failure        why the run could not be done (no connection, setup failed), or {@code null}
 * @param lostConnections connections that ended during the run
 * @param reconnects     replacements for lost connections that reached the running phase
 * @param failedReconnects replacement attempts that failed (refused, handshake or setup failed)
 * @param lostRequests   requests in flight on lost connections: never answered, outcome unknown
 */
record BenchResult(BenchSettings settings, String transport, double elapsedSeconds, Histogram[] latency,
                   long[] errorsByOp, long[] missesByOp, long setupErrors, String firstError, String failure,
                   int lostConnections, int reconnects, int failedReconnects, long lostRequests) {

    /** All measured latencies together. */
    Histogram total() {
        Histogram all = LoopStats.newHistogram();
        for (Histogram h : latency) {
            all.add(h);
        }
        return all;
    }

    long requests() {
        long n = 0;
        for (Histogram h : latency) {
            n += h.getTotalCount();
        }
        return n;
    }

    long errors() {
        long n = 0;
        for (long e : errorsByOp) {
            n += e;
        }
        return n;
    }

    long misses() {
        long n = 0;
        for (long m : missesByOp) {
            n += m;
        }
        return n;
    }

    double requestsPerSecond() {
        return elapsedSeconds > 0 ? requests() / elapsedSeconds : 0;
    }

    /** Whether every request succeeded and no connection was lost. */
    boolean clean() {
        return failure == null && errors() == 0 && setupErrors == 0 && lostConnections == 0;
    }
}
