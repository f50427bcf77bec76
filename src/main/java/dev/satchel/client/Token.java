package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigInteger;
import java.util.Objects;

/**
 * A session token as the server sent it: a JSON string (the default {@code string} token format) or a JSON
 * integer (the {@code uint64} format). The token remembers which, and {@link #toJson()} writes it back in the
 * same JSON form.
 *
 * <p>Two tokens are equal when they have the same form and the same text, so the string {@code "42"} and the
 * number {@code 42} are different tokens.
 */
public final class Token {

    private final JsonNode json;

    private Token(JsonNode json) {
        this.json = json;
    }

    /**
     * Wraps a token taken from a response.
     *
     * @param json a JSON string or integer
     * @return the token
     * @throws IllegalArgumentException if {@code json} is neither a string nor an integer
     */
    public static Token of(JsonNode json) {
        Objects.requireNonNull(json, "json");
        if (!json.isTextual() && !json.isIntegralNumber()) {
            throw new IllegalArgumentException("a token is a JSON string or integer, not " + json);
        }
        return new Token(json);
    }

    /**
     * A token in string form. Any string is accepted, so malformed tokens can be sent on purpose.
     *
     * @param text the token text
     * @return the token
     */
    public static Token ofString(String text) {
        return new Token(JsonNodeFactory.instance.textNode(Objects.requireNonNull(text, "text")));
    }

    /**
     * A token in number form ({@code uint64} mode).
     *
     * @param value the token value; not range-checked, so out-of-range tokens can be sent on purpose
     * @return the token
     */
    public static Token ofNumber(BigInteger value) {
        return new Token(JsonNodeFactory.instance.numberNode(Objects.requireNonNull(value, "value")));
    }

    /**
     * A token in number form ({@code uint64} mode).
     *
     * @param value the token value
     * @return the token
     */
    public static Token ofNumber(long value) {
        return new Token(JsonNodeFactory.instance.numberNode(value));
    }

    /**
     * Reads the {@code tkn} member of an inner response object, e.g. the value of {@code SH_NEW_RSP}.
     *
     * @param response the inner response object
     * @return the token
     * @throws SatchelClientException if the response has no usable {@code tkn} (for example an error response)
     */
    public static Token fromResponse(JsonNode response) {
        JsonNode tkn = response.get("tkn");
        if (tkn == null || (!tkn.isTextual() && !tkn.isIntegralNumber())) {
            throw new SatchelClientException("response has no token: " + Json.abbreviate(response.toString()));
        }
        return new Token(tkn);
    }

    /** Returns {@code true} for a token in number form, {@code false} for string form. */
    public boolean isNumeric() {
        return json.isNumber();
    }

    /** Returns the token text: the string itself, or the decimal digits of a number. */
    public String text() {
        return json.asText();
    }

    /** Returns the token as the JSON value to put in a request. */
    public JsonNode toJson() {
        return json;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Token token && isNumeric() == token.isNumeric() && text().equals(token.text());
    }

    @Override
    public int hashCode() {
        return Boolean.hashCode(isNumeric()) * 31 + text().hashCode();
    }

    /** Returns the token as JSON: quoted in string form, bare digits in number form. */
    @Override
    public String toString() {
        return json.toString();
    }
}
