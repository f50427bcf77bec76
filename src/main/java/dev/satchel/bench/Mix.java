package dev.satchel.bench;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The ratios of the {@code mixed} workload, e.g. {@code get=80,set=20}: {@code set}/{@code get} on the
 * connection's session, {@code kvset}/{@code kvget} on global keys, {@code newend} session churn (an
 * {@code SH_NEW}, or the {@code SH_END} of a token an earlier one returned). Weights are relative integers.
 */
final class Mix {

    /** An operation of the mix. */
    enum Kind {
        SET, GET, KVSET, KVGET, NEWEND;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The default mix: read-heavy session traffic. */
    static final String DEFAULT = "get=80,set=20";

    private final EnumMap<Kind, Integer> weights;
    private final Kind[] table;
    private final int[] cumulative;

    private Mix(EnumMap<Kind, Integer> weights) {
        this.weights = weights;
        int n = 0;
        for (int w : weights.values()) {
            if (w > 0) {
                n++;
            }
        }
        table = new Kind[n];
        cumulative = new int[n];
        int i = 0;
        int sum = 0;
        for (Map.Entry<Kind, Integer> e : weights.entrySet()) {
            if (e.getValue() > 0) {
                sum += e.getValue();
                table[i] = e.getKey();
                cumulative[i] = sum;
                i++;
            }
        }
    }

    /**
     * Parses {@code kind=weight,...}.
     *
     * @param spec e.g. {@code get=80,set=20}
     * @return the mix
     * @throws IllegalArgumentException if a kind is unknown, a weight is not a non-negative integer, or all are 0
     */
    static Mix parse(String spec) {
        EnumMap<Kind, Integer> weights = new EnumMap<>(Kind.class);
        for (String part : spec.split(",")) {
            String item = part.strip();
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq < 0) {
                eq = item.indexOf(':');
            }
            if (eq < 0) {
                throw new IllegalArgumentException("bad --mix item " + item + " (expected KIND=WEIGHT, e.g. get=80)");
            }
            String name = item.substring(0, eq).strip().toUpperCase(Locale.ROOT);
            Kind kind;
            try {
                kind = Kind.valueOf(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --mix operation " + item.substring(0, eq).strip()
                        + " (set, get, kvset, kvget, newend)");
            }
            int weight;
            try {
                weight = Integer.parseInt(item.substring(eq + 1).strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad --mix weight in " + item);
            }
            if (weight < 0 || weight > 1_000_000) {
                throw new IllegalArgumentException("--mix weight out of range (0 to 1000000) in " + item);
            }
            if (weights.containsKey(kind)) {
                throw new IllegalArgumentException("--mix names " + kind.label() + " twice");
            }
            weights.put(kind, weight);
        }
        if (weights.values().stream().mapToInt(Integer::intValue).sum() == 0) {
            throw new IllegalArgumentException("--mix needs at least one positive weight, e.g. get=80,set=20");
        }
        return new Mix(weights);
    }

    int weight(Kind kind) {
        return weights.getOrDefault(kind, 0);
    }

    /**
     * Picks an operation.
     *
     * @param random a number in {@code [0, total())}
     * @return the operation for it
     */
    Kind pick(int random) {
        for (int i = 0; i < cumulative.length; i++) {
            if (random < cumulative[i]) {
                return table[i];
            }
        }
        return table[table.length - 1];
    }

    /** The sum of the weights. */
    int total() {
        return cumulative[cumulative.length - 1];
    }

    @Override
    public String toString() {
        StringJoiner joiner = new StringJoiner(",");
        weights.forEach((k, w) -> joiner.add(k.label() + "=" + w));
        return joiner.toString();
    }
}
