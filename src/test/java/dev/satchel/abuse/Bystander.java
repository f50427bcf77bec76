package dev.satchel.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testing.RawWebSocket;
import java.io.IOException;

/**
 * A well-behaved second client: its own connection, a session with known data and a global key. After
 * anything a hostile client did, {@link #assertIntact()} checks that it is still answered and that its data
 * is exactly as it left it.
 */
final class Bystander implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final String DATA = "{\"user\":\"bob\",\"cart\":[{\"sku\":17,\"n\":2}],\"note\":\"caf\\u00e9 \\\"q\\\"\"}";

    private final RawWebSocket ws;
    private final String token;
    private final String globalKey;

    Bystander(int port) throws IOException {
        this.ws = RawWebSocket.open(port);
        JsonNode rsp = parse(ws.call("{\"SH_NEW\":{\"name\":\"bystander\"}}")).get("SH_NEW_RSP");
        assertThat(rsp.get("st").asInt()).as("bystander SH_NEW: %s", rsp).isEqualTo(1);
        this.token = rsp.get("tkn").toString();
        assertThat(ws.call("{\"SH_SET\":{\"tkn\":" + token + ",\"keys\":" + DATA + "}}"))
                .isEqualTo("{\"SH_SET_RSP\":{\"st\":1}}");
        this.globalKey = "bystander-" + Math.abs(token.hashCode());
        assertThat(ws.call("{\"KV_SET\":{\"keys\":{\"" + globalKey + "\":[1,2,3]}}}"))
                .isEqualTo("{\"KV_SET_RSP\":{\"st\":1}}");
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** Its connection still answers, and its session and global key hold exactly what it stored. */
    void assertIntact() throws IOException {
        assertThat(parse(ws.call("{\"SH_GET\":{\"tkn\":" + token + ",\"keys\":[\"user\",\"cart\",\"note\"]}}")))
                .as("bystander's session data")
                .isEqualTo(parse("{\"SH_GET_RSP\":{\"st\":1,\"keys\":" + DATA + "}}"));
        JsonNode info = parse(ws.call("{\"SH_INFO\":{\"tkn\":" + token + "}}")).get("SH_INFO_RSP");
        assertThat(info.get("keyCnt").asInt()).as("bystander's key count: %s", info).isEqualTo(3);
        assertThat(ws.call("{\"KV_GET\":{\"keys\":[\"" + globalKey + "\"]}}"))
                .isEqualTo("{\"KV_GET_RSP\":{\"st\":1,\"keys\":{\"" + globalKey + "\":[1,2,3]}}}");
    }

    @Override
    public void close() throws IOException {
        ws.close();
    }
}
