package dev.satchel.ops;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandObserver;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.spec.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Command counters of one server, owned by the command loop: every method except the deferred-response
 * callback runs on the loop, and other threads see the numbers only through {@link #snapshot()} taken by a
 * task on the loop. Recording is a few plain array increments per command and one {@code nanoTime} pair per
 * group of batches (see {@code LoopBridge}), so the loop pays next to nothing for it.
 *
 * <ul>
 *   <li>responses by command and status: {@code counts[command * SLOTS + slot(status)]}; requests that never
 *       named a known command (JSON errors, unknown commands) count under {@link #NO_COMMAND};</li>
 *   <li>loop service time per command: measured once per group of batches and spread evenly over the
 *       commands in it (a histogram of that per-command estimate, weighted by the number of commands).</li>
 * </ul>
 */
public final class CommandStats implements CommandObserver {
    /** Label of requests rejected before a command was known (invalid JSON, unknown command...). */
    public static final String NO_COMMAND = "ERR";
    /** Upper bounds in seconds of the service-time buckets (then +Inf). */
    public static final double[] BOUNDS_SECONDS = {1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
        1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 0.1, 1.0};
    private static final long[] BOUNDS_NANOS = new long[BOUNDS_SECONDS.length];

    /** The statuses of {@link Status} (one slot each), then one slot for any other value. */
    private static final int[] STATUSES;
    private static final short[] SLOT_OF = new short[1001];
    private static final int SLOTS;
    private static final int OTHER_SLOT;

    static {
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) {
            BOUNDS_NANOS[i] = Math.round(BOUNDS_SECONDS[i] * 1e9);
        }
        STATUSES = Arrays.stream(Status.values()).mapToInt(Status::code).filter(c -> c < SLOT_OF.length)
                .sorted().toArray();
        OTHER_SLOT = STATUSES.length;
        SLOTS = STATUSES.length + 1;
        Arrays.fill(SLOT_OF, (short) OTHER_SLOT);
        for (int i = 0; i < STATUSES.length; i++) {
            SLOT_OF[STATUSES[i]] = (short) i;
        }
    }

    private final String[] commands;
    private final int noCommand;
    private final long[] counts;
    private final long[] buckets = new long[BOUNDS_NANOS.length + 1];
    private long serviceNanos;
    private long timedCommands;
    private long groups;
    /** Responses completed off the loop (deferred, e.g. a save): key command * SLOTS + slot. */
    private final Map<Integer, LongAdder> later = new ConcurrentHashMap<>();

    /** Counters for the commands of {@code registry}, whose positions are the commands' indexes. */
    public CommandStats(CommandRegistry registry) {
        List<String> names = registry.names();
        this.commands = names.toArray(new String[names.size() + 1]);
        this.noCommand = names.size();
        this.commands[noCommand] = NO_COMMAND;
        this.counts = new long[commands.length * SLOTS];
    }

    private int commandIndex(Command c) {
        if (c == null) {
            return noCommand;
        }
        int i = c.index();
        return i >= 0 && i < noCommand ? i : noCommand;
    }

    private static int slot(int status) {
        return status >= 0 && status < SLOT_OF.length ? SLOT_OF[status] : OTHER_SLOT;
    }

    /** On the loop: one response with this status (command null: the request named no known command). */
    @Override
    public void count(Command c, Status status) {
        counts[commandIndex(c) * SLOTS + (status == null ? OTHER_SLOT : slot(status.code()))]++;
    }

    /** On the loop: a response promised for later; it is counted with its status when it completes. */
    @Override
    public void countLater(Command c, CompletableFuture<byte[]> promised) {
        int base = commandIndex(c) * SLOTS;
        promised.whenComplete((json, failure) -> {
            int status = failure != null || json == null ? Status.UNKNOWN.code() : statusOf(json);
            later.computeIfAbsent(base + slot(status), k -> new LongAdder()).increment();
        });
    }

    /** The {@code "st"} value of a response {@code {"NAME":{"st":N...}}}, or -1. */
    static int statusOf(byte[] json) {
        for (int i = 0; i + 5 < json.length; i++) {
            if (json[i] == '"' && json[i + 1] == 's' && json[i + 2] == 't' && json[i + 3] == '"' && json[i + 4] == ':') {
                int n = 0;
                int j = i + 5;
                while (j < json.length && json[j] >= '0' && json[j] <= '9' && n < 100_000) {
                    n = n * 10 + (json[j++] - '0');
                }
                return j > i + 5 ? n : -1;
            }
        }
        return -1;
    }

    /** On the loop: {@code commands} requests took {@code nanos} of loop time together. */
    @Override
    public void served(long nanos, int commands) {
        if (commands <= 0) {
            return;
        }
        long each = nanos / commands;
        int b = 0;
        while (b < BOUNDS_NANOS.length && each > BOUNDS_NANOS[b]) {
            b++;
        }
        buckets[b] += commands;
        serviceNanos += nanos;
        timedCommands += commands;
        groups++;
    }

    /** On the loop: a copy of every number. */
    public Snapshot snapshot() {
        long[] c = counts.clone();
        for (Map.Entry<Integer, LongAdder> e : later.entrySet()) {
            c[e.getKey()] += e.getValue().sum();
        }
        return new Snapshot(commands, c, buckets.clone(), serviceNanos, timedCommands, groups);
    }

    /** Immutable numbers taken on the loop. */
    public static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(new String[] {NO_COMMAND}, new long[SLOTS],
                new long[BOUNDS_NANOS.length + 1], 0, 0, 0);

        private final String[] commands;
        private final long[] counts;
        private final long[] buckets;
        private final long serviceNanos;
        private final long timedCommands;
        private final long groups;

        Snapshot(String[] commands, long[] counts, long[] buckets, long serviceNanos, long timedCommands, long groups) {
            this.commands = commands;
            this.counts = counts;
            this.buckets = buckets;
            this.serviceNanos = serviceNanos;
            this.timedCommands = timedCommands;
            this.groups = groups;
        }

        /** One non-zero counter: command name, status code (-1 for "other") and count. */
        public record Count(String command, int status, long count) {
        }

        public List<Count> counts() {
            List<Count> out = new ArrayList<>();
            for (int i = 0; i < counts.length; i++) {
                if (counts[i] != 0) {
                    int s = i % SLOTS;
                    out.add(new Count(commands[i / SLOTS], s == OTHER_SLOT ? -1 : STATUSES[s], counts[i]));
                }
            }
            return out;
        }

        /** Responses of every command and status. */
        public long total() {
            long t = 0;
            for (long c : counts) {
                t += c;
            }
            return t;
        }

        /** Responses with this status, over all commands. */
        public long withStatus(int status) {
            int s = slot(status);
            long t = 0;
            for (int i = s; i < counts.length; i += SLOTS) {
                t += counts[i];
            }
            return t;
        }

        /** Non-cumulative counts of {@link #BOUNDS_SECONDS} buckets, then the +Inf bucket. */
        public long[] buckets() {
            return buckets.clone();
        }

        public long serviceNanos() {
            return serviceNanos;
        }

        public long timedCommands() {
            return timedCommands;
        }

        public long groups() {
            return groups;
        }
    }
}
