package dev.satchel.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a shell line into words at white space. Each word is {@code PART} or {@code PART=PART}, where a part is
 * a double-quoted JSON string ({@code "Bob \"B\" Smith"}), a single-quoted literal ({@code 'C:\dir'}), a JSON
 * object or array ({@code {"a": [1, 2]}}, which may contain spaces), or bare text up to the next white space.
 *
 * <p>Quotes and brackets are special only where a part starts (the start of a word, or right after its first
 * {@code =}), so bare text such as {@code don't} or {@code a[1]} is taken literally. The parts keep their quotes
 * and brackets: {@link ShortForm} decides what they mean.
 */
final class LineTokenizer {

    /**
     * One word of a line.
     *
     * @param raw   the whole word as typed
     * @param key   the part before the first {@code =} at the top level, or {@code null} if there is none
     * @param value the part after that {@code =} (possibly empty), or the whole word if there is no {@code =}
     */
    record Word(String raw, String key, String value) {
        boolean hasKey() {
            return key != null;
        }
    }

    private final String line;
    /** Command-line argument mode: the whole text is one word, white space included. */
    private final boolean singleWord;
    private int pos;

    private LineTokenizer(String line, boolean singleWord) {
        this.line = line;
        this.singleWord = singleWord;
    }

    /**
     * Splits a line into words.
     *
     * @param line the line
     * @return its words, in order
     * @throws ShortFormException on an unclosed quote or bracket, or text glued to a closing quote or bracket
     */
    static List<Word> words(String line) throws ShortFormException {
        return new LineTokenizer(line, false).all();
    }

    /**
     * Reads one command-line argument as one word: the shell has already split the words, so white space inside
     * the argument belongs to it ({@code 'name=Bob Smith'} is the key {@code name} with the value
     * {@code Bob Smith}).
     *
     * @param argument the argument
     * @return the word
     * @throws ShortFormException on an unclosed quote or bracket, or text glued to a closing quote or bracket
     */
    static Word argument(String argument) throws ShortFormException {
        LineTokenizer tokenizer = new LineTokenizer(argument, true);
        if (argument.isEmpty()) {
            return new Word("", null, "");
        }
        return tokenizer.word();
    }

    private List<Word> all() throws ShortFormException {
        List<Word> words = new ArrayList<>();
        while (true) {
            skipSpace();
            if (pos >= line.length()) {
                return words;
            }
            words.add(word());
        }
    }

    private void skipSpace() {
        while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
            pos++;
        }
    }

    private boolean atWordEnd() {
        return pos >= line.length() || (!singleWord && Character.isWhitespace(line.charAt(pos)));
    }

    private Word word() throws ShortFormException {
        int start = pos;
        String first = part(true);
        if (pos < line.length() && line.charAt(pos) == '=') {
            pos++;
            String second = atWordEnd() ? "" : part(false);
            return new Word(line.substring(start, pos), first, second);
        }
        return new Word(line.substring(start, pos), null, first);
    }

    /** Reads one part; a bare part that may be a key stops at '='. */
    private String part(boolean mayBeKey) throws ShortFormException {
        int start = pos;
        char c = line.charAt(pos);
        if (c == '"' || c == '\'' || c == '{' || c == '[') {
            if (c == '"') {
                skipJsonString();
            } else if (c == '\'') {
                int close = line.indexOf('\'', pos + 1);
                if (close < 0) {
                    throw new ShortFormException("unclosed ' in " + rest(start));
                }
                pos = close + 1;
            } else {
                skipJsonContainer();
            }
            if (!atWordEnd() && !(mayBeKey && line.charAt(pos) == '=')) {
                throw new ShortFormException("unexpected text after " + line.substring(start, pos)
                        + ": " + rest(pos) + " (put a space between words)");
            }
            return line.substring(start, pos);
        }
        while (!atWordEnd() && !(mayBeKey && line.charAt(pos) == '=')) {
            pos++;
        }
        return line.substring(start, pos);
    }

    private void skipJsonString() throws ShortFormException {
        int start = pos;
        pos++;
        while (pos < line.length()) {
            char c = line.charAt(pos);
            if (c == '\\') {
                pos += 2;
            } else if (c == '"') {
                pos++;
                return;
            } else {
                pos++;
            }
        }
        pos = line.length();
        throw new ShortFormException("unclosed \" in " + rest(start));
    }

    private void skipJsonContainer() throws ShortFormException {
        int start = pos;
        int depth = 0;
        while (pos < line.length()) {
            char c = line.charAt(pos);
            if (c == '"') {
                skipJsonString();
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
                if (depth == 0) {
                    pos++;
                    return;
                }
            }
            pos++;
        }
        throw new ShortFormException("unclosed " + line.charAt(start) + " in " + rest(start));
    }

    private String rest(int from) {
        String text = line.substring(from);
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }
}
