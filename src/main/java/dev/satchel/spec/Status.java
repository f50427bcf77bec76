package dev.satchel.spec;

/** Status numbers of the wire protocol (docs/protocol.md section 3), each with its protocol name. */
public enum Status {
    OK(1, "Ok"),
    OP_CODE_INVALID(2, "OpCodeInvalid"),
    JSON_INVALID(3, "JsonInvalid"),
    COMMAND_NOT_EXIST(10, "CommandNotExist"),
    COMMAND_SYNTAX(13, "CommandSyntax"),
    COMMAND_DISABLED(14, "CommandDisabled"),
    NOT_EXIST(22, "NotExist"),
    PARAM_MISSING(26, "ParamMissing"),
    VALUE_TYPE_INVALID(41, "ValueTypeInvalid"),
    VALUE_SIZE(42, "ValueSize"),
    SESSION_NOT_EXIST(100, "SessionNotExist"),
    SESSION_TOKEN_INVALID(101, "SessionTokenInvalid"),
    SESSION_OPEN_FAIL(102, "SessionOpenFail"),
    SESSION_NEW_FAIL(103, "SessionNewFail"),
    SAVE_COMPLETE(121, "SaveComplete"),
    SAVE_DIR_WRITE_FAIL(122, "SaveDirWriteFail"),
    SAVE_ERROR(123, "SaveError"),
    LOAD_COMPLETE(141, "LoadComplete"),
    LOAD_ERROR(142, "LoadError"),
    LIMIT_EXCEEDED(170, "LimitExceeded"),
    UNKNOWN(1000, "Unknown");

    private static final Status[] VALUES = values();

    private final int code;
    private final String protocolName;

    Status(int code, String protocolName) {
        this.code = code;
        this.protocolName = protocolName;
    }

    /** The number sent as {@code st}. */
    public int code() {
        return code;
    }

    /** The protocol's name, for people reading responses ({@code "SessionNotExist"}). */
    public String protocolName() {
        return protocolName;
    }

    /** The status with this number, or null. */
    public static Status of(int code) {
        for (Status s : VALUES) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /** The protocol's name for a status number; {@code "Status<n>"} for a number the protocol does not define. */
    public static String name(int code) {
        Status s = of(code);
        return s != null ? s.protocolName : "Status" + code;
    }
}
