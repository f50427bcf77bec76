package dev.satchel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packages of src/main/java depend one way, bottom to top (docs/architecture.md, "Packages"). Reads the
 * sources, not the classes: every {@code import} and every fully-qualified {@code dev.satchel} name in code is
 * an edge from the file's package to the named one. Fails with the cycle, the edge that breaks the layer
 * order, or the inline name, and where each comes from.
 */
class PackageLayersTest {
    /**
     * Rank of each package under {@code dev.satchel} ("" is the entry point): a package may use only packages
     * of a lower rank. Packages of one rank never use each other.
     */
    static final Map<String, Integer> LAYERS = Map.ofEntries(
            Map.entry("spec", 0),     // command declarations, statuses, dataset names: the contract, no code deps
            Map.entry("store", 1),    // entries and tables: bytes only
            Map.entry("json", 1),     // JSON bytes in and out
            Map.entry("engine", 2),   // sessions, expiry, command semantics and the loop that executes them
            Map.entry("protocol", 3), // request decoding
            Map.entry("persist", 4),  // dataset files and the save / load commands
            Map.entry("config", 4),   // server settings
            Map.entry("client", 4),   // the Java client library (speaks the spec, not the server)
            Map.entry("net", 5),      // WebSocket front end
            Map.entry("cli", 6),      // tools over the client
            Map.entry("bench", 6),
            Map.entry("cluster", 6),  // cluster mode: Infinispan members, owner-side execution (engine's seam)
            Map.entry("ops", 7),      // wiring, admin port, metrics
            Map.entry("", 8));        // dev.satchel.Satchel, the command line

    private static final Path MAIN = Path.of("src/main/java/dev/satchel");
    private static final Pattern PACKAGE = Pattern.compile("^package dev\\.satchel(?:\\.(\\w+))?[\\w.]*;", Pattern.MULTILINE);
    private static final Pattern IMPORT =
            Pattern.compile("^import (?:static )?dev\\.satchel\\.(?:(\\w+)\\.)?([A-Z]\\w*)[\\w.*]*;", Pattern.MULTILINE);
    /** A dev.satchel name in code (comments and strings removed), e.g. dev.satchel.ops.NetStats. */
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.])dev\\.satchel\\.(?:([a-z]\\w*)\\.)?([A-Z]\\w*)");

    /** One dependency of a package, with the file it comes from. */
    record Edge(String from, String to, Path file, String how) {
        @Override
        public String toString() {
            return name(from) + " -> " + name(to) + " (" + MAIN.relativize(file) + ": " + how + ")";
        }
    }

    static Map<String, Set<String>> graph;
    static List<Edge> edges;
    static List<String> inlineNames;
    static Set<String> packages;

    @BeforeAll
    static void readSources() throws IOException {
        graph = new TreeMap<>();
        edges = new ArrayList<>();
        inlineNames = new ArrayList<>();
        packages = new TreeSet<>();
        Map<String, Set<String>> classes = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(MAIN)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        for (Path f : files) {
            String pkg = packageOf(f);
            classes.computeIfAbsent(pkg, k -> new TreeSet<>())
                    .add(f.getFileName().toString().replace(".java", ""));
        }
        for (Path f : files) {
            String text = Files.readString(f);
            String pkg = packageOf(f);
            packages.add(pkg);
            graph.computeIfAbsent(pkg, k -> new TreeSet<>());
            Matcher m = IMPORT.matcher(text);
            while (m.find()) {
                add(pkg, m.group(1) == null ? "" : m.group(1), f, m.group().trim());
            }
            String code = IMPORT.matcher(PACKAGE.matcher(stripCommentsAndStrings(text)).replaceAll(""))
                    .replaceAll("");
            Matcher q = QUALIFIED.matcher(code);
            while (q.find()) {
                String to = q.group(1) == null ? "" : q.group(1);
                add(pkg, to, f, q.group());
                // the one reason to spell a name out: a class of the file's own package has the same simple name
                if (!classes.getOrDefault(pkg, Set.of()).contains(q.group(2))) {
                    inlineNames.add(MAIN.relativize(f) + ": " + q.group());
                }
            }
        }
    }

    private static void add(String from, String to, Path file, String how) {
        if (from.equals(to)) {
            return;
        }
        graph.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
        edges.add(new Edge(from, to, file, how));
    }

    private static String packageOf(Path file) {
        Path rel = MAIN.relativize(file).getParent();
        return rel == null ? "" : rel.getName(0).toString();
    }

    private static String name(String pkg) {
        return pkg.isEmpty() ? "dev.satchel" : pkg;
    }

    /** The source with comments, string and char literals blanked (text blocks included). */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                out.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c) {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    @Test
    void everyPackageHasALayer() {
        assertThat(LAYERS.keySet()).as("packages of src/main/java without a layer in LAYERS")
                .containsAll(packages);
    }

    @Test
    void thePackageGraphHasNoCycle() {
        List<List<String>> cycles = cycles(graph);
        StringBuilder why = new StringBuilder();
        for (List<String> cycle : cycles) {
            why.append("\ncycle: ").append(String.join(" -> ", cycle.stream().map(PackageLayersTest::name).toList()))
                    .append(" -> ").append(name(cycle.get(0)));
            for (int i = 0; i < cycle.size(); i++) {
                String from = cycle.get(i);
                String to = cycle.get((i + 1) % cycle.size());
                edges.stream().filter(e -> e.from().equals(from) && e.to().equals(to)).limit(3)
                        .forEach(e -> why.append("\n    ").append(e));
            }
        }
        assertThat(cycles).as(why.toString()).isEmpty();
    }

    @Test
    void noLowerLayerUsesAHigherOne() {
        List<String> wrong = new ArrayList<>();
        for (Edge e : edges) {
            Integer from = LAYERS.get(e.from());
            Integer to = LAYERS.get(e.to());
            if (from != null && to != null && from <= to) {
                wrong.add(e + ": layer " + from + " may not use layer " + to);
            }
        }
        assertThat(wrong).as("edges against the layer order (docs/architecture.md)").isEmpty();
    }

    @Test
    void codeNamesSatchelClassesThroughImports() {
        assertThat(inlineNames).as("inline fully-qualified dev.satchel names hide edges; import them").isEmpty();
    }

    @Test
    void theCheckerFindsACycleAndAnInlineName() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a", "d"), "d", Set.of());
        assertThat(cycles(g)).containsExactly(List.of("a", "b", "c"));
        String code = stripCommentsAndStrings("x = dev.satchel.ops.NetStats.KEY; // dev.satchel.net.Y\n"
                + "String s = \"dev.satchel.net.Z\"; /* dev.satchel.net.W */");
        Matcher q = QUALIFIED.matcher(code);
        assertThat(q.find()).isTrue();
        assertThat(q.group()).isEqualTo("dev.satchel.ops.NetStats");
        assertThat(q.find()).isFalse();
    }

    /** Every strongly connected component of more than one package, each as one cycle through it. */
    static List<List<String>> cycles(Map<String, Set<String>> g) {
        Tarjan t = new Tarjan(g);
        for (String v : new TreeSet<>(g.keySet())) {
            if (!t.index.containsKey(v)) {
                t.connect(v);
            }
        }
        List<List<String>> cycles = new ArrayList<>();
        for (Set<String> component : t.components) {
            if (component.size() > 1) {
                cycles.add(cycleThrough(g, component));
            }
        }
        return cycles;
    }

    /** A shortest cycle inside {@code component}, from its first package (by name). */
    private static List<String> cycleThrough(Map<String, Set<String>> g, Set<String> component) {
        String start = component.iterator().next();
        Map<String, String> parent = new TreeMap<>();
        List<String> frontier = new ArrayList<>(List.of(start));
        while (!frontier.isEmpty()) {
            List<String> next = new ArrayList<>();
            for (String v : frontier) {
                for (String w : g.getOrDefault(v, Set.of())) {
                    if (!component.contains(w)) {
                        continue;
                    }
                    if (w.equals(start)) {
                        List<String> cycle = new ArrayList<>();
                        for (String x = v; x != null; x = parent.get(x)) {
                            cycle.add(0, x);
                        }
                        return cycle;
                    }
                    if (!parent.containsKey(w) && !w.equals(start)) {
                        parent.put(w, v);
                        next.add(w);
                    }
                }
            }
            frontier = next;
        }
        return new ArrayList<>(component);
    }

    private static final class Tarjan {
        final Map<String, Set<String>> g;
        final Map<String, Integer> index = new TreeMap<>();
        final Map<String, Integer> low = new TreeMap<>();
        final List<String> stack = new ArrayList<>();
        final Set<String> onStack = new TreeSet<>();
        final List<Set<String>> components = new ArrayList<>();
        int next;

        Tarjan(Map<String, Set<String>> g) {
            this.g = g;
        }

        void connect(String v) {
            index.put(v, next);
            low.put(v, next);
            next++;
            stack.add(v);
            onStack.add(v);
            for (String w : g.getOrDefault(v, Set.of())) {
                if (!index.containsKey(w)) {
                    connect(w);
                    low.put(v, Math.min(low.get(v), low.get(w)));
                } else if (onStack.contains(w)) {
                    low.put(v, Math.min(low.get(v), index.get(w)));
                }
            }
            if (low.get(v).equals(index.get(v))) {
                Set<String> component = new TreeSet<>();
                String w;
                do {
                    w = stack.remove(stack.size() - 1);
                    onStack.remove(w);
                    component.add(w);
                } while (!w.equals(v));
                components.add(component);
            }
        }
    }
}
