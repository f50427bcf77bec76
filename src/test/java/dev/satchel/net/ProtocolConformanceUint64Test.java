package dev.satchel.net;

import static dev.satchel.net.Wire.await;
import static dev.satchel.net.Wire.error;
import static dev.satchel.net.Wire.ok;
import static dev.satchel.net.Wire.okExactly;
import static dev.satchel.net.Wire.parse;
import static dev.satchel.net.Wire.token;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.Token;
import dev.satchel.json.TokenFormat;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link ProtocolConformanceTest} again with {@code uint64} tokens (NemesisDB compatibility),
 * plus the uint64 specifics of section 4: tokens are JSON numbers, may be sent as decimal strings, and are
 * echoed by SH_END as numbers but by SH_EXISTS exactly as sent.
 */
class ProtocolConformanceUint64Test extends ProtocolConformanceTest {
    private static final BigInteger MAX = new BigInteger("18446744073709551615");

    @Override
    protected TokenFormat tokenFormat() {
        return TokenFormat.UINT64;
    }

    @Override
    protected void assertTokenFormat(JsonNode tkn) {
        assertThat(tkn.isIntegralNumber()).as("uint64 tokens are JSON integers: %s", tkn).isTrue();
        BigInteger v = tkn.bigIntegerValue();
        assertThat(v).as("uint64 token range").isBetween(BigInteger.ONE, MAX);
    }

    @Override
    protected List<String> malformedTokens() {
        return List.of(
                "0", "\"0\"", "-0", "-1", "-12345", "1.5", "1.0", "1e3", "1E3", "\"1e3\"",
                "18446744073709551616", "\"18446744073709551616\"", "99999999999999999999999",
                "\"000000000000000000001\"", // 21 digits
                "\"\"", "\"12a\"", "\" 12\"", "\"12 \"", "\"+12\"", "\"-12\"", "\"0x1F\"", "\"1.5\"",
                "\"AAAAAAAAAAAAAAAAAAAAAA\"", // a string-format token
                "true", "false", "null", "[]", "{}", "[12]", "{\"t\":12}");
    }

    @Override
    protected String unknownWellFormedToken() {
        return "18446744073709551615";
    }

    @Override
    protected String alternativeSpelling(Token t) {
        return "\"" + t.text() + "\""; // a decimal string
    }

    @Test
    void tokensAreJsonNumbersAndDecimalStringsAddressTheSameSession() {
        Token t = newSession();
        assertThat(t.isNumeric()).isTrue();
        String digits = t.text();
        ok(call("{\"SH_SET\":{\"tkn\":\"" + digits + "\",\"keys\":{\"via\":\"string\"}}}"), "SH_SET_RSP");
        okExactly(call("{\"SH_GET\":{\"tkn\":" + digits + ",\"keys\":[\"via\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"via\":\"string\"}}");
        // 1 to 20 digits: leading zeros in a string are allowed up to 20 digits
        String padded = "0".repeat(20 - digits.length()) + digits;
        okExactly(call("{\"SH_COUNT\":{\"tkn\":\"" + padded + "\"}}"), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":1}");
        // SH_INFO and SH_END answer with the number form whatever the request used
        JsonNode info = ok(call("{\"SH_INFO\":{\"tkn\":\"" + digits + "\"}}"), "SH_INFO_RSP");
        assertThat(info.get("tkn")).isEqualTo(t.toJson());
        JsonNode end = ok(call("{\"SH_END\":{\"tkn\":\"" + digits + "\"}}"), "SH_END_RSP");
        assertThat(end.get("tkn").isIntegralNumber()).isTrue();
        assertThat(end.get("tkn")).isEqualTo(t.toJson());
    }

    @Test
    void shExistsEchoesEachLiveItemAsSent() {
        Token t = newSession();
        String asString = "\"" + t.text() + "\"";
        JsonNode exists = ok(call("{\"SH_EXISTS\":{\"tkns\":[" + asString + "," + t + ",\"0\"," + asString + "]}}"),
                "SH_EXISTS_RSP");
        assertThat(exists.get("exist")).isEqualTo(parse("[" + asString + "," + t + "," + asString + "]"));
        assertThat(exists.get("exist").get(0).isTextual()).isTrue();
        assertThat(exists.get("exist").get(1).isIntegralNumber()).isTrue();
    }

    @Test
    void largestTokenValueIsWellFormedAndEndEchoesItAsANumber() {
        JsonNode end = error(call("{\"SH_END\":{\"tkn\":\"18446744073709551615\"}}"), "SH_END_RSP", 100);
        assertThat(end.get("tkn").isIntegralNumber()).isTrue();
        assertThat(end.get("tkn").bigIntegerValue()).isEqualTo(MAX);
        error(call("{\"SH_INFO\":{\"tkn\":1}}"), "SH_INFO_RSP", 100);
        error(call("{\"SH_INFO\":{\"tkn\":\"00000000000000000001\"}}"), "SH_INFO_RSP", 100);
    }

    @Test
    void manyTokensAreDistinctAndInRange() {
        List<String> requests = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            requests.add("{\"SH_NEW\":{}}");
        }
        List<Token> tokens = new ArrayList<>();
        for (CompletableFuture<String> f : c.sendRawBatch(requests)) {
            Token t = token(await(f), "SH_NEW_RSP");
            assertTokenFormat(t.toJson());
            tokens.add(t);
        }
        assertThat(tokens).doesNotHaveDuplicates();
        // 200 random 64-bit values: some must need more than 53 bits (JSON numbers beyond double precision)
        assertThat(tokens).anyMatch(t -> t.toJson().bigIntegerValue().bitLength() > 53);
    }
}
