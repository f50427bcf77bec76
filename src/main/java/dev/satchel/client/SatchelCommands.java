package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Typed helpers for every Satchel command (PROTOCOL.md sections 5, 6, 8 and 9), built on
 * {@link #send(ObjectNode)}.
 *
 * <p>Each helper sends {@code {"<COMMAND>": {params}}} and completes with the <em>inner</em> response object,
 * the value of {@code <COMMAND>_RSP}, whatever its status: check it with {@link Status#of(JsonNode)} and read a
 * token with {@link Token#fromResponse(JsonNode)}. A helper's future fails with {@link SatchelClientException}
 * only when the request could not be answered (connection closed, timeout) or the response does not contain
 * {@code <COMMAND>_RSP} (e.g. an {@code ERR} envelope).
 *
 * <p>Values in {@code keys} maps are converted with Jackson; {@link JsonNode} values are sent as they are. Bad
 * arguments ({@code null}s, unserialisable values) throw at once instead of failing the future.
 */
public abstract class SatchelCommands {

    /** For subclasses that supply the transport. */
    protected SatchelCommands() {
    }

    /**
     * Sends one request object and completes with the whole parsed response, e.g.
     * {@code {"SH_NEW_RSP":{"st":1,"tkn":"..."}}}.
     *
     * @param request the request envelope
     * @return the response envelope
     */
    public abstract CompletableFuture<JsonNode> send(ObjectNode request);

    /**
     * Sends {@code {"<command>": params}} and completes with the value of {@code <command>_RSP}. Use for
     * commands without a dedicated helper.
     *
     * @param command the command name, e.g. {@code SH_NEW}
     * @param params  the command's parameter object
     * @return the inner response object
     */
    public CompletableFuture<JsonNode> command(String command, ObjectNode params) {
        ObjectNode request = Json.object();
        request.set(Objects.requireNonNull(command, "command"), Objects.requireNonNull(params, "params"));
        String responseName = command + "_RSP";
        return send(request).thenApply(response -> innerResponse(responseName, response));
    }

    private static JsonNode innerResponse(String responseName, JsonNode response) {
        JsonNode inner = response.get(responseName);
        if (inner == null || !inner.isObject()) {
            throw new SatchelClientException(
                    "expected " + responseName + " but got: " + Json.abbreviate(response.toString()));
        }
        return inner;
    }

    // ---- session management (SH_NEW ... SH_LOAD) ----

    /** {@code SH_NEW {}}: a session that never expires. Read the token with {@link Token#fromResponse}. */
    public CompletableFuture<JsonNode> newSession() {
        return command("SH_NEW", Json.object());
    }

    /**
     * {@code SH_NEW {expiry}}.
     *
     * @param expiry the expiry settings
     * @return the inner {@code SH_NEW_RSP} object ({@code tkn})
     */
    public CompletableFuture<JsonNode> newSession(Expiry expiry) {
        return command("SH_NEW", withExpiry(Json.object(), Objects.requireNonNull(expiry, "expiry")));
    }

    /**
     * {@code SH_NEW {name, expiry}}: a named session that is not shared.
     *
     * @param name   the session name
     * @param expiry the expiry settings, or {@code null} to omit them
     * @return the inner {@code SH_NEW_RSP} object ({@code tkn}, {@code name})
     */
    public CompletableFuture<JsonNode> newNamedSession(String name, Expiry expiry) {
        ObjectNode params = Json.object().put("name", Objects.requireNonNull(name, "name"));
        return command("SH_NEW", withExpiry(params, expiry));
    }

    /**
     * {@code SH_NEW {name, shared:true, expiry}}: a shared session whose token derives from its name.
     *
     * @param name   the shared session name
     * @param expiry the expiry settings, or {@code null} to omit them
     * @return the inner {@code SH_NEW_RSP} object ({@code tkn}, {@code name})
     */
    public CompletableFuture<JsonNode> newSharedSession(String name, Expiry expiry) {
        ObjectNode params = Json.object().put("name", Objects.requireNonNull(name, "name")).put("shared", true);
        return command("SH_NEW", withExpiry(params, expiry));
    }

    private static ObjectNode withExpiry(ObjectNode params, Expiry expiry) {
        if (expiry != null) {
            params.set("expiry", expiry.toJson());
        }
        return params;
    }

    /**
     * {@code SH_OPEN {name}}.
     *
     * @param name the shared session name
     * @return the inner {@code SH_OPEN_RSP} object ({@code tkn}, {@code name}; status 102 if there is none)
     */
    public CompletableFuture<JsonNode> open(String name) {
        return command("SH_OPEN", Json.object().put("name", Objects.requireNonNull(name, "name")));
    }

    /**
     * {@code SH_END {tkn}}.
     *
     * @param token the session to end
     * @return the inner {@code SH_END_RSP} object
     */
    public CompletableFuture<JsonNode> end(Token token) {
        return command("SH_END", withToken(token));
    }

    /** {@code SH_END_ALL {}}; the inner response has {@code cnt}, the number of sessions ended. */
    public CompletableFuture<JsonNode> endAll() {
        return command("SH_END_ALL", Json.object());
    }

    /**
     * {@code SH_EXISTS {tkns}}.
     *
     * @param tokens the tokens to check
     * @return the inner {@code SH_EXISTS_RSP} object ({@code exist}: the live ones, in request order)
     */
    public CompletableFuture<JsonNode> exists(Token... tokens) {
        return exists(Arrays.asList(tokens));
    }

    /**
     * {@code SH_EXISTS {tkns}}.
     *
     * @param tokens the tokens to check
     * @return the inner {@code SH_EXISTS_RSP} object ({@code exist}: the live ones, in request order)
     */
    public CompletableFuture<JsonNode> exists(Collection<Token> tokens) {
        ObjectNode params = Json.object();
        params.set("tkns", tokenArray(tokens));
        return command("SH_EXISTS", params);
    }

    /**
     * {@code SH_INFO {tkn}}.
     *
     * @param token the session
     * @return the inner {@code SH_INFO_RSP} object ({@code keyCnt}, {@code shared}, {@code expires}, ...)
     */
    public CompletableFuture<JsonNode> info(Token token) {
        return command("SH_INFO", withToken(token));
    }

    /** {@code SH_INFO_ALL {}}; the inner response has {@code totalSessions} and {@code totalKeys}. */
    public CompletableFuture<JsonNode> infoAll() {
        return command("SH_INFO_ALL", Json.object());
    }

    /**
     * {@code SH_SAVE {name}}: saves every session.
     *
     * @param name the dataset name
     * @return the inner {@code SH_SAVE_RSP} object (status 121 on success)
     */
    public CompletableFuture<JsonNode> shSave(String name) {
        return command("SH_SAVE", withName(name));
    }

    /**
     * {@code SH_SAVE {name, tkns}}: saves the given sessions.
     *
     * @param name   the dataset name
     * @param tokens the sessions to save
     * @return the inner {@code SH_SAVE_RSP} object (status 121 on success)
     */
    public CompletableFuture<JsonNode> shSave(String name, Collection<Token> tokens) {
        ObjectNode params = withName(name);
        params.set("tkns", tokenArray(tokens));
        return command("SH_SAVE", params);
    }

    /**
     * {@code SH_LOAD {name}}.
     *
     * @param name the dataset name
     * @return the inner {@code SH_LOAD_RSP} object (status 141, {@code sessions}, {@code keys})
     */
    public CompletableFuture<JsonNode> shLoad(String name) {
        return command("SH_LOAD", withName(name));
    }

    // ---- session data (SH_SET ... SH_CLEAR_SET) ----

    /**
     * {@code SH_SET {tkn, keys}}: inserts or overwrites each entry.
     *
     * @param token the session
     * @param keys  keys and values
     * @return the inner {@code SH_SET_RSP} object
     */
    public CompletableFuture<JsonNode> set(Token token, Map<String, ?> keys) {
        return command("SH_SET", withKeyObject(withToken(token), keys));
    }

    /**
     * {@code SH_ADD {tkn, keys}}: inserts the entries whose key is absent.
     *
     * @param token the session
     * @param keys  keys and values
     * @return the inner {@code SH_ADD_RSP} object
     */
    public CompletableFuture<JsonNode> add(Token token, Map<String, ?> keys) {
        return command("SH_ADD", withKeyObject(withToken(token), keys));
    }

    /**
     * {@code SH_GET {tkn, keys}}.
     *
     * @param token the session
     * @param keys  the keys to read
     * @return the inner {@code SH_GET_RSP} object ({@code keys}: the existing ones with their values)
     */
    public CompletableFuture<JsonNode> get(Token token, String... keys) {
        return command("SH_GET", withKeyArray(withToken(token), keys));
    }

    /**
     * {@code SH_RMV {tkn, keys}}.
     *
     * @param token the session
     * @param keys  the keys to remove
     * @return the inner {@code SH_RMV_RSP} object
     */
    public CompletableFuture<JsonNode> rmv(Token token, String... keys) {
        return command("SH_RMV", withKeyArray(withToken(token), keys));
    }

    /**
     * {@code SH_CONTAINS {tkn, keys}}.
     *
     * @param token the session
     * @param keys  the keys to look for
     * @return the inner {@code SH_CONTAINS_RSP} object ({@code contains}: the existing ones, request order)
     */
    public CompletableFuture<JsonNode> contains(Token token, String... keys) {
        return command("SH_CONTAINS", withKeyArray(withToken(token), keys));
    }

    /**
     * {@code SH_COUNT {tkn}}.
     *
     * @param token the session
     * @return the inner {@code SH_COUNT_RSP} object ({@code cnt})
     */
    public CompletableFuture<JsonNode> count(Token token) {
        return command("SH_COUNT", withToken(token));
    }

    /**
     * {@code SH_KEYS {tkn}}.
     *
     * @param token the session
     * @return the inner {@code SH_KEYS_RSP} object ({@code keys}: array, insertion order)
     */
    public CompletableFuture<JsonNode> keys(Token token) {
        return command("SH_KEYS", withToken(token));
    }

    /**
     * {@code SH_CLEAR {tkn}}.
     *
     * @param token the session
     * @return the inner {@code SH_CLEAR_RSP} object ({@code cnt}: keys removed)
     */
    public CompletableFuture<JsonNode> clear(Token token) {
        return command("SH_CLEAR", withToken(token));
    }

    /**
     * {@code SH_CLEAR_SET {tkn, keys}}: atomically clears the session, then sets the entries.
     *
     * @param token the session
     * @param keys  keys and values
     * @return the inner {@code SH_CLEAR_SET_RSP} object ({@code cnt}: keys removed)
     */
    public CompletableFuture<JsonNode> clearSet(Token token, Map<String, ?> keys) {
        return command("SH_CLEAR_SET", withKeyObject(withToken(token), keys));
    }

    // ---- global key space (KV_*) ----

    /**
     * {@code KV_SET {keys}}.
     *
     * @param keys keys and values
     * @return the inner {@code KV_SET_RSP} object
     */
    public CompletableFuture<JsonNode> kvSet(Map<String, ?> keys) {
        return command("KV_SET", withKeyObject(Json.object(), keys));
    }

    /**
     * {@code KV_ADD {keys}}.
     *
     * @param keys keys and values
     * @return the inner {@code KV_ADD_RSP} object
     */
    public CompletableFuture<JsonNode> kvAdd(Map<String, ?> keys) {
        return command("KV_ADD", withKeyObject(Json.object(), keys));
    }

    /**
     * {@code KV_GET {keys}}.
     *
     * @param keys the keys to read
     * @return the inner {@code KV_GET_RSP} object ({@code keys})
     */
    public CompletableFuture<JsonNode> kvGet(String... keys) {
        return command("KV_GET", withKeyArray(Json.object(), keys));
    }

    /**
     * {@code KV_RMV {keys}}.
     *
     * @param keys the keys to remove
     * @return the inner {@code KV_RMV_RSP} object
     */
    public CompletableFuture<JsonNode> kvRmv(String... keys) {
        return command("KV_RMV", withKeyArray(Json.object(), keys));
    }

    /**
     * {@code KV_CONTAINS {keys}}.
     *
     * @param keys the keys to look for
     * @return the inner {@code KV_CONTAINS_RSP} object ({@code contains})
     */
    public CompletableFuture<JsonNode> kvContains(String... keys) {
        return command("KV_CONTAINS", withKeyArray(Json.object(), keys));
    }

    /** {@code KV_COUNT {}}; the inner response has {@code cnt}. */
    public CompletableFuture<JsonNode> kvCount() {
        return command("KV_COUNT", Json.object());
    }

    /** {@code KV_KEYS {}}; the inner response has {@code keys}. */
    public CompletableFuture<JsonNode> kvKeys() {
        return command("KV_KEYS", Json.object());
    }

    /** {@code KV_CLEAR {}}; the inner response has {@code cnt}, the keys removed. */
    public CompletableFuture<JsonNode> kvClear() {
        return command("KV_CLEAR", Json.object());
    }

    /**
     * {@code KV_CLEAR_SET {keys}}.
     *
     * @param keys keys and values
     * @return the inner {@code KV_CLEAR_SET_RSP} object ({@code cnt}: keys removed)
     */
    public CompletableFuture<JsonNode> kvClearSet(Map<String, ?> keys) {
        return command("KV_CLEAR_SET", withKeyObject(Json.object(), keys));
    }

    /**
     * {@code KV_SAVE {name}}.
     *
     * @param name the dataset name
     * @return the inner {@code KV_SAVE_RSP} object (status 121 on success)
     */
    public CompletableFuture<JsonNode> kvSave(String name) {
        return command("KV_SAVE", withName(name));
    }

    /**
     * {@code KV_LOAD {name}}.
     *
     * @param name the dataset name
     * @return the inner {@code KV_LOAD_RSP} object (status 141 on success)
     */
    public CompletableFuture<JsonNode> kvLoad(String name) {
        return command("KV_LOAD", withName(name));
    }

    // ---- server ----

    /** {@code SV_INFO {}}; the inner response has {@code serverVersion} and {@code persistEnabled}. */
    public CompletableFuture<JsonNode> serverInfo() {
        return command("SV_INFO", Json.object());
    }

    // ---- parameter builders ----

    private static ObjectNode withToken(Token token) {
        ObjectNode params = Json.object();
        params.set("tkn", Objects.requireNonNull(token, "token").toJson());
        return params;
    }

    private static ObjectNode withName(String name) {
        return Json.object().put("name", Objects.requireNonNull(name, "name"));
    }

    private static ArrayNode tokenArray(Collection<Token> tokens) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (Token token : tokens) {
            array.add(Objects.requireNonNull(token, "token").toJson());
        }
        return array;
    }

    private static ObjectNode withKeyObject(ObjectNode params, Map<String, ?> keys) {
        ObjectNode object = params.putObject("keys");
        keys.forEach((key, value) -> object.set(Objects.requireNonNull(key, "key"), Json.toNode(value)));
        return params;
    }

    private static ObjectNode withKeyArray(ObjectNode params, String... keys) {
        ArrayNode array = params.putArray("keys");
        for (String key : keys) {
            array.add(Objects.requireNonNull(key, "key"));
        }
        return params;
    }
}
