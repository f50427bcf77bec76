package dev.satchel.cli;

import dev.satchel.spec.CliForm;
import dev.satchel.spec.CommandSpec;
import java.util.List;
import java.util.Locale;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

/**
 * Tab completion: command names (and {@code help}, {@code quit}) for the first word; {@code $tkn} where a token
 * goes; the parameter names of {@code SH_NEW}.
 */
final class ShellCompleter implements Completer {

    static final List<String> SH_NEW_PARAMS = List.of("name=", "shared=true", "expiry.duration=",
            "expiry.deleteSession=", "expiry.extendOnSetAdd=", "expiry.extendOnGet=");

    private static final List<String> LOCAL = List.of("help", "quit", "exit");

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        if (line.wordIndex() == 0) {
            for (CommandSpec known : CommandShape.commands().values()) {
                candidates.add(new Candidate(known.name(), known.name(), null, known.help(), null, null, true));
            }
            for (String local : LOCAL) {
                candidates.add(new Candidate(local));
            }
            return;
        }
        String command = line.words().get(0).toUpperCase(Locale.ROOT);
        if (command.equals("HELP")) {
            if (line.wordIndex() == 1) {
                CommandShape.commands().keySet().forEach(name -> candidates.add(new Candidate(name)));
            }
            return;
        }
        CliForm shape = CommandShape.of(command);
        if ((shape.takesToken() && line.wordIndex() == 1) || shape == CliForm.TOKENS
                || (shape == CliForm.NAME_TOKENS && line.wordIndex() > 1)) {
            candidates.add(new Candidate(ShortForm.TOKEN_VARIABLE));
        }
        if (command.equals("SH_NEW")) {
            for (String param : SH_NEW_PARAMS) {
                candidates.add(new Candidate(param, param, null, null, null, null, param.endsWith("true")));
            }
        }
    }
}
