package dev.satchel.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code satchel server} with a bad setting exits with status 2 and one line on stderr, no stack trace. */
class LauncherTest {

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.satchel.Satchel");
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("SATCHEL_"));
        Process p = pb.start();
        p.getOutputStream().close();
        boolean done = p.waitFor(20, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("satchel " + String.join(" ", args) + " did not exit within 20 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.exitValue(), out, err);
    }

    @Test
    void badPortFlagExitsWith2AndOneLineWithoutStackTrace() throws Exception {
        Result r = run("server", "--port", "abc");
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.stderr()).isEqualTo(2);
        assertThat(r.stderr().strip().lines().toList()).as("stderr lines").hasSize(1);
        assertThat(r.stderr()).contains("server.port").contains("abc").contains("--port")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void missingConfigFileExitsWith2AndOneLine() throws Exception {
        Result r = run("server", "--port", "0", "--config", "/nonexistent/satchel.json");
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.stderr()).isEqualTo(2);
        assertThat(r.stderr().strip().lines().toList()).hasSize(1);
        assertThat(r.stderr()).contains("/nonexistent/satchel.json").doesNotContain("\tat ");
    }
}
