package dev.satchel.persist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.engine.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SH_SAVE, SH_LOAD, KV_SAVE and KV_LOAD over a real server and real files. */
class PersistCommandsTest {
    @TempDir
    Path dir;

    private static List<String> members(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    private static void assertError(String response, String rspName, int st) {
        JsonNode t = body(response, rspName);
        assertThat(t.path("st").asInt()).as("st in %s", response).isEqualTo(st);
        assertThat(t.path("m").asText()).as("m in %s", response).isNotEmpty();
        assertThat(members(t)).as("members of %s", response).containsExactly("st", "m");
    }

    private static JsonNode body(String response, String rspName) {
        try {
            JsonNode t = PersistFixture.MAPPER.readTree(response);
            assertThat(members(t)).as("response %s", response).containsExactly(rspName);
            return t.get(rspName);
        } catch (IOException e) {
            throw new AssertionError(response, e);
        }
    }

    /** Values of every JSON type and spelling, and awkward keys, exactly as a client may send them. */
    private static final String AWKWARD_KEYS = "{"
            + "\"plain\":\"text\","
            + "\"unicode \u00e9\u4e2d\ud83d\ude00\":\"caf\u00e9 \u4e2d\u6587 \ud83d\ude00\","
            + "\"escaped\":\"\\u00e9\\n\\t\\\"q\\\" \\\\ \\/ \\ud83d\\ude00 \\ud800\","
            + "\"quote\\\"key\":1,"
            + "\"back\\\\slash\\\\key\":2,"
            + "\"ctl\\u0001\\nkey\":3,"
            + "\"\":\"empty key\","
            + "\"nested\":{\"a\":[1,{\"b\":[[],{}]},null],\"a2\":\"member order kept\",\"c\":{\"d\":{\"e\":true}}},"
            + "\"big\":123456789012345678901234567890123456789,"
            + "\"exp\":1E+30,"
            + "\"frac\":1.0,"
            + "\"neg\":-0.5e-7,"
            + "\"t\":true,\"f\":false,\"n\":null,"
            + "\"arr\":[ 1 , \"two\" , [ 3 ] ],"
            + "\"emptyString\":\"\",\"emptyArray\":[],\"emptyObject\":{}"
            + "}";

    private static final String ALL_KEYS = "[\"plain\",\"unicode \u00e9\u4e2d\ud83d\ude00\",\"escaped\",\"quote\\\"key\","
            + "\"back\\\\slash\\\\key\",\"ctl\\u0001\\nkey\",\"\",\"nested\",\"big\",\"exp\",\"frac\",\"neg\",\"t\",\"f\","
            + "\"n\",\"arr\",\"emptyString\",\"emptyArray\",\"emptyObject\"]";

    @Test
    void sessionRoundTripKeepsEveryValueByteForByte() {
        String tkn;
        String get;
        String keys;
        String info;
        try (PersistFixture s = PersistFixture.start(dir)) {
            tkn = s.newSession("{\"name\":\"caf\u00e9 \\\"label\\\"\",\"expiry\":{\"duration\":3600,\"extendOnGet\":true}}");
            assertThat(s.call("{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":" + AWKWARD_KEYS + "}}").path("st").asInt())
                    .isEqualTo(1);
            get = s.raw("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":" + ALL_KEYS + "}}");
            keys = s.raw("{\"SH_KEYS\":{\"tkn\":" + tkn + "}}");
            info = s.raw("{\"SH_INFO\":{\"tkn\":" + tkn + "}}");
            String save = s.raw("{\"SH_SAVE\":{\"name\":\"round-trip\"}}");
            JsonNode b = body(save, "SH_SAVE_RSP");
            assertThat(members(b)).containsExactly("st", "name", "duration");
            assertThat(b.get("st").asInt()).isEqualTo(121);
            assertThat(b.get("name").asText()).isEqualTo("round-trip");
            assertThat(b.get("duration").isIntegralNumber()).isTrue();
        }
        try (PersistFixture s = PersistFixture.start(dir)) {
            String load = s.raw("{\"SH_LOAD\":{\"name\":\"round-trip\"}}");
            JsonNode b = body(load, "SH_LOAD_RSP");
            assertThat(members(b)).containsExactly("st", "name", "sessions", "keys");
            assertThat(b.get("st").asInt()).isEqualTo(141);
            assertThat(b.get("name").asText()).isEqualTo("round-trip");
            assertThat(b.get("sessions").asLong()).isEqualTo(1);
            assertThat(b.get("keys").asLong()).isEqualTo(19);
            assertThat(s.raw("{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":" + ALL_KEYS + "}}")).isEqualTo(get);
            assertThat(s.raw("{\"SH_KEYS\":{\"tkn\":" + tkn + "}}")).isEqualTo(keys);
            assertThat(s.raw("{\"SH_INFO\":{\"tkn\":" + tkn + "}}")).isEqualTo(info);
        }
        assertThat(get).contains("123456789012345678901234567890123456789").contains("1E+30").contains("1.0")
                .contains("\\u00e9").contains("\\ud800").contains("\"a2\":\"member order kept\"")
                .contains("[1,\"two\",[3]]");
    }

    @Test
    void keySpaceRoundTripKeepsEveryValueByteForByte() {
        String get;
        String keys;
        try (PersistFixture s = PersistFixture.start(dir)) {
            assertThat(s.call("{\"KV_SET\":{\"keys\":" + AWKWARD_KEYS + "}}").path("st").asInt()).isEqualTo(1);
            get = s.raw("{\"KV_GET\":{\"keys\":" + ALL_KEYS + "}}");
            keys = s.raw("{\"KV_KEYS\":{}}");
            JsonNode b = body(s.raw("{\"KV_SAVE\":{\"name\":\"kv\"}}"), "KV_SAVE_RSP");
            assertThat(members(b)).containsExactly("st", "name", "duration");
            assertThat(b.get("st").asInt()).isEqualTo(121);
        }
        try (PersistFixture s = PersistFixture.start(dir)) {
            JsonNode b = body(s.raw("{\"KV_LOAD\":{\"name\":\"kv\"}}"), "KV_LOAD_RSP");
            assertThat(members(b)).containsExactlyInAnyOrder("st", "name", "keys", "sessions", "duration");
            assertThat(b.get("st").asInt()).isEqualTo(141);
            assertThat(b.get("name").asText()).isEqualTo("kv");
            assertThat(b.get("keys").asLong()).isEqualTo(19);
            assertThat(b.get("sessions").asLong()).isZero();
            assertThat(s.raw("{\"KV_GET\":{\"keys\":" + ALL_KEYS + "}}")).isEqualTo(get);
            assertThat(s.raw("{\"KV_KEYS\":{}}")).isEqualTo(keys);
        }
    }

    @Test
    void sessionsKeepTokenNameSharedFlagExpirySettingsAndRemainingTime() {
        ManualClock clock = new ManualClock(1_000_000);
        var config = PersistFixture.config(Map.of("--persist-path", dir.toString(), "--shared-secret", "s3cret"));
        String plain;
        String shared;
        String sliding;
        String clearing;
        String ending;
        String forever;
        try (PersistFixture s = PersistFixture.start(config, clock)) {
            plain = s.newSession("{\"expiry\":{\"duration\":60}}");
            shared = s.newSession("{\"name\":\"team\",\"shared\":true,\"expiry\":{\"duration\":100,"
                    + "\"deleteSession\":true,\"extendOnSetAdd\":true,\"extendOnGet\":true}}");
            sliding = s.newSession("{\"name\":\"label\",\"expiry\":{\"duration\":50,\"extendOnGet\":true}}");
            clearing = s.newSession("{\"expiry\":{\"duration\":20,\"deleteSession\":false}}");
            ending = s.newSession("{\"expiry\":{\"duration\":20,\"deleteSession\":true}}");
            forever = s.newSession("{}");
            for (String t : List.of(plain, shared, sliding, clearing, ending, forever)) {
                s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":\"v\"}}}");
            }
            clock.advanceSeconds(30); // plain: 30 s left; clearing and ending are 10 s past their deadline
            JsonNode save = s.call("{\"SH_SAVE\":{\"name\":\"meta\"}}");
            assertThat(save.get("st").asInt()).as("%s", save).isEqualTo(121);
        }
        clock.advanceSeconds(1000); // downtime does not count
        try (PersistFixture s = PersistFixture.start(config, clock)) {
            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"meta\"}}");
            assertThat(load.get("sessions").asLong()).as("%s", load).isEqualTo(5); // not the expired one
            assertThat(load.get("keys").asLong()).isEqualTo(4); // the clearing session lost its data at expiry

            JsonNode p = s.call("{\"SH_INFO\":{\"tkn\":" + plain + "}}");
            assertThat(p.get("expiry").get("remaining").asLong()).isEqualTo(30);
            assertThat(p.get("expiry").get("duration").asLong()).isEqualTo(60);
            assertThat(p.get("shared").asBoolean()).isFalse();
            assertThat(p.has("name")).isFalse();

            JsonNode sh = s.call("{\"SH_INFO\":{\"tkn\":" + shared + "}}");
            assertThat(sh.get("shared").asBoolean()).isTrue();
            assertThat(sh.get("name").asText()).isEqualTo("team");
            assertThat(sh.get("expiry").get("remaining").asLong()).isEqualTo(70);
            assertThat(sh.get("expiry").get("deleteSession").asBoolean()).isTrue();
            assertThat(sh.get("expiry").get("extendOnSetAdd").asBoolean()).isTrue();
            assertThat(sh.get("expiry").get("extendOnGet").asBoolean()).isTrue();
            // the same secret gives the same token: the shared session opens by name after the load
            assertThat(s.call("{\"SH_OPEN\":{\"name\":\"team\"}}").get("tkn").toString()).isEqualTo(shared);

            JsonNode sl = s.call("{\"SH_INFO\":{\"tkn\":" + sliding + "}}");
            assertThat(sl.get("name").asText()).isEqualTo("label");
            assertThat(sl.get("expiry").get("extendOnGet").asBoolean()).isTrue();
            assertThat(sl.get("expiry").get("deleteSession").asBoolean()).isFalse();

            JsonNode cl = s.call("{\"SH_INFO\":{\"tkn\":" + clearing + "}}");
            assertThat(cl.get("keyCnt").asInt()).isZero();
            assertThat(cl.get("expiry").get("remaining").asLong()).isEqualTo(10); // its next period ends in 10 s

            assertThat(s.call("{\"SH_INFO\":{\"tkn\":" + ending + "}}").get("st").asInt()).isEqualTo(100);
            JsonNode f = s.call("{\"SH_INFO\":{\"tkn\":" + forever + "}}");
            assertThat(f.get("expires").asBoolean()).isFalse();
            assertThat(f.get("keyCnt").asInt()).isEqualTo(1);

            // the restored deadlines are enforced: 30 s later the plain session's period has ended (its data
            // is cleared, a new 60 s period starts), 70 s later the shared one has ended
            clock.advanceSeconds(29);
            assertThat(s.call("{\"SH_INFO\":{\"tkn\":" + plain + "}}").get("keyCnt").asInt()).isEqualTo(1);
            clock.advanceSeconds(1);
            JsonNode p2 = s.call("{\"SH_INFO\":{\"tkn\":" + plain + "}}");
            assertThat(p2.get("keyCnt").asInt()).isZero();
            assertThat(p2.get("expiry").get("remaining").asLong()).isEqualTo(60);
            clock.advanceSeconds(40);
            assertThat(s.call("{\"SH_INFO\":{\"tkn\":" + shared + "}}").get("st").asInt()).isEqualTo(100);
        }
    }

    @Test
    void selectedTokensAreSavedOnceAndUnknownOnesSkipped() {
        String a;
        String b;
        String c;
        try (PersistFixture s = PersistFixture.start(dir)) {
            a = s.newSession("{}");
            b = s.newSession("{}");
            c = s.newSession("{}");
            for (String t : List.of(a, b, c)) {
                s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"who\":" + t + ",\"x\":1}}}");
            }
            String ended = s.newSession("{}");
            s.call("{\"SH_END\":{\"tkn\":" + ended + "}}");
            JsonNode save = s.call("{\"SH_SAVE\":{\"name\":\"some\",\"tkns\":[" + a + "," + c + "," + a + "," + ended + "]}}");
            assertThat(save.get("st").asInt()).as("%s", save).isEqualTo(121);
        }
        try (PersistFixture s = PersistFixture.start(dir)) {
            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"some\"}}");
            assertThat(load.get("sessions").asLong()).isEqualTo(2);
            assertThat(load.get("keys").asLong()).isEqualTo(4);
            assertThat(s.call("{\"SH_EXISTS\":{\"tkns\":[" + a + "," + b + "," + c + "]}}").get("exist").toString())
                    .isEqualTo("[" + a + "," + c + "]");
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + c + ",\"keys\":[\"who\"]}}").get("keys").get("who").toString())
                    .isEqualTo(c);
        }
    }

    @Test
    void loadSkipsSessionsWhoseTokenExistsAndKeepsTheirData() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            String a = s.newSession("{}");
            String b = s.newSession("{}");
            s.call("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"v\":\"saved-a\"}}}");
            s.call("{\"SH_SET\":{\"tkn\":" + b + ",\"keys\":{\"v\":\"saved-b\",\"w\":2}}}");
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"skip\"}}").get("st").asInt()).isEqualTo(121);
            s.call("{\"SH_END\":{\"tkn\":" + b + "}}");
            s.call("{\"SH_SET\":{\"tkn\":" + a + ",\"keys\":{\"v\":\"live-a\"}}}");

            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"skip\"}}");
            assertThat(load.get("st").asInt()).isEqualTo(141);
            assertThat(load.get("sessions").asLong()).isEqualTo(1); // a exists: skipped, not counted
            assertThat(load.get("keys").asLong()).isEqualTo(2);
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + a + ",\"keys\":[\"v\"]}}").get("keys").get("v").asText())
                    .isEqualTo("live-a");
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + b + ",\"keys\":[\"v\",\"w\"]}}").get("keys").toString())
                    .isEqualTo("{\"v\":\"saved-b\",\"w\":2}");
            JsonNode again = s.call("{\"SH_LOAD\":{\"name\":\"skip\"}}");
            assertThat(again.get("sessions").asLong()).isZero();
            assertThat(again.get("keys").asLong()).isZero();
            assertThat(s.call("{\"SH_INFO_ALL\":{}}").get("totalKeys").asLong()).isEqualTo(3);
        }
    }

    @Test
    void kvLoadOverwritesAndKeepsOtherKeys() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            s.call("{\"KV_SET\":{\"keys\":{\"a\":1,\"b\":2}}}");
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"kv\"}}").get("st").asInt()).isEqualTo(121);
            s.call("{\"KV_SET\":{\"keys\":{\"a\":\"changed\",\"c\":3}}}");
            s.call("{\"KV_RMV\":{\"keys\":[\"b\"]}}");
            JsonNode load = s.call("{\"KV_LOAD\":{\"name\":\"kv\"}}");
            assertThat(load.get("keys").asLong()).isEqualTo(2);
            assertThat(s.call("{\"KV_GET\":{\"keys\":[\"a\",\"b\",\"c\"]}}").get("keys").toString())
                    .isEqualTo("{\"a\":1,\"b\":2,\"c\":3}");
        }
    }

    @Test
    void aSnapshotIsNotChangedByWritesAfterTheCommand() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            String t = s.newSession("{}");
            s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":1,\"b\":2,\"c\":3}}}");
            s.call("{\"KV_SET\":{\"keys\":{\"x\":1,\"y\":2}}}");
            // pipelined: the writes run on the loop right after the snapshots, while the files are written
            List<CompletableFuture<String>> r = s.client.sendRawBatch(List.of(
                    "{\"SH_SAVE\":{\"name\":\"snap\"}}",
                    "{\"KV_SAVE\":{\"name\":\"kvsnap\"}}",
                    "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"a\":\"new\",\"d\":4}}}",
                    "{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[\"b\"]}}",
                    "{\"KV_SET\":{\"keys\":{\"x\":\"new\"}}}",
                    "{\"KV_RMV\":{\"keys\":[\"y\"]}}"));
            for (CompletableFuture<String> f : r) {
                assertThat(PersistFixture.body(f.join()).get("st").asInt()).as(f.join()).isIn(1, 121);
            }
            s.call("{\"SH_END_ALL\":{}}");
            s.call("{\"KV_CLEAR\":{}}");
            assertThat(s.call("{\"SH_LOAD\":{\"name\":\"snap\"}}").get("keys").asLong()).isEqualTo(3);
            assertThat(s.call("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"a\",\"b\",\"c\",\"d\"]}}").get("keys").toString())
                    .isEqualTo("{\"a\":1,\"b\":2,\"c\":3}");
            assertThat(s.call("{\"KV_LOAD\":{\"name\":\"kvsnap\"}}").get("keys").asLong()).isEqualTo(2);
            assertThat(s.call("{\"KV_GET\":{\"keys\":[\"x\",\"y\"]}}").get("keys").toString())
                    .isEqualTo("{\"x\":1,\"y\":2}");
        }
    }

    @Test
    void aSnapshotTakenInSlicesStandsForTheMomentOfTheCommand() {
        int n = 100_000; // enough that the snapshot takes several loop turns
        ManualClock clock = new ManualClock(5_000_000);
        try (PersistFixture s = PersistFixture.start(PersistFixture.config(Map.of("--persist-path", dir.toString())),
                clock)) {
            List<String> news = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                news.add(i % 2 == 0 ? "{\"SH_NEW\":{\"expiry\":{\"duration\":10,\"deleteSession\":true}}}"
                        : "{\"SH_NEW\":{}}");
            }
            List<String> tokens = new ArrayList<>();
            for (CompletableFuture<String> f : s.client.sendRawBatch(news)) {
                tokens.add(PersistFixture.body(f.join()).get("tkn").toString());
            }
            List<String> sets = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sets.add("{\"SH_SET\":{\"tkn\":" + tokens.get(i) + ",\"keys\":{\"v\":" + i + "}}}");
            }
            s.client.sendRawBatch(sets).forEach(f -> assertThat(f.join()).contains("\"st\":1"));

            // the save, then changes pipelined behind it: they run while the snapshot is still being taken
            List<String> batch = new ArrayList<>();
            batch.add("{\"SH_SAVE\":{\"name\":\"moment\"}}");
            for (int i = n - 1; i >= 0; i -= 7) {
                String t = tokens.get(i);
                batch.add(switch (i % 4) {
                    case 0 -> "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"v\":\"changed\",\"w\":1}}}";
                    case 1 -> "{\"SH_RMV\":{\"tkn\":" + t + ",\"keys\":[\"v\"]}}";
                    case 2 -> "{\"SH_END\":{\"tkn\":" + t + "}}";
                    default -> "{\"SH_CLEAR\":{\"tkn\":" + t + "}}";
                });
                if (i % 1000 < 7) {
                    batch.add("{\"SH_NEW\":{}}");
                }
            }
            batch.add("{\"SH_END_ALL\":{}}");
            List<CompletableFuture<String>> rsp = s.client.sendRawBatch(batch);
            // once an SH_END behind the save has run, the save has begun: from then on the wheel expires half
            // of the sessions, some perhaps before the snapshot reached them
            while (s.server.loop().call(e -> e.sessionCount()).join() >= n) {
                Thread.onSpinWait();
            }
            clock.advanceSeconds(20);
            assertThat(PersistFixture.body(rsp.get(0).join()).get("st").asInt()).as(rsp.get(0).join()).isEqualTo(121);
            rsp.forEach(CompletableFuture::join);
            assertThat(s.call("{\"SH_INFO_ALL\":{}}").get("totalSessions").asLong()).isZero();

            JsonNode load = s.call("{\"SH_LOAD\":{\"name\":\"moment\"}}");
            assertThat(load.get("sessions").asLong()).as("%s", load).isEqualTo(n);
            assertThat(load.get("keys").asLong()).isEqualTo(n);
            List<String> gets = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                gets.add("{\"SH_GET\":{\"tkn\":" + tokens.get(i) + ",\"keys\":[\"v\",\"w\"]}}");
            }
            List<CompletableFuture<String>> got = s.client.sendRawBatch(gets);
            for (int i = 0; i < n; i++) {
                assertThat(got.get(i).join()).as("session %d", i)
                        .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"v\":" + i + "}}}");
            }
            JsonNode info = s.call("{\"SH_INFO\":{\"tkn\":" + tokens.get(0) + "}}");
            assertThat(info.get("expiry").get("remaining").asLong()).isEqualTo(10); // as it was at the save
        }
    }

    @Test
    void wrongDatasetKindIs142WithAMessageThatSaysSo() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            s.newSession("{}");
            s.call("{\"KV_SET\":{\"keys\":{\"a\":1}}}");
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"sessions\"}}").get("st").asInt()).isEqualTo(121);
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"keys\"}}").get("st").asInt()).isEqualTo(121);
            String r = s.raw("{\"KV_LOAD\":{\"name\":\"sessions\"}}");
            assertError(r, "KV_LOAD_RSP", 142);
            assertThat(r).contains("holds sessions").contains("SH_LOAD");
            r = s.raw("{\"SH_LOAD\":{\"name\":\"keys\"}}");
            assertError(r, "SH_LOAD_RSP", 142);
            assertThat(r).contains("holds keys").contains("KV_LOAD");
        }
    }

    @Test
    void missingDatasetIs142() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            String r = s.raw("{\"SH_LOAD\":{\"name\":\"nope\"}}");
            assertError(r, "SH_LOAD_RSP", 142);
            assertThat(r).contains("nope").contains("does not exist");
            assertError(s.raw("{\"KV_LOAD\":{\"name\":\"nope\"}}"), "KV_LOAD_RSP", 142);
        }
    }

    @Test
    void damagedFilesAreRefusedWith142AndNothingIsLoaded() throws IOException {
        try (PersistFixture s = PersistFixture.start(dir)) {
            for (int i = 0; i < 50; i++) {
                String t = s.newSession("{}");
                s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"i\":" + i + ",\"pad\":\"" + "x".repeat(100) + "\"}}}");
            }
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"d\"}}").get("st").asInt()).isEqualTo(121);
            s.call("{\"SH_END_ALL\":{}}");
            Path file = newestSave(dir.resolve("d"));
            byte[] good = Files.readAllBytes(file);

            byte[] flipped = good.clone();
            flipped[good.length / 2] ^= 0x10;
            Files.write(file, flipped);
            String r = s.raw("{\"SH_LOAD\":{\"name\":\"d\"}}");
            assertError(r, "SH_LOAD_RSP", 142);
            assertThat(r).contains("checksum mismatch");

            Files.write(file, java.util.Arrays.copyOf(good, good.length - 7));
            r = s.raw("{\"SH_LOAD\":{\"name\":\"d\"}}");
            assertError(r, "SH_LOAD_RSP", 142);
            assertThat(r).contains("truncated");

            Files.write(file, java.util.Arrays.copyOf(good, good.length / 3));
            r = s.raw("{\"SH_LOAD\":{\"name\":\"d\"}}");
            assertError(r, "SH_LOAD_RSP", 142);
            assertThat(r).contains("truncated");
            assertThat(s.call("{\"SH_INFO_ALL\":{}}").get("totalSessions").asLong()).isZero(); // never half-loaded

            Files.write(file, good);
            assertThat(s.call("{\"SH_LOAD\":{\"name\":\"d\"}}").get("sessions").asLong()).isEqualTo(50);
        }
    }

    @Test
    void tokenFormatMismatchIs142() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            s.newSession("{}");
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"strings\"}}").get("st").asInt()).isEqualTo(121);
        }
        var uint64 = PersistFixture.config(Map.of("--persist-path", dir.toString(), "--token-format", "uint64"));
        try (PersistFixture s = PersistFixture.start(uint64, dev.satchel.engine.Clock.system())) {
            String r = s.raw("{\"SH_LOAD\":{\"name\":\"strings\"}}");
            assertError(r, "SH_LOAD_RSP", 142);
            assertThat(r).contains("string tokens").contains("uint64");
            String t = s.newSession("{\"expiry\":{\"duration\":10}}");
            s.call("{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"k\":18446744073709551615}}}");
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"numbers\"}}").get("st").asInt()).isEqualTo(121);
            s.call("{\"SH_END_ALL\":{}}");
            assertThat(s.call("{\"SH_LOAD\":{\"name\":\"numbers\"}}").get("sessions").asLong()).isEqualTo(1);
            assertThat(s.raw("{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"k\"]}}"))
                    .isEqualTo("{\"SH_GET_RSP\":{\"st\":1,\"keys\":{\"k\":18446744073709551615}}}");
        }
    }

    @Test
    void theNewestCompleteSaveWinsAndOnlyTwoAreKept() throws IOException {
        try (PersistFixture s = PersistFixture.start(dir)) {
            for (int i = 1; i <= 4; i++) {
                s.call("{\"KV_SET\":{\"keys\":{\"version\":" + i + "}}}");
                assertThat(s.call("{\"KV_SAVE\":{\"name\":\"v\"}}").get("st").asInt()).isEqualTo(121);
            }
            try (Stream<Path> files = Files.list(dir.resolve("v"))) {
                assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("save-0000000000000000003.sat", "save-0000000000000000004.sat");
            }
            // a leftover of an interrupted save is never read, even when it is numbered higher
            Files.write(dir.resolve("v").resolve("save-0000000000000000009.sat.part"), new byte[] {1, 2, 3});
            s.call("{\"KV_CLEAR\":{}}");
            s.call("{\"KV_LOAD\":{\"name\":\"v\"}}");
            assertThat(s.call("{\"KV_GET\":{\"keys\":[\"version\"]}}").get("keys").get("version").asInt()).isEqualTo(4);
            // the next save removes it and numbers itself after it
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"v\"}}").get("st").asInt()).isEqualTo(121);
            try (Stream<Path> files = Files.list(dir.resolve("v"))) {
                assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                        .containsExactly("save-0000000000000000004.sat", "save-0000000000000000010.sat");
            }
        }
    }

    @Test
    void saveIntoAnUnwritableDirectoryIs122() throws IOException {
        try (PersistFixture s = PersistFixture.start(dir)) {
            Files.write(dir.resolve("blocked"), new byte[] {1}); // a file where the dataset directory would go
            String r = s.raw("{\"SH_SAVE\":{\"name\":\"blocked\"}}");
            assertError(r, "SH_SAVE_RSP", 122);
            assertThat(r).contains("blocked");
            assertError(s.raw("{\"KV_SAVE\":{\"name\":\"blocked\"}}"), "KV_SAVE_RSP", 122);
            // the server is fine afterwards
            assertThat(s.call("{\"SH_SAVE\":{\"name\":\"fine\"}}").get("st").asInt()).isEqualTo(121);
        }
    }

    @Test
    void disabledPersistenceRefusesSavesButStillLoads() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            s.call("{\"KV_SET\":{\"keys\":{\"a\":1}}}");
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"ro\"}}").get("st").asInt()).isEqualTo(121);
        }
        // --persist-path would enable saving: the path comes from the environment here
        var disabled = dev.satchel.config.ConfigLoader.load(null,
                Map.of("SATCHEL_PERSIST_PATH", dir.toString(), "SATCHEL_PERSIST_ENABLED", "false"),
                Map.of("--bind", "127.0.0.1", "--port", "0"));
        assertThat(disabled.persistEnabled()).isFalse();
        try (PersistFixture s = PersistFixture.start(disabled, dev.satchel.engine.Clock.system())) {
            assertThat(s.call("{\"SV_INFO\":{}}").get("persistEnabled").asBoolean()).isFalse();
            assertError(s.raw("{\"SH_SAVE\":{\"name\":\"x\"}}"), "SH_SAVE_RSP", 14);
            assertError(s.raw("{\"KV_SAVE\":{\"name\":\"x\"}}"), "KV_SAVE_RSP", 14);
            assertError(s.raw("{\"SH_SAVE\":{}}"), "SH_SAVE_RSP", 14);
            assertThat(s.call("{\"KV_LOAD\":{\"name\":\"ro\"}}").get("st").asInt()).isEqualTo(141);
            assertThat(s.call("{\"KV_GET\":{\"keys\":[\"a\"]}}").get("keys").get("a").asInt()).isEqualTo(1);
        }
    }

    @Test
    void parametersAreValidated() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            assertThat(s.call("{\"SV_INFO\":{}}").get("persistEnabled").asBoolean()).isTrue();
            for (String cmd : List.of("SH_SAVE", "SH_LOAD", "KV_SAVE", "KV_LOAD")) {
                String rsp = cmd + "_RSP";
                assertError(s.raw("{\"" + cmd + "\":{}}"), rsp, 26);
                assertError(s.raw("{\"" + cmd + "\":{\"name\":7}}"), rsp, 41);
                assertError(s.raw("{\"" + cmd + "\":{\"name\":null}}"), rsp, 41);
                for (String bad : List.of("\"\"", "\".\"", "\"..\"", "\"a/b\"", "\"../x\"", "\"/abs\"", "\"a\\\\b\"",
                        "\"a\\u0000b\"", "\"tab\\there\"", "\"del\\u007f\"", "\"\\ud800\"",
                        "\"" + "n".repeat(129) + "\"", "\"" + "\u00e9".repeat(65) + "\"")) {
                    assertError(s.raw("{\"" + cmd + "\":{\"name\":" + bad + "}}"), rsp, 42);
                }
            }
            assertError(s.raw("{\"SH_SAVE\":{\"name\":\"x\",\"tkns\":\"abc\"}}"), "SH_SAVE_RSP", 41);
            assertError(s.raw("{\"SH_SAVE\":{\"name\":\"x\",\"tkns\":[]}}"), "SH_SAVE_RSP", 42);
            assertError(s.raw("{\"SH_SAVE\":{\"name\":\"x\",\"tkns\":[\"not-a-token\"]}}"), "SH_SAVE_RSP", 101);
            assertError(s.raw("{\"SH_SAVE\":{\"name\":\"x\",\"tkns\":[true]}}"), "SH_SAVE_RSP", 101);
            // nothing was written for any of them (the shared-session secret file aside, written at start)
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(f -> f.getFileName().toString())).containsExactly(SharedSecret.FILE_NAME);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            // the longest name, dots inside, spaces and non-ASCII letters are fine
            for (String good : List.of("n".repeat(128), "\u00e9".repeat(64), "v1.2 final", ".hidden", "a..b")) {
                JsonNode r = s.call("{\"KV_SAVE\":{\"name\":\"" + good + "\"}}");
                assertThat(r.get("st").asInt()).as("%s: %s", good, r).isEqualTo(121);
                assertThat(Files.isDirectory(dir.resolve(good))).isTrue();
            }
        }
    }

    @Test
    void aSecondSaveOfTheSameDatasetWhileOneRunsIs123() {
        try (PersistFixture s = PersistFixture.start(dir)) {
            List<String> batch = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                batch.add("{\"KV_SET\":{\"keys\":{\"k" + i + "\":\"" + "v".repeat(200) + "\"}}}");
            }
            s.client.sendRawBatch(batch).forEach(CompletableFuture::join);
            List<CompletableFuture<String>> r = s.client.sendRawBatch(List.of(
                    "{\"KV_SAVE\":{\"name\":\"busy\"}}", "{\"KV_SAVE\":{\"name\":\"busy\"}}",
                    "{\"KV_SAVE\":{\"name\":\"other\"}}"));
            assertThat(PersistFixture.body(r.get(0).join()).get("st").asInt()).isEqualTo(121);
            String second = r.get(1).join();
            assertError(second, "KV_SAVE_RSP", 123);
            assertThat(second).contains("in progress");
            assertThat(PersistFixture.body(r.get(2).join()).get("st").asInt()).isEqualTo(121);
            assertThat(s.call("{\"KV_SAVE\":{\"name\":\"busy\"}}").get("st").asInt()).isEqualTo(121);
        }
    }

    static Path newestSave(Path datasetDir) throws IOException {
        try (Stream<Path> files = Files.list(datasetDir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sat")).max(Path::compareTo).orElseThrow();
        }
    }
}
