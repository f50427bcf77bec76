package dev.satchel.config;

/** A configuration problem, with a one-line message that names the setting and where it came from. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
