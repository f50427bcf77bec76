package dev.satchel.spec;

/** The JSON type a parameter must have, as the protocol names it (docs/protocol.md). */
public enum JsonType {
    OBJECT("object", "an object"),
    ARRAY("array", "an array"),
    STRING("string", "a string"),
    BOOLEAN("bool", "a boolean"),
    NUMBER("number", "a number"),
    /** A session token: a string or an unsigned number, by the server's token format (docs/protocol.md 4). */
    TOKEN("token", "a valid session token");

    private final String docName;
    private final String phrase;

    JsonType(String docName, String phrase) {
        this.docName = docName;
        this.phrase = phrase;
    }

    /** How an error message names it: {@code "keys must be " + phrase()}. */
    public String phrase() {
        return phrase;
    }

    /** The word docs/protocol.md uses for it. */
    public String docName() {
        return docName;
    }
}
