package dev.satchel.spec;

/**
 * One parameter of a command.
 *
 * @param name     the member name in the command object
 * @param type     the JSON type it must have (else 41; a malformed token is 101)
 * @param required whether leaving it out is 26 (a token: 101)
 * @param limits   what else the value must satisfy (else 42 or the status named), for people; "" if nothing
 */
public record ParamSpec(String name, JsonType type, boolean required, String limits) {
    public static ParamSpec required(String name, JsonType type, String limits) {
        return new ParamSpec(name, type, true, limits);
    }

    public static ParamSpec optional(String name, JsonType type, String limits) {
        return new ParamSpec(name, type, false, limits);
    }
}
