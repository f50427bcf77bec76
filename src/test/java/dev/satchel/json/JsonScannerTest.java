package dev.satchel.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.satchel.engine.Rsp;
import dev.satchel.protocol.RequestDecoderTest;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The validating scanner on its own: whole documents, numbers, strings and the depth limit. */
class JsonScannerTest {
    private final JsonScanner sc = new JsonScanner(64);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Scans one whole document; throws on a syntax error or trailing text. */
    private void scanDocument(JsonScanner s, String doc) throws JsonSyntaxException {
        byte[] d = b(doc);
        s.reset(d, d.length);
        s.scanValue(0);
        if (!s.atEnd()) {
            throw new JsonSyntaxException("trailing");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-0", "1", "-1", "10", "1.5", "-0.0", "1e5", "1E5", "1e+5", "1e-5", "1.5e-3",
        "-0.0e+0", "123456789012345678901234567890", "1.0e+30", "\"\"", "\"a\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"\\u0000\\uFFFF\\uabcd\\uD83D\\uDE00\\ud800\"", "\"\u00e9\u4e2d\uD83D\uDE00\u007f\"", "true", "false",
        "null", "{}", "[]", " { } ", "[ ]", "{\"a\":1}", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "[1,\"2\",[3],{}]",
        "\t\r\n [ \t\r\n 1 \t\r\n , \t\r\n 2 \t\r\n ] \t\r\n", "{\"\":\"\"}", "{\"a\":1,\"a\":2}", "[[[[[[]]]]]]"})
    void validDocuments(String doc) {
        assertThatCode(() -> scanDocument(sc, doc)).as(doc).doesNotThrowAnyException();
        assertThatCode(() -> Rsp.LENIENT.readTree(b(doc))).as("Jackson agrees: %s", doc).doesNotThrowAnyException();
    }

    @Test
    void invalidDocumentsAreStatus3() {
        for (String doc : RequestDecoderTest.INVALID) {
            JsonSyntaxException e = catchThrowableOfType(JsonSyntaxException.class, () -> scanDocument(sc, doc));
            assertThat(e).as(doc).isNotNull();
            assertThat(e.status()).as(doc).isEqualTo(Status.JSON_INVALID);
            assertThat(e.getMessage()).isNotEmpty();
        }
    }

    @Test
    void numberFlags() throws JsonSyntaxException {
        Object[][] cases = {
            {"0", true, false}, {"-0", true, true}, {"12", true, false}, {"-12", true, true},
            {"1.0", false, false}, {"-1e3", false, true}, {"1E+2", false, false}, {"0.5", false, false},
        };
        for (Object[] c : cases) {
            byte[] d = b((String) c[0] + ",");
            sc.reset(d, d.length);
            sc.scanNumber();
            assertThat(sc.pos).as((String) c[0]).isEqualTo(d.length - 1);
            assertThat(sc.numberIsInteger).as((String) c[0]).isEqualTo(c[1]);
            assertThat(sc.numberIsNegative).as((String) c[0]).isEqualTo(c[2]);
        }
    }

    @Test
    void leadingZeroStopsTheNumber() throws JsonSyntaxException {
        byte[] d = b("012");
        sc.reset(d, d.length);
        sc.scanNumber();
        assertThat(sc.pos).isEqualTo(1); // "0" is the number; the "12" that follows is then a syntax error
        assertThat(sc.atEnd()).isFalse();
    }

    @Test
    void stringOffsetsAndEscapeFlag() throws JsonSyntaxException {
        byte[] d = b("  \"abc\" \"a\\nb\"");
        sc.reset(d, d.length);
        assertThat(sc.skipWhitespace()).isEqualTo('"');
        int start = sc.scanString();
        assertThat(start).isEqualTo(3);
        assertThat(sc.pos).isEqualTo(7);
        assertThat(sc.stringHasEscape).isFalse();
        sc.skipWhitespace();
        start = sc.scanString();
        assertThat(new String(d, start, sc.pos - 1 - start, StandardCharsets.UTF_8)).isEqualTo("a\\nb");
        assertThat(sc.stringHasEscape).isTrue();
        assertThat(sc.atEnd()).isTrue();
    }

    @Test
    void highBytesAreAcceptedInStrings() {
        // UTF-8 validity is the WebSocket layer's job; the scanner passes any byte >= 0x20 through
        byte[] d = {'"', (byte) 0xC3, (byte) 0xA9, (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80, 0x7F, '"'};
        sc.reset(d, d.length);
        assertThatCode(() -> sc.scanValue(0)).doesNotThrowAnyException();
        assertThat(sc.atEnd()).isTrue();
    }

    @Test
    void everyControlCharacterInAStringIsRejected() {
        for (int c = 0; c < 0x20; c++) {
            byte[] d = {'"', 'a', (byte) c, '"'};
            sc.reset(d, d.length);
            JsonSyntaxException e = catchThrowableOfType(JsonSyntaxException.class, () -> sc.scanValue(0));
            assertThat(e).as("control 0x%02x", c).isNotNull();
            assertThat(e.status()).isEqualTo(Status.JSON_INVALID);
        }
    }

    @Test
    void everyEscapeLetterIsCheckedAsRfc8259Says() {
        for (int c = 0x20; c < 0x7F; c++) {
            String doc = "\"\\" + (char) c + (c == 'u' ? "0041" : "") + "\"";
            boolean valid = "\"\\/bfnrtu".indexOf(c) >= 0;
            if (valid) {
                assertThatCode(() -> scanDocument(sc, doc)).as(doc).doesNotThrowAnyException();
            } else {
                JsonSyntaxException e = catchThrowableOfType(JsonSyntaxException.class, () -> scanDocument(sc, doc));
                assertThat(e).as(doc).isNotNull();
            }
        }
    }

    @Test
    void depthLimit() throws JsonSyntaxException {
        JsonScanner small = new JsonScanner(3);
        scanDocument(small, "[[[1]]]");
        scanDocument(small, "{\"a\":{\"b\":[]}}");
        scanDocument(small, "[{\"a\":[]},[[]],{}]");
        for (String deep : new String[] {"[[[[1]]]]", "{\"a\":{\"b\":[{}]}}", "[1,[2,[3,[4]]]]", "[[[[", "[[[{"}) {
            JsonSyntaxException e = catchThrowableOfType(JsonSyntaxException.class, () -> scanDocument(small, deep));
            assertThat(e).as(deep).isNotNull();
            assertThat(e.status()).as(deep).isEqualTo(Status.LIMIT_EXCEEDED);
            assertThat(e.getMessage()).contains("maxDepth");
        }
    }

    @Test
    void scannerIsReusableAfterErrors() throws JsonSyntaxException {
        for (int i = 0; i < 3; i++) {
            catchThrowableOfType(JsonSyntaxException.class, () -> scanDocument(sc, "[1,"));
            scanDocument(sc, "[1]");
            catchThrowableOfType(JsonSyntaxException.class, () -> scanDocument(sc, "\"abc"));
            scanDocument(sc, "\"abc\"");
        }
    }

    @Test
    void truncationAtEveryByteIsAnError() {
        String doc = "{\"a\":[1,-2.5e+3,\"x\\u00e9\\n\",true,false,null,{\"b\":{}}]}";
        assertThatCode(() -> scanDocument(sc, doc)).doesNotThrowAnyException();
        byte[] d = b(doc);
        for (int n = 0; n < d.length; n++) {
            sc.reset(d, n);
            int len = n;
            JsonSyntaxException e = catchThrowableOfType(JsonSyntaxException.class, () -> {
                sc.scanValue(0);
                if (!sc.atEnd()) {
                    throw new AssertionError("not at end");
                }
            });
            assertThat(e).as("prefix of %d bytes: %s", len, doc.substring(0, len)).isNotNull();
        }
    }
}
