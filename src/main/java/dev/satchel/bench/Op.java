package dev.satchel.bench;

/** The measured request kinds, reported under their protocol command names. */
enum Op {
    NEW("SH_NEW"),
    END("SH_END"),
    SET("SH_SET"),
    GET("SH_GET"),
    KV_SET("KV_SET"),
    KV_GET("KV_GET");

    static final Op[] ALL = values();

    private final String command;

    Op(String command) {
        this.command = command;
    }

    /** The protocol command name, e.g. {@code SH_SET}. */
    String command() {
        return command;
    }

    /** Whether a response with an empty {@code keys} object means the key was missing. */
    boolean isRead() {
        return this == GET || this == KV_GET;
    }
}
