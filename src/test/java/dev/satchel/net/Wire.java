package dev.satchel.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.Token;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Assertions on raw response texts, compared as Jackson trees (member order ignored unless stated). */
final class Wire {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long AWAIT_SECONDS = 10;

    private Wire() {
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(AWAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("request failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("no response within " + AWAIT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The exception a future failed with; fails if it succeeds or does not finish in time. */
    static Throwable awaitFailure(CompletableFuture<?> future) {
        try {
            Object v = future.get(AWAIT_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("expected the request to fail, but it got: " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("request neither answered nor failed within " + AWAIT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static JsonNode parse(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new AssertionError("empty response");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new AssertionError("response is not JSON: " + text, e);
        }
    }

    /** Sends one raw request and waits for its raw response. */
    static String call(SatchelClient c, String request) {
        return await(c.sendRaw(request));
    }

    /** Asserts the response is {@code {"<name>":{...}}} with exactly one member; returns the inner object. */
    static JsonNode inner(String response, String name) {
        JsonNode root = parse(response);
        assertThat(root.isObject()).as("response is an object: %s", response).isTrue();
        assertThat(fieldNames(root)).as("response member name of %s", response).containsExactly(name);
        JsonNode inner = root.get(name);
        assertThat(inner.isObject()).as("inner response is an object: %s", response).isTrue();
        return inner;
    }

    /** A success (st 1, no m); returns the inner object. */
    static JsonNode ok(String response, String name) {
        return withStatus(response, name, 1);
    }

    /** A response with this status; for status 1 asserts there is no m. Returns the inner object. */
    static JsonNode withStatus(String response, String name, int st) {
        JsonNode inner = inner(response, name);
        assertThat(inner.get("st")).as("st of %s", response).isNotNull();
        assertThat(inner.get("st").isIntegralNumber()).as("st is an integer: %s", response).isTrue();
        assertThat(inner.get("st").asInt()).as("st of %s", response).isEqualTo(st);
        if (st == 1 || st == 121 || st == 141) {
            assertThat(inner.has("m")).as("success response carries no m: %s", response).isFalse();
        }
        return inner;
    }

    /** An error response: exact name and status, and a non-empty string m. Returns the inner object. */
    static JsonNode error(String response, String name, int st) {
        JsonNode inner = withStatus(response, name, st);
        JsonNode m = inner.get("m");
        assertThat(m).as("error response carries m: %s", response).isNotNull();
        assertThat(m.isTextual() && !m.asText().isBlank()).as("m is a non-empty string: %s", response).isTrue();
        return inner;
    }

    /** Asserts a success whose inner object equals {@code expectedInner} (a JSON text, st included). */
    static void okExactly(String response, String name, String expectedInner) {
        JsonNode inner = ok(response, name);
        assertThat(inner).as("%s", response).isEqualTo(parse(expectedInner));
    }

    /** Asserts the inner object equals {@code expected} except that {@code m} is only checked to be non-empty. */
    static void errorExactly(String response, String name, int st, String expectedWithoutM) {
        ObjectNode inner = error(response, name, st).deepCopy();
        inner.remove("m");
        assertThat((JsonNode) inner).as("%s", response).isEqualTo(parse(expectedWithoutM));
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    /** The {@code tkn} of a successful SH_NEW / SH_OPEN response. */
    static Token token(String response, String name) {
        JsonNode tkn = ok(response, name).get("tkn");
        assertThat(tkn).as("tkn in %s", response).isNotNull();
        return Token.of(tkn);
    }

    /** Creates a session that never expires and returns its token. */
    static Token newSession(SatchelClient c) {
        return token(call(c, "{\"SH_NEW\":{}}"), "SH_NEW_RSP");
    }

    /** Asserts the connection is open and answers SV_INFO. */
    static void assertUsable(SatchelClient c) {
        assertThat(c.isOpen()).as("connection still open").isTrue();
        ok(call(c, "{\"SV_INFO\":{}}"), "SV_INFO_RSP");
    }

    /** JSON string literal for {@code s}. */
    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
