package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.satchel.config.ConfigLoader;
import dev.satchel.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.cluster.yaml and the Kubernetes manifests in docker/kubernetes, checked without a Docker engine or
 * a Kubernetes cluster (neither runs on this machine kind): parsed as YAML, their ports, probes and security
 * settings checked against each other and against the image (docker/Dockerfile), every {@code SATCHEL_*} name
 * against the settings table, and each member's environment, on top of the image's, loaded as a real
 * configuration: cluster mode on, with every required cluster setting valid.
 */
class ClusterDeploymentTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Path COMPOSE = Path.of("docker/compose.cluster.yaml");
    static final Path KUBERNETES = Path.of("docker/kubernetes");
    /** Stands in for secrets given at deploy time (an environment variable, a Kubernetes Secret). */
    private static final String SECRET = "s".repeat(32);
    private static final Pattern REQUIRED_VARIABLE = Pattern.compile("\\$\\{([A-Z_]+):\\?[^}]+}");
    private static final Pattern OPTIONAL_VARIABLE = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}");

    /** The image's ENV (docker/Dockerfile, final stage): what every container starts with. */
    private static Map<String, String> imageEnv() throws Exception {
        List<List<DockerfileTest.Instruction>> stages = DockerfileTest.stages(DockerfileTest.parse(DockerfileTest.DOCKERFILE));
        return DockerfileTest.env(stages.get(stages.size() - 1));
    }

    /** The image's non-root user id (USER uid:gid). */
    private static long imageUser() throws Exception {
        List<List<DockerfileTest.Instruction>> stages = DockerfileTest.stages(DockerfileTest.parse(DockerfileTest.DOCKERFILE));
        List<DockerfileTest.Instruction> users = stages.get(stages.size() - 1).stream()
                .filter(i -> i.keyword().equals("USER")).toList();
        return Long.parseLong(users.get(users.size() - 1).args().split(":")[0]);
    }

    private static Set<String> settingEnvNames() {
        return ConfigLoader.SETTINGS.stream().map(ConfigLoader.Setting::env).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Loads a member's configuration: the image's ENV, then the member's environment (as the container sees it). */
    private static ServerConfig load(Map<String, String> memberEnv) throws Exception {
        Map<String, String> env = new HashMap<>(imageEnv());
        env.putAll(memberEnv);
        return ConfigLoader.load(null, env, Map.of());
    }

    private static Map<String, String> fields(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    // ---------------------------------------------------------------- compose

    @Test
    void composeRunsThreeMembersThatFindEachOtherWithTheSecretFromTheEnvironment() throws Exception {
        JsonNode compose = YAML.readTree(COMPOSE.toFile());
        JsonNode services = compose.get("services");
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).as("three members").hasSize(3);
        Map<String, String> image = imageEnv();
        String adminPort = image.get("SATCHEL_ADMIN_PORT");
        String wsPort = image.get("SATCHEL_PORT");

        Set<String> clusterAddresses = new TreeSet<>();
        Set<String> listedMembers = null;
        int builds = 0;
        Set<String> hostPorts = new TreeSet<>();
        for (String name : names) {
            JsonNode member = services.get(name);
            assertThat(member.get("image").asText()).isEqualTo("satchel:0.1.0");
            if (member.has("build")) {
                builds++;
                assertThat(member.get("build").get("dockerfile").asText()).isEqualTo("docker/Dockerfile");
            }
            Map<String, String> env = fields(member.get("environment"));
            assertThat(settingEnvNames()).as("%s: every SATCHEL_* variable is a setting", name)
                    .containsAll(env.keySet().stream().filter(k -> k.startsWith("SATCHEL_")).toList());
            assertThat(env).as(name).containsEntry("SATCHEL_CLUSTER_ENABLED", "true")
                    .containsKeys("SATCHEL_CLUSTER_SECRET", "SATCHEL_AUTH_SECRET", "SATCHEL_CLUSTER_BIND",
                            "SATCHEL_CLUSTER_MEMBERS", "SATCHEL_CLUSTER_PORT");
            // secrets come from the environment of `docker compose up`, required, never written here
            for (String secret : List.of("SATCHEL_CLUSTER_SECRET", "SATCHEL_AUTH_SECRET")) {
                Matcher m = REQUIRED_VARIABLE.matcher(env.get(secret));
                assertThat(m.matches()).as("%s: %s is ${VAR:?message}", name, secret).isTrue();
                assertThat(m.group(1)).isEqualTo(secret);
            }
            // the member binds its own name on the network, and the members list names every member
            assertThat(env.get("SATCHEL_CLUSTER_BIND")).isEqualTo(member.get("hostname").asText());
            Set<String> members = new TreeSet<>(List.of(env.get("SATCHEL_CLUSTER_MEMBERS").split(",")));
            if (listedMembers == null) {
                listedMembers = members;
            }
            assertThat(members).as("%s: the same members list everywhere", name).isEqualTo(listedMembers);
            clusterAddresses.add(env.get("SATCHEL_CLUSTER_BIND") + ":" + env.get("SATCHEL_CLUSTER_PORT"));

            // a real configuration, with the deploy-time secrets
            Map<String, String> deployed = new HashMap<>(env);
            deployed.replaceAll((k, v) -> {
                Matcher optional = OPTIONAL_VARIABLE.matcher(v);
                return REQUIRED_VARIABLE.matcher(v).matches() ? SECRET : optional.matches() ? optional.group(2) : v;
            });
            assertThat(deployed.values()).as("%s: every ${...} substituted", name).noneMatch(v -> v.contains("${"));
            ServerConfig config = load(deployed);
            assertThat(config.cluster().enabled()).isTrue();
            assertThat(config.cluster().secret()).isEqualTo(SECRET);
            int clusterPort = config.cluster().port();
            assertThat(clusterPort).isEqualTo(Integer.parseInt(env.get("SATCHEL_CLUSTER_PORT")));
            assertThat(config.cluster().members()).hasSize(3);

            // published: the WebSocket port, and the admin port on loopback only; never the cluster ports
            List<String> ports = texts(member.get("ports"));
            assertThat(ports).hasSize(2);
            for (String p : ports) {
                String[] parts = p.split(":");
                String container = parts[parts.length - 1];
                assertThat(container).as("%s publishes %s", name, p).isIn(wsPort, adminPort)
                        .isNotIn(String.valueOf(clusterPort), String.valueOf(clusterPort + 100));
                if (container.equals(adminPort)) {
                    assertThat(parts).as("%s: admin port on this host only", name).hasSize(3);
                    assertThat(parts[0]).isEqualTo("127.0.0.1");
                }
                assertThat(hostPorts.add(parts[parts.length - 2])).as("host port %s used once", p).isTrue();
            }
            assertThat(texts(member.get("expose"))).containsExactlyInAnyOrder(String.valueOf(clusterPort),
                    String.valueOf(clusterPort + 100));

            // admin probe: the jar's own check of /health/ready, with time to join the cluster
            JsonNode health = member.get("healthcheck");
            assertThat(texts(health.get("test"))).containsSubsequence("CMD", "java", "-jar",
                    "/opt/satchel/satchel.jar", "health");
            assertThat(seconds(health.get("start_period").asText())).isGreaterThanOrEqualTo(60);

            // SIGTERM: drain, then the hand-off, well before the SIGKILL
            long shutdownSeconds = Long.parseLong(env.getOrDefault("SATCHEL_SHUTDOWN_TIMEOUT_MS",
                    image.get("SATCHEL_SHUTDOWN_TIMEOUT_MS"))) / 1000;
            assertThat(seconds(member.get("stop_grace_period").asText())).isGreaterThanOrEqualTo(shutdownSeconds + 60);

            // the image's VOLUME on a named volume of its own
            String volume = texts(member.get("volumes")).get(0);
            assertThat(volume).endsWith(":/var/lib/satchel");
            assertThat(compose.get("volumes").has(volume.split(":")[0])).as("named volume %s", volume).isTrue();
        }
        assertThat(builds).as("the image is built once").isEqualTo(1);
        assertThat(listedMembers).as("the members list is exactly the members").isEqualTo(clusterAddresses);
    }

    private static long seconds(String duration) {
        Matcher m = Pattern.compile("(?:(\\d+)m)?(?:(\\d+)s)?").matcher(duration);
        assertThat(m.matches()).as("duration %s", duration).isTrue();
        return (m.group(1) == null ? 0 : Long.parseLong(m.group(1)) * 60) + (m.group(2) == null ? 0
                : Long.parseLong(m.group(2)));
    }

    // ---------------------------------------------------------------- Kubernetes

    /** Every manifest in docker/kubernetes by kind (one document per file), kustomization aside. */
    private static Map<String, JsonNode> manifests() throws IOException {
        Map<String, JsonNode> byKind = new HashMap<>();
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (f.getFileName().toString().equals("kustomization.yaml")) {
                    continue;
                }
                JsonNode doc = YAML.readTree(f.toFile());
                String kind = doc.get("kind").asText();
                String key = kind.equals("Service") ? "Service/" + doc.get("metadata").get("name").asText() : kind;
                assertThat(byKind.put(key, doc)).as("one %s", key).isNull();
            }
        }
        return byKind;
    }

    @Test
    void theKustomizationAppliesEveryManifest() throws IOException {
        JsonNode k = YAML.readTree(KUBERNETES.resolve("kustomization.yaml").toFile());
        List<String> listed = texts(k.get("resources"));
        List<String> files;
        try (Stream<Path> all = Files.list(KUBERNETES)) {
            files = all.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
        }
        assertThat(listed).containsExactlyInAnyOrderElementsOf(files);
        assertThat(Files.readString(KUBERNETES.resolve("kustomization.yaml")))
                .as("how to create the Secret, which is not in git").contains("kubectl create secret generic satchel");
        assertThat(manifests()).doesNotContainKey("Secret");
    }

    @Test
    void theStatefulSetFormsAClusterThroughTheHeadlessService() throws Exception {
        Map<String, JsonNode> m = manifests();
        JsonNode sts = m.get("StatefulSet");
        JsonNode headless = m.get("Service/satchel-cluster");
        JsonNode clients = m.get("Service/satchel");
        JsonNode pdb = m.get("PodDisruptionBudget");
        assertThat(sts).isNotNull();
        assertThat(headless).isNotNull();
        assertThat(clients).isNotNull();
        assertThat(pdb).isNotNull();
        Map<String, String> image = imageEnv();

        JsonNode spec = sts.get("spec");
        assertThat(spec.get("replicas").asInt()).isEqualTo(3);
        assertThat(spec.get("serviceName").asText()).isEqualTo("satchel-cluster");
        assertThat(spec.get("podManagementPolicy").asText()).as("members start together").isEqualTo("Parallel");
        Map<String, String> podLabels = fields(spec.get("template").get("metadata").get("labels"));
        assertThat(podLabels).containsAllEntriesOf(fields(spec.get("selector").get("matchLabels")));
        for (JsonNode selector : List.of(headless.get("spec").get("selector"), clients.get("spec").get("selector"),
                pdb.get("spec").get("selector").get("matchLabels"))) {
            assertThat(podLabels).containsAllEntriesOf(fields(selector));
        }
        assertThat(headless.get("spec").get("clusterIP").asText()).isEqualTo("None");
        assertThat(headless.get("spec").get("publishNotReadyAddresses").asBoolean())
                .as("members find each other before they are ready").isTrue();
        assertThat(pdb.get("spec").get("maxUnavailable").asInt()).isEqualTo(1);

        JsonNode pod = spec.get("template").get("spec");
        JsonNode container = pod.get("containers").get(0);
        Map<String, Integer> ports = new HashMap<>();
        container.get("ports").forEach(p -> ports.put(p.get("name").asText(), p.get("containerPort").asInt()));

        // environment: every SATCHEL_* name a setting; literal values, the pod IP, the Secret
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : container.get("env")) {
            String name = e.get("name").asText();
            if (e.has("value")) {
                env.put(name, e.get("value").asText());
            } else if (e.path("valueFrom").has("secretKeyRef")) {
                assertThat(e.get("valueFrom").get("secretKeyRef").get("name").asText()).isEqualTo("satchel");
                env.put(name, SECRET);
            } else {
                String field = e.get("valueFrom").get("fieldRef").get("fieldPath").asText();
                env.put(name, switch (field) {
                    case "status.podIP" -> "10.1.2.3";
                    case "metadata.namespace" -> "prod";
                    default -> throw new AssertionError("unexpected fieldRef " + field);
                });
                if (name.equals("SATCHEL_CLUSTER_BIND")) {
                    assertThat(field).as("the member advertises its pod IP").isEqualTo("status.podIP");
                }
            }
        }
        assertThat(settingEnvNames()).containsAll(env.keySet().stream().filter(k -> k.startsWith("SATCHEL_")).toList());
        assertThat(env).containsEntry("SATCHEL_CLUSTER_ENABLED", "true").containsEntry("SATCHEL_CLUSTER_SECRET", SECRET)
                .containsEntry("SATCHEL_AUTH_SECRET", SECRET).containsKey("SATCHEL_CLUSTER_DNS_QUERY")
                .doesNotContainKey("SATCHEL_CLUSTER_MEMBERS");
        // $(VAR) expands to earlier variables, as the kubelet does
        Map<String, String> expanded = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            String v = e.getValue();
            for (Map.Entry<String, String> earlier : expanded.entrySet()) {
                v = v.replace("$(" + earlier.getKey() + ")", earlier.getValue());
            }
            expanded.put(e.getKey(), v);
        }
        assertThat(expanded.get("SATCHEL_CLUSTER_DNS_QUERY"))
                .isEqualTo("satchel-cluster.prod.svc.cluster.local");
        ServerConfig config = load(expanded);
        assertThat(config.cluster().enabled()).isTrue();
        assertThat(config.cluster().dnsQuery()).isEqualTo("satchel-cluster.prod.svc.cluster.local");
        assertThat(config.cluster().dnsServer()).as("asked through the pod's resolver (the cluster DNS)").isNull();
        assertThat(config.cluster().bind()).isEqualTo("10.1.2.3");

        // ports: the container's agree with the settings, the headless Service carries the cluster ports
        int clusterPort = config.cluster().port();
        assertThat(ports).containsEntry("ws", Integer.parseInt(image.get("SATCHEL_PORT")))
                .containsEntry("admin", config.ops().adminPort())
                .containsEntry("cluster", clusterPort)
                .containsEntry("cluster-fd", clusterPort + 100);
        Map<String, String> headlessPorts = new HashMap<>();
        headless.get("spec").get("ports").forEach(p -> headlessPorts.put(p.get("targetPort").asText(),
                p.get("port").asText()));
        assertThat(headlessPorts).containsEntry("cluster", String.valueOf(clusterPort))
                .containsEntry("cluster-fd", String.valueOf(clusterPort + 100));
        JsonNode clientPort = clients.get("spec").get("ports").get(0);
        assertThat(clientPort.get("targetPort").asText()).isEqualTo("ws");
        assertThat(clients.get("spec").get("ports")).hasSize(1);

        // probes on the admin port: ready = joined and received its data; live = the process answers
        JsonNode readiness = container.get("readinessProbe").get("httpGet");
        assertThat(readiness.get("path").asText()).isEqualTo("/health/ready");
        assertThat(readiness.get("port").asText()).isEqualTo("admin");
        for (String probe : List.of("livenessProbe", "startupProbe")) {
            JsonNode get = container.get(probe).get("httpGet");
            assertThat(get.get("path").asText()).as(probe).isEqualTo("/health/live");
            assertThat(get.get("port").asText()).as(probe).isEqualTo("admin");
        }
        JsonNode startup = container.get("startupProbe");
        assertThat(startup.get("periodSeconds").asInt() * startup.get("failureThreshold").asInt())
                .as("seconds a member may take to start and join").isGreaterThanOrEqualTo(120);

        // resources, and a grace period that covers the preStop pause, the drain and the hand-off
        assertThat(container.get("resources").get("requests").has("cpu")).isTrue();
        assertThat(container.get("resources").get("requests").has("memory")).isTrue();
        assertThat(container.get("resources").get("limits").get("memory").asText())
                .isEqualTo(container.get("resources").get("requests").get("memory").asText());
        long preStop = Long.parseLong(texts(container.get("lifecycle").get("preStop").get("exec").get("command")).get(1));
        long drain = config.ops().shutdownTimeoutMillis() / 1000;
        assertThat(pod.get("terminationGracePeriodSeconds").asLong()).isGreaterThanOrEqualTo(preStop + drain + 60);

        // the image's non-root user, nothing more than it needs
        JsonNode security = pod.get("securityContext");
        assertThat(security.get("runAsNonRoot").asBoolean()).isTrue();
        assertThat(security.get("runAsUser").asLong()).isEqualTo(imageUser());
        assertThat(security.get("runAsGroup").asLong()).isEqualTo(imageUser());
        JsonNode containerSecurity = container.get("securityContext");
        assertThat(containerSecurity.get("allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(texts(containerSecurity.get("capabilities").get("drop"))).containsExactly("ALL");
        if (containerSecurity.path("readOnlyRootFilesystem").asBoolean()) {
            List<String> mounts = new ArrayList<>();
            container.get("volumeMounts").forEach(v -> mounts.add(v.get("mountPath").asText()));
            assertThat(mounts).contains("/tmp", image.get("SATCHEL_PERSIST_PATH"));
        }
        assertThat(pod.get("affinity").get("podAntiAffinity")).as("members spread over nodes").isNotNull();
        assertThat(spec.get("volumeClaimTemplates").get(0).get("metadata").get("name").asText()).isEqualTo("data");

        JsonNode policy = m.get("NetworkPolicy");
        List<Integer> memberOnly = new ArrayList<>();
        policy.get("spec").get("ingress").get(0).get("ports").forEach(p -> memberOnly.add(p.get("port").asInt()));
        assertThat(memberOnly).containsExactlyInAnyOrder(clusterPort, clusterPort + 100);
    }

    @Test
    void readmeExplainsClusterDeployment() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("## Cluster mode");
        assertThat(at).as("README section \"Cluster mode\"").isNotNegative();
        int end = readme.indexOf("\n## ", at + 1);
        String section = readme.substring(at, end < 0 ? readme.length() : end);
        assertThat(section).contains("docker/compose.cluster.yaml", "docker/kubernetes", "kubectl create secret",
                "ClusterDeploymentTest", "No Docker engine");
    }
}
