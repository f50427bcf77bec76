package dev.satchel.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The arguments each Satchel command takes in short form. {@code NAME=VALUE} words are parameters everywhere
 * except after the token of a data command, where they are the data keys.
 */
enum CommandShape {
    /** Only {@code NAME=VALUE} parameters; dotted names nest ({@code expiry.duration=60}). */
    PARAMS,
    /** No argument. */
    NONE,
    /** One name: {@code SH_OPEN cart}. */
    NAME,
    /** An optional token; without one, {@code $tkn}: {@code SH_INFO [TKN]}. */
    TOKEN,
    /** Any number of tokens: {@code SH_EXISTS TKN...}. */
    TOKENS,
    /** A name, then optional tokens: {@code SH_SAVE NAME [TKN...]}. */
    NAME_TOKENS,
    /** A token, then {@code KEY=VALUE} data: {@code SH_SET TKN KEY=VALUE...}. */
    TOKEN_KEY_VALUES,
    /** A token, then key names: {@code SH_GET TKN KEY...}. */
    TOKEN_KEYS,
    /** {@code KEY=VALUE} data: {@code KV_SET KEY=VALUE...}. */
    KEY_VALUES,
    /** Key names: {@code KV_GET KEY...}. */
    KEYS;

    /** A command known to the shell: its shape, a usage line and what it does. */
    record Known(String name, CommandShape shape, String usage, String summary) {
    }

    private static final Map<String, Known> COMMANDS;

    static {
        Map<String, Known> m = new LinkedHashMap<>();
        add(m, "SH_NEW", PARAMS, "SH_NEW [name=N] [shared=true] [expiry.duration=S] [expiry.deleteSession=B]"
                + " [expiry.extendOnSetAdd=B] [expiry.extendOnGet=B]", "create a session; sets $tkn");
        add(m, "SH_OPEN", NAME, "SH_OPEN NAME", "token of a shared session; sets $tkn");
        add(m, "SH_END", TOKEN, "SH_END [TKN]", "end a session");
        add(m, "SH_END_ALL", NONE, "SH_END_ALL", "end every session");
        add(m, "SH_EXISTS", TOKENS, "SH_EXISTS TKN...", "which tokens are live");
        add(m, "SH_INFO", TOKEN, "SH_INFO [TKN]", "a session's key count and expiry");
        add(m, "SH_INFO_ALL", NONE, "SH_INFO_ALL", "session and key totals");
        add(m, "SH_SAVE", NAME_TOKENS, "SH_SAVE NAME [TKN...]", "save sessions to a dataset");
        add(m, "SH_LOAD", NAME, "SH_LOAD NAME", "load sessions from a dataset");
        add(m, "SH_SET", TOKEN_KEY_VALUES, "SH_SET TKN KEY=VALUE...", "set keys of a session");
        add(m, "SH_ADD", TOKEN_KEY_VALUES, "SH_ADD TKN KEY=VALUE...", "add keys that are absent");
        add(m, "SH_GET", TOKEN_KEYS, "SH_GET TKN KEY...", "read keys of a session");
        add(m, "SH_RMV", TOKEN_KEYS, "SH_RMV TKN KEY...", "remove keys of a session");
        add(m, "SH_CONTAINS", TOKEN_KEYS, "SH_CONTAINS TKN KEY...", "which keys exist");
        add(m, "SH_COUNT", TOKEN, "SH_COUNT [TKN]", "number of keys in a session");
        add(m, "SH_KEYS", TOKEN, "SH_KEYS [TKN]", "all keys of a session");
        add(m, "SH_CLEAR", TOKEN, "SH_CLEAR [TKN]", "remove all keys of a session");
        add(m, "SH_CLEAR_SET", TOKEN_KEY_VALUES, "SH_CLEAR_SET TKN KEY=VALUE...", "clear, then set keys");
        add(m, "KV_SET", KEY_VALUES, "KV_SET KEY=VALUE...", "set global keys");
        add(m, "KV_ADD", KEY_VALUES, "KV_ADD KEY=VALUE...", "add global keys that are absent");
        add(m, "KV_GET", KEYS, "KV_GET KEY...", "read global keys");
        add(m, "KV_RMV", KEYS, "KV_RMV KEY...", "remove global keys");
        add(m, "KV_CONTAINS", KEYS, "KV_CONTAINS KEY...", "which global keys exist");
        add(m, "KV_COUNT", NONE, "KV_COUNT", "number of global keys");
        add(m, "KV_KEYS", NONE, "KV_KEYS", "all global keys");
        add(m, "KV_CLEAR", NONE, "KV_CLEAR", "remove all global keys");
        add(m, "KV_CLEAR_SET", KEY_VALUES, "KV_CLEAR_SET KEY=VALUE...", "clear, then set global keys");
        add(m, "KV_SAVE", NAME, "KV_SAVE NAME", "save the global keys to a dataset");
        add(m, "KV_LOAD", NAME, "KV_LOAD NAME", "load global keys from a dataset");
        add(m, "SV_INFO", NONE, "SV_INFO", "server version and counters");
        COMMANDS = Collections.unmodifiableMap(m);
    }

    private static void add(Map<String, Known> m, String name, CommandShape shape, String usage, String summary) {
        m.put(name, new Known(name, shape, usage, summary));
    }

    /** Every command the shell knows, in protocol order. */
    static Map<String, Known> commands() {
        return COMMANDS;
    }

    /** The shape of a command; commands the shell does not know take {@link #PARAMS}. */
    static CommandShape of(String command) {
        Known known = COMMANDS.get(command);
        return known == null ? PARAMS : known.shape();
    }

    /** Whether the first argument is a token. */
    boolean takesToken() {
        return this == TOKEN || this == TOKEN_KEY_VALUES || this == TOKEN_KEYS;
    }
}
