package dev.satchel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.engine.Command;
import dev.satchel.engine.DataCommands;
import dev.satchel.engine.ServerCommands;
import dev.satchel.engine.SessionCommands;
import dev.satchel.engine.Tokens;
import dev.satchel.json.TokenFormat;
import dev.satchel.persist.PersistCommands;
import dev.satchel.spec.CliForm;
import dev.satchel.spec.CommandSpec;
import dev.satchel.spec.CommandSpecs;
import dev.satchel.spec.JsonType;
import dev.satchel.spec.ParamSpec;
import dev.satchel.spec.Status;
import dev.satchel.spec.ValueRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The command declarations ({@link CommandSpecs}) against the server's commands and docs/protocol.md, so neither
 * can drift from them. (The shell's forms and help are built from the declarations; the Java client's typed calls
 * are checked in SatchelCommandsTest.)
 */
class CommandSpecsTest {
    private static final Path PROTOCOL = Path.of("docs/protocol.md");

    @Test
    void theServerImplementsExactlyTheDeclaredCommands() {
        Tokens tokens = new Tokens(TokenFormat.STRING, "x".getBytes(StandardCharsets.UTF_8));
        List<Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        all.addAll(PersistCommands.all());
        List<String> names = all.stream().map(Command::name).toList();
        assertThat(names).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(CommandSpecs.all().stream().map(CommandSpec::name).toList());
        for (Command c : all) {
            assertThat(c.spec()).isSameAs(CommandSpecs.get(c.name()));
        }
    }

    @Test
    void eachShortFormFitsItsParameters() {
        for (CommandSpec s : CommandSpecs.all()) {
            assertThat(s.usage()).as(s.name()).startsWith(s.name());
            assertThat(s.help()).as(s.name()).isNotBlank();
            assertThat(s.statuses()).as(s.name()).containsAll(CommandSpec.ANY_COMMAND)
                    .containsAnyOf(Status.OK, Status.SAVE_COMPLETE, Status.LOAD_COMPLETE);
            Set<String> params = new LinkedHashSet<>(s.params().stream().map(ParamSpec::name).toList());
            CliForm f = s.cliForm();
            assertThat(params.contains("tkn")).as(s.name() + " tkn vs " + f).isEqualTo(f.takesToken());
            switch (f) {
                case NONE -> assertThat(params).as(s.name()).isEmpty();
                case NAME -> assertThat(params).as(s.name()).containsExactly("name");
                case TOKEN -> assertThat(params).as(s.name()).containsExactly("tkn");
                case TOKENS -> assertThat(params).as(s.name()).containsExactly("tkns");
                case NAME_TOKENS -> assertThat(params).as(s.name()).containsExactly("name", "tkns");
                case TOKEN_KEY_VALUES, KEY_VALUES -> assertThat(s.param("keys").type()).as(s.name())
                        .isEqualTo(JsonType.OBJECT);
                case TOKEN_KEYS, KEYS -> assertThat(s.param("keys").type()).as(s.name()).isEqualTo(JsonType.ARRAY);
                case PARAMS -> assertThat(params).as(s.name()).isNotEmpty();
                default -> throw new AssertionError(f);
            }
            if (s.statuses().contains(Status.SESSION_NOT_EXIST) || s.statuses().contains(Status.SESSION_TOKEN_INVALID)) {
                assertThat(params).as(s.name() + " answers 100/101, so it takes tokens").containsAnyOf("tkn", "tkns");
            }
            if (s.params().stream().anyMatch(p -> p.required() && p.type() != JsonType.TOKEN)) {
                assertThat(s.statuses()).as(s.name() + ": a required parameter can be missing")
                        .contains(Status.PARAM_MISSING);
            }
        }
    }

    @Test
    void aDeclarationMustListEveryStatusItsParametersCanBeAnsweredWith() {
        ParamSpec name = ParamSpec.required("name", JsonType.STRING, "", ValueRule.DATASET_NAME);
        assertThat(name.statuses()).containsExactlyInAnyOrder(Status.PARAM_MISSING, Status.VALUE_TYPE_INVALID,
                Status.VALUE_SIZE);
        assertThatThrownBy(() -> new CommandSpec("KV_LOAD", List.of(name), EnumSet.of(Status.OK, Status.PARAM_MISSING,
                Status.VALUE_TYPE_INVALID), CliForm.NAME, "KV_LOAD NAME", "load"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KV_LOAD.name")
                .hasMessageContaining("VALUE_SIZE");
        ParamSpec tkn = ParamSpec.required("tkn", JsonType.TOKEN, "");
        assertThat(tkn.statuses()).containsExactly(Status.SESSION_TOKEN_INVALID);
        for (CommandSpec s : CommandSpecs.all()) {
            for (ParamSpec p : s.params()) {
                assertThat(s.statuses()).as(s.name() + "." + p.name()).containsAll(p.statuses());
            }
        }
    }

    @Test
    void theStatusTableOfTheProtocolDocumentIsTheStatusEnum() throws IOException {
        String section = section(Files.readString(PROTOCOL), "## 3. Status codes");
        Map<Integer, String> documented = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\\|\\s*(\\d+)\\s*\\|\\s*([A-Za-z]+)").matcher(section);
        while (m.find()) {
            documented.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        Map<Integer, String> declared = new LinkedHashMap<>();
        for (Status s : Status.values()) {
            declared.put(s.code(), s.protocolName());
        }
        assertThat(documented).containsExactlyInAnyOrderEntriesOf(declared);
    }

    /**
     * Every command row of docs/protocol.md (sections 5, 6 and 9): the backquoted names in its Params column are
     * the declared parameters (a {@code KV_x / SH_x} row lists the shared ones; the SH_ form adds {@code tkn}), and
     * a type or "required"/"optional" written next to a parameter matches the declaration. Every declared command
     * appears in the document.
     */
    @Test
    void theCommandTablesOfTheProtocolDocumentMatchTheDeclarations() throws IOException {
        String doc = Files.readString(PROTOCOL);
        Map<String, String> rows = new LinkedHashMap<>();
        Set<String> pairRows = new LinkedHashSet<>();
        Pattern row = Pattern.compile("^\\|\\s*(`[A-Z_]+`(?:\\s*/\\s*`[A-Z_]+`)?)\\s*\\|([^|]*)\\|", Pattern.MULTILINE);
        Matcher m = row.matcher(doc);
        while (m.find()) {
            Matcher names = Pattern.compile("`([A-Z_]+)`").matcher(m.group(1));
            while (names.find()) {
                rows.put(names.group(1), m.group(2).trim());
                if (m.group(1).contains("/")) {
                    pairRows.add(names.group(1));
                }
            }
        }
        List<String> problems = new ArrayList<>();
        for (CommandSpec s : CommandSpecs.all()) {
            if (!doc.contains("`" + s.name()) && !doc.contains(s.name() + " ")) {
                problems.add(s.name() + " is not in docs/protocol.md");
                continue;
            }
            String cell = rows.get(s.name());
            if (cell == null) {
                if (!s.params().isEmpty()) {
                    problems.add(s.name() + " has parameters but no row in a command table");
                }
                continue;
            }
            Map<String, String> documented = documentedParams(cell);
            Set<String> declared = new LinkedHashSet<>();
            for (ParamSpec p : s.params()) {
                declared.add(p.name());
            }
            if (s.name().startsWith("SH_") && pairRows.contains(s.name()) && !documented.containsKey("tkn")) {
                documented.put("tkn", ""); // section 6: SH_ commands "take tkn in addition"
            }
            if (!documented.keySet().equals(declared)) {
                problems.add(s.name() + ": docs list " + documented.keySet() + ", declared " + declared);
                continue;
            }
            for (ParamSpec p : s.params()) {
                String note = documented.get(p.name());
                for (JsonType t : JsonType.values()) {
                    if (note.startsWith(t.docName()) && t != p.type()) {
                        problems.add(s.name() + "." + p.name() + ": docs say " + t.docName() + ", declared "
                                + p.type().docName());
                    }
                }
                if (note.contains("required") && !p.required() || note.contains("optional") && p.required()) {
                    problems.add(s.name() + "." + p.name() + ": docs say '" + note + "', declared "
                            + (p.required() ? "required" : "optional"));
                }
                boolean nonEmpty = p.rules().contains(ValueRule.NON_EMPTY)
                        || p.rules().contains(ValueRule.SESSION_NAME) || p.rules().contains(ValueRule.DATASET_NAME);
                if (p.rules().contains(ValueRule.NON_EMPTY) && !note.contains("non-empty")
                        || note.contains("non-empty") && !nonEmpty) {
                    problems.add(s.name() + "." + p.name() + ": docs say '" + note + "', declared rules "
                            + p.rules());
                }
                if (p.rules().contains(ValueRule.EVERY_ITEM_A_TOKEN) && !note.contains("token")) {
                    problems.add(s.name() + "." + p.name() + ": docs say '" + note + "', declared rules "
                            + p.rules());
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /** The parameters named in a Params cell, each with the note in parentheses after it ("" if none). */
    private static Map<String, String> documentedParams(String cell) {
        Map<String, String> params = new LinkedHashMap<>();
        if (cell.equals("none")) {
            return params;
        }
        Matcher p = Pattern.compile("`([a-z]+)`(?:\\s*\\(([^)]*)\\))?").matcher(cell);
        while (p.find()) {
            params.putIfAbsent(p.group(1), p.group(2) == null ? "" : p.group(2).trim());
        }
        return params;
    }

    private static String section(String doc, String heading) {
        int from = doc.indexOf(heading);
        assertThat(from).as(heading).isNotNegative();
        int to = doc.indexOf("\n## ", from + heading.length());
        return doc.substring(from, to < 0 ? doc.length() : to);
    }
}
