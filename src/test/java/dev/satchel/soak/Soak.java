package dev.satchel.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.SatchelClient;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.ops.SatchelNode;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounded soak test on loopback (scripts/soak): a real server in this JVM and several clients, each running
 * a random mix of every command for a fixed time against a model of what it stored, with sessions that expire
 * (ending, or clearing their data; fixed and sliding). Every response is checked against the model while the
 * model is certain of it. At the end the server's counts must equal what the clients did, everything is ended,
 * and the heap must return to its baseline. Exit status 0 when everything matched, 1 otherwise.
 *
 * <pre>Soak [--seconds S] [--clients N] [--seed N]</pre>
 */
public final class Soak {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final long MARGIN_MS = 400;

    final Map<String, LongAdder> ops = new ConcurrentHashMap<>();
    final AtomicLong failures = new AtomicLong();
    final List<String> failureSamples = java.util.Collections.synchronizedList(new ArrayList<>());

    void count(String op) {
        ops.computeIfAbsent(op, k -> new LongAdder()).increment();
    }

    void fail(String what) {
        failures.incrementAndGet();
        if (failureSamples.size() < 20) {
            failureSamples.add(what);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = 300;
        int clients = 8;
        long seed = System.nanoTime();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> {
                    System.err.println("usage: Soak [--seconds S] [--clients N] [--seed N]");
                    System.exit(2);
                }
            }
        }
        System.exit(new Soak().run(seconds, clients, seed) ? 0 : 1);
    }

    static long usedHeapAfterGc(MemoryMXBean memory) throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(200);
            best = Math.min(best, memory.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    boolean run(int seconds, int clientCount, long seed) throws Exception {
        Path dir = Files.createTempDirectory("satchel-soak");
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("--bind", "127.0.0.1");
        flags.put("--port", "0");
        flags.put("--persist-path", dir.toString());
        flags.put("--expiry-tick-ms", "50");
        flags.put("--admin-port", "0");
        ServerConfig config = ConfigLoader.load(null, Map.of(), flags);
        SatchelNode server = new SatchelNode(config, Clock.system());
        int port = server.start();
        URI uri = URI.create("ws://127.0.0.1:" + port + "/");
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.out.printf("soak: %d clients for %d s on %s (seed %d), persistence in %s%n", clientCount, seconds,
                uri, seed, dir);
        // warm up the server's and the clients' code paths, then take the baseline with everything ended
        try (SatchelClient warm = SatchelClient.connect(uri)) {
            for (int i = 0; i < 20_000; i++) {
                call(warm, "{\"KV_SET\":{\"keys\":{\"warm" + (i % 100) + "\":" + i + "}}}");
                call(warm, "{\"KV_GET\":{\"keys\":[\"warm" + (i % 100) + "\"]}}");
            }
            call(warm, "{\"KV_CLEAR\":{}}");
        }
        long baseline = usedHeapAfterGc(memory);
        System.out.printf("soak: heap baseline %.1f MiB (after warm-up, no data)%n", baseline / 1048576.0);

        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < clientCount; i++) {
            Worker w = new Worker(this, i, uri, new Random(seed + i), end);
            workers.add(w);
            w.start();
        }
        long peakHeap = 0;
        while (workers.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(1000);
            peakHeap = Math.max(peakHeap, memory.getHeapMemoryUsage().getUsed());
            long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            if (elapsed % 30 == 0) {
                System.out.printf("soak: %d s, %,d requests, %d mismatches, heap %.0f MiB%n", elapsed, total(),
                        failures.get(), memory.getHeapMemoryUsage().getUsed() / 1048576.0);
            }
        }
        for (Worker w : workers) {
            w.join();
        }
        double runSeconds = (System.nanoTime() - start) / 1e9;

        // every expiring session's deadline passes; then the server must hold exactly what the models hold
        long lastDeadline = workers.stream().mapToLong(Worker::lastDeadline).max().orElse(0);
        long wait = lastDeadline + 2 * MARGIN_MS - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
        long expectSessions = 0;
        long expectSessionKeys = 0;
        long expectGlobal = 0;
        for (Worker w : workers) {
            w.verifyAll();
            expectSessions += w.liveSessions();
            expectSessionKeys += w.sessionKeys();
            expectGlobal += w.global.size();
        }
        boolean ok = true;
        long sessionsCreated = workers.stream().mapToLong(w -> w.created).sum();
        long sessionsEnded = workers.stream().mapToLong(w -> w.ended).sum();
        long sessionsExpired = workers.stream().mapToLong(w -> w.expiredEnding).sum();
        try (SatchelClient c = SatchelClient.connect(uri)) {
            JsonNode all = body(call(c, "{\"SH_INFO_ALL\":{}}"));
            long count = body(call(c, "{\"KV_COUNT\":{}}")).get("cnt").asLong();
            System.out.printf("soak: sessions created %,d, ended by SH_END %,d, expired (ending) %,d%n",
                    sessionsCreated, sessionsEnded, sessionsExpired);
            System.out.printf("soak: server holds %d sessions / %d session keys / %d global keys; the clients'"
                    + " models say %d / %d / %d%n", all.get("totalSessions").asLong(), all.get("totalKeys").asLong(),
                    count, expectSessions, expectSessionKeys, expectGlobal);
            ok &= all.get("totalSessions").asLong() == expectSessions;
            ok &= all.get("totalKeys").asLong() == expectSessionKeys;
            ok &= count == expectGlobal;
            ok &= expectSessions == sessionsCreated - sessionsEnded - sessionsExpired;
            long cleared = body(call(c, "{\"KV_CLEAR_SET\":{\"keys\":{\"final\":true}}}")).get("cnt").asLong();
            ok &= cleared == expectGlobal;
            ok &= body(call(c, "{\"KV_CLEAR\":{}}")).get("cnt").asLong() == 1;
            long endedAll = body(call(c, "{\"SH_END_ALL\":{}}")).get("cnt").asLong();
            ok &= endedAll == expectSessions;
            System.out.printf("soak: SH_END_ALL ended %d, KV_CLEAR_SET cleared %d%n", endedAll, cleared);
        }
        for (Worker w : workers) {
            w.client.close();
        }
        workers.clear(); // the clients' models live in this JVM too: drop them before measuring the server
        long after = usedHeapAfterGc(memory);
        server.close();
        ok &= failures.get() == 0;
        long growth = after - baseline;
        boolean heapOk = growth < Math.max(16L << 20, baseline / 5);
        ok &= heapOk;

        System.out.printf("soak: %,d requests in %.0f s (%,.0f/s) over %d connections, %d mismatches%n", total(),
                runSeconds, total() / runSeconds, clientCount, failures.get());
        System.out.println("soak: per command: " + new TreeMap<>(ops.entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().sum()))));
        System.out.printf("soak: heap %.1f MiB at the baseline, %.1f MiB at the peak, %.1f MiB after everything"
                + " ended (%+.1f MiB)%s%n", baseline / 1048576.0, peakHeap / 1048576.0, after / 1048576.0,
                growth / 1048576.0, heapOk ? "" : "  NOT BACK AT THE BASELINE");
        for (String f : failureSamples) {
            System.out.println("soak: mismatch: " + f);
        }
        System.out.println(ok ? "soak: PASS" : "soak: FAIL");
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        return ok;
    }

    long total() {
        return ops.values().stream().mapToLong(LongAdder::sum).sum();
    }

    static String call(SatchelClient c, String request) {
        try {
            return c.sendRaw(request).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("request failed: " + request, e);
        }
    }

    static JsonNode body(String response) {
        try {
            return JSON.readTree(response).elements().next();
        } catch (Exception e) {
            throw new IllegalStateException("not a response: " + response, e);
        }
    }

    /** One client: a connection, a model of its sessions and of its keys in the global space. */
    static final class Worker extends Thread {
        private final Soak soak;
        private final int id;
        private final Random r;
        private final long endNanos;
        final SatchelClient client;
        /** Sessions that never expire: token JSON -> keys in insertion order -> value. */
        final Map<String, LinkedHashMap<String, JsonNode>> sessions = new LinkedHashMap<>();
        final List<Ephemeral> ephemeral = new ArrayList<>();
        final LinkedHashMap<String, JsonNode> global = new LinkedHashMap<>();
        final List<String> endedTokens = new ArrayList<>();
        long created;
        long ended;
        long expiredEnding;
        private int names;

        /** An expiring session; certain only while young, checked again once surely past its deadline. */
        static final class Ephemeral {
            String token;
            long durationMs;
            boolean deleteSession;
            boolean onSet;
            boolean onGet;
            long lastExtendSent;
            long lastExtendAcked;
            final LinkedHashMap<String, JsonNode> keys = new LinkedHashMap<>();
            int touches;
            boolean gone;

            long deadline() {
                return lastExtendAcked + durationMs;
            }
        }

        Worker(Soak soak, int id, URI uri, Random r, long endNanos) {
            super("soak-client-" + id);
            this.soak = soak;
            this.id = id;
            this.r = r;
            this.endNanos = endNanos;
            this.client = SatchelClient.connect(uri, ClientOptions.builder().requestTimeout(Duration.ofSeconds(30))
                    .build());
        }

        long lastDeadline() {
            return ephemeral.stream().mapToLong(Ephemeral::deadline).max().orElse(0);
        }

        long liveSessions() {
            return sessions.size() + ephemeral.stream().filter(e -> !e.deleteSession).count();
        }

        long sessionKeys() {
            return sessions.values().stream().mapToLong(Map::size).sum();
        }

        private String call(String op, String request) {
            soak.count(op);
            return Soak.call(client, request);
        }

        private JsonNode expect(String op, String request, int st) {
            String rsp = call(op, request);
            JsonNode b = body(rsp);
            if (b.get("st").asInt() != st) {
                soak.fail(op + ": expected st " + st + " for " + cut(request) + ", got " + cut(rsp));
            }
            return b;
        }

        private static String cut(String s) {
            return s.length() > 300 ? s.substring(0, 300) + "..." : s;
        }

        private JsonNode value() {
            String v = switch (r.nextInt(6)) {
                case 0 -> Integer.toString(r.nextInt());
                case 1 -> "\"v" + r.nextInt(1000) + " caf\\u00e9\"";
                case 2 -> "[" + r.nextInt(10) + ",{\"n\":" + r.nextInt(99) + "},null,true]";
                case 3 -> "\"" + "x".repeat(r.nextInt(2000)) + "\"";
                case 4 -> "{\"sku\":" + r.nextInt(100000) + ",\"qty\":" + r.nextInt(9) + "}";
                default -> "1.50e" + r.nextInt(300);
            };
            try {
                return JSON.readTree(v);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        private Map<String, JsonNode> newKeys(int n) {
            Map<String, JsonNode> m = new LinkedHashMap<>();
            while (m.size() < n) {
                m.put("k" + r.nextInt(40), value());
            }
            return m;
        }

        private static String object(Map<String, JsonNode> keys) {
            StringBuilder b = new StringBuilder("{");
            keys.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
            return b.append('}').toString();
        }

        private static String array(Iterable<String> keys) {
            StringBuilder b = new StringBuilder("[");
            for (String k : keys) {
                b.append(b.length() > 1 ? "," : "").append('"').append(k).append('"');
            }
            return b.append(']').toString();
        }

        private String anySession() {
            int i = r.nextInt(sessions.size());
            Iterator<String> it = sessions.keySet().iterator();
            for (int j = 0; j < i; j++) {
                it.next();
            }
            return it.next();
        }

        @Override
        public void run() {
            try {
                while (System.nanoTime() < endNanos) {
                    step();
                }
                for (Ephemeral e : ephemeral) {
                    e.touches = Integer.MAX_VALUE; // abandoned: left to expire
                }
            } catch (RuntimeException e) {
                soak.fail("client " + id + " stopped: " + e);
            }
        }

        private void step() {
            if (sessions.size() < 5 || r.nextInt(60) == 0) {
                newSession();
                return;
            }
            String t = anySession();
            LinkedHashMap<String, JsonNode> model = sessions.get(t);
            int op = r.nextInt(100);
            if (op < 20) {
                Map<String, JsonNode> keys = newKeys(1 + r.nextInt(4));
                expect("SH_SET", "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":" + object(keys) + "}}", 1);
                model.putAll(keys);
            } else if (op < 26) {
                Map<String, JsonNode> keys = newKeys(1 + r.nextInt(3));
                expect("SH_ADD", "{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":" + object(keys) + "}}", 1);
                keys.forEach(model::putIfAbsent);
            } else if (op < 46) {
                List<String> ask = new ArrayList<>(List.of("k" + r.nextInt(40), "k" + r.nextInt(40), "missing"));
                JsonNode got = expect("SH_GET", "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":" + array(ask) + "}}", 1)
                        .get("keys");
                Map<String, JsonNode> want = new LinkedHashMap<>();
                for (String k : ask) {
                    if (model.containsKey(k)) {
                        want.put(k, model.get(k));
                    }
                }
                if (!got.equals(JSON.valueToTree(want))) {
                    soak.fail("SH_GET " + ask + ": got " + cut(got.toString()) + ", model " + cut(want.toString()));
                }
            } else if (op < 52) {
                List<String> rm = List.of("k" + r.nextInt(40), "k" + r.nextInt(40));
                expect("SH_RMV", "{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":" + array(rm) + "}}", 1);
                rm.forEach(model::remove);
            } else if (op < 55) {
                List<String> ask = List.of("k" + r.nextInt(40), "k" + r.nextInt(40));
                JsonNode got = expect("SH_CONTAINS", "{\"SH_CONTAINS\":{\"tkn\":" + t + ",\"keys\":" + array(ask) + "}}", 1)
                        .get("contains");
                List<String> want = ask.stream().filter(model::containsKey).toList();
                if (!got.equals(JSON.valueToTree(want))) {
                    soak.fail("SH_CONTAINS: got " + got + ", model " + want);
                }
            } else if (op < 58) {
                long cnt = expect("SH_COUNT", "{\"SH_COUNT\":{\"tkn\":" + t + "}}", 1).get("cnt").asLong();
                if (cnt != model.size()) {
                    soak.fail("SH_COUNT " + cnt + ", model " + model.size());
                }
            } else if (op < 61) {
                JsonNode got = expect("SH_KEYS", "{\"SH_KEYS\":{\"tkn\":" + t + "}}", 1).get("keys");
                if (!got.equals(JSON.valueToTree(new ArrayList<>(model.keySet())))) {
                    soak.fail("SH_KEYS " + got + ", model " + model.keySet());
                }
            } else if (op < 63) {
                long cnt = expect("SH_CLEAR", "{\"SH_CLEAR\":{\"tkn\":" + t + "}}", 1).get("cnt").asLong();
                if (cnt != model.size()) {
                    soak.fail("SH_CLEAR cnt " + cnt + ", model " + model.size());
                }
                model.clear();
            } else if (op < 65) {
                Map<String, JsonNode> keys = newKeys(1 + r.nextInt(3));
                long cnt = expect("SH_CLEAR_SET", "{\"SH_CLEAR_SET\":{\"tkn\":" + t + ",\"keys\":" + object(keys) + "}}", 1)
                        .get("cnt").asLong();
                if (cnt != model.size()) {
                    soak.fail("SH_CLEAR_SET cnt " + cnt + ", model " + model.size());
                }
                model.clear();
                model.putAll(keys);
            } else if (op < 67) {
                expect("SH_END", "{\"SH_END\":{\"tkn\":" + t + "}}", 1);
                sessions.remove(t);
                endedTokens.add(t);
                ended++;
                if (r.nextBoolean()) {
                    expect("SH_GET", "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"k1\"]}}", 100);
                }
            } else if (op < 69) {
                JsonNode info = expect("SH_INFO", "{\"SH_INFO\":{\"tkn\":" + t + "}}", 1);
                if (info.get("keyCnt").asInt() != model.size()) {
                    soak.fail("SH_INFO keyCnt " + info.get("keyCnt") + ", model " + model.size());
                }
            } else if (op < 71) {
                List<String> ask = new ArrayList<>();
                ask.add(t);
                if (!endedTokens.isEmpty()) {
                    ask.add(endedTokens.get(r.nextInt(endedTokens.size())));
                }
                JsonNode got = expect("SH_EXISTS", "{\"SH_EXISTS\":{\"tkns\":[" + String.join(",", ask) + "]}}", 1)
                        .get("exist");
                if (got.size() != 1 || !got.get(0).toString().equals(t)) {
                    soak.fail("SH_EXISTS " + ask + " -> " + got);
                }
            } else if (op < 86) {
                globalOp();
            } else if (op < 96) {
                ephemeralOp();
            } else if (op < 97) {
                saveAndLoad();
            } else if (op < 98) {
                expect("SH_INFO_ALL", "{\"SH_INFO_ALL\":{}}", 1);
                expect("KV_COUNT", "{\"KV_COUNT\":{}}", 1);
            } else if (op < 99) {
                expect("SV_INFO", "{\"SV_INFO\":{}}", 1);
            } else {
                // the hostile bits, in passing: each answered, nothing changes
                expect("ERR", "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\"],\"keys\":[]}}", 13);
                expect("ERR", "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"d\":" + "[".repeat(100) + "]".repeat(100) + "}}}", 170);
                expect("ERR", "not json", 3);
            }
        }

        private void newSession() {
            if (r.nextInt(4) == 0) {
                String name = "soak-" + id + "-" + (names++);
                JsonNode b = expect("SH_NEW", "{\"SH_NEW\":{\"name\":\"" + name + "\",\"shared\":true}}", 1);
                String t = b.get("tkn").toString();
                JsonNode open = expect("SH_OPEN", "{\"SH_OPEN\":{\"name\":\"" + name + "\"}}", 1);
                if (!open.get("tkn").toString().equals(t)) {
                    soak.fail("SH_OPEN gave another token");
                }
                sessions.put(t, new LinkedHashMap<>());
            } else {
                sessions.put(expect("SH_NEW", "{\"SH_NEW\":{}}", 1).get("tkn").toString(), new LinkedHashMap<>());
            }
            created++;
        }

        private void globalOp() {
            String k = "c" + id + "-g" + r.nextInt(60);
            int op = r.nextInt(5);
            if (op == 0 || op == 1) {
                JsonNode v = value();
                expect("KV_SET", "{\"KV_SET\":{\"keys\":{\"" + k + "\":" + v + "}}}", 1);
                global.put(k, v);
            } else if (op == 2) {
                JsonNode v = value();
                expect("KV_ADD", "{\"KV_ADD\":{\"keys\":{\"" + k + "\":" + v + "}}}", 1);
                global.putIfAbsent(k, v);
            } else if (op == 3) {
                JsonNode got = expect("KV_GET", "{\"KV_GET\":{\"keys\":[\"" + k + "\"]}}", 1).get("keys");
                JsonNode want = global.containsKey(k) ? JSON.createObjectNode().set(k, global.get(k))
                        : JSON.createObjectNode();
                if (!got.equals(want)) {
                    soak.fail("KV_GET " + k + ": " + cut(got.toString()) + " vs " + cut(want.toString()));
                }
                if (r.nextInt(20) == 0) {
                    expect("KV_CONTAINS", "{\"KV_CONTAINS\":{\"keys\":[\"" + k + "\"]}}", 1);
                    expect("KV_KEYS", "{\"KV_KEYS\":{}}", 1);
                }
            } else {
                expect("KV_RMV", "{\"KV_RMV\":{\"keys\":[\"" + k + "\"]}}", 1);
                global.remove(k);
            }
        }

        private void ephemeralOp() {
            long now = System.currentTimeMillis();
            ephemeral.removeIf(e -> e.gone);
            Ephemeral young = null;
            for (Ephemeral e : ephemeral) {
                if (e.touches < 3 && now - e.lastExtendSent < e.durationMs - MARGIN_MS) {
                    young = e;
                    break;
                }
            }
            if (young == null || r.nextInt(3) == 0) {
                Ephemeral e = new Ephemeral();
                e.durationMs = 1000L * (1 + r.nextInt(3));
                e.deleteSession = r.nextBoolean();
                e.onSet = r.nextBoolean();
                e.onGet = r.nextBoolean();
                e.lastExtendSent = System.currentTimeMillis();
                JsonNode b = expect("SH_NEW", "{\"SH_NEW\":{\"expiry\":{\"duration\":" + e.durationMs / 1000
                        + ",\"deleteSession\":" + e.deleteSession + ",\"extendOnSetAdd\":" + e.onSet
                        + ",\"extendOnGet\":" + e.onGet + "}}}", 1);
                e.lastExtendAcked = System.currentTimeMillis();
                e.token = b.get("tkn").toString();
                ephemeral.add(e);
                created++;
                return;
            }
            Ephemeral e = young;
            e.touches++;
            long sent = System.currentTimeMillis();
            if (r.nextBoolean()) {
                Map<String, JsonNode> keys = newKeys(1 + r.nextInt(3));
                expect("SH_SET", "{\"SH_SET\":{\"tkn\":" + e.token + ",\"keys\":" + object(keys) + "}}", 1);
                e.keys.putAll(keys);
                if (e.onSet) {
                    e.lastExtendSent = sent;
                    e.lastExtendAcked = System.currentTimeMillis();
                }
            } else {
                JsonNode got = expect("SH_GET", "{\"SH_GET\":{\"tkn\":" + e.token + ",\"keys\":" + array(e.keys.keySet())
                        + "}}", 1).get("keys");
                if (!got.equals(JSON.valueToTree(e.keys))) {
                    soak.fail("expiring SH_GET: " + cut(got.toString()) + " vs " + cut(e.keys.toString()));
                }
                if (e.onGet) {
                    e.lastExtendSent = sent;
                    e.lastExtendAcked = System.currentTimeMillis();
                }
            }
            // and one surely past its deadline: gone, or alive without its data
            for (Ephemeral old : ephemeral) {
                if (old != e && !old.gone && old.touches >= 3 && now > old.deadline() + MARGIN_MS) {
                    checkExpired(old);
                    break;
                }
            }
        }

        private void checkExpired(Ephemeral old) {
            if (old.deleteSession) {
                expect("SH_INFO", "{\"SH_INFO\":{\"tkn\":" + old.token + "}}", 100);
                expiredEnding++;
                old.gone = true;
            } else {
                JsonNode info = expect("SH_INFO", "{\"SH_INFO\":{\"tkn\":" + old.token + "}}", 1);
                if (info.path("keyCnt").asInt(-1) != 0) {
                    soak.fail("a data-clearing session kept its keys past its deadline: " + info);
                }
                old.keys.clear();
            }
        }

        private void saveAndLoad() {
            if (sessions.isEmpty() || r.nextInt(5) != 0) {
                return;
            }
            List<String> tokens = new ArrayList<>(sessions.keySet()).subList(0, Math.min(3, sessions.size()));
            String name = "soak-" + id + "-" + (names++);
            expect("SH_SAVE", "{\"SH_SAVE\":{\"name\":\"" + name + "\",\"tkns\":[" + String.join(",", tokens) + "]}}", 121);
            long keys = 0;
            for (String t : tokens) {
                expect("SH_END", "{\"SH_END\":{\"tkn\":" + t + "}}", 1);
                keys += sessions.get(t).size();
            }
            JsonNode loaded = expect("SH_LOAD", "{\"SH_LOAD\":{\"name\":\"" + name + "\"}}", 141);
            if (loaded.path("sessions").asLong() != tokens.size() || loaded.path("keys").asLong() != keys) {
                soak.fail("SH_LOAD " + loaded + ", expected " + tokens.size() + " sessions and " + keys + " keys");
            }
            if (r.nextInt(4) == 0) {
                expect("KV_SAVE", "{\"KV_SAVE\":{\"name\":\"soak-kv-" + id + "\"}}", 121);
                expect("KV_LOAD", "{\"KV_LOAD\":{\"name\":\"soak-kv-missing\"}}", 142);
            }
        }

        /** After every deadline: each session holds exactly its model, each expired one is gone or empty. */
        void verifyAll() {
            for (Map.Entry<String, LinkedHashMap<String, JsonNode>> s : sessions.entrySet()) {
                JsonNode got = expect("SH_GET", "{\"SH_GET\":{\"tkn\":" + s.getKey() + ",\"keys\":"
                        + array(s.getValue().keySet()) + "}}", 1).get("keys");
                if (!got.equals(JSON.valueToTree(s.getValue()))) {
                    soak.fail("final SH_GET of " + s.getKey() + " differs");
                }
            }
            for (Ephemeral e : ephemeral) {
                if (!e.gone) {
                    checkExpired(e);
                }
            }
            for (Map.Entry<String, JsonNode> g : global.entrySet()) {
                JsonNode got = expect("KV_GET", "{\"KV_GET\":{\"keys\":[\"" + g.getKey() + "\"]}}", 1).get("keys");
                if (!got.path(g.getKey()).equals(g.getValue())) {
                    soak.fail("final KV_GET " + g.getKey() + " differs");
                }
            }
        }
    }
}
