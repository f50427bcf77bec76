package dev.satchel.bench;

import java.util.Locale;

/**
 * What the connections send (the same semantics as the neutral load generator in {@code shared/bench/loadgen}).
 *
 * <ul>
 *   <li>{@code setget}: one {@code SH_NEW} per connection (setup, not measured), then {@code SH_SET k<i>} and
 *       {@code SH_GET k<i>} alternately, {@code i} cycling over the keyspace.</li>
 *   <li>{@code newend}: {@code SH_NEW}, then {@code SH_END} of a token an earlier {@code SH_NEW} returned
 *       (session churn).</li>
 *   <li>{@code kvset}: {@code KV_SET} of one key {@code k<i>}, {@code i} cycling over the keyspace.</li>
 *   <li>{@code kvget}: {@code KV_GET} of one key; the keyspace is filled during setup.</li>
 *   <li>{@code mixed}: random operations in the ratios of a {@link Mix}, on random keys.</li>
 * </ul>
 */
enum Workload {
    SETGET, NEWEND, KVSET, KVGET, MIXED;

    /** The name on the command line, e.g. {@code setget}. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a workload name.
     *
     * @param name {@code setget}, {@code newend}, {@code kvset}, {@code kvget} or {@code mixed}
     * @return the workload
     * @throws IllegalArgumentException for another name
     */
    static Workload parse(String name) {
        for (Workload w : values()) {
            if (w.label().equals(name.toLowerCase(Locale.ROOT))) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload " + name + " (setget, newend, kvset, kvget, mixed)");
    }

    /** Whether each connection needs a session of its own (created during setup). */
    boolean needsSession(Mix mix) {
        return this == SETGET || (this == MIXED && (mix.weight(Mix.Kind.SET) > 0 || mix.weight(Mix.Kind.GET) > 0));
    }

    /** Whether the global keys are filled during setup. */
    boolean fillsGlobalKeys(Mix mix) {
        return this == KVGET || (this == MIXED && mix.weight(Mix.Kind.KVGET) > 0);
    }

    /** Whether each connection's session is filled during setup. */
    boolean fillsSessionKeys(Mix mix) {
        return this == MIXED && mix.weight(Mix.Kind.GET) > 0;
    }
}
