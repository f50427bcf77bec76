package dev.satchel.persist;

import dev.satchel.spec.Status;

/**
 * A save or load that failed, with the protocol status to answer (122 SaveDirWriteFail, 123 SaveError or
 * 142 LoadError) and a one-line message for the client and the log.
 */
public final class PersistException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Status status;

    public PersistException(Status status, String message) {
        super(message);
        this.status = status;
    }

    public PersistException(Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public Status status() {
        return status;
    }
}
