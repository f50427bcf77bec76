package dev.satchel.ops;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Satchel command line in its own JVM (so SIGTERM and exit statuses are real), stderr captured to a file. */
final class ServerJvm implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on wss?:\\\\?/\\\\?/[^:]+:(\\d+)");

    final Process process;
    private final Path stderr;

    private ServerJvm(List<String> command, Map<String, String> env) throws IOException {
        stderr = Files.createTempFile("satchel-ops-", ".stderr");
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("SATCHEL_") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(stderr.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        process = pb.start();
        process.getOutputStream().close();
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java [jvmArgs] -cp <test class path> dev.satchel.Satchel args...} with production logging. */
    static ServerJvm satchel(List<String> jvmArgs, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmArgs);
        command.add("-Dlogback.configurationFile=logback.xml");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.satchel.Satchel");
        command.addAll(List.of(args));
        return new ServerJvm(command, env);
    }

    static ServerJvm command(List<String> command, Map<String, String> env) throws IOException {
        return new ServerJvm(command, env);
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Waits for the banner; returns the WebSocket port. */
    int awaitListening() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Matcher m = LISTENING.matcher(stderr());
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the server did not start; exit " + (process.isAlive() ? "-" : process.exitValue())
                        + "; stderr:\n" + stderr());
            }
            Thread.sleep(20);
        }
    }

    /** SIGTERM; returns the exit status. */
    int terminate() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("no exit within 60 s of SIGTERM; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(stderr);
    }
}
