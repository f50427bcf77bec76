package dev.satchel.bench;

import java.net.URI;
import java.util.List;

/**
 * One benchmark run's settings, validated by {@link BenchCommand}.
 *
 * @param uris          the servers; connection {@code i} goes to {@code uris[i % uris.size()]}, a replacement for a
 *                      lost one to the next server of the list
 * @param connections   WebSocket connections
 * @param pipeline      requests in flight per connection
 * @param requests      measured requests to send, or 0 for no limit (then {@code seconds} limits the run)
 * @param seconds       measured seconds, or 0 for no limit (then {@code requests} limits the run)
 * @param valueSize     bytes of each value written
 * @param keyspace      number of distinct keys ({@code k0} to {@code k<keyspace-1>})
 * @param workload      what to send
 * @param mix           the ratios of the {@code mixed} workload
 * @param warmupSeconds seconds of traffic before measuring starts
 * @param threads       event-loop threads
 * @param randomMask    mask each frame with a random key (as browsers do) instead of the all-zero key
 * @param insecure      for {@code wss://}: trust any certificate
 * @param seed          seed of the random choices of the {@code mixed} workload
 */
record BenchSettings(List<URI> uris, int connections, int pipeline, long requests, double seconds, int valueSize,
                     int keyspace, Workload workload, Mix mix, double warmupSeconds, int threads,
                     boolean randomMask, boolean insecure, long seed) {

    /** The servers as given, comma-separated. */
    String urls() {
        return String.join(",", uris.stream().map(URI::toString).toList());
    }
}
