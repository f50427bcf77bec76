package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The short-form grammar: every command shape, every kind of value, and the errors. */
class ShortFormTest {

    private static final JsonNode TOKEN = JsonNodeFactory.instance.textNode("q3Vw0sZr9W4hcbh0o1xY2w");
    private static final String T = "\"q3Vw0sZr9W4hcbh0o1xY2w\"";

    private static String json(String line) throws ShortFormException {
        return ShortForm.parseLine(line, TOKEN).json();
    }

    private static String jsonWithoutToken(String line) throws ShortFormException {
        return ShortForm.parseLine(line, null).json();
    }

    private static String error(String line, JsonNode token) {
        try {
            ShortForm.Request request = ShortForm.parseLine(line, token);
            throw new AssertionError("expected an error for " + line + " but got " + request.json());
        } catch (ShortFormException e) {
            return e.getMessage();
        }
    }

    // ---- session management

    @Test
    void shNew() throws Exception {
        assertThat(json("SH_NEW")).isEqualTo("{\"SH_NEW\":{}}");
        assertThat(json("SH_NEW expiry.duration=60")).isEqualTo("{\"SH_NEW\":{\"expiry\":{\"duration\":60}}}");
        assertThat(json("sh_new name=cart shared=true expiry.duration=600 expiry.deleteSession=true"
                + " expiry.extendOnSetAdd=false expiry.extendOnGet=true"))
                .isEqualTo("{\"SH_NEW\":{\"name\":\"cart\",\"shared\":true,\"expiry\":{\"duration\":600,"
                        + "\"deleteSession\":true,\"extendOnSetAdd\":false,\"extendOnGet\":true}}}");
        assertThat(json("SH_NEW expiry={\"duration\":5}")).isEqualTo("{\"SH_NEW\":{\"expiry\":{\"duration\":5}}}");
        assertThat(json("SH_NEW name=\"my cart\"")).isEqualTo("{\"SH_NEW\":{\"name\":\"my cart\"}}");
    }

    @Test
    void shNewRejectsPositionalWordsAndConflicts() {
        assertThat(error("SH_NEW 60", TOKEN)).contains("SH_NEW takes NAME=VALUE parameters, not 60")
                .contains("expiry.duration=S");
        assertThat(error("SH_NEW expiry=5 expiry.duration=60", TOKEN))
                .contains("expiry is given both as a value and with members");
        assertThat(error("SH_NEW expiry={} expiry.duration=60", TOKEN)).contains("both as a value and with members");
        assertThat(error("SH_NEW name=a name=b", TOKEN)).contains("name is given twice");
        assertThat(error("SH_NEW expiry..duration=1", TOKEN)).contains("bad parameter name expiry..duration");
    }

    @Test
    void shOpenTakesOneName() throws Exception {
        assertThat(json("SH_OPEN cart")).isEqualTo("{\"SH_OPEN\":{\"name\":\"cart\"}}");
        assertThat(json("SH_OPEN 'my cart'")).isEqualTo("{\"SH_OPEN\":{\"name\":\"my cart\"}}");
        assertThat(json("SH_OPEN \"caf\\u00e9\"")).isEqualTo("{\"SH_OPEN\":{\"name\":\"café\"}}");
        assertThat(json("SH_OPEN 123")).as("names are strings").isEqualTo("{\"SH_OPEN\":{\"name\":\"123\"}}");
        assertThat(json("SH_OPEN name=cart")).isEqualTo("{\"SH_OPEN\":{\"name\":\"cart\"}}");
        assertThat(error("SH_OPEN", TOKEN)).contains("SH_OPEN needs a name").contains("SH_OPEN NAME");
        assertThat(error("SH_OPEN my cart", TOKEN)).contains("takes one name, got 2 words");
        assertThat(error("SH_OPEN cart name=x", TOKEN)).contains("name is given twice");
    }

    @ParameterizedTest
    @CsvSource({"SH_END", "SH_INFO", "SH_COUNT", "SH_KEYS", "SH_CLEAR"})
    void tokenOnlyCommandsUseTheGivenOrTheRememberedToken(String command) throws Exception {
        assertThat(json(command + " abc")).isEqualTo("{\"" + command + "\":{\"tkn\":\"abc\"}}");
        assertThat(json(command + " $tkn")).isEqualTo("{\"" + command + "\":{\"tkn\":" + T + "}}");
        assertThat(json(command)).isEqualTo("{\"" + command + "\":{\"tkn\":" + T + "}}");
        assertThat(json(command + " 12345")).as("uint64 tokens are numbers")
                .isEqualTo("{\"" + command + "\":{\"tkn\":12345}}");
        assertThat(json(command + " '12345'")).isEqualTo("{\"" + command + "\":{\"tkn\":\"12345\"}}");
        assertThat(error(command, null)).contains(command + " needs a token").contains("SH_NEW or SH_OPEN");
        assertThat(error(command + " a b", TOKEN)).contains("takes one token");
    }

    @ParameterizedTest
    @CsvSource({"SH_END_ALL", "SH_INFO_ALL", "KV_COUNT", "KV_KEYS", "KV_CLEAR", "SV_INFO"})
    void commandsWithoutArguments(String command) throws Exception {
        assertThat(json(command)).isEqualTo("{\"" + command + "\":{}}");
        assertThat(json(command.toLowerCase())).isEqualTo("{\"" + command + "\":{}}");
        assertThat(error(command + " x", TOKEN)).contains(command + " takes no arguments, got x");
    }

    @Test
    void shExistsTakesTokens() throws Exception {
        assertThat(json("SH_EXISTS a $tkn 42 \"x\"")).isEqualTo("{\"SH_EXISTS\":{\"tkns\":[\"a\"," + T + ",42,\"x\"]}}");
        assertThat(json("SH_EXISTS")).isEqualTo("{\"SH_EXISTS\":{\"tkns\":[]}}");
    }

    @Test
    void shSaveAndLoad() throws Exception {
        assertThat(json("SH_SAVE backup")).isEqualTo("{\"SH_SAVE\":{\"name\":\"backup\"}}");
        assertThat(json("SH_SAVE backup $tkn other")).isEqualTo(
                "{\"SH_SAVE\":{\"name\":\"backup\",\"tkns\":[" + T + ",\"other\"]}}");
        assertThat(json("SH_SAVE name=backup tkns=[1,2]")).isEqualTo(
                "{\"SH_SAVE\":{\"name\":\"backup\",\"tkns\":[1,2]}}");
        assertThat(error("SH_SAVE", TOKEN)).contains("SH_SAVE needs a name");
        assertThat(json("SH_LOAD backup")).isEqualTo("{\"SH_LOAD\":{\"name\":\"backup\"}}");
        assertThat(json("KV_SAVE kv1")).isEqualTo("{\"KV_SAVE\":{\"name\":\"kv1\"}}");
        assertThat(json("KV_LOAD kv1")).isEqualTo("{\"KV_LOAD\":{\"name\":\"kv1\"}}");
    }

    // ---- data commands

    @ParameterizedTest
    @CsvSource({"SH_SET", "SH_ADD", "SH_CLEAR_SET"})
    void sessionKeyValueCommands(String command) throws Exception {
        assertThat(json(command + " $tkn name=Bob age=26")).isEqualTo(
                "{\"" + command + "\":{\"tkn\":" + T + ",\"keys\":{\"name\":\"Bob\",\"age\":26}}}");
        assertThat(json(command + " tok")).isEqualTo("{\"" + command + "\":{\"tkn\":\"tok\",\"keys\":{}}}");
        assertThat(error(command + " name=Bob", TOKEN)).contains(command + " needs the token first");
        assertThat(error(command, TOKEN)).contains(command + " needs the token first");
        assertThat(error(command + " $tkn Bob", TOKEN)).contains("expected KEY=VALUE, got Bob");
        assertThat(error(command + " $tkn a=1 a=2", TOKEN)).contains("key a is given twice");
        assertThat(error(command + " $tkn a=1", null)).contains("$tkn is not set yet");
    }

    @ParameterizedTest
    @CsvSource({"SH_GET", "SH_RMV", "SH_CONTAINS"})
    void sessionKeyListCommands(String command) throws Exception {
        assertThat(json(command + " $tkn name age \"x y\" 'p q' 42 a=b")).isEqualTo(
                "{\"" + command + "\":{\"tkn\":" + T + ",\"keys\":[\"name\",\"age\",\"x y\",\"p q\",\"42\",\"a=b\"]}}");
        assertThat(json(command + " tok")).isEqualTo("{\"" + command + "\":{\"tkn\":\"tok\",\"keys\":[]}}");
        assertThat(error(command, TOKEN)).contains(command + " needs the token first");
    }

    @ParameterizedTest
    @CsvSource({"KV_SET", "KV_ADD", "KV_CLEAR_SET"})
    void globalKeyValueCommandsHaveNoToken(String command) throws Exception {
        assertThat(json(command + " a=1 b=x")).isEqualTo("{\"" + command + "\":{\"keys\":{\"a\":1,\"b\":\"x\"}}}");
        assertThat(json(command)).isEqualTo("{\"" + command + "\":{\"keys\":{}}}");
        assertThat(error(command + " $tkn a=1", TOKEN)).contains("expected KEY=VALUE, got $tkn");
    }

    @ParameterizedTest
    @CsvSource({"KV_GET", "KV_RMV", "KV_CONTAINS"})
    void globalKeyListCommandsHaveNoToken(String command) throws Exception {
        assertThat(json(command + " a b")).isEqualTo("{\"" + command + "\":{\"keys\":[\"a\",\"b\"]}}");
        assertThat(json(command)).isEqualTo("{\"" + command + "\":{\"keys\":[]}}");
    }

    @Test
    void everyKnownCommandHasAWorkingExample() throws Exception {
        Map<String, String> examples = new TreeMap<>(Map.ofEntries(
                Map.entry("SH_NEW", "SH_NEW"), Map.entry("SH_OPEN", "SH_OPEN n"), Map.entry("SH_END", "SH_END"),
                Map.entry("SH_END_ALL", "SH_END_ALL"), Map.entry("SH_EXISTS", "SH_EXISTS $tkn"),
                Map.entry("SH_INFO", "SH_INFO"), Map.entry("SH_INFO_ALL", "SH_INFO_ALL"),
                Map.entry("SH_SAVE", "SH_SAVE n"), Map.entry("SH_LOAD", "SH_LOAD n"),
                Map.entry("SH_SET", "SH_SET $tkn a=1"), Map.entry("SH_ADD", "SH_ADD $tkn a=1"),
                Map.entry("SH_GET", "SH_GET $tkn a"), Map.entry("SH_RMV", "SH_RMV $tkn a"),
                Map.entry("SH_CONTAINS", "SH_CONTAINS $tkn a"), Map.entry("SH_COUNT", "SH_COUNT"),
                Map.entry("SH_KEYS", "SH_KEYS"), Map.entry("SH_CLEAR", "SH_CLEAR"),
                Map.entry("SH_CLEAR_SET", "SH_CLEAR_SET $tkn a=1"), Map.entry("KV_SET", "KV_SET a=1"),
                Map.entry("KV_ADD", "KV_ADD a=1"), Map.entry("KV_GET", "KV_GET a"), Map.entry("KV_RMV", "KV_RMV a"),
                Map.entry("KV_CONTAINS", "KV_CONTAINS a"), Map.entry("KV_COUNT", "KV_COUNT"),
                Map.entry("KV_KEYS", "KV_KEYS"), Map.entry("KV_CLEAR", "KV_CLEAR"),
                Map.entry("KV_CLEAR_SET", "KV_CLEAR_SET a=1"), Map.entry("KV_SAVE", "KV_SAVE n"),
                Map.entry("KV_LOAD", "KV_LOAD n"), Map.entry("SV_INFO", "SV_INFO")));
        assertThat(examples.keySet()).containsExactlyInAnyOrderElementsOf(CommandShape.commands().keySet());
        for (Map.Entry<String, String> e : examples.entrySet()) {
            ShortForm.Request request = ShortForm.parseLine(e.getValue(), TOKEN);
            assertThat(request.command()).isEqualTo(e.getKey());
            JsonNode parsed = ShortForm.MAPPER.readTree(request.json());
            assertThat(parsed.size()).isEqualTo(1);
            assertThat(parsed.get(e.getKey()).isObject()).as(e.getValue()).isTrue();
        }
    }

    // ---- values

    @Test
    void valuesAreJsonWhereTheyLookLikeJsonAndStringsOtherwise() throws Exception {
        assertThat(json("KV_SET i=26 neg=-3 f=1.50 e=1E+30 big=123456789012345678901234567890"))
                .as("numbers keep their spelling")
                .isEqualTo("{\"KV_SET\":{\"keys\":{\"i\":26,\"neg\":-3,\"f\":1.50,\"e\":1E+30,"
                        + "\"big\":123456789012345678901234567890}}}");
        assertThat(json("KV_SET t=true f=false n=null")).isEqualTo(
                "{\"KV_SET\":{\"keys\":{\"t\":true,\"f\":false,\"n\":null}}}");
        assertThat(json("KV_SET o={\"a\": [1, {\"b\": \"x y\"}]} arr=[1,\"two\",null]")).isEqualTo(
                "{\"KV_SET\":{\"keys\":{\"o\":{\"a\": [1, {\"b\": \"x y\"}]},\"arr\":[1,\"two\",null]}}}");
        assertThat(json("KV_SET s=\"26\" esc=\"say \\\"hi\\\" caf\\u00e9\"")).as("JSON strings are kept as typed")
                .isEqualTo("{\"KV_SET\":{\"keys\":{\"s\":\"26\",\"esc\":\"say \\\"hi\\\" caf\\u00e9\"}}}");
        assertThat(json("KV_SET lit='C:\\dir \"q\"'")).isEqualTo(
                "{\"KV_SET\":{\"keys\":{\"lit\":\"C:\\\\dir \\\"q\\\"\"}}}");
        assertThat(json("KV_SET plain=Bob zero=01 dot=1. hex=0x1F word=True")).as("not JSON: plain strings")
                .isEqualTo("{\"KV_SET\":{\"keys\":{\"plain\":\"Bob\",\"zero\":\"01\",\"dot\":\"1.\","
                        + "\"hex\":\"0x1F\",\"word\":\"True\"}}}");
        assertThat(json("KV_SET empty= url=http://x/?a=b don't=it's a[1]=b{2}")).isEqualTo(
                "{\"KV_SET\":{\"keys\":{\"empty\":\"\",\"url\":\"http://x/?a=b\",\"don't\":\"it's\","
                        + "\"a[1]\":\"b{2}\"}}}");
        assertThat(json("KV_SET last=$tkn")).isEqualTo("{\"KV_SET\":{\"keys\":{\"last\":" + T + "}}}");
        assertThat(json("KV_SET é=ü")).isEqualTo("{\"KV_SET\":{\"keys\":{\"é\":\"ü\"}}}");
    }

    @Test
    void dataKeysAreLiteralAndMayBeQuoted() throws Exception {
        assertThat(json("SH_SET $tkn user.name=Bob \"my key\"=1 'x=y'=2 \"\"=3")).as("dots do not nest data keys")
                .isEqualTo("{\"SH_SET\":{\"tkn\":" + T + ",\"keys\":{\"user.name\":\"Bob\",\"my key\":1,\"x=y\":2,"
                        + "\"\":3}}}");
        assertThat(json("SH_NEW \"a.b\"=1")).as("a quoted parameter name is not split")
                .isEqualTo("{\"SH_NEW\":{\"a.b\":1}}");
        assertThat(error("KV_SET {\"a\":1}=2", TOKEN)).contains("a key is text");
    }

    @Test
    void unknownCommandsTakeParameters() throws Exception {
        assertThat(json("NOPE a=1 b.c=x")).isEqualTo("{\"NOPE\":{\"a\":1,\"b\":{\"c\":\"x\"}}}");
        assertThat(json("sh_future")).isEqualTo("{\"SH_FUTURE\":{}}");
    }

    @Test
    void largeUint64TokensStayNumbers() throws Exception {
        JsonNode token = JsonNodeFactory.instance.numberNode(new BigInteger("18446744073709551615"));
        assertThat(ShortForm.parseLine("SH_GET $tkn a", token).json())
                .isEqualTo("{\"SH_GET\":{\"tkn\":18446744073709551615,\"keys\":[\"a\"]}}");
        assertThat(ShortForm.parseLine("{\"SH_INFO\":{\"tkn\":$tkn}}", token).json())
                .isEqualTo("{\"SH_INFO\":{\"tkn\":18446744073709551615}}");
    }

    // ---- raw JSON

    @Test
    void rawJsonIsSentAsTypedWithTheTokenSubstitutedOutsideStrings() throws Exception {
        ShortForm.Request raw = ShortForm.parseLine("  {\"SV_INFO\": {}}  ", TOKEN);
        assertThat(raw.command()).isNull();
        assertThat(raw.json()).isEqualTo("{\"SV_INFO\": {}}");
        assertThat(json("{\"SH_SET\":{\"tkn\":$tkn,\"keys\":{\"k\":\"$tkn \\\" $tkn\"}}}")).isEqualTo(
                "{\"SH_SET\":{\"tkn\":" + T + ",\"keys\":{\"k\":\"$tkn \\\" $tkn\"}}}");
        assertThat(json("{not json")).as("invalid JSON is sent too, for the server to judge").isEqualTo("{not json");
        assertThat(error("{\"SH_INFO\":{\"tkn\":$tkn}}", null)).contains("$tkn is not set yet");
    }

    // ---- syntax errors

    @Test
    void syntaxErrorsSayWhatIsWrong() {
        assertThat(error("KV_SET a=\"open", TOKEN)).contains("unclosed \" in \"open");
        assertThat(error("KV_SET a='open", TOKEN)).contains("unclosed ' in 'open");
        assertThat(error("KV_SET a={\"x\":[1}", TOKEN)).contains("unclosed {");
        assertThat(error("KV_SET a={x}", TOKEN)).contains("invalid JSON value {x}");
        assertThat(error("KV_SET a=[1,]", TOKEN)).contains("invalid JSON value [1,]");
        assertThat(error("KV_SET a=\"bad \\q\"", TOKEN)).contains("invalid JSON string");
        assertThat(error("KV_SET a=\"x\"y", TOKEN)).contains("unexpected text after \"x\": y");
        assertThat(error("123 a", TOKEN)).contains("not a command: 123");
        assertThat(error("a=b", TOKEN)).contains("not a command: a=b");
        assertThat(error("$tkn", TOKEN)).contains("not a command");
    }

    // ---- command-line arguments

    @Test
    void argumentsAreWordsAsTheShellSplitThem() throws Exception {
        assertThat(ShortForm.parseArguments(List.of("SH_SET", "$tkn", "name=Bob Smith", "n='26'"), TOKEN).json())
                .isEqualTo("{\"SH_SET\":{\"tkn\":" + T + ",\"keys\":{\"name\":\"Bob Smith\",\"n\":\"26\"}}}");
        assertThat(ShortForm.parseArguments(List.of("SH_GET", "$tkn", "a b"), TOKEN).json())
                .isEqualTo("{\"SH_GET\":{\"tkn\":" + T + ",\"keys\":[\"a b\"]}}");
        assertThat(ShortForm.parseArguments(List.of("SH_GET $tkn a b"), TOKEN).json()).as("one argument is a line")
                .isEqualTo("{\"SH_GET\":{\"tkn\":" + T + ",\"keys\":[\"a\",\"b\"]}}");
        assertThat(ShortForm.parseArguments(List.of("{\"SV_INFO\":", "{}}"), TOKEN).json())
                .isEqualTo("{\"SV_INFO\": {}}");
        assertThat(ShortForm.parseArguments(List.of("KV_SET", "a="), TOKEN).json())
                .isEqualTo("{\"KV_SET\":{\"keys\":{\"a\":\"\"}}}");
        assertThatThrownBy(() -> ShortForm.parseArguments(List.of("KV_SET", "a=\"x\" y"), TOKEN))
                .isInstanceOf(ShortFormException.class).hasMessageContaining("unexpected text");
    }

    @Test
    void tokensMustNotBeGivenWhereNoneIsNeeded() throws Exception {
        assertThat(jsonWithoutToken("KV_GET $tkn")).as("key names are literal")
                .isEqualTo("{\"KV_GET\":{\"keys\":[\"$tkn\"]}}");
    }
}
