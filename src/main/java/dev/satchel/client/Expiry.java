package dev.satchel.client;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The expiry settings of a new session ({@code expiry} parameter of {@code SH_NEW}).
 *
 * @param durationSeconds seconds until the session expires; {@code 0} means never (the flags are then ignored)
 * @param deleteSession   at the deadline, end the session ({@code true}) or only clear its keys ({@code false})
 * @param extendOnSetAdd  each successful {@code SH_SET}, {@code SH_ADD} or {@code SH_CLEAR_SET} restarts the period
 * @param extendOnGet     each successful {@code SH_GET} restarts the period
 */
public record Expiry(long durationSeconds, boolean deleteSession, boolean extendOnSetAdd, boolean extendOnGet) {

    /** A session that never expires. */
    public static final Expiry NEVER = new Expiry(0, false, false, false);

    /**
     * Checks the duration.
     *
     * @throws IllegalArgumentException if {@code durationSeconds} is negative (send such a request with
     *                                  {@link SatchelClient#sendRaw(String)} to test the server's answer)
     */
    public Expiry {
        if (durationSeconds < 0) {
            throw new IllegalArgumentException("durationSeconds must be >= 0, got " + durationSeconds);
        }
    }

    /**
     * An expiry that clears the session's keys every {@code durationSeconds}, with no extension.
     *
     * @param durationSeconds the period in seconds, {@code 0} for never
     * @return the expiry
     */
    public static Expiry of(long durationSeconds) {
        return new Expiry(durationSeconds, false, false, false);
    }

    /** Returns the protocol's {@code expiry} object. */
    public ObjectNode toJson() {
        ObjectNode json = Json.object();
        json.put("duration", durationSeconds);
        json.put("deleteSession", deleteSession);
        json.put("extendOnSetAdd", extendOnSetAdd);
        json.put("extendOnGet", extendOnGet);
        return json;
    }
}
