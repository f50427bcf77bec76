package dev.satchel.cluster;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.engine.Command;
import dev.satchel.engine.Limits;
import dev.satchel.engine.Request;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import dev.satchel.store.Entry;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A KV_* request split over the buckets of the global key space ({@link Buckets}), and the merge of the buckets'
 * answers into the one response a standalone server gives. Each part is the request itself restricted to the
 * keys of one bucket (written as a request again, so the owner runs the standalone command code on it); the
 * whole-space commands (KV_COUNT, KV_KEYS, KV_CLEAR, KV_CLEAR_SET) have a part for every bucket. Parts are
 * answered as standalone answers them, so merging needs only their responses: statuses, the {@code cnt}s summed,
 * GET's pairs and CONTAINS' items in request order, KEYS' keys (asked with their stamps) in stamp order.
 */
final class GlobalParts {
    private static final byte[] F_KEYS = field("keys");
    private static final byte[] F_CNT = field("cnt");
    private static final byte[] F_CONTAINS = field("contains");
    private static final byte[] KEYS_FIRST = "\"keys\":".getBytes(StandardCharsets.US_ASCII);

    /** What the merge does with the parts' answers. */
    enum Kind {
        /** SET, ADD, RMV: one status. */
        STATUS,
        /** COUNT, CLEAR, CLEAR_SET: the {@code cnt}s summed. */
        COUNT,
        GET,
        CONTAINS,
        /** KEYS: every bucket's keys with their stamps ({@code ClusterCommand.SNAPSHOT}), in stamp order. */
        KEYS
    }

    final Command command;
    final Kind kind;
    /** The buckets of the parts, ascending. */
    final int[] buckets;
    /** Per part: the indexes of its items in the request (null for KEYS, COUNT and CLEAR). */
    final int[][] items;
    /** Per part: the request restricted to its bucket (null for KEYS). */
    final byte[][] messages;
    /** Per item of the request: its bucket. */
    private final int[] bucketOf;
    final Request request;

    private GlobalParts(Command command, Kind kind, Request request, int[] bucketOf, int[] buckets, int[][] items,
            byte[][] messages) {
        this.command = command;
        this.kind = kind;
        this.request = request;
        this.bucketOf = bucketOf;
        this.buckets = buckets;
        this.items = items;
        this.messages = messages;
    }

    /** How many stored keys or asked keys {@code r} has (0 for the commands without {@code keys}). */
    static int itemCount(Request r) {
        return r instanceof Request.Entries e ? e.count() : r instanceof Request.Keys k ? k.count() : 0;
    }

    private static byte[] itemKey(Request r, int i) {
        return r instanceof Request.Entries e ? Entry.key(e.entry(i)) : ((Request.Keys) r).key(i);
    }

    /**
     * The bucket {@code r} runs on whole, or -1 when it must be split: a command on some keys whose keys all fall
     * in one bucket (bucket 0 when it has none) runs whole; the whole-space commands always split.
     */
    static int single(Request r) {
        if (wholeSpace(r.command().name())) {
            return -1;
        }
        int n = itemCount(r);
        if (n == 0) {
            return 0;
        }
        int b = Buckets.of(itemKey(r, 0));
        for (int i = 1; i < n; i++) {
            if (Buckets.of(itemKey(r, i)) != b) {
                return -1;
            }
        }
        return b;
    }

    private static boolean wholeSpace(String name) {
        return switch (name) {
            case "KV_COUNT", "KV_KEYS", "KV_CLEAR", "KV_CLEAR_SET" -> true;
            default -> false;
        };
    }

    /** Splits {@code r} (a request {@link #single} is -1 for) into its parts. */
    static GlobalParts split(Request r) {
        Command c = r.command();
        String name = c.name();
        Kind kind = switch (name) {
            case "KV_COUNT", "KV_CLEAR", "KV_CLEAR_SET" -> Kind.COUNT;
            case "KV_GET" -> Kind.GET;
            case "KV_CONTAINS" -> Kind.CONTAINS;
            case "KV_KEYS" -> Kind.KEYS;
            default -> Kind.STATUS;
        };
        int n = itemCount(r);
        int[] bucketOf = new int[n];
        int[] perBucket = new int[Buckets.COUNT];
        for (int i = 0; i < n; i++) {
            bucketOf[i] = Buckets.of(itemKey(r, i));
            perBucket[bucketOf[i]]++;
        }
        boolean all = wholeSpace(name);
        List<Integer> used = new ArrayList<>();
        for (int b = 0; b < Buckets.COUNT; b++) {
            if (all || perBucket[b] > 0) {
                used.add(b);
            }
        }
        int parts = used.size();
        int[] buckets = new int[parts];
        int[][] items = new int[parts][];
        byte[][] messages = new byte[parts][];
        int[] partOf = new int[Buckets.COUNT];
        for (int p = 0; p < parts; p++) {
            buckets[p] = used.get(p);
            partOf[buckets[p]] = p;
            items[p] = new int[perBucket[buckets[p]]];
        }
        int[] filled = new int[parts];
        for (int i = 0; i < n; i++) {
            int p = partOf[bucketOf[i]];
            items[p][filled[p]++] = i;
        }
        if (kind != Kind.KEYS) {
            for (int p = 0; p < parts; p++) {
                messages[p] = message(r, items[p]);
            }
        }
        return new GlobalParts(c, kind, r, bucketOf, buckets, items, messages);
    }

    /** The request {@code r} with only the items {@code idx}, as a client would send it. */
    private static byte[] message(Request r, int[] idx) {
        ResponseWriter out = new ResponseWriter(TokenFormat.STRING);
        out.rawByte('{').quoted(r.command().name().getBytes(StandardCharsets.US_ASCII)).rawByte(':').rawByte('{');
        if (r instanceof Request.Entries e) {
            out.raw(KEYS_FIRST).rawByte('{');
            for (int k = 0; k < idx.length; k++) {
                byte[] en = e.entry(idx[k]);
                int ko = Entry.keyOffset(en);
                int kl = Entry.keyLength(en);
                if (k > 0) {
                    out.rawByte(',');
                }
                out.quoted(en, ko, kl).rawByte(':').raw(en, ko + kl, en.length - ko - kl);
            }
            out.rawByte('}');
        } else if (r instanceof Request.Keys keys) {
            out.raw(KEYS_FIRST).rawByte('[');
            for (int k = 0; k < idx.length; k++) {
                if (k > 0) {
                    out.rawByte(',');
                }
                out.quoted(keys.key(idx[k]));
            }
            out.rawByte(']');
        }
        out.rawByte('}').rawByte('}');
        return out.toByteArray();
    }

    /** The key and value bytes each part would store, for the up-front limit check of a write (every key new). */
    long partBytes(int p) {
        long bytes = 0;
        Request.Entries e = (Request.Entries) request;
        for (int i : items[p]) {
            bytes += e.entry(i).length;
        }
        return bytes;
    }

    /** Whether the request stores keys (SET, ADD, CLEAR_SET with some), so a limit could refuse it. */
    boolean grows() {
        return request instanceof Request.Entries e && e.count() > 0;
    }

    // ---- the merge ----

    /**
     * The response to the whole request from its parts' answers ({@code answers[p]} for part {@code p}): the first
     * part's error (status other than ok) as it is, else the merged answer. {@code limits} is this member's, for the
     * response size of GET and KEYS, checked as standalone checks it.
     */
    byte[] merge(byte[][] answers, Limits limits, TokenFormat format) {
        ResponseWriter out = new ResponseWriter(format);
        byte[] prefix = command.responsePrefix();
        if (kind == Kind.KEYS) {
            return mergeKeys(answers, limits, out, prefix);
        }
        for (byte[] a : answers) {
            if (status(a) != Status.OK.code()) {
                return a;
            }
        }
        switch (kind) {
            case STATUS -> {
                return answers[0];
            }
            case COUNT -> {
                long total = 0;
                for (byte[] a : answers) {
                    total += number(a, indexOf(a, F_CNT, 0) + F_CNT.length);
                }
                out.begin(prefix, Status.OK).raw(F_CNT).number(total).end();
                return out.toByteArray();
            }
            case GET -> {
                return mergeGet(answers, limits, out, prefix);
            }
            case CONTAINS -> {
                return mergeContains(answers, out, prefix);
            }
            default -> throw new IllegalStateException(kind.name());
        }
    }

    private int partOf(int bucket) {
        int p = Arrays.binarySearch(buckets, bucket);
        if (p < 0) {
            throw new IllegalStateException("no part for bucket " + bucket);
        }
        return p;
    }

    /**
     * GET: each part lists the pairs of its keys that exist, in request order, each key once; a pair belongs to
     * the first occurrence of its key in the request, so walking the request keys in order and taking from each
     * key's part the next pair when it is that key's gives the standalone order.
     */
    private byte[] mergeGet(byte[][] answers, Limits limits, ResponseWriter out, byte[] prefix) {
        return mergeInRequestOrder(answers, F_KEYS, '{', '}', out, prefix, (a, at, key, first) -> {
            int valueStart = at + key.length + 3; // "key":
            int valueEnd = skipValue(a, valueStart);
            int entryLength = Entry.varintSize(key.length) + key.length + valueEnd - valueStart;
            if ((long) out.length() + entryLength + 8 > limits.maxResponseBytes) {
                out.reset();
                out.error(prefix, limits.response.status(), limits.response.message());
                return -1;
            }
            if (!first) {
                out.rawByte(',');
            }
            out.raw(a, at, valueEnd - at);
            return valueEnd;
        });
    }

    /** CONTAINS: each part lists its keys that exist, in request order, repeats included. */
    private byte[] mergeContains(byte[][] answers, ResponseWriter out, byte[] prefix) {
        return mergeInRequestOrder(answers, F_CONTAINS, '[', ']', out, prefix, (a, at, key, first) -> {
            if (!first) {
                out.rawByte(',');
            }
            out.quoted(key);
            return at + key.length + 2; // "key"
        });
    }

    /** Writes one element of a part's answer that starts at {@code at} with {@code key}. */
    private interface Element {
        /** Where the element ends in {@code a} (before any ','), or -1: the request fails with what it wrote. */
        int write(byte[] a, int at, byte[] key, boolean first);
    }

    /**
     * The parts' lists under {@code field} (each in request order) merged into one in the request's key order:
     * for each request key, the next element of its part's list when that element is the key's.
     */
    private byte[] mergeInRequestOrder(byte[][] answers, byte[] field, char open, char close, ResponseWriter out,
            byte[] prefix, Element element) {
        int[] pos = new int[answers.length];
        for (int p = 0; p < answers.length; p++) {
            pos[p] = indexOf(answers[p], field, 0) + field.length + 1; // after the opening bracket
        }
        Request.Keys r = (Request.Keys) request;
        out.begin(prefix, Status.OK).raw(field).rawByte(open);
        boolean first = true;
        for (int i = 0; i < r.count(); i++) {
            int p = partOf(bucketOf[i]);
            byte[] a = answers[p];
            int at = pos[p];
            byte[] key = r.key(i);
            if (a[at] != '"' || !keyAt(a, at, key)) {
                continue;
            }
            int end = element.write(a, at, key, first);
            if (end < 0) {
                return out.toByteArray();
            }
            first = false;
            pos[p] = a[end] == ',' ? end + 1 : end;
        }
        out.rawByte(close).end();
        return out.toByteArray();
    }

    /** KEYS: every bucket's (stamp, key) pairs, merged by stamp (insertion order across the buckets). */
    private byte[] mergeKeys(byte[][] answers, Limits limits, ResponseWriter out, byte[] prefix) {
        List<Stamped> all = new ArrayList<>();
        for (byte[] a : answers) {
            if (a.length > 0 && a[0] == '{') {
                return a; // an error answer (timeout, partition): the whole request fails with it
            }
            try {
                readStamped(a, all);
            } catch (IOException e) {
                throw new IllegalStateException("a bucket's keys are unreadable", e);
            }
        }
        all.sort(null);
        out.begin(prefix, Status.OK).raw(F_KEYS).rawByte('[');
        boolean first = true;
        for (Stamped s : all) {
            if ((long) out.length() + Entry.varintSize(s.bytes.length) + s.bytes.length + 8
                    > limits.maxResponseBytes) {
                out.reset();
                out.error(prefix, limits.response.status(), limits.response.message());
                return out.toByteArray();
            }
            if (!first) {
                out.rawByte(',');
            }
            first = false;
            out.quoted(s.bytes);
        }
        out.rawByte(']').end();
        return out.toByteArray();
    }

    /** A key or entry of a bucket with its insertion stamp; ordered by stamp, then bucket, then position. */
    record Stamped(long stamp, int bucket, int position, byte[] bytes) implements Comparable<Stamped> {
        @Override
        public int compareTo(Stamped o) {
            int c = Long.compare(stamp, o.stamp);
            if (c == 0) {
                c = Integer.compare(bucket, o.bucket);
            }
            return c != 0 ? c : Integer.compare(position, o.position);
        }
    }

    /** Reads a bucket's answer to {@code ClusterCommand.SNAPSHOT} ({@code Box.writeStamped}) into {@code into}. */
    static void readStamped(byte[] answer, List<Stamped> into) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(answer));
        int n = in.readInt();
        int bucket = into.size(); // any number that tells this answer's entries apart from another's
        for (int i = 0; i < n; i++) {
            long stamp = in.readLong();
            byte[] b = new byte[in.readInt()];
            in.readFully(b);
            into.add(new Stamped(stamp, bucket, i, b));
        }
    }

    // ---- reading the parts' responses (compact JSON written by the owners) ----

    /** The status number of a response ({@code "st":} is its first field). */
    static long status(byte[] a) {
        int at = indexOf(a, ST, 0);
        return at < 0 ? -1 : number(a, at + ST.length);
    }

    private static final byte[] ST = "\"st\":".getBytes(StandardCharsets.US_ASCII);

    private static long number(byte[] a, int at) {
        long v = 0;
        boolean negative = a[at] == '-';
        if (negative) {
            at++;
        }
        while (at < a.length && a[at] >= '0' && a[at] <= '9') {
            v = v * 10 + (a[at++] - '0');
        }
        return negative ? -v : v;
    }

    /** Whether {@code a} holds the quoted canonical key {@code key} at {@code at}. */
    private static boolean keyAt(byte[] a, int at, byte[] key) {
        int end = at + 1 + key.length;
        return end < a.length && a[end] == '"' && Arrays.equals(a, at + 1, end, key, 0, key.length);
    }

    /** The end (exclusive) of the compact JSON value starting at {@code at}. */
    static int skipValue(byte[] a, int at) {
        byte c = a[at];
        if (c == '"') {
            return skipString(a, at);
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            int i = at;
            while (true) {
                byte b = a[i];
                if (b == '"') {
                    i = skipString(a, i);
                    continue;
                }
                if (b == '{' || b == '[') {
                    depth++;
                } else if (b == '}' || b == ']') {
                    depth--;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
                i++;
            }
        }
        int i = at;
        while (a[i] != ',' && a[i] != '}' && a[i] != ']') {
            i++;
        }
        return i;
    }

    private static int skipString(byte[] a, int at) {
        int i = at + 1;
        while (a[i] != '"') {
            i += a[i] == '\\' ? 2 : 1;
        }
        return i + 1;
    }

    private static int indexOf(byte[] a, byte[] what, int from) {
        outer:
        for (int i = from; i <= a.length - what.length; i++) {
            for (int j = 0; j < what.length; j++) {
                if (a[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
