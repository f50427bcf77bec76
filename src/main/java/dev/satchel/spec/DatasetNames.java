package dev.satchel.spec;

import java.nio.charset.StandardCharsets;

/**
 * Rules for dataset names. A name becomes one directory under {@code persist.path}, so it must be a plain
 * name, never a path: not empty, not {@code .} or {@code ..}, no {@code /} or {@code \}, no control
 * characters (C0, DEL, C1), valid Unicode (no unpaired surrogates), and at most {@link #MAX_BYTES} bytes of
 * UTF-8. Everything else (spaces, dots inside, non-ASCII letters) is allowed.
 */
public final class DatasetNames {
    /** Longest dataset name in UTF-8 bytes (well under the 255-byte file name limit of common file systems). */
    public static final int MAX_BYTES = 128;
    /** The rule in a few words, for people. */
    public static final String RULE = "a plain name of 1 to " + MAX_BYTES + " UTF-8 bytes: no '/', '\\', control"
            + " characters, '.' or '..'";

    private DatasetNames() {
    }

    /** Null when {@code name} is a valid dataset name, else a short message saying why it is not. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "name must not be empty";
        }
        if (name.equals(".") || name.equals("..")) {
            return "name must not be '.' or '..'";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\') {
                return "name must be a plain name without '/' or '\\'";
            }
            if (Character.isISOControl(c)) {
                return "name must not contain control characters";
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "name must be valid Unicode (it has an unpaired surrogate)";
            }
        }
        if (name.length() > MAX_BYTES || name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "name is longer than " + MAX_BYTES + " bytes";
        }
        return null;
    }
}
