package dev.satchel.persist.journal;

import java.io.IOException;

/**
 * The journal directory cannot be used as it is: its message is one line for the start-up error
 * (a missing segment, a newer format, another token format, a corrupt record, ...).
 */
public class JournalException extends IOException {
    private static final long serialVersionUID = 1L;

    public JournalException(String message) {
        super(message);
    }

    public JournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
