package dev.satchel.spec;

/** The JSON type a parameter must have, as the protocol names it (docs/protocol.md). */
public enum JsonType {
    OBJECT("object"),
    ARRAY("array"),
    STRING("string"),
    BOOLEAN("bool"),
    NUMBER("number"),
    /** A session token: a string or an unsigned number, by the server's token format (docs/protocol.md 4). */
    TOKEN("token");

    private final String docName;

    JsonType(String docName) {
        this.docName = docName;
    }

    /** The word docs/protocol.md uses for it. */
    public String docName() {
        return docName;
    }
}
