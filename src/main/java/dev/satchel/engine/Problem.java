package dev.satchel.engine;

import dev.satchel.spec.Status;

/**
 * Why the executor refuses or fails a command, with the status it is answered with: the one place where what the
 * engine finds at run time (no such session, a configured limit, a journal that cannot record changes, an internal
 * error) becomes a status. Commands and the executor answer with these and never pick those statuses themselves;
 * the decoder decides the statuses of malformed parameters, the commands only their own outcomes (102, 103, ...).
 * Instances are made once (limits' messages when the limits are set), so refusing allocates nothing.
 *
 * @param status  the status answered
 * @param message the {@code m} of the answer
 */
public record Problem(Status status, String message) {
    /** 100: no live session has the token. */
    public static final Problem NO_SESSION = new Problem(Status.SESSION_NOT_EXIST, "session does not exist");
    /** 1000: a command threw; the cause is logged. */
    public static final Problem INTERNAL = new Problem(Status.UNKNOWN, "internal error (logged by the server)");

    /** 170: a configured limit ({@code message} names it). */
    public static Problem limit(String message) {
        return new Problem(Status.LIMIT_EXCEEDED, message);
    }

    /** 1000: a change that cannot be recorded (the journal cannot write; {@code message} says why). */
    public static Problem unrecorded(String message) {
        return new Problem(Status.UNKNOWN, message);
    }
}
