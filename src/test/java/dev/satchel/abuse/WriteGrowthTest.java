package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.DataCommands;
import dev.satchel.engine.Limits;
import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Request;
import dev.satchel.engine.Session;
import dev.satchel.json.TokenFormat;
import dev.satchel.protocol.RequestDecoder;
import dev.satchel.store.KeyValues;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Limits#grows}, which cluster mode batches writes by (a write that does not grow the data runs in a
 * batch admitted, on every copy, without asking any member's limits): on random stores and random SET, ADD and
 * CLEAR_SET, a write it says grows nothing is admitted by {@link Limits#writeProblem} under every limit and
 * however much is stored, and a write that adds keys or bytes when applied is one it says grows.
 */
class WriteGrowthTest {
    private final RequestDecoder decoder = new RequestDecoder(new CommandRegistry(DataCommands.all()),
            TokenFormat.STRING, 64);

    private Request.Entries decode(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        Request r = decoder.decode(b, b.length);
        if (r instanceof Request.Refused f) {
            throw new AssertionError(json + ": " + f.status() + " " + f.message());
        }
        return (Request.Entries) r;
    }

    /** {@code n} distinct keys of k0..k5 (the decoder refuses a repeated one) with values of 0-7 characters. */
    private static String keys(Random rnd, int n) {
        java.util.List<Integer> names = new java.util.ArrayList<>(java.util.List.of(0, 1, 2, 3, 4, 5));
        java.util.Collections.shuffle(names, rnd);
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("\"k").append(names.get(i)).append("\":\"").append("v".repeat(rnd.nextInt(8))).append('"');
        }
        return sb.append('}').toString();
    }

    @Test
    void aWriteThatGrowsNothingIsNeverRefusedAndOneThatGrowsIsSeen() {
        Random rnd = new Random(20261207L);
        Session s = OwnerExecutor.newSession(1, 2, null, false, 0, false, false, false, 0);
        String[] commands = {"KV_SET", "KV_ADD", "KV_CLEAR_SET"};
        int notGrowing = 0;
        int growing = 0;
        for (int round = 0; round < 5000; round++) {
            KeyValues kv = new KeyValues();
            int filled = rnd.nextInt(5);
            if (filled > 0) {
                Request.Entries fill = decode("{\"KV_SET\":{\"keys\":" + keys(rnd, filled) + "}}");
                for (int i = 0; i < fill.count(); i++) {
                    kv.put(fill.entry(i));
                }
            }
            int c = rnd.nextInt(3);
            Request.Entries w = decode("{\"" + commands[c] + "\":{\"keys\":" + keys(rnd, 1 + rnd.nextInt(3)) + "}}");
            boolean clearFirst = c == 2;
            boolean overwrite = c != 1;
            boolean grows = Limits.grows(kv, w, clearFirst, overwrite);
            if (!grows) {
                notGrowing++;
                for (int maxKeys = 0; maxKeys <= 8; maxKeys++) {
                    for (long maxStored : new long[] {0, 1, kv.storedBytes(), 1000}) {
                        Limits limits = new Limits(100, maxKeys, maxStored, 1 << 20);
                        for (long storedNow : new long[] {0, kv.storedBytes(), maxStored, maxStored + 500}) {
                            assertThat(limits.writeProblem(s, kv, w, clearFirst, overwrite, storedNow))
                                    .as("round %d: refused though it grows nothing", round).isNull();
                        }
                    }
                }
            } else {
                growing++;
            }
            // applied: more keys or more bytes only if it was seen to grow
            int keysBefore = kv.size();
            long bytesBefore = kv.storedBytes();
            if (clearFirst) {
                kv.clear();
            }
            for (int i = 0; i < w.count(); i++) {
                if (overwrite) {
                    kv.put(w.entry(i));
                } else {
                    kv.add(w.entry(i));
                }
            }
            if (kv.size() > keysBefore || kv.storedBytes() > bytesBefore) {
                assertThat(grows).as("round %d: grew without being seen to", round).isTrue();
            }
        }
        assertThat(notGrowing).as("cases that grow nothing").isGreaterThan(500);
        assertThat(growing).as("cases that grow").isGreaterThan(500);
    }
}
