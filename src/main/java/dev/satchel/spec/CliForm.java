package dev.satchel.spec;

/**
 * The arguments a command takes in the shell's short form ({@code satchel cli}). {@code NAME=VALUE} words are
 * parameters everywhere except after the token of a data command, where they are the data keys.
 */
public enum CliForm {
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

    /** Whether the first argument is a token. */
    public boolean takesToken() {
        return this == TOKEN || this == TOKEN_KEY_VALUES || this == TOKEN_KEYS;
    }
}
