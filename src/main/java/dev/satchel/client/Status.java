package dev.satchel.client;

import com.fasterxml.jackson.databind.JsonNode;

/** The {@code st} status numbers of the Satchel protocol (PROTOCOL.md, section 3). */
public final class Status {

    /** Success. */
    public static final int OK = 1;
    /** A BINARY frame was sent. */
    public static final int OP_CODE_INVALID = 2;
    /** The request is not valid JSON. */
    public static final int JSON_INVALID = 3;
    /** Unknown command. */
    public static final int COMMAND_NOT_EXIST = 10;
    /** The envelope or the command value has the wrong shape. */
    public static final int COMMAND_SYNTAX = 13;
    /** The command is disabled by configuration (e.g. saves without persistence). */
    public static final int COMMAND_DISABLED = 14;
    /** Something named does not exist. */
    public static final int NOT_EXIST = 22;
    /** A required parameter is missing. */
    public static final int PARAM_MISSING = 26;
    /** A parameter has the wrong JSON type. */
    public static final int VALUE_TYPE_INVALID = 41;
    /** A parameter has a bad size or range. */
    public static final int VALUE_SIZE = 42;
    /** No session has that token. */
    public static final int SESSION_NOT_EXIST = 100;
    /** The token is missing or malformed. */
    public static final int SESSION_TOKEN_INVALID = 101;
    /** No shared session has that name. */
    public static final int SESSION_OPEN_FAIL = 102;
    /** The session could not be created (e.g. the shared name is taken). */
    public static final int SESSION_NEW_FAIL = 103;
    /** A save finished. */
    public static final int SAVE_COMPLETE = 121;
    /** The save directory could not be written. */
    public static final int SAVE_DIR_WRITE_FAIL = 122;
    /** A save failed. */
    public static final int SAVE_ERROR = 123;
    /** A load finished. */
    public static final int LOAD_COMPLETE = 141;
    /** A load failed. */
    public static final int LOAD_ERROR = 142;
    /** A configured limit was exceeded; {@code m} names it. */
    public static final int LIMIT_EXCEEDED = 170;
    /** Internal server error. */
    public static final int UNKNOWN = 1000;

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
}
