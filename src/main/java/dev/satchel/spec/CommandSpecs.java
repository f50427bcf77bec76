package dev.satchel.spec;

import static dev.satchel.spec.ParamSpec.optional;
import static dev.satchel.spec.ParamSpec.required;
import static dev.satchel.spec.Status.COMMAND_DISABLED;
import static dev.satchel.spec.Status.LOAD_COMPLETE;
import static dev.satchel.spec.Status.LOAD_ERROR;
import static dev.satchel.spec.Status.OK;
import static dev.satchel.spec.Status.PARAM_MISSING;
import static dev.satchel.spec.Status.SAVE_COMPLETE;
import static dev.satchel.spec.Status.SAVE_DIR_WRITE_FAIL;
import static dev.satchel.spec.Status.SAVE_ERROR;
import static dev.satchel.spec.Status.SESSION_NEW_FAIL;
import static dev.satchel.spec.Status.SESSION_NOT_EXIST;
import static dev.satchel.spec.Status.SESSION_OPEN_FAIL;
import static dev.satchel.spec.Status.SESSION_TOKEN_INVALID;
import static dev.satchel.spec.Status.VALUE_SIZE;
import static dev.satchel.spec.Status.VALUE_TYPE_INVALID;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every command of the protocol, declared once, in protocol order (docs/protocol.md sections 5, 6, 8, 9). */
public final class CommandSpecs {
    /** Longest session name, in UTF-8 bytes. */
    public static final int MAX_SESSION_NAME_BYTES = 1024;

    private static final ParamSpec TKN = required("tkn", JsonType.TOKEN, "a session token (101 if missing or malformed)");
    private static final ParamSpec KEYS_OBJECT = required("keys", JsonType.OBJECT, "members are the keys to store");
    private static final ParamSpec KEYS_ARRAY = required("keys", JsonType.ARRAY, "string items are keys; others are skipped");
    private static final ParamSpec DATASET = required("name", JsonType.STRING, "a dataset name (" + DatasetNames.RULE + ")",
            ValueRule.DATASET_NAME);

    private static final Map<String, CommandSpec> BY_NAME;
    private static final List<CommandSpec> ALL;

    static {
        List<CommandSpec> all = new ArrayList<>();
        all.add(spec("SH_NEW", List.of(
                optional("expiry", JsonType.OBJECT, "duration (seconds, required, 0 or more), deleteSession, "
                        + "extendOnSetAdd, extendOnGet (booleans)", ValueRule.EXPIRY_MEMBERS),
                optional("name", JsonType.STRING, "1 to " + MAX_SESSION_NAME_BYTES + " UTF-8 bytes",
                        ValueRule.SESSION_NAME),
                optional("shared", JsonType.BOOLEAN, "true needs name")),
                EnumSet.of(OK, PARAM_MISSING, VALUE_TYPE_INVALID, VALUE_SIZE, SESSION_NEW_FAIL), CliForm.PARAMS,
                "SH_NEW [name=N] [shared=true] [expiry.duration=S] [expiry.deleteSession=B]"
                        + " [expiry.extendOnSetAdd=B] [expiry.extendOnGet=B]", "create a session; sets $tkn"));
        all.add(spec("SH_OPEN", List.of(required("name", JsonType.STRING, "1 to " + MAX_SESSION_NAME_BYTES
                + " UTF-8 bytes", ValueRule.SESSION_NAME)), EnumSet.of(OK, PARAM_MISSING, VALUE_TYPE_INVALID, VALUE_SIZE, SESSION_OPEN_FAIL),
                CliForm.NAME, "SH_OPEN NAME", "token of a shared session; sets $tkn"));
        all.add(spec("SH_END", List.of(TKN), EnumSet.of(OK, SESSION_TOKEN_INVALID, SESSION_NOT_EXIST), CliForm.TOKEN,
                "SH_END [TKN]", "end a session"));
        all.add(spec("SH_END_ALL", List.of(), EnumSet.of(OK), CliForm.NONE, "SH_END_ALL", "end every session"));
        all.add(spec("SH_EXISTS", List.of(required("tkns", JsonType.ARRAY, "items that are not tokens are skipped")),
                EnumSet.of(OK, PARAM_MISSING, VALUE_TYPE_INVALID), CliForm.TOKENS, "SH_EXISTS TKN...",
                "which tokens are live"));
        all.add(spec("SH_INFO", List.of(TKN), EnumSet.of(OK, SESSION_TOKEN_INVALID, SESSION_NOT_EXIST), CliForm.TOKEN,
                "SH_INFO [TKN]", "a session's key count and expiry"));
        all.add(spec("SH_INFO_ALL", List.of(), EnumSet.of(OK), CliForm.NONE, "SH_INFO_ALL", "session and key totals"));
        all.add(spec("SH_SAVE", List.of(DATASET, optional("tkns", JsonType.ARRAY, "non-empty, every item a token",
                ValueRule.NON_EMPTY, ValueRule.EVERY_ITEM_A_TOKEN)),
                EnumSet.of(SAVE_COMPLETE, COMMAND_DISABLED, PARAM_MISSING, VALUE_TYPE_INVALID, VALUE_SIZE,
                        SESSION_TOKEN_INVALID, SAVE_DIR_WRITE_FAIL, SAVE_ERROR),
                CliForm.NAME_TOKENS, "SH_SAVE NAME [TKN...]", "save sessions to a dataset"));
        all.add(spec("SH_LOAD", List.of(DATASET), EnumSet.of(LOAD_COMPLETE, PARAM_MISSING, VALUE_TYPE_INVALID, VALUE_SIZE,
                LOAD_ERROR), CliForm.NAME, "SH_LOAD NAME", "load sessions from a dataset"));
        data(all, "SET", true, "KEY=VALUE...", "set keys of a session", "set global keys");
        data(all, "ADD", true, "KEY=VALUE...", "add keys that are absent", "add global keys that are absent");
        data(all, "GET", false, "KEY...", "read keys of a session", "read global keys");
        data(all, "RMV", false, "KEY...", "remove keys of a session", "remove global keys");
        data(all, "CONTAINS", false, "KEY...", "which keys exist", "which global keys exist");
        data(all, "COUNT", null, "", "number of keys in a session", "number of global keys");
        data(all, "KEYS", null, "", "all keys of a session", "all global keys");
        data(all, "CLEAR", null, "", "remove all keys of a session", "remove all global keys");
        data(all, "CLEAR_SET", true, "KEY=VALUE...", "clear, then set keys", "clear, then set global keys");
        all.add(spec("KV_SAVE", List.of(DATASET), EnumSet.of(SAVE_COMPLETE, COMMAND_DISABLED, PARAM_MISSING,
                VALUE_TYPE_INVALID, VALUE_SIZE, SAVE_DIR_WRITE_FAIL, SAVE_ERROR), CliForm.NAME, "KV_SAVE NAME",
                "save the global keys to a dataset"));
        all.add(spec("KV_LOAD", List.of(DATASET), EnumSet.of(LOAD_COMPLETE, PARAM_MISSING, VALUE_TYPE_INVALID,
                VALUE_SIZE, LOAD_ERROR), CliForm.NAME, "KV_LOAD NAME", "load global keys from a dataset"));
        all.add(spec("SV_INFO", List.of(), EnumSet.of(OK), CliForm.NONE, "SV_INFO", "server version and counters"));
        ALL = List.copyOf(sorted(all));
        Map<String, CommandSpec> byName = new LinkedHashMap<>();
        for (CommandSpec s : ALL) {
            if (byName.put(s.name(), s) != null) {
                throw new ExceptionInInitializerError("command declared twice: " + s.name());
            }
        }
        BY_NAME = Collections.unmodifiableMap(byName);
    }

    private CommandSpecs() {
    }

    private static CommandSpec spec(String name, List<ParamSpec> params, EnumSet<Status> statuses, CliForm form,
            String usage, String help) {
        return new CommandSpec(name, params, statuses, form, usage, help);
    }

    /**
     * The session and global forms of a key-value command. {@code keysObject}: true for a {@code keys} object,
     * false for a {@code keys} array, null for no parameter.
     */
    private static void data(List<CommandSpec> all, String suffix, Boolean keysObject, String args, String sessionHelp,
            String globalHelp) {
        List<ParamSpec> params = keysObject == null ? List.of() : List.of(keysObject ? KEYS_OBJECT
                : "RMV".equals(suffix) ? required("keys", JsonType.ARRAY, "non-empty (else 42); string items are keys",
                        ValueRule.NON_EMPTY)
                : KEYS_ARRAY);
        EnumSet<Status> statuses = EnumSet.of(OK);
        if (keysObject != null) {
            statuses.addAll(EnumSet.of(PARAM_MISSING, VALUE_TYPE_INVALID));
        }
        if ("RMV".equals(suffix)) {
            statuses.add(VALUE_SIZE);
        }
        List<ParamSpec> sessionParams = new ArrayList<>();
        sessionParams.add(TKN);
        sessionParams.addAll(params);
        EnumSet<Status> sessionStatuses = EnumSet.copyOf(statuses);
        sessionStatuses.addAll(EnumSet.of(SESSION_TOKEN_INVALID, SESSION_NOT_EXIST));
        CliForm sessionForm = keysObject == null ? CliForm.TOKEN : keysObject ? CliForm.TOKEN_KEY_VALUES : CliForm.TOKEN_KEYS;
        CliForm globalForm = keysObject == null ? CliForm.NONE : keysObject ? CliForm.KEY_VALUES : CliForm.KEYS;
        String sessionUsage = "SH_" + suffix + (keysObject == null ? " [TKN]" : " TKN " + args);
        String globalUsage = "KV_" + suffix + (args.isEmpty() ? "" : " " + args);
        all.add(spec("SH_" + suffix, sessionParams, sessionStatuses, sessionForm, sessionUsage, sessionHelp));
        all.add(spec("KV_" + suffix, params, statuses, globalForm, globalUsage, globalHelp));
    }

    /** Session commands, then the SH_ key-value commands, the KV_ ones (saves and loads last) and SV_INFO. */
    private static List<CommandSpec> sorted(List<CommandSpec> all) {
        List<CommandSpec> out = new ArrayList<>();
        for (String prefix : new String[] {"SH_", "KV_", "SV_"}) {
            for (CommandSpec s : all) {
                if (s.name().startsWith(prefix)) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** Every command, in protocol order. */
    public static List<CommandSpec> all() {
        return ALL;
    }

    /** The command called {@code name} (exact, upper case), or null. */
    public static CommandSpec get(String name) {
        return BY_NAME.get(name);
    }

    /** The command called {@code name}; throws if the protocol has none. */
    public static CommandSpec require(String name) {
        CommandSpec s = BY_NAME.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no command " + name + " is declared in CommandSpecs");
        }
        return s;
    }
}
