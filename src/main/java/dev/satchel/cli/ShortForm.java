package dev.satchel.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.satchel.cli.LineTokenizer.Word;
import dev.satchel.spec.CliForm;
import dev.satchel.spec.CommandSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns a shell line into a request. Two kinds of lines:
 *
 * <ul>
 *   <li>A line starting with <code>{</code> is raw JSON, sent as typed except that {@code $tkn} outside JSON
 *       strings is replaced by the remembered token.</li>
 *   <li>Anything else is a short form: {@code COMMAND ARG...}. The command name is case-insensitive. What the
 *       arguments mean depends on the command ({@link CliForm}): a token, names, key names, or
 *       {@code NAME=VALUE} words, which are parameters (dotted names nest: {@code expiry.duration=60}) or, after
 *       the token of a data command and in {@code KV_SET}-like commands, the data keys.</li>
 * </ul>
 *
 * <p>Values: a JSON number, {@code true}, {@code false}, {@code null}, a JSON object or array, or a double-quoted
 * JSON string is that JSON value (numbers and strings keep their spelling); a single-quoted text is a string
 * taken literally; {@code $tkn} is the remembered token; any other text is a plain string.
 */
final class ShortForm {

    /**
     * A request ready to send.
     *
     * @param command the command name, e.g. {@code SH_SET}, or {@code null} for a raw JSON line
     * @param json    the request text
     */
    record Request(String command, String json) {
    }

    /** The shell's word for the remembered token. */
    static final String TOKEN_VARIABLE = "$tkn";

    /** Strict JSON; strings as long as a response can hold. */
    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern COMMAND_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final Pattern PARAM_SEGMENT = Pattern.compile("[^.]+");

    private ShortForm() {
    }

    /**
     * Parses one line typed in the shell or read from a script.
     *
     * @param line  the line (not blank)
     * @param token the remembered token, or {@code null} if there is none yet
     * @return the request
     * @throws ShortFormException if the line is not a valid short form
     */
    static Request parseLine(String line, JsonNode token) throws ShortFormException {
        String text = line.strip();
        if (text.startsWith("{")) {
            return new Request(null, substituteToken(text, token));
        }
        return parseWords(LineTokenizer.words(text), token);
    }

    /**
     * Parses a command given as command-line arguments, one word per argument. A single argument is read as a
     * whole line (so {@code 'SH_GET $tkn a b'} works too).
     *
     * @param arguments the arguments, not empty
     * @param token     the remembered token, or {@code null}
     * @return the request
     * @throws ShortFormException if the arguments are not a valid short form
     */
    static Request parseArguments(List<String> arguments, JsonNode token) throws ShortFormException {
        if (arguments.size() == 1 || arguments.get(0).strip().startsWith("{")) {
            return parseLine(String.join(" ", arguments), token);
        }
        List<Word> words = new ArrayList<>(arguments.size());
        for (String argument : arguments) {
            words.add(LineTokenizer.argument(argument));
        }
        return parseWords(words, token);
    }

    static Request parseWords(List<Word> words, JsonNode token) throws ShortFormException {
        if (words.isEmpty()) {
            throw new ShortFormException("empty command");
        }
        Word first = words.get(0);
        if (first.hasKey() || !COMMAND_NAME.matcher(first.raw()).matches()) {
            throw new ShortFormException("not a command: " + first.raw()
                    + " (a line is COMMAND ARG..., e.g. SH_NEW, or raw JSON starting with {; type help)");
        }
        String command = first.raw().toUpperCase(Locale.ROOT);
        List<Word> args = words.subList(1, words.size());
        ObjectNode params = new Builder(command, token).build(CommandShape.of(command), args);
        return new Request(command, "{\"" + command + "\":" + write(params) + "}");
    }

    /** Builds the parameter object of one command. */
    private static final class Builder {
        private final String command;
        private final JsonNode token;
        private final ObjectNode params = NODES.objectNode();

        Builder(String command, JsonNode token) {
            this.command = command;
            this.token = token;
        }

        ObjectNode build(CliForm shape, List<Word> args) throws ShortFormException {
            switch (shape) {
                case TOKEN_KEY_VALUES -> {
                    params.set("tkn", leadingToken(args));
                    ObjectNode keys = params.putObject("keys");
                    for (Word word : args.subList(1, args.size())) {
                        if (!word.hasKey()) {
                            throw new ShortFormException(command + ": expected KEY=VALUE, got " + word.raw()
                                    + " (usage: " + usage() + ")");
                        }
                        putKey(keys, word);
                    }
                }
                case TOKEN_KEYS -> {
                    params.set("tkn", leadingToken(args));
                    params.set("keys", keyArray(args.subList(1, args.size())));
                }
                case KEY_VALUES -> {
                    ObjectNode keys = params.putObject("keys");
                    for (Word word : args) {
                        if (!word.hasKey()) {
                            throw new ShortFormException(command + ": expected KEY=VALUE, got " + word.raw()
                                    + " (usage: " + usage() + ")");
                        }
                        putKey(keys, word);
                    }
                }
                case KEYS -> params.set("keys", keyArray(args));
                default -> positionalAndParams(shape, args);
            }
            return params;
        }

        /** Shapes whose NAME=VALUE words are parameters: positional words first, then the parameters. */
        private void positionalAndParams(CliForm shape, List<Word> args) throws ShortFormException {
            List<Word> positional = new ArrayList<>();
            ObjectNode named = NODES.objectNode();
            for (Word word : args) {
                if (word.hasKey()) {
                    putParam(named, word);
                } else {
                    positional.add(word);
                }
            }
            switch (shape) {
                case PARAMS -> {
                    if (!positional.isEmpty()) {
                        throw new ShortFormException(command + " takes NAME=VALUE parameters, not "
                                + positional.get(0).raw() + " (usage: " + usage() + ")");
                    }
                }
                case NONE -> {
                    if (!positional.isEmpty()) {
                        throw new ShortFormException(command + " takes no arguments, got " + positional.get(0).raw());
                    }
                }
                case NAME -> {
                    if (positional.size() > 1) {
                        throw new ShortFormException(command + " takes one name, got " + positional.size()
                                + " words (quote a name with spaces; usage: " + usage() + ")");
                    }
                    if (positional.size() == 1) {
                        params.put("name", text(positional.get(0).raw()));
                    } else if (!named.has("name")) {
                        throw new ShortFormException(command + " needs a name (usage: " + usage() + ")");
                    }
                }
                case TOKEN -> {
                    if (positional.size() > 1) {
                        throw new ShortFormException(command + " takes one token, got " + positional.size()
                                + " words (usage: " + usage() + ")");
                    }
                    if (positional.size() == 1) {
                        params.set("tkn", tokenValue(positional.get(0)));
                    } else if (!named.has("tkn")) {
                        params.set("tkn", rememberedToken());
                    }
                }
                case TOKENS -> params.set("tkns", tokenArray(positional));
                case NAME_TOKENS -> {
                    if (positional.isEmpty()) {
                        if (!named.has("name")) {
                            throw new ShortFormException(command + " needs a name (usage: " + usage() + ")");
                        }
                    } else {
                        params.put("name", text(positional.get(0).raw()));
                        if (positional.size() > 1) {
                            params.set("tkns", tokenArray(positional.subList(1, positional.size())));
                        }
                    }
                }
                default -> throw new IllegalStateException(shape.name());
            }
            for (var field : named.properties()) {
                if (params.has(field.getKey())) {
                    throw new ShortFormException(command + ": " + field.getKey() + " is given twice");
                }
                params.set(field.getKey(), field.getValue());
            }
        }

        private String usage() {
            CommandSpec known = CommandShape.commands().get(command);
            return known != null ? known.usage() : command + " [NAME=VALUE...]";
        }

        private JsonNode leadingToken(List<Word> args) throws ShortFormException {
            if (args.isEmpty() || args.get(0).hasKey()) {
                throw new ShortFormException(command + " needs the token first (usage: " + usage()
                        + "; $tkn is the token of the last SH_NEW or SH_OPEN)");
            }
            return tokenValue(args.get(0));
        }

        private JsonNode tokenValue(Word word) throws ShortFormException {
            return value(word.value(), token);
        }

        private ArrayNode tokenArray(List<Word> words) throws ShortFormException {
            ArrayNode array = NODES.arrayNode();
            for (Word word : words) {
                array.add(tokenValue(word));
            }
            return array;
        }

        private JsonNode rememberedToken() throws ShortFormException {
            if (token == null) {
                throw new ShortFormException(command + " needs a token: give one, or run SH_NEW or SH_OPEN first"
                        + " so that $tkn is set (usage: " + usage() + ")");
            }
            return token;
        }

        private void putKey(ObjectNode keys, Word word) throws ShortFormException {
            String key = keyText(word.key());
            if (keys.has(key)) {
                throw new ShortFormException(command + ": key " + key + " is given twice");
            }
            keys.set(key, value(word.value(), token));
        }

        /** A parameter: a bare dotted name nests ({@code expiry.duration}); a quoted name is taken whole. */
        private void putParam(ObjectNode target, Word word) throws ShortFormException {
            String rawName = word.key();
            List<String> path;
            if (rawName.startsWith("\"") || rawName.startsWith("'")) {
                path = List.of(keyText(rawName));
            } else {
                path = List.of(rawName.split("\\.", -1));
                for (String segment : path) {
                    if (!PARAM_SEGMENT.matcher(segment).matches()) {
                        throw new ShortFormException(command + ": bad parameter name " + rawName);
                    }
                }
            }
            ObjectNode node = target;
            for (int i = 0; i < path.size() - 1; i++) {
                JsonNode child = node.get(path.get(i));
                if (child == null) {
                    node = node.putObject(path.get(i));
                } else if (child instanceof ObjectNode) {
                    node = (ObjectNode) child;
                } else {
                    throw new ShortFormException(command + ": " + String.join(".", path.subList(0, i + 1))
                            + " is given both as a value and with members");
                }
            }
            String last = path.get(path.size() - 1);
            if (node.has(last)) {
                throw new ShortFormException(command + ": " + rawName + " is given twice");
            }
            node.set(last, value(word.value(), token));
        }
    }

    private static ArrayNode keyArray(List<Word> words) throws ShortFormException {
        ArrayNode array = NODES.arrayNode();
        for (Word word : words) {
            array.add(word.hasKey() ? word.raw() : text(word.raw()));
        }
        return array;
    }

    /**
     * Converts a value as typed: {@code $tkn}, JSON literals, numbers, objects, arrays and double-quoted strings
     * are JSON (kept as typed); single quotes give a literal string; anything else is a plain string.
     *
     * @param raw   the value text, quotes included
     * @param token the remembered token, or {@code null}
     * @return the JSON value
     * @throws ShortFormException if the value is {@code $tkn} but no token is remembered, or starts like JSON
     *                            but is not valid JSON
     */
    static JsonNode value(String raw, JsonNode token) throws ShortFormException {
        if (raw.equals(TOKEN_VARIABLE)) {
            if (token == null) {
                throw new ShortFormException("$tkn is not set yet: run SH_NEW or SH_OPEN first");
            }
            return token;
        }
        if (raw.isEmpty()) {
            return NODES.textNode("");
        }
        char c = raw.charAt(0);
        if (c == '"' || c == '{' || c == '[') {
            JsonNode parsed;
            try {
                parsed = MAPPER.readTree(raw);
            } catch (JsonProcessingException e) {
                throw new ShortFormException("invalid JSON " + (c == '"' ? "string " : "value ") + raw + ": "
                        + e.getOriginalMessage());
            }
            if (parsed == null) {
                throw new ShortFormException("invalid JSON value " + raw);
            }
            return NODES.rawValueNode(new RawValue(raw));
        }
        if (c == '\'') {
            return NODES.textNode(raw.substring(1, raw.length() - 1));
        }
        switch (raw) {
            case "true":
                return NODES.booleanNode(true);
            case "false":
                return NODES.booleanNode(false);
            case "null":
                return NODES.nullNode();
            default:
                break;
        }
        if (JSON_NUMBER.matcher(raw).matches()) {
            return NODES.rawValueNode(new RawValue(raw));
        }
        return NODES.textNode(raw);
    }

    /** A key, name or key-list item: quotes are removed (double quotes decode JSON escapes). */
    static String text(String raw) throws ShortFormException {
        if (raw.length() >= 2 && raw.startsWith("'")) {
            return raw.substring(1, raw.length() - 1);
        }
        if (raw.startsWith("\"")) {
            try {
                JsonNode parsed = MAPPER.readTree(raw);
                return parsed.textValue();
            } catch (JsonProcessingException e) {
                throw new ShortFormException("invalid JSON string " + raw + ": " + e.getOriginalMessage());
            }
        }
        return raw;
    }

    private static String keyText(String raw) throws ShortFormException {
        if (raw.startsWith("{") || raw.startsWith("[")) {
            throw new ShortFormException("a key is text, not JSON: " + raw);
        }
        return text(raw);
    }

    /** Replaces {@code $tkn} outside JSON strings with the token's JSON text. */
    static String substituteToken(String json, JsonNode token) throws ShortFormException {
        if (!json.contains(TOKEN_VARIABLE)) {
            return json;
        }
        StringBuilder out = new StringBuilder(json.length() + 32);
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                out.append(c);
                if (c == '\\' && i + 1 < json.length()) {
                    out.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.append(c);
            } else if (json.startsWith(TOKEN_VARIABLE, i)) {
                if (token == null) {
                    throw new ShortFormException("$tkn is not set yet: run SH_NEW or SH_OPEN first");
                }
                out.append(token);
                i += TOKEN_VARIABLE.length() - 1;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write request", e);
        }
    }
}
