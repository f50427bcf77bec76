package dev.satchel.spec;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The declaration of one command, the one place its outward shape is written down: its name, its parameters,
 * the statuses it can answer, and how the shell writes it. The server's commands, the decoder's parameter
 * table, the shell's short forms and help, the Java client's typed calls and docs/protocol.md are driven by
 * or checked against these ({@link CommandSpecs#all()}).
 *
 * @param name     the command name, e.g. {@code SH_SET}; the response is {@code <name>_RSP}
 * @param params   its parameters, in the order the protocol lists them
 * @param statuses every status its response can carry, besides {@link #ANY_COMMAND}'s
 * @param cliForm  the arguments of its short form in {@code satchel cli}
 * @param usage    the short form's usage line
 * @param help     what it does, in a few words (shell help)
 */
public record CommandSpec(String name, List<ParamSpec> params, Set<Status> statuses, CliForm cliForm, String usage,
        String help) {
    /**
     * Statuses any command can answer: 13 (the command value is not an object, or a member name repeats), 170
     * (a request limit: depth, string, key, value or key count) and 1000 (an internal error).
     */
    public static final Set<Status> ANY_COMMAND =
            Collections.unmodifiableSet(EnumSet.of(Status.COMMAND_SYNTAX, Status.LIMIT_EXCEEDED, Status.UNKNOWN));

    /**
     * @throws IllegalArgumentException if a parameter can be answered with a status {@code statuses} does not list
     *                                  (its absence, type or rules: {@link ParamSpec#statuses()})
     */
    public CommandSpec {
        params = List.copyOf(params);
        EnumSet<Status> all = EnumSet.copyOf(ANY_COMMAND);
        all.addAll(statuses);
        for (ParamSpec p : params) {
            if (!all.containsAll(p.statuses())) {
                EnumSet<Status> missing = EnumSet.copyOf(p.statuses());
                missing.removeAll(all);
                throw new IllegalArgumentException(name + "." + p.name() + " can be answered with " + missing
                        + ", which " + name + " does not declare");
            }
        }
        statuses = Collections.unmodifiableSet(all);
    }

    /** The parameter called {@code param}, or null. */
    public ParamSpec param(String param) {
        for (ParamSpec p : params) {
            if (p.name().equals(param)) {
                return p;
            }
        }
        return null;
    }

    /** The response member name: {@code <name>_RSP}. */
    public String responseName() {
        return name + "_RSP";
    }
}
