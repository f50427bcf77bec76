package dev.satchel.persist;

/**
 * A save or load that failed, with the protocol status to answer (122 SaveDirWriteFail, 123 SaveError or
 * 142 LoadError) and a one-line message for the client and the log.
 */
public final class PersistException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;

    public PersistException(int status, String message) {
        super(message);
        this.status = status;
    }

    public PersistException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
