package dev.satchel.cli;

/** A shell line that is not a valid short form; the message says what is wrong and how to write it. */
public final class ShortFormException extends Exception {

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the line
     */
    public ShortFormException(String message) {
        super(message);
    }
}
