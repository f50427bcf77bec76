package dev.satchel.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.spec.CommandSpec;
import dev.satchel.spec.CommandSpecs;
import dev.satchel.spec.ParamSpec;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The typed helpers build the protocol's requests and unwrap the {@code *_RSP} object, without a network. */
class SatchelCommandsTest {

    private static final Token STRING_TOKEN = Token.ofString("AAAAAAAAAAAAAAAAAAAAAA");
    private static final Token NUMBER_TOKEN = Token.ofNumber(new BigInteger("18446744073709551615"));

    /** Records requests and answers each with a canned response (default {@code {"<CMD>_RSP":{"st":1}}}). */
    private static final class RecordingCommands extends SatchelCommands {
        final List<ObjectNode> requests = new ArrayList<>();
        String cannedResponse;

        @Override
        public CompletableFuture<JsonNode> send(ObjectNode request) {
            requests.add(request);
            String command = request.fieldNames().next();
            String response = cannedResponse != null ? cannedResponse : "{\"" + command + "_RSP\":{\"st\":1}}";
            return CompletableFuture.completedFuture(Json.parseResponse(response));
        }
    }

    private static Arguments call(Function<SatchelCommands, CompletableFuture<JsonNode>> helper, String request) {
        return Arguments.of(request, helper);
    }

    static Stream<Arguments> requests() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("s", "text");
        values.put("n", 42);
        values.put("list", List.of(1, 2));
        values.put("node", Json.object().put("deep", true));
        values.put("none", null);
        String valuesJson = "{\"s\":\"text\",\"n\":42,\"list\":[1,2],\"node\":{\"deep\":true},\"none\":null}";
        String expiryJson = "{\"duration\":60,\"deleteSession\":true,\"extendOnSetAdd\":false,\"extendOnGet\":true}";
        Expiry expiry = new Expiry(60, true, false, true);
        String tkn = "\"AAAAAAAAAAAAAAAAAAAAAA\"";
        return Stream.of(
                call(c -> c.newSession(), "{\"SH_NEW\":{}}"),
                call(c -> c.newSession(expiry), "{\"SH_NEW\":{\"expiry\":" + expiryJson + "}}"),
                call(c -> c.newNamedSession("cart", null), "{\"SH_NEW\":{\"name\":\"cart\"}}"),
                call(c -> c.newSharedSession("lobby", expiry),
                        "{\"SH_NEW\":{\"name\":\"lobby\",\"shared\":true,\"expiry\":" + expiryJson + "}}"),
                call(c -> c.open("lobby"), "{\"SH_OPEN\":{\"name\":\"lobby\"}}"),
                call(c -> c.end(STRING_TOKEN), "{\"SH_END\":{\"tkn\":" + tkn + "}}"),
                call(c -> c.end(NUMBER_TOKEN), "{\"SH_END\":{\"tkn\":18446744073709551615}}"),
                call(c -> c.endAll(), "{\"SH_END_ALL\":{}}"),
                call(c -> c.exists(STRING_TOKEN, NUMBER_TOKEN),
                        "{\"SH_EXISTS\":{\"tkns\":[" + tkn + ",18446744073709551615]}}"),
                call(c -> c.info(STRING_TOKEN), "{\"SH_INFO\":{\"tkn\":" + tkn + "}}"),
                call(c -> c.infoAll(), "{\"SH_INFO_ALL\":{}}"),
                call(c -> c.shSave("snap"), "{\"SH_SAVE\":{\"name\":\"snap\"}}"),
                call(c -> c.shSave("snap", List.of(NUMBER_TOKEN)),
                        "{\"SH_SAVE\":{\"name\":\"snap\",\"tkns\":[18446744073709551615]}}"),
                call(c -> c.shLoad("snap"), "{\"SH_LOAD\":{\"name\":\"snap\"}}"),
                call(c -> c.set(STRING_TOKEN, values), "{\"SH_SET\":{\"tkn\":" + tkn + ",\"keys\":" + valuesJson + "}}"),
                call(c -> c.add(STRING_TOKEN, Map.of("k", "v")),
                        "{\"SH_ADD\":{\"tkn\":" + tkn + ",\"keys\":{\"k\":\"v\"}}}"),
                call(c -> c.get(STRING_TOKEN, "a", ""), "{\"SH_GET\":{\"tkn\":" + tkn + ",\"keys\":[\"a\",\"\"]}}"),
                call(c -> c.rmv(STRING_TOKEN, "a"), "{\"SH_RMV\":{\"tkn\":" + tkn + ",\"keys\":[\"a\"]}}"),
                call(c -> c.contains(STRING_TOKEN, "a", "b"),
                        "{\"SH_CONTAINS\":{\"tkn\":" + tkn + ",\"keys\":[\"a\",\"b\"]}}"),
                call(c -> c.count(STRING_TOKEN), "{\"SH_COUNT\":{\"tkn\":" + tkn + "}}"),
                call(c -> c.keys(STRING_TOKEN), "{\"SH_KEYS\":{\"tkn\":" + tkn + "}}"),
                call(c -> c.clear(STRING_TOKEN), "{\"SH_CLEAR\":{\"tkn\":" + tkn + "}}"),
                call(c -> c.clearSet(STRING_TOKEN, Map.of("k", 1)),
                        "{\"SH_CLEAR_SET\":{\"tkn\":" + tkn + ",\"keys\":{\"k\":1}}}"),
                call(c -> c.kvSet(values), "{\"KV_SET\":{\"keys\":" + valuesJson + "}}"),
                call(c -> c.kvAdd(Map.of()), "{\"KV_ADD\":{\"keys\":{}}}"),
                call(c -> c.kvGet("a", "b"), "{\"KV_GET\":{\"keys\":[\"a\",\"b\"]}}"),
                call(c -> c.kvRmv("a"), "{\"KV_RMV\":{\"keys\":[\"a\"]}}"),
                call(c -> c.kvContains("a"), "{\"KV_CONTAINS\":{\"keys\":[\"a\"]}}"),
                call(c -> c.kvCount(), "{\"KV_COUNT\":{}}"),
                call(c -> c.kvKeys(), "{\"KV_KEYS\":{}}"),
                call(c -> c.kvClear(), "{\"KV_CLEAR\":{}}"),
                call(c -> c.kvClearSet(Map.of("k", false)), "{\"KV_CLEAR_SET\":{\"keys\":{\"k\":false}}}"),
                call(c -> c.kvSave("kv"), "{\"KV_SAVE\":{\"name\":\"kv\"}}"),
                call(c -> c.kvLoad("kv"), "{\"KV_LOAD\":{\"name\":\"kv\"}}"),
                call(c -> c.serverInfo(), "{\"SV_INFO\":{}}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void helperSendsTheProtocolRequestAndReturnsTheInnerResponse(
            String expectedRequest, Function<SatchelCommands, CompletableFuture<JsonNode>> helper) {
        RecordingCommands commands = new RecordingCommands();

        JsonNode inner = Await.result(helper.apply(commands));

        assertThat(commands.requests).hasSize(1);
        assertThat(commands.requests.get(0).toString()).isEqualTo(expectedRequest);
        assertThat(inner.toString()).isEqualTo("{\"st\":1}");
    }

    /**
     * The typed helpers against the command declarations (CommandSpecs): every declared command has one, and a
     * helper sends only declared parameters, each of its declared JSON type, and always the required ones.
     */
    @Test
    @SuppressWarnings("unchecked")
    void typedHelpersCoverEveryDeclaredCommandWithItsDeclaredParameters() {
        Set<String> covered = new TreeSet<>();
        for (Arguments a : requests().toList()) {
            RecordingCommands commands = new RecordingCommands();
            Await.result(((Function<SatchelCommands, CompletableFuture<JsonNode>>) a.get()[1]).apply(commands));
            ObjectNode request = commands.requests.get(0);
            String name = request.fieldNames().next();
            CommandSpec spec = CommandSpecs.get(name);
            assertThat(spec).as(name + " is declared").isNotNull();
            covered.add(name);
            JsonNode params = request.get(name);
            params.fieldNames().forEachRemaining(param -> {
                ParamSpec p = spec.param(param);
                assertThat(p).as(name + "." + param + " is declared").isNotNull();
                JsonNode v = params.get(param);
                boolean typeFits = switch (p.type()) {
                    case OBJECT -> v.isObject();
                    case ARRAY -> v.isArray();
                    case STRING -> v.isTextual();
                    case BOOLEAN -> v.isBoolean();
                    case NUMBER -> v.isNumber();
                    case TOKEN -> v.isTextual() || v.isIntegralNumber();
                };
                assertThat(typeFits).as(name + "." + param + " is a " + p.type().docName()).isTrue();
            });
            for (ParamSpec p : spec.params()) {
                if (p.required()) {
                    assertThat(params.has(p.name())).as(name + " always sends " + p.name()).isTrue();
                }
            }
        }
        assertThat(covered).containsExactlyInAnyOrderElementsOf(
                CommandSpecs.all().stream().map(CommandSpec::name).toList());
    }

    @Test
    void errorStatusesAreReturnedNotThrown() {
        RecordingCommands commands = new RecordingCommands();
        commands.cannedResponse = "{\"SH_GET_RSP\":{\"st\":100,\"m\":\"no such session\"}}";

        JsonNode inner = Await.result(commands.get(STRING_TOKEN, "a"));

        assertThat(Status.of(inner)).isEqualTo(Status.SESSION_NOT_EXIST);
        assertThat(inner.get("m").asText()).isEqualTo("no such session");
    }

    @Test
    void responseWithoutTheExpectedMemberFails() {
        RecordingCommands commands = new RecordingCommands();
        commands.cannedResponse = "{\"ERR\":{\"st\":13,\"m\":\"bad envelope\"}}";

        Throwable failure = Await.failure(commands.newSession());

        assertThat(failure).isInstanceOf(SatchelClientException.class)
                .hasMessageContaining("expected SH_NEW_RSP").hasMessageContaining("bad envelope");
    }

    @Test
    void tokenFromAResponseIsSentBackInTheSameJsonForm() {
        RecordingCommands commands = new RecordingCommands();
        Token number = Token.fromResponse(Json.parseResponse("{\"st\":1,\"tkn\":18446744073709551615}"));
        Token string = Token.fromResponse(Json.parseResponse("{\"st\":1,\"tkn\":\"123\"}"));

        commands.count(number);
        commands.count(string);

        assertThat(commands.requests.get(0).at("/SH_COUNT/tkn").isIntegralNumber()).isTrue();
        assertThat(commands.requests.get(0).toString()).isEqualTo("{\"SH_COUNT\":{\"tkn\":18446744073709551615}}");
        assertThat(commands.requests.get(1).toString()).isEqualTo("{\"SH_COUNT\":{\"tkn\":\"123\"}}");
    }

    @Test
    void badArgumentsThrowAtOnce() {
        RecordingCommands commands = new RecordingCommands();

        assertThatThrownBy(() -> commands.end(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> commands.get(STRING_TOKEN, "a", null)).isInstanceOf(NullPointerException.class);
        assertThat(commands.requests).isEmpty();
    }
}
