package dev.satchel.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Token text forms: 22-character base64url and unsigned 64-bit decimal. */
class TokenFormatTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String write(long hi, long lo) {
        byte[] out = new byte[TokenFormat.STRING_LENGTH];
        TokenFormat.writeBase64(hi, lo, out, 0);
        return new String(out, StandardCharsets.US_ASCII);
    }

    private static String jdkBase64(long hi, long lo) {
        byte[] bytes = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Test
    void base64RoundTripMatchesTheJdkEncoder() {
        Random rnd = new Random(1234);
        long[][] edges = {{0, 0}, {-1, -1}, {0, 1}, {1, 0}, {Long.MIN_VALUE, 0}, {0, Long.MIN_VALUE},
            {0x0F, 0xF000000000000000L}, {0x123456789ABCDEFL, 0xFEDCBA9876543210L}};
        for (int i = 0; i < 20_000 + edges.length; i++) {
            long hi = i < edges.length ? edges[i][0] : rnd.nextLong();
            long lo = i < edges.length ? edges[i][1] : rnd.nextLong();
            String text = write(hi, lo);
            assertThat(text).isEqualTo(jdkBase64(hi, lo));
            byte[] framed = b("xx" + text + "yy");
            long[] out = new long[2];
            assertThat(TokenFormat.parseBase64(framed, 2, 2 + TokenFormat.STRING_LENGTH, out)).isTrue();
            assertThat(out).containsExactly(hi, lo);
        }
    }

    @Test
    void writeAtOffset() {
        byte[] out = new byte[30];
        TokenFormat.writeBase64(-1, -1, out, 4);
        assertThat(new String(out, 4, 22, StandardCharsets.US_ASCII)).isEqualTo("_____________________w");
        assertThat(out[3]).isZero();
        assertThat(out[26]).isZero();
    }

    @Test
    void base64Rejects() {
        long[] out = {7, 7};
        String good = write(0x0123456789ABCDEFL, 0x0FEDCBA987654321L);
        long[] check = new long[2];
        assertThat(TokenFormat.parseBase64(b(good), 0, 22, check)).isTrue();
        String[] bad = {
            "", good.substring(1), good + "A", good.substring(0, 21) + "B", good.substring(0, 21) + "P",
            good.substring(0, 21) + "_", "+" + good.substring(1), "/" + good.substring(1), "=" + good.substring(1),
            " " + good.substring(1), good.substring(0, 21) + "=", "AAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAA.",
        };
        for (String s : bad) {
            assertThat(TokenFormat.parseBase64(b(s), 0, s.length(), out)).as(s).isFalse();
        }
        byte[] high = b(good);
        high[5] = (byte) 0xC3;
        assertThat(TokenFormat.parseBase64(high, 0, 22, out)).isFalse();
        high[5] = (byte) 0x80;
        assertThat(TokenFormat.parseBase64(high, 0, 22, out)).isFalse();
        assertThat(out).containsExactly(7, 7); // untouched on failure
        // the four canonical last characters
        for (char last : new char[] {'A', 'Q', 'g', 'w'}) {
            String s = "AAAAAAAAAAAAAAAAAAAAA" + last;
            assertThat(TokenFormat.parseBase64(b(s), 0, 22, out)).as(s).isTrue();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "1, 1",
        "12345, 12345",
        "9223372036854775807, 9223372036854775807",
        "9223372036854775808, -9223372036854775808",
        "18446744073709551610, -6",
        "18446744073709551615, -1",
        "1844674407370955161, 1844674407370955161",
        "1844674407370955169, 1844674407370955169",
        "00000000000000000001, 1",
        "0001, 1",
        "09, 9",
    })
    void parseUnsignedAccepts(String text, long expected) {
        assertThat(TokenFormat.parseUnsigned(b(text), 0, text.length())).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "00", "00000000000000000000", "", "18446744073709551616", "18446744073709551619",
        "18446744073709551620", "18446744073709551700", "19000000000000000000", "99999999999999999999",
        "100000000000000000000", "000000000000000000001", "018446744073709551615", "-1", "+1", "1a", "a1", " 1", "1 ",
        "1.0", "1e3", "0x1"})
    void parseUnsignedRejects(String text) {
        assertThat(TokenFormat.parseUnsigned(b(text), 0, text.length())).isZero();
    }

    @Test
    void parseUnsignedRoundTripsRandomValues() {
        Random rnd = new Random(77);
        for (int i = 0; i < 20_000; i++) {
            long v = rnd.nextLong();
            if (v == 0) {
                continue;
            }
            String s = Long.toUnsignedString(v);
            byte[] framed = b("[" + s + "]");
            assertThat(TokenFormat.parseUnsigned(framed, 1, 1 + s.length())).isEqualTo(v);
        }
    }

    @Test
    void configNames() {
        assertThat(TokenFormat.STRING.configName()).isEqualTo("string");
        assertThat(TokenFormat.UINT64.configName()).isEqualTo("uint64");
        assertThat(TokenFormat.fromConfigName("string")).isEqualTo(TokenFormat.STRING);
        assertThat(TokenFormat.fromConfigName("uint64")).isEqualTo(TokenFormat.UINT64);
        assertThatThrownBy(() -> TokenFormat.fromConfigName("UINT64")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenFormat.fromConfigName("")).isInstanceOf(IllegalArgumentException.class);
    }
}
