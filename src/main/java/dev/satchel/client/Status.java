package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code st} status numbers of the Satchel protocol (PROTOCOL.md, section 3), for client code. The
 * numbers themselves live in {@link dev.satchel.spec.Status}, which the server uses: one source for both.
 */
public final class Status {

    /** Success. */
    public static final int OK = dev.satchel.spec.Status.OK.code();
    /** A BINARY frame was sent. */
    public static final int OP_CODE_INVALID = dev.satchel.spec.Status.OP_CODE_INVALID.code();
    /** The request is not valid JSON. */
    public static final int JSON_INVALID = dev.satchel.spec.Status.JSON_INVALID.code();
    /** Unknown command. */
    public static final int COMMAND_NOT_EXIST = dev.satchel.spec.Status.COMMAND_NOT_EXIST.code();
    /** The envelope or the command value has the wrong shape. */
    public static final int COMMAND_SYNTAX = dev.satchel.spec.Status.COMMAND_SYNTAX.code();
    /** The command is disabled by configuration (e.g. saves without persistence). */
    public static final int COMMAND_DISABLED = dev.satchel.spec.Status.COMMAND_DISABLED.code();
    /** Something named does not exist. */
    public static final int NOT_EXIST = dev.satchel.spec.Status.NOT_EXIST.code();
    /** A required parameter is missing. */
    public static final int PARAM_MISSING = dev.satchel.spec.Status.PARAM_MISSING.code();
    /** A parameter has the wrong JSON type. */
    public static final int VALUE_TYPE_INVALID = dev.satchel.spec.Status.VALUE_TYPE_INVALID.code();
    /** A parameter has a bad size or range. */
    public static final int VALUE_SIZE = dev.satchel.spec.Status.VALUE_SIZE.code();
    /** No session has that token. */
    public static final int SESSION_NOT_EXIST = dev.satchel.spec.Status.SESSION_NOT_EXIST.code();
    /** The token is missing or malformed. */
    public static final int SESSION_TOKEN_INVALID = dev.satchel.spec.Status.SESSION_TOKEN_INVALID.code();
    /** No shared session has that name. */
    public static final int SESSION_OPEN_FAIL = dev.satchel.spec.Status.SESSION_OPEN_FAIL.code();
    /** The session could not be created (e.g. the shared name is taken). */
    public static final int SESSION_NEW_FAIL = dev.satchel.spec.Status.SESSION_NEW_FAIL.code();
    /** A save finished. */
    public static final int SAVE_COMPLETE = dev.satchel.spec.Status.SAVE_COMPLETE.code();
    /** The save directory could not be written. */
    public static final int SAVE_DIR_WRITE_FAIL = dev.satchel.spec.Status.SAVE_DIR_WRITE_FAIL.code();
    /** A save failed. */
    public static final int SAVE_ERROR = dev.satchel.spec.Status.SAVE_ERROR.code();
    /** A load finished. */
    public static final int LOAD_COMPLETE = dev.satchel.spec.Status.LOAD_COMPLETE.code();
    /** A load failed. */
    public static final int LOAD_ERROR = dev.satchel.spec.Status.LOAD_ERROR.code();
    /** A configured limit was exceeded; {@code m} names it. */
    public static final int LIMIT_EXCEEDED = dev.satchel.spec.Status.LIMIT_EXCEEDED.code();
    /** Internal server error. */
    public static final int UNKNOWN = dev.satchel.spec.Status.UNKNOWN.code();

    private Status() {
    }

    /**
     * Reads the status of an inner response object such as the value of {@code SH_NEW_RSP}.
     *
     * @param response the inner response object
     * @return its {@code st}, or {@code -1} if it has none
     */
    public static int of(JsonNode response) {
        return response.path("st").asInt(-1);
    }

    /** The protocol's name for a status number (e.g. {@code SessionNotExist}). */
    public static String name(int status) {
        return dev.satchel.spec.Status.name(status);
    }
}
