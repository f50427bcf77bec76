package dev.satchel.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The client's shared Jackson mapper and the few JSON conversions it needs. */
final class Json {

    /**
     * Reads documents as large as the inbound message limit allows; Jackson's default string limit (20 M
     * characters) is smaller than the client's default message limit.
     */
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build());

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Converts a Java value to JSON; {@link JsonNode}s are used as they are and {@code null} is JSON null. */
    static JsonNode toNode(Object value) {
        if (value == null) {
            return MAPPER.nullNode();
        }
        return value instanceof JsonNode node ? node : MAPPER.valueToTree(value);
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise request: " + e.getOriginalMessage(), e);
        }
    }

    /** Parses a response, failing with a {@link SatchelClientException} that quotes the start of the text. */
    static JsonNode parseResponse(String text) {
        JsonNode node;
        try {
            node = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SatchelClientException(
                    "response is not valid JSON (" + e.getOriginalMessage() + "): " + abbreviate(text), e);
        }
        if (node == null || node.isMissingNode()) {
            throw new SatchelClientException("response is empty");
        }
        return node;
    }

    /** Shortens text for error messages. */
    static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...(" + text.length() + " chars)";
    }
}
