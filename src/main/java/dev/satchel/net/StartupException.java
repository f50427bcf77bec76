package dev.satchel.net;

/**
 * The server cannot start for a reason that is not about listening: an unsafe or unreadable security setting
 * (protected mode, TLS files), the dataset directory, or the start-up load. The message is one line for the
 * operator ({@code satchel server} prints it and exits with status 1).
 */
public final class StartupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
