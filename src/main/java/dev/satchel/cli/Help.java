package dev.satchel.cli;

import dev.satchel.spec.CommandSpec;
import java.util.Locale;

/** The shell's {@code help} text. */
final class Help {

    private Help() {
    }

    static final String GRAMMAR = String.join("\n",
            "Lines are short forms or raw JSON:",
            "  SH_NEW expiry.duration=60 name=cart     NAME=VALUE parameters; dotted names nest",
            "  SH_SET $tkn name=Bob age=26 tags=[1,2]  data commands: the token first, then KEY=VALUE",
            "  SH_GET $tkn name age                    ... or key names",
            "  KV_SET greeting='hello world'           KV_ commands take no token",
            "  {\"SH_INFO\":{\"tkn\":$tkn}}                a line starting with { is sent as typed",
            "Values: numbers, true, false, null, {objects} and [arrays] are JSON; \"double quotes\" are a JSON",
            "string (escapes allowed), 'single quotes' a literal string; anything else is a plain string.",
            "$tkn is the token of the last successful SH_NEW or SH_OPEN; SH_INFO, SH_END, SH_COUNT, SH_KEYS",
            "and SH_CLEAR use it when no token is given. Command names are case-insensitive.",
            "Local commands: help [COMMAND], quit (or exit, Ctrl-D). Lines starting with # are comments.");

    /**
     * The help text: the grammar and every command, or the usage of one command.
     *
     * @param command a command name, or {@code null} for everything
     * @return the text
     */
    static String text(String command) {
        if (command != null && !command.isBlank()) {
            CommandSpec known = CommandShape.commands().get(command.strip().toUpperCase(Locale.ROOT));
            if (known == null) {
                return "unknown command " + command.strip() + "; type help for the list";
            }
            return known.usage() + "\n  " + known.help();
        }
        StringBuilder out = new StringBuilder(GRAMMAR).append("\nCommands:");
        for (CommandSpec known : CommandShape.commands().values()) {
            out.append(String.format("%n  %-30s %s", known.usage().length() > 30
                    ? known.name() + " ..." : known.usage(), known.help()));
        }
        return out.toString();
    }
}
