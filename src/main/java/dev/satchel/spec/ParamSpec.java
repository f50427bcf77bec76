package dev.satchel.spec;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One parameter of a command, as the request decoder checks it: presence, then JSON type, then each rule in order.
 *
 * @param name     the member name in the command object
 * @param type     the JSON type it must have (else 41 {@code "<name> must be <type>"}; a malformed token is 101)
 * @param required whether leaving it out is 26 {@code "<name> is required"} (a token: 101)
 * @param rules    what else the value must satisfy, checked by the decoder in this order
 * @param limits   the same in a few words, for people (docs/protocol.md, help); "" if nothing
 */
public record ParamSpec(String name, JsonType type, boolean required, List<ValueRule> rules, String limits) {
    public ParamSpec {
        rules = List.copyOf(rules);
    }

    public static ParamSpec required(String name, JsonType type, String limits, ValueRule... rules) {
        return new ParamSpec(name, type, true, List.of(rules), limits);
    }

    public static ParamSpec optional(String name, JsonType type, String limits, ValueRule... rules) {
        return new ParamSpec(name, type, false, List.of(rules), limits);
    }

    /** Every status the decoder can answer for this parameter: missing, wrong type, and its rules'. */
    public Set<Status> statuses() {
        EnumSet<Status> s = EnumSet.noneOf(Status.class);
        if (type == JsonType.TOKEN) {
            s.add(Status.SESSION_TOKEN_INVALID);
        } else {
            s.add(Status.VALUE_TYPE_INVALID);
            if (required) {
                s.add(Status.PARAM_MISSING);
            }
        }
        for (ValueRule r : rules) {
            s.addAll(r.statuses());
        }
        return s;
    }
}
