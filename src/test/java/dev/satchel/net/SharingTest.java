package dev.satchel.net;

import static dev.satchel.net.Wire.call;
import static dev.satchel.net.Wire.error;
import static dev.satchel.net.Wire.errorExactly;
import static dev.satchel.net.Wire.ok;
import static dev.satchel.net.Wire.okExactly;
import static dev.satchel.net.Wire.parse;
import static dev.satchel.net.Wire.quote;
import static dev.satchel.net.Wire.token;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.Token;
import dev.satchel.json.TokenFormat;
import dev.satchel.testing.TestServer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Sections 1 and 4: data is global to the server (sessions survive disconnects and are shared by token), and
 * shared sessions are found by name, with tokens derived from the name by HMAC-SHA-256 under the configured
 * secret, the same on every server with that secret.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(NoThreadLeaks.class)
class SharingTest {
    private TestServer server;
    private TestServer sameSecret;
    private TestServer otherSecret;
    private TestServer uint64Server;

    @BeforeAll
    void start() {
        server = TestServer.start(TestServer.config(Map.of("--shared-secret", "x")));
        sameSecret = TestServer.start(TestServer.config(Map.of("--shared-secret", "x")));
        otherSecret = TestServer.start(TestServer.config(Map.of("--shared-secret", "y")));
        uint64Server = TestServer.start(
                TestServer.config(Map.of("--shared-secret", "x", "--token-format", "uint64")));
    }

    @AfterAll
    void stop() {
        for (TestServer f : new TestServer[] {server, sameSecret, otherSecret, uint64Server}) {
            if (f != null) {
                f.close();
            }
        }
    }

    private static byte[] hmac(String secret, String name) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return mac.doFinal(name.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void twoClientsShareASessionByTokenAndDataOutlivesTheWriter() {
        SatchelClient a = server.connect();
        SatchelClient b = server.connect();
        Token t = Wire.newSession(a);
        ok(call(a, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"cart\":[1,2,3]}}}"), "SH_SET_RSP");
        okExactly(call(b, "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"cart\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"cart\":[1,2,3]}}");
        ok(call(b, "{\"SH_ADD\":{\"tkn\":" + t + ",\"keys\":{\"by\":\"b\"}}}"), "SH_ADD_RSP");
        a.close();
        assertThat(a.isOpen()).isFalse();
        SatchelClient later = server.connect();
        okExactly(call(later, "{\"SH_GET\":{\"tkn\":" + t + ",\"keys\":[\"cart\",\"by\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"cart\":[1,2,3],\"by\":\"b\"}}");
        okExactly(call(later, "{\"SH_EXISTS\":{\"tkns\":[" + t + "]}}"), "SH_EXISTS_RSP",
                "{\"st\":1,\"exist\":[" + t + "]}");
    }

    @Test
    void sharedSessionIsOpenedByNameFromAnotherClient() {
        SatchelClient a = server.connect();
        SatchelClient b = server.connect();
        JsonNode created = ok(call(a, "{\"SH_NEW\":{\"name\":\"team-board\",\"shared\":true}}"), "SH_NEW_RSP");
        Token t = Token.of(created.get("tkn"));
        assertThat(created.get("name").asText()).isEqualTo("team-board");
        ok(call(a, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"note\":\"from a\"}}}"), "SH_SET_RSP");

        JsonNode opened = ok(call(b, "{\"SH_OPEN\":{\"name\":\"team-board\"}}"), "SH_OPEN_RSP");
        assertThat(opened).isEqualTo(parse("{\"st\":1,\"tkn\":" + t + ",\"name\":\"team-board\"}"));
        okExactly(call(b, "{\"SH_GET\":{\"tkn\":" + opened.get("tkn") + ",\"keys\":[\"note\"]}}"), "SH_GET_RSP",
                "{\"st\":1,\"keys\":{\"note\":\"from a\"}}");
        JsonNode info = ok(call(b, "{\"SH_INFO\":{\"tkn\":" + t + "}}"), "SH_INFO_RSP");
        assertThat(info.get("shared").asBoolean()).isTrue();
        assertThat(info.get("name").asText()).isEqualTo("team-board");
    }

    @Test
    void sharedNamesAreComparedAfterUnescaping() {
        SatchelClient a = server.connect();
        Token t = token(call(a, "{\"SH_NEW\":{\"name\":\"caf\u00e9 \\\"x\\\"\",\"shared\":true}}"), "SH_NEW_RSP");
        JsonNode opened = ok(call(a, "{\"SH_OPEN\":{\"name\":\"caf\\u00e9 \\u0022x\\\"\"}}"), "SH_OPEN_RSP");
        assertThat(opened.get("tkn")).isEqualTo(t.toJson());
        assertThat(opened.get("name").asText()).isEqualTo("caf\u00e9 \"x\"");
        error(call(a, "{\"SH_NEW\":{\"name\":\"caf\\u00E9 \\\"x\\u0022\",\"shared\":true}}"), "SH_NEW_RSP", 103);
        // names are case-sensitive and exact: no trimming or folding
        error(call(a, "{\"SH_OPEN\":{\"name\":\"CAF\u00c9 \\\"x\\\"\"}}"), "SH_OPEN_RSP", 102);
        error(call(a, "{\"SH_OPEN\":{\"name\":\"caf\u00e9 \\\"x\\\" \"}}"), "SH_OPEN_RSP", 102);
    }

    @Test
    void openingANonSharedSessionsNameIs102() {
        SatchelClient a = server.connect();
        Token t = token(call(a, "{\"SH_NEW\":{\"name\":\"private-label\"}}"), "SH_NEW_RSP");
        errorExactly(call(a, "{\"SH_OPEN\":{\"name\":\"private-label\"}}"), "SH_OPEN_RSP", 102, "{\"st\":102}");
        // a non-shared name is only a label: not unique
        Token t2 = token(call(a, "{\"SH_NEW\":{\"name\":\"private-label\",\"shared\":false}}"), "SH_NEW_RSP");
        assertThat(t2).isNotEqualTo(t);
        errorExactly(call(a, "{\"SH_OPEN\":{\"name\":\"private-label\"}}"), "SH_OPEN_RSP", 102, "{\"st\":102}");
        errorExactly(call(a, "{\"SH_OPEN\":{\"name\":\"never-created\"}}"), "SH_OPEN_RSP", 102, "{\"st\":102}");
    }

    @Test
    void sharedNameInUseIs103AndFreeAgainAfterTheSessionEnds() {
        SatchelClient a = server.connect();
        String create = "{\"SH_NEW\":{\"name\":\"reused\",\"shared\":true}}";
        Token t = token(call(a, create), "SH_NEW_RSP");
        error(call(a, create), "SH_NEW_RSP", 103);
        // 103 is also answered when the second request has other settings
        error(call(a, "{\"SH_NEW\":{\"name\":\"reused\",\"shared\":true,\"expiry\":{\"duration\":5}}}"),
                "SH_NEW_RSP", 103);
        // the non-shared label space is separate
        ok(call(a, "{\"SH_NEW\":{\"name\":\"reused\"}}"), "SH_NEW_RSP");
        ok(call(a, "{\"SH_SET\":{\"tkn\":" + t + ",\"keys\":{\"old\":1}}}"), "SH_SET_RSP");
        ok(call(a, "{\"SH_END\":{\"tkn\":" + t + "}}"), "SH_END_RSP");
        errorExactly(call(a, "{\"SH_OPEN\":{\"name\":\"reused\"}}"), "SH_OPEN_RSP", 102, "{\"st\":102}");
        // the name can be used again and gives the same token, with none of the old data
        Token again = token(call(a, create), "SH_NEW_RSP");
        assertThat(again).isEqualTo(t);
        okExactly(call(a, "{\"SH_COUNT\":{\"tkn\":" + t + "}}"), "SH_COUNT_RSP", "{\"st\":1,\"cnt\":0}");
    }

    @Test
    void sharedTokenIsTheSameOnServersWithTheSameSecretAndDiffersOtherwise() {
        String request = "{\"SH_NEW\":{\"name\":\"across servers\",\"shared\":true}}";
        Token one = token(call(server.connect(), request), "SH_NEW_RSP");
        Token two = token(call(sameSecret.connect(), request), "SH_NEW_RSP");
        Token other = token(call(otherSecret.connect(), request), "SH_NEW_RSP");
        assertThat(two).isEqualTo(one);
        assertThat(other).isNotEqualTo(one);
        // and different names give different tokens
        Token differentName = token(call(server.connect(), "{\"SH_NEW\":{\"name\":\"across servers!\",\"shared\":true}}"),
                "SH_NEW_RSP");
        assertThat(differentName).isNotEqualTo(one);
    }

    @Test
    void stringSharedTokenIsTheFirst16BytesOfTheHmacInBase64url() throws Exception {
        String name = "h\u00e9llo \u2603";
        Token t = token(call(server.connect(), "{\"SH_NEW\":{\"name\":" + quote(name) + ",\"shared\":true}}"),
                "SH_NEW_RSP");
        String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(hmac("x", name), 16));
        assertThat(t.toJson().isTextual()).isTrue();
        assertThat(t.text()).isEqualTo(expected);
        Token y = token(call(otherSecret.connect(), "{\"SH_NEW\":{\"name\":" + quote(name) + ",\"shared\":true}}"),
                "SH_NEW_RSP");
        assertThat(y.text())
                .isEqualTo(Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(hmac("y", name), 16)));
    }

    @Test
    void uint64SharedTokenIsTheFirst8BytesOfTheHmacBigEndian() throws Exception {
        SatchelClient c = uint64Server.connect();
        String name = "numbers please";
        JsonNode created = ok(call(c, "{\"SH_NEW\":{\"name\":" + quote(name) + ",\"shared\":true}}"), "SH_NEW_RSP");
        BigInteger expected = new BigInteger(1, Arrays.copyOf(hmac("x", name), 8));
        assertThat(created.get("tkn").isIntegralNumber()).isTrue();
        assertThat(created.get("tkn").bigIntegerValue()).isEqualTo(expected);
        JsonNode opened = ok(call(c, "{\"SH_OPEN\":{\"name\":" + quote(name) + "}}"), "SH_OPEN_RSP");
        assertThat(opened.get("tkn")).isEqualTo(created.get("tkn"));
        assertThat(uint64Server.config().tokenFormat()).isEqualTo(TokenFormat.UINT64);
    }
}
