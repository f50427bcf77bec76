package dev.satchel.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.Status;
import java.io.IOException;
import java.io.StringWriter;

/**
 * A response as the shell shows it: its name, status and message, and the token it carries.
 *
 * <p>{@link #pretty()} prints a header line such as {@code SH_GET_RSP st=1 (Ok)} or
 * {@code SH_GET_RSP st=100 (SessionNotExist): session does not exist}, followed by the other members as
 * indented JSON. Members are copied in order, duplicates and number spellings included, so nothing the server
 * sent is hidden. A text that is not a single-member JSON object is shown as it came.
 *
 * @param text    the response text as received
 * @param name    the response name, e.g. {@code SH_NEW_RSP}, or {@code null} if the text has no such shape
 * @param status  the {@code st} number, or {@code -1} if there is none
 * @param message the {@code m} text, or {@code null}
 * @param token   the {@code tkn} value (string or integer), or {@code null}
 */
record Response(String text, String name, int status, String message, JsonNode token) {

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build();

    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
            .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
            .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("")
                    .withArrayEmptySeparator(""));

    /**
     * Reads the parts of a response text that the shell needs.
     *
     * @param text the response text
     * @return the response; fields the text does not have are {@code null} or {@code -1}
     */
    static Response parse(String text) {
        try {
            JsonNode root = ShortForm.MAPPER.readTree(text);
            if (root != null && root.isObject() && root.size() == 1) {
                String name = root.fieldNames().next();
                JsonNode inner = root.get(name);
                if (inner.isObject()) {
                    JsonNode st = inner.get("st");
                    JsonNode m = inner.get("m");
                    JsonNode tkn = inner.get("tkn");
                    return new Response(text, name, st != null && st.canConvertToInt() ? st.intValue() : -1,
                            m != null && m.isTextual() ? m.textValue() : null,
                            tkn != null && (tkn.isTextual() || tkn.isIntegralNumber()) ? tkn : null);
                }
                return new Response(text, name, -1, null, null);
            }
        } catch (IOException e) {
            // not JSON: shown as it is
        }
        return new Response(text, null, -1, null, null);
    }

    /** Success is {@code st} 1, or 121/141 for a finished save/load. */
    boolean isSuccess() {
        return status == Status.OK || status == Status.SAVE_COMPLETE || status == Status.LOAD_COMPLETE;
    }

    /** Whether this response creates or opens a session, so its token becomes {@code $tkn}. */
    boolean setsToken() {
        return status == Status.OK && token != null && ("SH_NEW_RSP".equals(name) || "SH_OPEN_RSP".equals(name));
    }

    /** A one-line description of a failed response for error messages. */
    String describeFailure() {
        if (name == null) {
            return "response is not a Satchel response: " + abbreviate(text);
        }
        return name + " st=" + status + " (" + Status.name(status) + ")" + (message != null ? ": " + message : "");
    }

    /** The response for people: a status line, then the other members as indented JSON. */
    String pretty() {
        if (name == null) {
            return text;
        }
        StringBuilder out = new StringBuilder(name);
        if (status >= 0) {
            out.append(" st=").append(status).append(" (").append(Status.name(status)).append(')');
        }
        if (message != null) {
            out.append(": ").append(message);
        }
        try {
            String body = body();
            if (body != null) {
                out.append('\n').append(body);
            }
        } catch (IOException e) {
            return text;
        }
        return out.toString();
    }

    /** The inner object without {@code st} and {@code m}, pretty-printed, or {@code null} if nothing is left. */
    private String body() throws IOException {
        StringWriter writer = new StringWriter();
        boolean any = false;
        try (JsonParser parser = JSON.createParser(text);
             JsonGenerator gen = JSON.createGenerator(writer)) {
            gen.setPrettyPrinter(PRETTY);
            parser.nextToken(); // {
            parser.nextToken(); // name
            JsonToken t = parser.nextToken();
            if (t != JsonToken.START_OBJECT) {
                return null;
            }
            gen.writeStartObject();
            boolean seenSt = false;
            boolean seenM = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                if (field.equals("st") && !seenSt && parser.currentToken().isNumeric()) {
                    seenSt = true;
                    continue;
                }
                if (field.equals("m") && !seenM && parser.currentToken() == JsonToken.VALUE_STRING) {
                    seenM = true;
                    continue;
                }
                any = true;
                gen.writeFieldName(field);
                copy(parser, gen);
            }
            gen.writeEndObject();
        }
        return any ? writer.toString() : null;
    }

    /** Copies the current value, keeping number spellings and duplicate members. */
    private static void copy(JsonParser parser, JsonGenerator gen) throws IOException {
        JsonToken t = parser.currentToken();
        switch (t) {
            case START_OBJECT -> {
                gen.writeStartObject();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    gen.writeFieldName(parser.currentName());
                    parser.nextToken();
                    copy(parser, gen);
                }
                gen.writeEndObject();
            }
            case START_ARRAY -> {
                gen.writeStartArray();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    copy(parser, gen);
                }
                gen.writeEndArray();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> gen.writeNumber(parser.getText());
            case VALUE_STRING -> gen.writeString(parser.getText());
            case VALUE_TRUE -> gen.writeBoolean(true);
            case VALUE_FALSE -> gen.writeBoolean(false);
            case VALUE_NULL -> gen.writeNull();
            default -> throw new IOException("unexpected " + t);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
