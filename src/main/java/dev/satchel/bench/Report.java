package dev.satchel.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/** Formats a {@link BenchResult} as a table for people, or as JSON or CSV for scripts. Latencies in ms. */
final class Report {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Percentiles reported, with their column and JSON names. */
    private static final double[] PERCENTILES = {50, 90, 99, 99.9};
    private static final String[] PERCENTILE_NAMES = {"p50", "p90", "p99", "p999"};

    private Report() {
    }

    static String table(BenchResult r) {
        BenchSettings s = r.settings();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "satchel bench: %s on %s (%s transport)%n", describeWorkload(s),
                servers(s), r.transport()));
        out.append(String.format(Locale.ROOT,
                "  %d connections x %d in flight, %d thread%s, %d-byte values, %d keys, %s warm-up%n",
                s.connections(), s.pipeline(), s.threads(), s.threads() == 1 ? "" : "s", s.valueSize(), s.keyspace(),
                seconds(s.warmupSeconds())));
        if (r.failure() != null) {
            out.append("  FAILED: ").append(r.failure()).append(System.lineSeparator());
            return out.toString();
        }
        out.append(String.format(Locale.ROOT,
                "  %.2f s measured: %,d requests, %,.0f req/s, %d errors, %d misses%s%n",
                r.elapsedSeconds(), r.requests(), r.requestsPerSecond(), r.errors(), r.misses(),
                r.lostConnections() > 0 ? ", " + r.lostConnections() + " connections lost" : ""));
        if (r.lostConnections() > 0 || r.failedReconnects() > 0) {
            out.append(String.format(Locale.ROOT,
                    "  reconnects: %d (%d failed attempts); %d requests in flight on lost connections (outcome"
                            + " unknown)%n", r.reconnects(), r.failedReconnects(), r.lostRequests()));
        }
        if (r.setupErrors() > 0) {
            out.append("  setup errors: ").append(r.setupErrors()).append(System.lineSeparator());
        }
        if (r.firstError() != null) {
            out.append("  first error: ").append(r.firstError()).append(System.lineSeparator());
        }
        out.append(System.lineSeparator());
        out.append(String.format(Locale.ROOT, "  %-8s %12s %12s %9s %9s %9s %9s %9s %8s%n", "op", "requests",
                "req/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors"));
        for (Op op : Op.ALL) {
            Histogram h = r.latency()[op.ordinal()];
            if (h.getTotalCount() > 0 || r.errorsByOp()[op.ordinal()] > 0) {
                out.append(row(op.command(), h, r.elapsedSeconds(), r.errorsByOp()[op.ordinal()]));
            }
        }
        out.append(row("all", r.total(), r.elapsedSeconds(), r.errors()));
        return out.toString();
    }

    private static String row(String name, Histogram h, double elapsed, long errors) {
        return String.format(Locale.ROOT, "  %-8s %,12d %,12.0f %9.3f %9.3f %9.3f %9.3f %9.3f %8d%n", name,
                h.getTotalCount(), elapsed > 0 ? h.getTotalCount() / elapsed : 0,
                ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), maxMs(h), errors);
    }

    static String json(BenchResult r) {
        BenchSettings s = r.settings();
        ObjectNode root = MAPPER.createObjectNode();
        root.put("workload", s.workload().label());
        if (s.workload() == Workload.MIXED) {
            root.put("mix", s.mix().toString());
        }
        root.put("url", s.urls());
        ArrayNode urls = root.putArray("urls");
        s.uris().forEach(u -> urls.add(u.toString()));
        root.put("transport", r.transport());
        root.put("connections", s.connections());
        root.put("pipeline", s.pipeline());
        root.put("threads", s.threads());
        root.put("valueSize", s.valueSize());
        root.put("keyspace", s.keyspace());
        root.put("warmupSeconds", s.warmupSeconds());
        if (s.requests() > 0) {
            root.put("requestLimit", s.requests());
        }
        if (s.seconds() > 0) {
            root.put("secondsLimit", s.seconds());
        }
        root.put("durationSeconds", round(r.elapsedSeconds(), 3));
        root.put("requests", r.requests());
        root.put("rps", round(r.requestsPerSecond(), 1));
        root.put("errors", r.errors());
        root.put("misses", r.misses());
        root.put("setupErrors", r.setupErrors());
        root.put("lostConnections", r.lostConnections());
        root.put("reconnects", r.reconnects());
        root.put("failedReconnects", r.failedReconnects());
        root.put("lostRequests", r.lostRequests());
        root.put("firstError", r.firstError());
        root.put("failure", r.failure());
        root.set("latencyMs", latency(r.total()));
        ObjectNode ops = root.putObject("ops");
        for (Op op : Op.ALL) {
            Histogram h = r.latency()[op.ordinal()];
            if (h.getTotalCount() > 0 || r.errorsByOp()[op.ordinal()] > 0) {
                ObjectNode o = ops.putObject(op.command());
                o.put("requests", h.getTotalCount());
                o.put("rps", round(r.elapsedSeconds() > 0 ? h.getTotalCount() / r.elapsedSeconds() : 0, 1));
                o.put("errors", r.errorsByOp()[op.ordinal()]);
                o.put("misses", r.missesByOp()[op.ordinal()]);
                o.set("latencyMs", latency(h));
            }
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode latency(Histogram h) {
        ObjectNode node = MAPPER.createObjectNode();
        for (int i = 0; i < PERCENTILES.length; i++) {
            node.put(PERCENTILE_NAMES[i], ms(h, PERCENTILES[i]));
        }
        node.put("max", maxMs(h));
        node.put("mean", h.getTotalCount() == 0 ? 0 : round(h.getMean() / 1000.0, 3));
        return node;
    }

    static String csv(BenchResult r) {
        StringBuilder out = new StringBuilder(
                "workload,op,requests,rps,errors,misses,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms\n");
        for (Op op : Op.ALL) {
            Histogram h = r.latency()[op.ordinal()];
            if (h.getTotalCount() > 0 || r.errorsByOp()[op.ordinal()] > 0) {
                out.append(csvRow(r, op.command(), h, r.errorsByOp()[op.ordinal()], r.missesByOp()[op.ordinal()]));
            }
        }
        out.append(csvRow(r, "all", r.total(), r.errors(), r.misses()));
        return out.toString();
    }

    private static String csvRow(BenchResult r, String name, Histogram h, long errors, long misses) {
        double rps = r.elapsedSeconds() > 0 ? h.getTotalCount() / r.elapsedSeconds() : 0;
        return String.format(Locale.ROOT, "%s,%s,%d,%.1f,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f%n",
                r.settings().workload().label(), name, h.getTotalCount(), rps, errors, misses, ms(h, 50), ms(h, 90),
                ms(h, 99), ms(h, 99.9), maxMs(h), h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static double maxMs(Histogram h) {
        return h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** {@code ws://a} for one server; {@code 2 servers (ws://a 3 connections, ws://b 2)} for several. */
    private static String servers(BenchSettings s) {
        int n = s.uris().size();
        if (n == 1) {
            return s.uris().get(0).toString();
        }
        StringBuilder out = new StringBuilder().append(n).append(" servers (");
        for (int i = 0; i < n; i++) {
            int connections = s.connections() / n + (i < s.connections() % n ? 1 : 0);
            out.append(i == 0 ? "" : ", ").append(s.uris().get(i)).append(' ').append(connections)
                    .append(i == 0 ? " connections" : "");
        }
        return out.append(')').toString();
    }

    private static String describeWorkload(BenchSettings s) {
        return s.workload() == Workload.MIXED ? "mixed (" + s.mix() + ")" : s.workload().label();
    }

    private static String seconds(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f s", value)
                : String.format(Locale.ROOT, "%.2f s", value);
    }
}
