package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testing.RawWebSocket;
import dev.satchel.testing.ServerJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's ENTRYPOINT + CMD and HEALTHCHECK command lines, taken from docker/Dockerfile and run here with
 * the image's ENV: only the jar (the test class path instead of /opt/satchel/satchel.jar), the listen
 * addresses (loopback), the ports (free ones) and the volume (a temporary directory) differ. The JVM must
 * accept the container flags, become healthy, and exit 0 on SIGTERM.
 */
class DockerEntrypointTest {
    @TempDir
    Path data;

    /** Replaces {@code -jar /opt/satchel/satchel.jar} by the test class path and the main class. */
    static List<String> local(List<String> command, boolean productionLogging) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < command.size(); i++) {
            String a = command.get(i);
            if (i == 0 && a.equals("java")) {
                out.add(ServerJvm.java());
            } else if (a.equals("-jar") && i + 1 < command.size() && command.get(i + 1).equals("/opt/satchel/satchel.jar")) {
                if (productionLogging) {
                    out.add("-Dlogback.configurationFile=logback.xml");
                }
                out.add("-cp");
                out.add(System.getProperty("java.class.path"));
                out.add("dev.satchel.Satchel");
                i++;
            } else {
                out.add(a);
            }
        }
        assertThat(out).contains("dev.satchel.Satchel");
        return out;
    }

    @Test
    void theEntrypointStartsBecomesHealthyAndExitsZeroOnSigterm() throws Exception {
        List<DockerfileTest.Instruction> all = DockerfileTest.parse(DockerfileTest.DOCKERFILE);
        List<List<DockerfileTest.Instruction>> stages = DockerfileTest.stages(all);
        List<DockerfileTest.Instruction> run = stages.get(stages.size() - 1);
        List<String> command = new ArrayList<>(DockerfileTest.execForm(DockerfileTest.only(run, "ENTRYPOINT").args()));
        command.addAll(DockerfileTest.execForm(DockerfileTest.only(run, "CMD").args()));
        Matcher m = Pattern.compile(".*CMD\\s+(\\[.*])").matcher(DockerfileTest.only(run, "HEALTHCHECK").args());
        assertThat(m.matches()).isTrue();
        List<String> healthcheck = DockerfileTest.execForm(m.group(1));

        Map<String, String> env = new HashMap<>(DockerfileTest.env(run));
        int port = ServerJvm.freePort();
        int adminPort = ServerJvm.freePort();
        env.put("SATCHEL_BIND", "127.0.0.1");
        env.put("SATCHEL_ADMIN_BIND", "127.0.0.1");
        env.put("SATCHEL_PORT", Integer.toString(port));
        env.put("SATCHEL_ADMIN_PORT", Integer.toString(adminPort));
        env.put("SATCHEL_PERSIST_PATH", data.toString());
        env.put("SATCHEL_PERSIST_SAVE_ON_SHUTDOWN", "on-stop");

        try (ServerJvm server = ServerJvm.command(local(command, true), env)) {
            assertThat(server.awaitListening()).isEqualTo(port);
            int status = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (status != 0 && System.nanoTime() < deadline) {
                try (ServerJvm check = ServerJvm.command(local(healthcheck, false), env)) {
                    assertThat(check.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                    status = check.process().exitValue();
                }
            }
            assertThat(status).as("HEALTHCHECK exit status; server stderr:\n%s", server.stderr()).isZero();
            try (RawWebSocket c = RawWebSocket.open(port)) {
                c.sendText("{\"SH_NEW\":{}}");
                assertThat(c.readText()).contains("\"st\":1");
            }
            assertThat(server.stderr()).as("the image journals every change").contains("journal replayed");
            assertThat(server.terminate()).as("exit status after SIGTERM; stderr:\n%s", server.stderr()).isZero();
            assertThat(server.stderr()).contains("listening on ws://127.0.0.1:" + port, "Satchel stopped");
        }
        assertThat(data.resolve("on-stop")).as("the shutdown save went to the volume").isDirectory();
        assertThat(data.resolve("journal")).as("the journal is in the volume").isDirectory();
        try (ServerJvm check = ServerJvm.command(local(healthcheck, false), env)) {
            assertThat(check.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(check.process().exitValue()).as("HEALTHCHECK of a stopped server").isEqualTo(1);
        }
    }
}
