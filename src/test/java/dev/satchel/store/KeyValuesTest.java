package dev.satchel.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The packed insertion-ordered store, checked against a {@link LinkedHashMap} model. */
class KeyValuesTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] entry(String key, String value) {
        return Entry.of(b(key), b(value));
    }

    private static String value(KeyValues kv, String key) {
        int p = kv.find(b(key));
        return p < 0 ? null : new String(Entry.value(kv.entryAt(p)), StandardCharsets.UTF_8);
    }

    private static List<String> keys(KeyValues kv) {
        List<String> out = new ArrayList<>();
        for (int p = 0; p < kv.end(); p++) {
            byte[] e = kv.entryAt(p);
            if (e != null) {
                out.add(new String(Entry.key(e), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void emptyStore() {
        KeyValues kv = new KeyValues();
        assertThat(kv.size()).isZero();
        assertThat(kv.storedBytes()).isZero();
        assertThat(kv.find(b("a"))).isEqualTo(-1);
        assertThat(kv.contains(b(""))).isFalse();
        assertThat(kv.remove(b("a"))).isFalse();
        assertThat(kv.clear()).isZero();
        assertThat(keys(kv)).isEmpty();
    }

    @Test
    void putAddFindRemoveClear() {
        KeyValues kv = new KeyValues();
        assertThat(kv.put(entry("a", "1"))).isTrue();
        assertThat(kv.put(entry("b", "2"))).isTrue();
        assertThat(kv.put(entry("", "\"empty\""))).isTrue();
        assertThat(kv.size()).isEqualTo(3);
        assertThat(value(kv, "a")).isEqualTo("1");
        assertThat(value(kv, "")).isEqualTo("\"empty\"");
        assertThat(kv.contains(b("c"))).isFalse();

        assertThat(kv.put(entry("a", "10"))).isFalse(); // overwrite
        assertThat(value(kv, "a")).isEqualTo("10");
        assertThat(kv.add(entry("a", "99"))).isFalse(); // present: untouched
        assertThat(value(kv, "a")).isEqualTo("10");
        assertThat(kv.add(entry("c", "3"))).isTrue();
        assertThat(kv.size()).isEqualTo(4);
        assertThat(keys(kv)).containsExactly("a", "b", "", "c");

        assertThat(kv.remove(b("b"))).isTrue();
        assertThat(kv.remove(b("b"))).isFalse();
        assertThat(kv.find(b("b"))).isEqualTo(-1);
        assertThat(kv.size()).isEqualTo(3);
        assertThat(keys(kv)).containsExactly("a", "", "c");

        assertThat(kv.clear()).isEqualTo(3);
        assertThat(kv.size()).isZero();
        assertThat(kv.storedBytes()).isZero();
        assertThat(keys(kv)).isEmpty();
        assertThat(kv.find(b("a"))).isEqualTo(-1);
        assertThat(kv.put(entry("z", "0"))).isTrue();
        assertThat(keys(kv)).containsExactly("z");
    }

    @Test
    void keysThatArePrefixesOrDifferOnlyInTheLastByteAreDistinct() {
        KeyValues kv = new KeyValues();
        String[] keys = {"", "a", "ab", "abc", "abcdefgh", "abcdefghi", "abcdefgg", "abcdefghabcdefgh", "abcdefghabcdefgi",
            "\u0000", "\u0000\u0000", "\u00e9", "e\u0301"};
        for (int i = 0; i < keys.length; i++) {
            assertThat(kv.put(entry(keys[i], Integer.toString(i)))).isTrue();
        }
        for (int i = 0; i < keys.length; i++) {
            assertThat(value(kv, keys[i])).isEqualTo(Integer.toString(i));
        }
        assertThat(kv.size()).isEqualTo(keys.length);
    }

    @Test
    void removingTheLastKeyResetsTheStore() {
        KeyValues kv = new KeyValues();
        kv.put(entry("a", "1"));
        assertThat(kv.remove(b("a"))).isTrue();
        assertThat(kv.size()).isZero();
        assertThat(kv.storedBytes()).isZero();
        assertThat(kv.end()).isZero();
        kv.put(entry("b", "2"));
        assertThat(keys(kv)).containsExactly("b");
    }

    @Test
    void insertionOrderAfterManyRemovesAndReAdds() {
        KeyValues kv = new KeyValues();
        List<String> model = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            kv.put(entry("k" + i, Integer.toString(i)));
            model.add("k" + i);
        }
        // remove every even key, then re-add every fourth one: they go to the end, in re-add order
        for (int i = 0; i < 1000; i += 2) {
            assertThat(kv.remove(b("k" + i))).isTrue();
            model.remove("k" + i);
        }
        for (int i = 996; i >= 0; i -= 4) {
            assertThat(kv.add(entry("k" + i, "x"))).isTrue();
            model.add("k" + i);
        }
        assertThat(keys(kv)).containsExactlyElementsOf(model);
        // overwrite keeps positions, across further compactions
        for (int round = 0; round < 20; round++) {
            for (int i = 1; i < 1000; i += 2) {
                kv.put(entry("k" + i, "r" + round));
            }
            String first = model.remove(0);
            kv.remove(b(first));
            kv.put(entry(first, "again"));
            model.add(first);
            for (int j = 0; j < 50; j++) {
                String k = "t" + round + "-" + j;
                kv.put(entry(k, "t"));
                kv.remove(b(k));
            }
        }
        assertThat(keys(kv)).containsExactlyElementsOf(model);
        assertThat(kv.size()).isEqualTo(model.size());
        for (String k : model) {
            assertThat(kv.contains(b(k))).isTrue();
        }
    }

    @Test
    void churnAtConstantSizeDoesNotGrowWithoutBound() {
        KeyValues kv = new KeyValues();
        for (int i = 0; i < 100; i++) {
            kv.put(entry("base" + i, "1"));
        }
        for (int i = 0; i < 100_000; i++) {
            kv.put(entry("tmp" + i, "1"));
            assertThat(kv.remove(b("tmp" + i))).isTrue();
        }
        assertThat(kv.size()).isEqualTo(100);
        assertThat(kv.end()).isLessThanOrEqualTo(1024); // holes are squeezed out, not accumulated
    }

    @Test
    void growsToManyKeys() {
        KeyValues kv = new KeyValues();
        int n = 50_000;
        for (int i = 0; i < n; i++) {
            assertThat(kv.put(entry("key-" + i, Integer.toString(i)))).isTrue();
        }
        assertThat(kv.size()).isEqualTo(n);
        for (int i = 0; i < n; i++) {
            assertThat(kv.find(b("key-" + i))).isEqualTo(i);
        }
        assertThat(kv.find(b("key-" + n))).isEqualTo(-1);
    }

    @Test
    void storedBytesAccounting() {
        KeyValues kv = new KeyValues();
        byte[] a = entry("a", "1");
        byte[] a2 = entry("a", "\"a much longer value\"");
        byte[] big = Entry.of(b("k".repeat(200)), b("[1,2,3]"));
        assertThat(big.length).isEqualTo(2 + 200 + 7); // two-byte varint for a 200-byte key
        kv.put(a);
        assertThat(kv.storedBytes()).isEqualTo(a.length);
        kv.put(big);
        assertThat(kv.storedBytes()).isEqualTo(a.length + big.length);
        kv.put(a2);
        assertThat(kv.storedBytes()).isEqualTo(a2.length + big.length);
        kv.add(a); // not inserted: nothing changes
        assertThat(kv.storedBytes()).isEqualTo(a2.length + big.length);
        kv.remove(b("a"));
        assertThat(kv.storedBytes()).isEqualTo(big.length);
        kv.remove(b("nope"));
        assertThat(kv.storedBytes()).isEqualTo(big.length);
        kv.put(a);
        kv.clear();
        assertThat(kv.storedBytes()).isZero();
    }

    @Test
    void entryLayout() {
        for (int len : new int[] {0, 1, 127, 128, 300, 16_383, 16_384, 100_000}) {
            byte[] key = new byte[len];
            Arrays.fill(key, (byte) 'x');
            byte[] e = Entry.of(key, b("true"));
            assertThat(Entry.varintSize(len)).isEqualTo(len < 128 ? 1 : len < 16_384 ? 2 : 3);
            assertThat(Entry.keyLength(e)).isEqualTo(len);
            assertThat(Entry.keyOffset(e)).isEqualTo(Entry.varintSize(len));
            assertThat(Entry.valueOffset(e)).isEqualTo(Entry.varintSize(len) + len);
            assertThat(Entry.key(e)).isEqualTo(key);
            assertThat(Entry.value(e)).isEqualTo(b("true"));
        }
    }

    /** 100,000 random operations against a LinkedHashMap, with a fixed seed. */
    @Test
    void randomOperationsMatchAModel() {
        Random rnd = new Random(20240607L);
        KeyValues kv = new KeyValues();
        LinkedHashMap<String, byte[]> model = new LinkedHashMap<>();
        String[] keySpace = new String[600];
        for (int i = 0; i < keySpace.length; i++) {
            keySpace[i] = switch (i % 5) {
                case 0 -> "k" + i;
                case 1 -> "long-" + "x".repeat(120 + i % 40) + i; // 2-byte varints
                case 2 -> "\u00e9\u4e2d" + i;
                case 3 -> Integer.toString(i * 7919);
                default -> "";
            } + (i % 5 == 4 ? "e" + i : "");
        }
        for (int op = 0; op < 100_000; op++) {
            // vary the working-set size over time so the store grows, shrinks and compacts
            int phase = (op / 10_000) % 4;
            int span = phase == 0 ? 20 : phase == 1 ? 600 : phase == 2 ? 100 : 600;
            String k = keySpace[rnd.nextInt(span)];
            int kind = rnd.nextInt(10);
            if (phase == 2 && kind < 4) {
                kind = 6; // a removal-heavy phase
            }
            switch (kind) {
                case 0, 1, 2 -> {
                    byte[] e = entry(k, Integer.toString(op));
                    boolean isNew = !model.containsKey(k);
                    model.put(k, e);
                    assertThat(kv.put(e)).isEqualTo(isNew);
                }
                case 3, 4 -> {
                    byte[] e = entry(k, "[" + op + "]");
                    boolean isNew = !model.containsKey(k);
                    if (isNew) {
                        model.put(k, e);
                    }
                    assertThat(kv.add(e)).isEqualTo(isNew);
                }
                case 5 -> {
                    byte[] expected = model.get(k);
                    int p = kv.find(b(k));
                    if (expected == null) {
                        assertThat(p).isEqualTo(-1);
                    } else {
                        assertThat(p).isGreaterThanOrEqualTo(0);
                        assertThat(kv.entryAt(p)).isSameAs(expected);
                    }
                }
                case 6, 7, 8 -> assertThat(kv.remove(b(k))).isEqualTo(model.remove(k) != null);
                default -> {
                    if (rnd.nextInt(500) == 0) {
                        assertThat(kv.clear()).isEqualTo(model.size());
                        model.clear();
                    } else {
                        assertThat(kv.contains(b(k))).isEqualTo(model.containsKey(k));
                    }
                }
            }
            assertThat(kv.size()).isEqualTo(model.size());
            if (op % 97 == 0) {
                assertSameAsModel(kv, model);
            }
        }
        assertSameAsModel(kv, model);
    }

    private static void assertSameAsModel(KeyValues kv, LinkedHashMap<String, byte[]> model) {
        List<String> order = keys(kv);
        assertThat(order).containsExactlyElementsOf(model.keySet());
        long bytes = 0;
        for (Map.Entry<String, byte[]> m : model.entrySet()) {
            bytes += m.getValue().length;
            int p = kv.find(b(m.getKey()));
            assertThat(p).isGreaterThanOrEqualTo(0);
            assertThat(kv.entryAt(p)).isSameAs(m.getValue());
        }
        assertThat(kv.storedBytes()).isEqualTo(bytes);
    }

    /**
     * A stamped store (cluster mode's buckets): a key keeps the stamp it was inserted with through overwrites and
     * compactions; call {@code i} after {@code stampNext(base, order)} stamps {@code base + order[i]}; a removed and
     * re-added key takes the new stamp; clearing keeps the store stamped.
     */
    @Test
    void aStampedStoreKeepsEachKeysInsertionStampThroughOverwritesAndCompaction() {
        KeyValues kv = new KeyValues();
        kv.stamped();
        Map<String, Long> model = new LinkedHashMap<>();
        Random rnd = new Random(5);
        long base = 1000;
        for (int round = 0; round < 400; round++) {
            int n = 1 + rnd.nextInt(4);
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i * 3;
            }
            kv.stampNext(base, order);
            for (int i = 0; i < n; i++) {
                String key = "k" + rnd.nextInt(60);
                boolean overwrite = rnd.nextBoolean();
                boolean inserted = overwrite ? kv.put(entry(key, "v" + round)) : kv.add(entry(key, "v" + round));
                if (inserted) {
                    model.put(key, base + order[i]);
                }
            }
            base += 100;
            String gone = "k" + rnd.nextInt(60);
            if (kv.remove(b(gone))) {
                model.remove(gone);
            }
        }
        List<String> keys = new ArrayList<>();
        for (int p = 0; p < kv.end(); p++) {
            byte[] e = kv.entryAt(p);
            if (e != null) {
                String key = new String(Entry.key(e), StandardCharsets.UTF_8);
                keys.add(key);
                assertThat(kv.stampAt(p)).as(key).isEqualTo(model.get(key));
            }
        }
        assertThat(keys).containsExactlyElementsOf(model.keySet());
        kv.clear();
        assertThat(kv.putStamped(entry("x", "1"), 77)).isTrue();
        assertThat(kv.stampAt(kv.find(b("x")))).isEqualTo(77);
    }
}
