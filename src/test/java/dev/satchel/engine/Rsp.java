package dev.satchel.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Assertions on response text for the engine and protocol tests. */
public final class Rsp {
    /** Strict: a response with a duplicate member or trailing text is not valid. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Standard JSON with nothing after the value; duplicate member names allowed (RFC 8259 permits them). */
    public static final ObjectMapper LENIENT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Rsp() {
    }

    /** JSON written with single quotes for readability: every {@code '} becomes {@code "}. */
    public static String j(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    public static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not valid JSON: " + json, e);
        }
    }

    /** Same JSON tree (member order does not matter). */
    public static void assertJson(String actual, String expected) {
        assertThat(tree(actual)).as("response %s", actual).isEqualTo(tree(expected));
    }

    /** The value of the response's single member. */
    public static JsonNode body(String actual) {
        JsonNode t = tree(actual);
        assertThat(t.isObject() && t.size() == 1).as("one-member object: %s", actual).isTrue();
        return t.elements().next();
    }

    /** The name of the response's single member. */
    public static String name(String actual) {
        JsonNode t = tree(actual);
        assertThat(t.isObject() && t.size() == 1).as("one-member object: %s", actual).isTrue();
        return t.fieldNames().next();
    }

    public static int st(String actual) {
        JsonNode st = body(actual).get("st");
        assertThat(st).as("st in %s", actual).isNotNull();
        assertThat(st.isInt()).as("st is an int in %s", actual).isTrue();
        return st.intValue();
    }

    /** Exactly {@code {"<rspName>":{"st":<st>,"m":"<non-empty text>"}}}. */
    public static void assertError(String actual, String rspName, int st) {
        JsonNode t = tree(actual);
        assertThat(t.isObject() && t.size() == 1).as("one-member object: %s", actual).isTrue();
        JsonNode b = t.get(rspName);
        assertThat(b).as("member %s in %s", rspName, actual).isNotNull();
        assertThat(b.path("st").isInt() && b.path("st").intValue() == st).as("st %s in %s", st, actual).isTrue();
        assertThat(b.path("m").isTextual() && !b.path("m").textValue().isEmpty())
                .as("non-empty m in %s", actual).isTrue();
        assertThat(b.size()).as("only st and m in %s", actual).isEqualTo(2);
    }

    /** Member names of an object node, in document order. */
    public static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            out.add(it.next());
        }
        return out;
    }

    /** The text items of an array node. */
    public static List<String> texts(JsonNode array) {
        assertThat(array.isArray()).as("array: %s", array).isTrue();
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.isTextual() ? n.textValue() : n.toString());
        }
        return out;
    }
}
