package dev.satchel.json;

import dev.satchel.spec.Status;

/**
 * A request is not valid JSON. Thrown by {@link JsonScanner} without a stack trace: bad input is expected
 * traffic, not a program error, and must stay cheap.
 */
public final class JsonSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;
    private final Status status;

    public JsonSyntaxException(String message) {
        this(Status.JSON_INVALID, message);
    }

    public JsonSyntaxException(Status status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    /** {@link Status#JSON_INVALID}, or {@link Status#LIMIT_EXCEEDED} when a parse limit was hit. */
    public Status status() {
        return status;
    }
}
