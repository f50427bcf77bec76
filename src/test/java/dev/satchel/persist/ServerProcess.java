package dev.satchel.persist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code satchel server ...} as a separate JVM on the test class path, so that it can be killed for real.
 * Its stderr goes to a file; with production logging (INFO) the bound port is read from the line
 * "listening on ws://127.0.0.1:PORT".
 */
final class ServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on ws://[^:]+:(\\d+)");

    private final Process process;
    private final Path stderrFile;
    private int port = -1;

    private ServerProcess(List<String> jvmArgs, List<String> args, boolean productionLogging) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        if (productionLogging) {
            command.add("-Dlogback.configurationFile=logback.xml");
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.satchel.Satchel");
        command.add("server");
        if (!args.contains("--admin-port")) {
            command.add("--admin-port"); // the admin HTTP port: any free one, not the default 1988
            command.add("0");
        }
        command.addAll(args);
        stderrFile = Files.createTempFile("satchel-server-", ".stderr");
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("SATCHEL_"));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(stderrFile.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        process = pb.start();
        process.getOutputStream().close();
    }

    /** Starts a server and waits until it listens. */
    static ServerProcess start(List<String> jvmArgs, String... args) throws Exception {
        ServerProcess p = new ServerProcess(jvmArgs, List.of(args), true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (p.port < 0) {
            Matcher m = LISTENING.matcher(p.stderr());
            if (m.find()) {
                p.port = Integer.parseInt(m.group(1));
            } else if (!p.process.isAlive() || System.nanoTime() > deadline) {
                String err = p.stderr();
                p.close();
                throw new AssertionError("the server did not start listening; stderr:\n" + err);
            } else {
                Thread.sleep(20);
            }
        }
        return p;
    }

    /** Runs {@code satchel server args} expecting it to exit by itself (a start-up failure), with test logging. */
    static ServerProcess runToExit(String... args) throws Exception {
        ServerProcess p = new ServerProcess(List.of(), List.of(args), false);
        if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
            p.close();
            throw new AssertionError("satchel server " + String.join(" ", args) + " did not exit; stderr:\n" + p.stderr());
        }
        return p;
    }

    int port() {
        return port;
    }

    int exitCode() {
        return process.exitValue();
    }

    /** What the server wrote on stderr so far. */
    String stderr() throws IOException {
        return Files.readString(stderrFile, StandardCharsets.UTF_8);
    }

    /** SIGKILL: no shutdown hook runs, like a crash or an OOM kill. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server did not die");
        }
    }

    /** SIGTERM: a graceful shutdown; returns the exit status. */
    int terminate() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the server did not stop on SIGTERM; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.deleteIfExists(stderrFile);
        } catch (IOException e) {
            // a temporary file; never mind
        }
    }
}
