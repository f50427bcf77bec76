package dev.satchel.engine;

/**
 * The parameters of one message as the decoder read them, after the checks the command's declaration asks for
 * (presence, JSON type, value rules): what {@link Command#request} builds its {@link Request} from. A read-only
 * view of the decoder's reused state, valid only during that call; the array-valued methods return copies the
 * request may keep. A value whose parameter was not given reads as null, 0 or false.
 */
public interface Params {
    /** Size of the message, in bytes. */
    int messageBytes();

    /** The {@code tkn} token's high half (0 if none). */
    long tokenHi();

    /** The {@code tkn} token's low half (0 if none). */
    long tokenLo();

    /** The {@code keys} object's members as stored entries, in order: a new array of exactly their number. */
    byte[][] entries();

    /** The {@code keys} array's string items as canonical key bytes, in order: a new array of exactly their number. */
    byte[][] keys();

    /** The {@code name} string, or null. */
    String name();

    /** The {@code shared} boolean (false if not given). */
    boolean shared();

    /** Whether {@code expiry} was given. */
    boolean expiryGiven();

    /** {@code expiry.duration} in seconds. */
    long expirySeconds();

    boolean expiryDeleteSession();

    boolean expiryExtendOnSetAdd();

    boolean expiryExtendOnGet();

    /** Whether {@code tkns} was given. */
    boolean tokensGiven();

    /** Number of {@code tkns} items. */
    int tokenCount();

    /** Whether {@code tkns} item {@code i} is a well-formed token. */
    boolean tokenValid(int i);

    long tokenHi(int i);

    long tokenLo(int i);

    /** The JSON text of {@code tkns} item {@code i} if it is a well-formed token (a copy), else null. */
    byte[] tokenText(int i);

    /** A copy of the whole message when the decoder keeps messages (cluster mode), else null. */
    default byte[] message() {
        return null;
    }
}
