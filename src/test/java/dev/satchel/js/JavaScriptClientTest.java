package dev.satchel.js;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the JavaScript client's own tests (src/js) as part of {@code mvn test}: {@code npm ci}, {@code npm run
 * build}, then {@code npm test}, which runs the client's scenarios with {@code node --test} in Node and in headless
 * Chromium against real Satchel servers. The servers are this build's classes, started by the JS tests through
 * {@code SATCHEL_SERVER_CMD} with this JVM's class path. Their output goes to the build log; a failure fails this
 * test with the end of that output. Node.js, npm and Chromium must be installed ({@code scripts/test} installs
 * them): without them this test fails and names the install command.
 */
class JavaScriptClientTest {

    private static final Path JS = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "src", "js");
    private static final String INSTALL = "install them with scripts/test (as root), or: "
            + "apt-get update && apt-get install -y nodejs npm chromium";
    private static final int TAIL_LINES = 300;

    @Test
    @Timeout(value = 25, unit = TimeUnit.MINUTES)
    void nodeAndBrowserTestsPass() throws Exception {
        requireTool("node", INSTALL + " (Node.js 20 or later)");
        requireTool("npm", INSTALL);
        Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM_PATH", "/usr/bin/chromium"));
        if (!Files.isExecutable(chromium)) {
            fail("Chromium is needed for the JavaScript client's browser tests and " + chromium + " is missing; "
                    + INSTALL);
        }
        run(List.of("npm", "ci", "--no-audit", "--no-fund"), 10);
        run(List.of("npm", "run", "build"), 5);
        run(List.of("npm", "test"), 15);
    }

    /** The command that starts {@code satchel server} from this build, as a JSON array. */
    private static String serverCommand() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // production logging (the tests' logback-test.xml hides the INFO line that tells the port)
        List<String> cmd = List.of(java, "-XX:+UseSerialGC", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Dlogback.configurationFile=logback.xml", "-cp", classPath, "dev.satchel.Satchel", "server");
        StringBuilder json = new StringBuilder("[");
        for (String part : cmd) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"');
            for (char c : part.toCharArray()) {
                if (c == '"' || c == '\\') {
                    json.append('\\');
                }
                json.append(c);
            }
            json.append('"');
        }
        return json.append(']').toString();
    }

    private static void requireTool(String tool, String install) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
        } catch (IOException e) {
            // not installed: below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fail(tool + " is needed for the JavaScript client's tests and was not found; " + install);
    }

    /** Runs a command in src/js, streaming its output into the build log; fails with its last lines. */
    private static void run(List<String> command, int timeoutMinutes) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(JS.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("SATCHEL_SERVER_CMD", serverCommand());
        env.put("npm_config_update_notifier", "false");
        env.put("NO_COLOR", "1");
        String shown = String.join(" ", command);
        System.out.println("[js] $ " + shown + "   (in " + JS + ")");
        Process process = pb.start();
        Deque<String> tail = new ArrayDeque<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println("[js] " + line);
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "js-output");
        pump.setDaemon(true);
        pump.start();
        boolean finished = process.waitFor(timeoutMinutes, TimeUnit.MINUTES);
        if (!finished) {
            killTree(process);
        }
        pump.join(TimeUnit.SECONDS.toMillis(30));
        List<String> last;
        synchronized (tail) {
            last = new ArrayList<>(tail);
        }
        if (!finished) {
            fail("'" + shown + "' did not finish within " + timeoutMinutes + " minutes; its last output:\n"
                    + String.join("\n", last));
        }
        if (process.exitValue() != 0) {
            fail("'" + shown + "' in src/js failed with exit status " + process.exitValue() + "; its last output:\n"
                    + String.join("\n", last));
        }
    }

    private static void killTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
