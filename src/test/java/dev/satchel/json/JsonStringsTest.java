package dev.satchel.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Canonical key form, decoding and compaction of values. */
class JsonStringsTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The canonical form of the JSON string content {@code content} (without quotes), as text. */
    private static String canon(String content) {
        byte[] d = b(content);
        return new String(JsonStrings.canonical(d, 0, d.length, content.indexOf('\\') >= 0), StandardCharsets.UTF_8);
    }

    @Test
    void canonicalEscapeForms() {
        String[][] cases = {
            {"abc", "abc"},
            {"", ""},
            {"\\u0061", "a"},
            {"\\/", "/"},
            {"\\u002f", "/"},
            {"\\\"", "\\\""},
            {"\\u0022", "\\\""},
            {"\\\\", "\\\\"},
            {"\\u005C", "\\\\"},
            {"\\b\\f\\n\\r\\t", "\\b\\f\\n\\r\\t"},
            {"\\u0008\\u000C\\u000a\\u000D\\u0009", "\\b\\f\\n\\r\\t"},
            {"\\u0000", "\\u0000"},
            {"\\u001F", "\\u001f"},
            {"\\u007f", "\u007f"},
            {"\\u00e9", "\u00e9"},
            {"\\u00E9", "\u00e9"},
            {"\\u4e2d", "\u4e2d"},
            {"\\uD83D\\uDE00", "\uD83D\uDE00"},
            {"\\ud83d\\ude00", "\uD83D\uDE00"},
            {"\\uD83D", "\\ud83d"},
            {"\\uDE00", "\\ude00"},
            {"\\uDE00\\uD83D", "\\ude00\\ud83d"},
            {"\\uD83D\\uD83D\\uDE00", "\\ud83d\uD83D\uDE00"},
            {"\\uD83Dx", "\\ud83dx"},
            {"\\uD83D\\u0041", "\\ud83dA"},
            {"\\uD83D\\\\uDE00", "\\ud83d\\\\uDE00"},
            {"a\\u0062c\\/d\u00e9", "abc/d\u00e9"},
        };
        for (String[] c : cases) {
            assertThat(canon(c[0])).as(c[0]).isEqualTo(c[1]);
        }
    }

    @Test
    void canonicalOfJavaStringMatchesEveryJsonSpelling() {
        Random rnd = new Random(5);
        int[] pool = {'a', 'Z', '0', ' ', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0, 1, 0x1f, 0x7f, 0x80, 0xe9,
            0x4e2d, 0xFFFF, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0x2028};
        for (int i = 0; i < 5_000; i++) {
            StringBuilder s = new StringBuilder();
            int n = rnd.nextInt(12);
            for (int k = 0; k < n; k++) {
                if (rnd.nextInt(6) == 0) {
                    s.appendCodePoint(0x10000 + rnd.nextInt(0x10FFFF - 0x10000));
                } else {
                    s.append((char) pool[rnd.nextInt(pool.length)]);
                }
            }
            String str = s.toString();
            byte[] expected = JsonStrings.canonical(str);
            // spelling 1: every UTF-16 unit as a \\u escape, in random letter case
            StringBuilder esc = new StringBuilder();
            for (int k = 0; k < str.length(); k++) {
                String hex = String.format("%04x", (int) str.charAt(k));
                esc.append("\\u").append(rnd.nextBoolean() ? hex : hex.toUpperCase());
            }
            byte[] e1 = b(esc.toString());
            assertThat(JsonStrings.canonical(e1, 0, e1.length, e1.length > 0)).as(esc.toString()).isEqualTo(expected);
            // spelling 2: the canonical bytes themselves are a valid spelling and canonical again
            assertThat(JsonStrings.canonical(expected, 0, expected.length, JsonStrings.indexOf(expected, 0,
                    expected.length, (byte) '\\') >= 0)).isEqualTo(expected);
            // and decoding gives the string back
            assertThat(JsonStrings.decodeCanonical(expected)).isEqualTo(str);
            assertThat(JsonStrings.decode(e1, 0, e1.length, e1.length > 0)).isEqualTo(str);
        }
    }

    @Test
    void canonicalWithinALargerBuffer() {
        byte[] d = b("xx\\u0041\\nyy");
        assertThat(new String(JsonStrings.canonical(d, 2, 10, true), StandardCharsets.UTF_8)).isEqualTo("A\\n");
        assertThat(new String(JsonStrings.canonical(d, 0, 2, false), StandardCharsets.UTF_8)).isEqualTo("xx");
    }

    @Test
    void decodeEscapes() {
        byte[] d = b("q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 \u4e2d");
        assertThat(JsonStrings.decode(d, 0, d.length, true))
                .isEqualTo("q\"b\\s/\b\f\n\r\t\u00e9\uD83D\uDE00 \u4e2d");
        byte[] raw = b("plain \u00e9");
        assertThat(JsonStrings.decode(raw, 0, raw.length, false)).isEqualTo("plain \u00e9");
    }

    private static String compact(String value) {
        byte[] d = b("  " + value + "  ");
        return new String(JsonStrings.compact(d, 2, d.length - 2), StandardCharsets.UTF_8);
    }

    @Test
    void compactRemovesWhitespaceBetweenTokensOnly() {
        assertThat(compact("{ \"a b\" : [ 1 , \" x\\\" y \" ] }")).isEqualTo("{\"a b\":[1,\" x\\\" y \"]}");
        assertThat(compact("[ \"\\\\\" , \"\\\\\\\" ]\" , 1 ]")).isEqualTo("[\"\\\\\",\"\\\\\\\" ]\",1]");
        assertThat(compact("{\n\t\"k\"\r\n:\n{ } ,\"e\" : [ ] }")).isEqualTo("{\"k\":{},\"e\":[]}");
        assertThat(compact("[ true , false , null , -1.5e+3 ]")).isEqualTo("[true,false,null,-1.5e+3]");
        assertThat(compact("[\"\u00e9 \uD83D\uDE00 \t\"]".replace("\t", "\\t"))).isEqualTo("[\"\u00e9 \uD83D\uDE00 \\t\"]");
        assertThat(compact("{\"a\":\"}\",\"b\":\"]\",\"c\":\"\\\"\"}")).isEqualTo("{\"a\":\"}\",\"b\":\"]\",\"c\":\"\\\"\"}");
        // scalars are copied as they are
        assertThat(compact("\"  spaced  \"")).isEqualTo("\"  spaced  \"");
        assertThat(compact("1.0e+30")).isEqualTo("1.0e+30");
        assertThat(compact("123456789012345678901234567890")).isEqualTo("123456789012345678901234567890");
        assertThat(compact("null")).isEqualTo("null");
    }

    @Test
    void compactIntoWritesAtOffset() {
        byte[] src = b("[ 1 , 2 ]");
        byte[] dst = new byte[20];
        int n = JsonStrings.compactInto(src, 0, src.length, dst, 5);
        assertThat(n).isEqualTo(5);
        assertThat(new String(dst, 5, n, StandardCharsets.US_ASCII)).isEqualTo("[1,2]");
    }
}
