package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The {@code st} status numbers of the Satchel protocol (PROTOCOL.md, section 3), for client code. The
 * numbers themselves live in {@link dev.satchel.protocol.Status}, which the server uses: one source for both.
 */
public final class Status {

    /** Success. */
    public static final int OK = dev.satchel.protocol.Status.OK;
    /** A BINARY frame was sent. */
    public static final int OP_CODE_INVALID = dev.satchel.protocol.Status.OP_CODE_INVALID;
    /** The request is not valid JSON. */
    public static final int JSON_INVALID = dev.satchel.protocol.Status.JSON_INVALID;
    /** Unknown command. */
    public static final int COMMAND_NOT_EXIST = dev.satchel.protocol.Status.COMMAND_NOT_EXIST;
    /** The envelope or the command value has the wrong shape. */
    public static final int COMMAND_SYNTAX = dev.satchel.protocol.Status.COMMAND_SYNTAX;
    /** The command is disabled by configuration (e.g. saves without persistence). */
    public static final int COMMAND_DISABLED = dev.satchel.protocol.Status.COMMAND_DISABLED;
    /** Something named does not exist. */
    public static final int NOT_EXIST = dev.satchel.protocol.Status.NOT_EXIST;
    /** A required parameter is missing. */
    public static final int PARAM_MISSING = dev.satchel.protocol.Status.PARAM_MISSING;
    /** A parameter has the wrong JSON type. */
    public static final int VALUE_TYPE_INVALID = dev.satchel.protocol.Status.VALUE_TYPE_INVALID;
    /** A parameter has a bad size or range. */
    public static final int VALUE_SIZE = dev.satchel.protocol.Status.VALUE_SIZE;
    /** No session has that token. */
    public static final int SESSION_NOT_EXIST = dev.satchel.protocol.Status.SESSION_NOT_EXIST;
    /** The token is missing or malformed. */
    public static final int SESSION_TOKEN_INVALID = dev.satchel.protocol.Status.SESSION_TOKEN_INVALID;
    /** No shared session has that name. */
    public static final int SESSION_OPEN_FAIL = dev.satchel.protocol.Status.SESSION_OPEN_FAIL;
    /** The session could not be created (e.g. the shared name is taken). */
    public static final int SESSION_NEW_FAIL = dev.satchel.protocol.Status.SESSION_NEW_FAIL;
    /** A save finished. */
    public static final int SAVE_COMPLETE = dev.satchel.protocol.Status.SAVE_COMPLETE;
    /** The save directory could not be written. */
    public static final int SAVE_DIR_WRITE_FAIL = dev.satchel.protocol.Status.SAVE_DIR_WRITE_FAIL;
    /** A save failed. */
    public static final int SAVE_ERROR = dev.satchel.protocol.Status.SAVE_ERROR;
    /** A load finished. */
    public static final int LOAD_COMPLETE = dev.satchel.protocol.Status.LOAD_COMPLETE;
    /** A load failed. */
    public static final int LOAD_ERROR = dev.satchel.protocol.Status.LOAD_ERROR;
    /** A configured limit was exceeded; {@code m} names it. */
    public static final int LIMIT_EXCEEDED = dev.satchel.protocol.Status.LIMIT_EXCEEDED;
    /** Internal server error. */
    public static final int UNKNOWN = dev.satchel.protocol.Status.UNKNOWN;

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
        return dev.satchel.protocol.Status.name(status);
    }
}
