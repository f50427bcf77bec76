package dev.satchel.protocol;

/** Status numbers of the wire protocol (docs/protocol.md section 3). */
public final class Status {
    public static final int OK = 1;
    public static final int OP_CODE_INVALID = 2;
    public static final int JSON_INVALID = 3;
    public static final int COMMAND_NOT_EXIST = 10;
    public static final int COMMAND_SYNTAX = 13;
    public static final int COMMAND_DISABLED = 14;
    public static final int NOT_EXIST = 22;
    public static final int PARAM_MISSING = 26;
    public static final int VALUE_TYPE_INVALID = 41;
    public static final int VALUE_SIZE = 42;
    public static final int SESSION_NOT_EXIST = 100;
    public static final int SESSION_TOKEN_INVALID = 101;
    public static final int SESSION_OPEN_FAIL = 102;
    public static final int SESSION_NEW_FAIL = 103;
    public static final int SAVE_COMPLETE = 121;
    public static final int SAVE_DIR_WRITE_FAIL = 122;
    public static final int SAVE_ERROR = 123;
    public static final int LOAD_COMPLETE = 141;
    public static final int LOAD_ERROR = 142;
    public static final int LIMIT_EXCEEDED = 170;
    public static final int UNKNOWN = 1000;

    private Status() {
    }

    /** The protocol's name for a status number, for people reading responses. */
    public static String name(int status) {
        return switch (status) {
            case OK -> "Ok";
            case OP_CODE_INVALID -> "OpCodeInvalid";
            case JSON_INVALID -> "JsonInvalid";
            case COMMAND_NOT_EXIST -> "CommandNotExist";
            case COMMAND_SYNTAX -> "CommandSyntax";
            case COMMAND_DISABLED -> "CommandDisabled";
            case NOT_EXIST -> "NotExist";
            case PARAM_MISSING -> "ParamMissing";
            case VALUE_TYPE_INVALID -> "ValueTypeInvalid";
            case VALUE_SIZE -> "ValueSize";
            case SESSION_NOT_EXIST -> "SessionNotExist";
            case SESSION_TOKEN_INVALID -> "SessionTokenInvalid";
            case SESSION_OPEN_FAIL -> "SessionOpenFail";
            case SESSION_NEW_FAIL -> "SessionNewFail";
            case SAVE_COMPLETE -> "SaveComplete";
            case SAVE_DIR_WRITE_FAIL -> "SaveDirWriteFail";
            case SAVE_ERROR -> "SaveError";
            case LOAD_COMPLETE -> "LoadComplete";
            case LOAD_ERROR -> "LoadError";
            case LIMIT_EXCEEDED -> "LimitExceeded";
            case UNKNOWN -> "Unknown";
            default -> "Status" + status;
        };
    }
}
