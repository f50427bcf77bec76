package dev.satchel.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.satchel.client.SatchelClient;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code satchel bench}: a load generator in the manner of redis-benchmark. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Load a Satchel server with pipelined requests over many connections and report throughput and"
                    + " latency percentiles (HdrHistogram).",
            "Workloads: setget (SH_SET/SH_GET alternately on one session per connection), newend (SH_NEW then"
                    + " SH_END), kvset, kvget (keys filled first), mixed (--mix ratios)."},
        footer = {"", "Example: satchel bench -c 50 -P 16 -t 10 -w setget",
            "Exit status: 0 every request succeeded; 1 error responses or lost connections (even when they were"
                    + " replaced); 2 bad usage;"
                    + " 3 could not connect or set up."})
public final class BenchCommand implements Callable<Integer> {

    /** Every request succeeded. */
    public static final int EXIT_OK = 0;
    /** Some responses were errors, or connections were lost during the run. */
    public static final int EXIT_ERRORS = 1;
    /** Bad command-line usage. */
    public static final int EXIT_USAGE = 2;
    /** The connections could not be opened or set up. */
    public static final int EXIT_SETUP = 3;

    @Option(names = {"-u", "--url"}, paramLabel = "URL[,URL...]",
            defaultValue = "${env:SATCHEL_URL:-ws://127.0.0.1:1987}",
            description = "server URL; several, comma-separated, to spread the connections over them round-robin"
                    + " (a lost connection is replaced on the next one) (default: $SATCHEL_URL, else"
                    + " ${DEFAULT-VALUE})")
    String url;

    @Option(names = {"-c", "--connections"}, paramLabel = "N", defaultValue = "50",
            description = "connections (default: ${DEFAULT-VALUE})")
    int connections;

    @Option(names = {"-P", "--pipeline"}, paramLabel = "N", defaultValue = "1",
            description = "requests in flight per connection (default: ${DEFAULT-VALUE})")
    int pipeline;

    @Option(names = {"-n", "--requests"}, paramLabel = "N",
            description = "measured requests in total (default: 100000 unless -t is given)")
    Long requests;

    @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "measure for SECONDS")
    Double seconds;

    @Option(names = {"-d", "--data-size"}, paramLabel = "BYTES", defaultValue = "100",
            description = "value size of SH_SET and KV_SET (default: ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = {"-r", "--keyspace"}, paramLabel = "N", defaultValue = "1000",
            description = "distinct keys k0 .. k<N-1> (default: ${DEFAULT-VALUE})")
    int keyspace;

    @Option(names = {"-w", "--workload"}, paramLabel = "NAME", defaultValue = "setget",
            description = "setget, newend, kvset, kvget or mixed (default: ${DEFAULT-VALUE})")
    String workload;

    @Option(names = "--mix", paramLabel = "RATIOS", defaultValue = Mix.DEFAULT,
            description = "ratios of -w mixed, from set, get, kvset, kvget, newend (default: ${DEFAULT-VALUE})")
    String mix;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "1",
            description = "unmeasured traffic before measuring (default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "event-loop threads (default: ${DEFAULT-VALUE})")
    int threads;

    @ArgGroup(exclusive = true)
    Format format;

    static final class Format {
        @Option(names = "--json", description = "print the result as one JSON object")
        boolean json;
        @Option(names = "--csv", description = "print the result as CSV, one row per operation and a total row")
        boolean csv;
    }

    @Option(names = {"-q", "--quiet"}, description = "no progress line")
    boolean quiet;

    @Option(names = "--random-mask", description = "mask frames with random keys like a browser (default: zero key)")
    boolean randomMask;

    @Option(names = "--insecure", description = "wss://: trust any certificate (self-signed test servers only)")
    boolean insecure;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "seed of the random choices of -w mixed (default: ${DEFAULT-VALUE})")
    long seed;

    private final PrintStream out;
    private final PrintStream err;
    private final boolean progressToTerminal;

    /** For {@code satchel bench}: standard output and error, UTF-8. */
    public BenchCommand() {
        this(new PrintStream(new FileOutputStream(FileDescriptor.out), true, UTF_8),
                new PrintStream(new FileOutputStream(FileDescriptor.err), true, UTF_8), stderrIsTerminal());
    }

    /**
     * For tests: explicit streams.
     *
     * @param out      the result
     * @param err      errors, and the progress line if {@code progress}
     * @param progress whether to print the progress line (unless {@code --quiet})
     */
    public BenchCommand(PrintStream out, PrintStream err, boolean progress) {
        this.out = out;
        this.err = err;
        this.progressToTerminal = progress;
    }

    @Override
    public Integer call() throws InterruptedException {
        BenchSettings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            err.println("satchel bench: " + e.getMessage());
            err.println("Try 'satchel bench --help' for more information.");
            return EXIT_USAGE;
        }
        BenchRun.Progress progress = progressToTerminal && !quiet ? new TerminalProgress(err) : new NoProgress();
        BenchResult result = new BenchRun(settings).execute(progress);
        if (format != null && format.json) {
            out.println(Report.json(result));
        } else if (format != null && format.csv) {
            out.print(Report.csv(result));
        } else {
            out.print(Report.table(result));
        }
        out.flush();
        if (result.failure() != null) {
            err.println("satchel bench: " + result.failure());
            return EXIT_SETUP;
        }
        if (!result.clean()) {
            err.println("satchel bench: " + result.errors() + " error responses, " + result.setupErrors()
                    + " setup errors, " + result.lostConnections() + " connections lost (" + result.reconnects()
                    + " reconnected, " + result.lostRequests() + " requests in flight on them)"
                    + (result.firstError() != null ? "; first: " + result.firstError() : ""));
            return EXIT_ERRORS;
        }
        return EXIT_OK;
    }

    BenchSettings settings() {
        List<URI> uris;
        try {
            uris = SatchelClient.parseUris(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--url: " + e.getMessage());
        }
        check(connections >= 1 && connections <= 20_000, "-c must be between 1 and 20000");
        check(pipeline >= 1 && pipeline <= 4096, "-P must be between 1 and 4096");
        check(requests == null || requests >= 1, "-n must be at least 1");
        check(seconds == null || (seconds > 0 && seconds <= 86_400), "-t must be more than 0 and at most 86400");
        check(valueSize >= 0 && valueSize <= 1_000_000, "-d must be between 0 and 1000000");
        check(keyspace >= 1 && keyspace <= 10_000_000, "-r must be between 1 and 10000000");
        check(warmup >= 0 && warmup <= 3600, "--warmup must be between 0 and 3600 seconds");
        check(threads >= 1 && threads <= 64, "--threads must be between 1 and 64");
        Workload w = Workload.parse(workload);
        Mix m = Mix.parse(mix);
        long n = requests != null ? requests : seconds == null ? 100_000 : 0;
        return new BenchSettings(uris, connections, pipeline, n, seconds == null ? 0 : seconds, valueSize, keyspace,
                w, m, warmup, threads, randomMask, insecure, seed);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Whether standard error is a terminal (Linux: /proc/self/fd/2 points at a tty). */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    /** Rewrites one line on the terminal. */
    private static final class TerminalProgress implements BenchRun.Progress {
        private final PrintStream err;
        private boolean printed;

        TerminalProgress(PrintStream err) {
            this.err = err;
        }

        @Override
        public void update(String line) {
            err.print("\r" + line + "\u001b[K");
            err.flush();
            printed = true;
        }

        @Override
        public void done() {
            if (printed) {
                err.print("\r\u001b[K");
                err.flush();
            }
        }
    }

    private static final class NoProgress implements BenchRun.Progress {
        @Override
        public void update(String line) {
        }

        @Override
        public void done() {
        }
    }
}
