package dev.satchel.cli;

import dev.satchel.spec.CliForm;
import dev.satchel.spec.CommandSpec;
import dev.satchel.spec.CommandSpecs;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The commands the shell knows and the short form of each: straight from the declarations in {@link CommandSpecs}. */
final class CommandShape {
    private static final Map<String, CommandSpec> COMMANDS;

    static {
        Map<String, CommandSpec> m = new LinkedHashMap<>();
        for (CommandSpec s : CommandSpecs.all()) {
            m.put(s.name(), s);
        }
        COMMANDS = Collections.unmodifiableMap(m);
    }

    private CommandShape() {
    }

    /** Every command the shell knows, in protocol order. */
    static Map<String, CommandSpec> commands() {
        return COMMANDS;
    }

    /** The short form of a command; commands the shell does not know take {@link CliForm#PARAMS}. */
    static CliForm of(String command) {
        CommandSpec known = COMMANDS.get(command);
        return known == null ? CliForm.PARAMS : known.cliForm();
    }
}
