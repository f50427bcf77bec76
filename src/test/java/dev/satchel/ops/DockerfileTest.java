package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.satchel.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * docker/Dockerfile and docker/compose.yaml checked without a Docker engine (none runs on this machine kind,
 * and Debian has no hadolint): a small Dockerfile parser and rules in the manner of hadolint's, a YAML parse
 * of the compose file, and the image's exact ENTRYPOINT / CMD / HEALTHCHECK command lines run against the
 * classes here (scripts/docker-entrypoint-check does the same with target/satchel.jar).
 */
class DockerfileTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path DOCKERFILE = Path.of("docker/Dockerfile");
    static final Path COMPOSE = Path.of("docker/compose.yaml");
    private static final Set<String> OTHER_ENV = Set.of("SATCHEL_CONFIG", "SATCHEL_LOG_LEVEL", "SATCHEL_URL");

    /** One instruction: keyword (upper case) and its arguments, continuation lines joined. */
    record Instruction(String keyword, String args, int line) {
    }

    /** Parses a Dockerfile: comments and blank lines dropped, backslash continuations joined. */
    static List<Instruction> parse(Path file) throws Exception {
        List<Instruction> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        StringBuilder cur = null;
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String t = raw.strip();
            if (t.startsWith("#") || (t.isEmpty() && cur == null)) {
                continue; // comments may also sit between continuation lines
            }
            if (cur == null) {
                cur = new StringBuilder();
                start = i + 1;
            }
            boolean more = t.endsWith("\\");
            cur.append(more ? t.substring(0, t.length() - 1) : t).append(' ');
            if (!more) {
                String s = cur.toString().strip();
                int sp = s.indexOf(' ');
                out.add(new Instruction(s.substring(0, sp).toUpperCase(Locale.ROOT), s.substring(sp + 1).strip(), start));
                cur = null;
            }
        }
        return out;
    }

    /** The instructions of each stage, in order. */
    static List<List<Instruction>> stages(List<Instruction> all) {
        List<List<Instruction>> stages = new ArrayList<>();
        for (Instruction i : all) {
            if (i.keyword().equals("FROM")) {
                stages.add(new ArrayList<>());
            }
            assertThat(stages).as("instruction before the first FROM: %s", i).isNotEmpty();
            stages.get(stages.size() - 1).add(i);
        }
        return stages;
    }

    static Instruction only(List<Instruction> stage, String keyword) {
        List<Instruction> found = stage.stream().filter(i -> i.keyword().equals(keyword)).toList();
        assertThat(found).as("%s instructions in the final stage", keyword).hasSize(1);
        return found.get(0);
    }

    /** An exec-form (JSON array) argument list. */
    static List<String> execForm(String args) throws Exception {
        assertThat(args).as("exec form (JSON array)").startsWith("[");
        List<String> out = new ArrayList<>();
        for (JsonNode n : JSON.readTree(args)) {
            assertThat(n.isTextual()).isTrue();
            out.add(n.asText());
        }
        return out;
    }

    /** ENV of a stage: both "K=V K2=V2" and "K V" forms. */
    static Map<String, String> env(List<Instruction> stage) {
        Map<String, String> env = new LinkedHashMap<>();
        Pattern kv = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S*)");
        for (Instruction i : stage) {
            if (!i.keyword().equals("ENV")) {
                continue;
            }
            Matcher m = kv.matcher(i.args());
            boolean any = false;
            while (m.find()) {
                String v = m.group(2);
                env.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
                any = true;
            }
            if (!any) {
                String[] p = i.args().split("\\s+", 2);
                env.put(p[0], p.length > 1 ? p[1] : "");
            }
        }
        return env;
    }

    private static Set<String> knownEnv() {
        Set<String> known = ConfigLoader.SETTINGS.stream().map(ConfigLoader.Setting::env)
                .collect(Collectors.toCollection(TreeSet::new));
        known.addAll(OTHER_ENV);
        return known;
    }

    @Test
    void dockerfileFollowsTheRules() throws Exception {
        List<Instruction> all = parse(DOCKERFILE);
        List<List<Instruction>> stages = stages(all);
        assertThat(stages).as("multi-stage build").hasSizeGreaterThanOrEqualTo(2);

        Pattern pinned = Pattern.compile("[a-z0-9./-]+:(\\d+\\.\\d+[A-Za-z0-9._-]*)(@sha256:[0-9a-f]{64})?");
        for (List<Instruction> stage : stages) {
            String[] from = stage.get(0).args().split("\\s+");
            assertThat(from[0]).as("FROM image with a pinned version tag (line %d)", stage.get(0).line())
                    .matches(pinned).doesNotContain(":latest");
        }
        List<Instruction> build = stages.get(0);
        assertThat(build.get(0).args()).matches("maven:3\\.\\d+\\.\\d+-eclipse-temurin-17 +AS +build");
        List<Instruction> run = stages.get(stages.size() - 1);
        assertThat(run.get(0).args()).matches("eclipse-temurin:17\\.\\d+\\.\\d+_\\d+-jre");
        assertThat(run).as("the jar comes from the build stage")
                .anyMatch(i -> i.keyword().equals("COPY") && i.args().startsWith("--from=build "));
        assertThat(all).as("no ADD (remote URLs, archives)").noneMatch(i -> i.keyword().equals("ADD"));
        assertThat(all).as("no curl|sh, no sudo").noneMatch(i -> i.keyword().equals("RUN")
                && (i.args().contains("| sh") || i.args().contains("|sh") || i.args().contains("sudo ")));

        // a non-root user, set before the process starts
        List<Instruction> users = run.stream().filter(i -> i.keyword().equals("USER")).toList();
        assertThat(users).isNotEmpty();
        String user = users.get(users.size() - 1).args().split(":")[0];
        assertThat(user).isNotIn("root", "0");
        int userAt = run.indexOf(users.get(users.size() - 1));
        assertThat(run.subList(userAt, run.size())).noneMatch(i -> i.keyword().equals("RUN"));

        // exec-form ENTRYPOINT and CMD: SIGTERM reaches the JVM, which is PID 1
        List<String> entrypoint = execForm(only(run, "ENTRYPOINT").args());
        List<String> cmd = execForm(only(run, "CMD").args());
        assertThat(entrypoint.get(0)).isEqualTo("java");
        assertThat(entrypoint).anyMatch(a -> a.matches("-XX:MaxRAMPercentage=\\d+(\\.\\d+)?"))
                .anyMatch(a -> a.matches("-XX:MaxDirectMemorySize=\\d+[kmgKMG]?"))
                .noneMatch(a -> a.startsWith("-Xmx"))
                .containsSubsequence("-jar", "/opt/satchel/satchel.jar");
        assertThat(cmd).containsExactly("server");
        String jarCopy = run.stream().filter(i -> i.keyword().equals("COPY") && i.args().startsWith("--from=build "))
                .findFirst().orElseThrow().args();
        assertThat(jarCopy).endsWith(" /opt/satchel/satchel.jar");

        // ports, volume, environment agree with each other and with the settings
        Map<String, String> env = env(run);
        assertThat(knownEnv()).as("every ENV is a Satchel setting").containsAll(env.keySet());
        Set<String> exposed = run.stream().filter(i -> i.keyword().equals("EXPOSE"))
                .flatMap(i -> List.of(i.args().split("\\s+")).stream()).collect(Collectors.toSet());
        assertThat(exposed).contains(env.get("SATCHEL_PORT"), env.get("SATCHEL_ADMIN_PORT"));
        assertThat(execForm(only(run, "VOLUME").args())).containsExactly(env.get("SATCHEL_PERSIST_PATH"));
        assertThat(env).containsEntry("SATCHEL_BIND", "0.0.0.0").containsEntry("SATCHEL_ADMIN_BIND", "0.0.0.0")
                .containsEntry("SATCHEL_PERSIST_JOURNAL", "everysec"); // a crash keeps the data (issue 13)
        // the ENV values are valid settings (with the auth secret a non-loopback bind requires)
        Map<String, String> withSecret = new HashMap<>(env);
        withSecret.put("SATCHEL_AUTH_SECRET", "x".repeat(32));
        assertThat(ConfigLoader.load(null, withSecret, Map.of()).ops().adminPort())
                .isEqualTo(Integer.parseInt(env.get("SATCHEL_ADMIN_PORT")));

        // HEALTHCHECK: exec form, the jar's own check of /health/ready, no credentials
        Instruction hc = only(run, "HEALTHCHECK");
        Matcher m = Pattern.compile("((?:--[a-z-]+=\\S+\\s+)*)CMD\\s+(\\[.*])").matcher(hc.args());
        assertThat(m.matches()).as("HEALTHCHECK [options] CMD [exec form]: %s", hc.args()).isTrue();
        assertThat(m.group(1)).contains("--interval=", "--timeout=", "--start-period=");
        // healthy within a second or two of being ready, not after the first 15 s interval (Engine 25+)
        Matcher startInterval = Pattern.compile("--start-interval=(\\d+)s\\b").matcher(m.group(1));
        assertThat(startInterval.find()).as("--start-interval in %s", hc.args()).isTrue();
        assertThat(Integer.parseInt(startInterval.group(1))).isBetween(1, 2);
        List<String> check = execForm(m.group(2));
        assertThat(check).containsSubsequence("java", "-jar", "/opt/satchel/satchel.jar", "health");
        assertThat(String.join(" ", check).toLowerCase(Locale.ROOT))
                .doesNotContain("secret", "token", "password", "authorization", "bearer");

        assertThat(Path.of("docker/Dockerfile.dockerignore")).content().contains("!pom.xml", "!src/main/**");
    }

    @Test
    void composeRunsSatchelNextToAServiceWithANamedVolume() throws Exception {
        JsonNode c = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile());
        JsonNode services = c.get("services");
        JsonNode satchel = services.get("satchel");
        assertThat(satchel.get("build").get("dockerfile").asText()).isEqualTo("docker/Dockerfile");
        assertThat(satchel.get("build").get("context").asText()).isEqualTo("..");
        List<String> volumes = new ArrayList<>();
        satchel.get("volumes").forEach(v -> volumes.add(v.asText()));
        assertThat(volumes).contains("satchel-data:/var/lib/satchel");
        assertThat(c.get("volumes").has("satchel-data")).as("named volume").isTrue();

        Map<String, String> env = new HashMap<>();
        satchel.get("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        assertThat(knownEnv()).containsAll(env.keySet().stream().filter(k -> k.startsWith("SATCHEL_")).toList());
        assertThat(env).containsKey("SATCHEL_AUTH_SECRET");
        // the journal keeps the data across restarts and crashes (a start-up load cannot be combined with it)
        assertThat(env).containsEntry("SATCHEL_PERSIST_JOURNAL", "everysec")
                .doesNotContainKey("SATCHEL_PERSIST_LOAD_ON_START");
        Map<String, String> withImage = new HashMap<>(env(stages(parse(DOCKERFILE)).get(stages(parse(DOCKERFILE))
                .size() - 1)));
        withImage.putAll(env);
        withImage.put("SATCHEL_AUTH_SECRET", "x".repeat(32));
        assertThat(ConfigLoader.load(null, withImage, Map.of()).journal()).as("compose's settings on the image's")
                .isEqualTo("everysec");
        long timeoutMs = Long.parseLong(env.get("SATCHEL_SHUTDOWN_TIMEOUT_MS"));
        String grace = satchel.get("stop_grace_period").asText();
        assertThat(grace).matches("\\d+s");
        assertThat(Long.parseLong(grace.replace("s", "")) * 1000).as("stop grace period > shutdown timeout")
                .isGreaterThan(timeoutMs);

        // another service uses it, once it is healthy
        boolean waits = false;
        for (var it = services.fields(); it.hasNext(); ) {
            var s = it.next();
            JsonNode d = s.getValue().get("depends_on");
            if (!s.getKey().equals("satchel") && d != null && d.has("satchel") && d.get("satchel").has("condition")) {
                waits |= d.get("satchel").get("condition").asText().equals("service_healthy");
            }
            JsonNode image = s.getValue().get("image");
            if (image != null) {
                assertThat(image.asText()).as("pinned image of %s", s.getKey()).matches(".+:v?\\d+\\.\\d+.*");
            }
        }
        assertThat(waits).as("a service waits for service_healthy").isTrue();
        assertThat(Path.of("docker/prometheus.yml")).content().contains("satchel:1988");
    }

    /** Where a service mounts something: volume targets ("src:target[:mode]" or long form) and tmpfs paths. */
    private static Set<String> mountTargets(JsonNode service) {
        Set<String> targets = new TreeSet<>();
        JsonNode volumes = service.get("volumes");
        if (volumes != null) {
            for (JsonNode v : volumes) {
                if (v.isTextual()) {
                    String[] p = v.asText().split(":");
                    targets.add(p.length == 1 ? p[0] : p[1]);
                } else {
                    targets.add(v.get("target").asText());
                }
            }
        }
        JsonNode tmpfs = service.get("tmpfs");
        if (tmpfs != null) {
            if (tmpfs.isTextual()) {
                targets.add(tmpfs.asText().split(":")[0]);
            } else {
                tmpfs.forEach(t -> targets.add(t.asText().split(":")[0]));
            }
        }
        return targets;
    }

    /**
     * The example service stops at once on SIGTERM (exit 0, not killed after 10 s with 137), does not inherit
     * the image's health check, and no service leaves an anonymous volume behind at each `up`.
     */
    @Test
    void composeServicesStopCleanlyAndLeaveNoAnonymousVolumes() throws Exception {
        JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile()).get("services");
        List<List<Instruction>> stages = stages(parse(DOCKERFILE));
        List<String> imageVolumes = execForm(only(stages.get(stages.size() - 1), "VOLUME").args());
        String image = services.get("satchel").get("image").asText();
        int others = 0;
        for (var it = services.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode svc = e.getValue();
            String name = e.getKey();
            if (image.equals(svc.path("image").asText())) {
                assertThat(mountTargets(svc)).as("%s mounts the image's VOLUME paths (else an anonymous volume"
                        + " per container)", name).containsAll(imageVolumes);
            }
            if (svc.path("image").asText().startsWith("prom/prometheus:")) {
                assertThat(mountTargets(svc)).as("prom/prometheus declares VOLUME /prometheus").contains("/prometheus");
            }
            if (name.equals("satchel") || !image.equals(svc.path("image").asText())) {
                continue;
            }
            others++;
            // the server's image, running something else (a shell loop)
            assertThat(svc.path("init").asBoolean()).as("%s: init: true, so that PID 1 forwards SIGTERM", name)
                    .isTrue();
            assertThat(svc.path("healthcheck").path("disable").asBoolean())
                    .as("%s: the image's HEALTHCHECK (Satchel's admin port) does not apply", name).isTrue();
            String script = String.join("\n", texts(svc.get("command")));
            assertThat(script).as("%s ends its loop on SIGTERM", name).containsPattern("trap '[^']*exit 0[^']*' TERM");
        }
        assertThat(others).as("the example service runs the Satchel image").isEqualTo(1);
    }

    private static List<String> texts(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(n.asText());
        } else {
            n.forEach(x -> out.add(x.asText()));
        }
        return out;
    }

    /** The example service's shell loop, run by bash here (as under init: true): SIGTERM ends it with status 0. */
    @Test
    void theExampleServiceLoopExitsZeroOnSigterm() throws Exception {
        JsonNode app = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile()).get("services").get("app");
        List<String> entrypoint = texts(app.get("entrypoint"));
        assertThat(entrypoint).containsExactly("bash", "-c");
        // compose's $$ is a literal $; the jar is not here, so each round's cli fails at once and the loop sleeps
        String script = texts(app.get("command")).get(0).replace("$$", "$")
                .replace("/opt/satchel/satchel.jar", "/nonexistent/satchel.jar");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("JAVA_TOOL_OPTIONS", "-Xmx16m");
        Process p = pb.start();
        try {
            Thread.sleep(1500); // into its first sleep (or still in java: the trap then runs right after)
            assertThat(p.isAlive()).as("the loop runs").isTrue();
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
            assertThat(p.exitValue()).as("exit status after SIGTERM").isZero();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void readmeDocumentsEveryEnvironmentVariable() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        for (ConfigLoader.Setting s : ConfigLoader.SETTINGS) {
            assertThat(readme).as("README mentions %s", s.env()).contains("`" + s.env() + "`");
        }
        assertThat(readme).contains("## Running in Docker", "## Health and metrics", "## Shutdown",
                "## Environment variables");
    }
}
