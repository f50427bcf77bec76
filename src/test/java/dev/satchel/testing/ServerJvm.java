package dev.satchel.testing;

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

/**
 * The tests' one JVM launcher: a Satchel command line (or any command) as its own process, so that SIGTERM,
 * SIGKILL and exit statuses are real. The process gets no SATCHEL_* variables from the test's environment,
 * its stdout is discarded and its stderr captured to a file; with production logging (INFO) the bound port is
 * read from the banner's "listening on ws://HOST:PORT".
 */
public final class ServerJvm implements AutoCloseable {
    /** The banner's address, also inside JSON log lines (escaped slashes). */
    private static final Pattern LISTENING = Pattern.compile("listening on wss?:\\\\?/\\\\?/[^:]+:(\\d+)");

    private final Process process;
    private final Path stderr;
    /** Whether {@link #close()} keeps the stderr file (the caller named it). */
    private final boolean keepStderr;
    private int port = -1;

    private ServerJvm(List<String> command, Map<String, String> env) throws IOException {
        this(command, env, null);
    }

    /** {@code stderrFile} null: a temporary file deleted by {@link #close()}; else that file, kept. */
    private ServerJvm(List<String> command, Map<String, String> env, Path stderrFile) throws IOException {
        keepStderr = stderrFile != null;
        stderr = keepStderr ? stderrFile : Files.createTempFile("satchel-jvm-", ".stderr");
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("SATCHEL_") || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(stderr.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        process = pb.start();
        process.getOutputStream().close();
    }

    /** The java launcher of the JVM running the tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * {@code java [jvmArgs] -cp <test class path> dev.satchel.Satchel args...}, with production logging
     * ({@code logback.xml}) when asked, else the tests' logging.
     */
    private static List<String> satchelCommand(List<String> jvmArgs, boolean productionLogging, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmArgs);
        if (productionLogging) {
            command.add("-Dlogback.configurationFile=logback.xml");
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("dev.satchel.Satchel");
        command.addAll(args);
        return command;
    }

    /** Any {@code satchel} command line with production logging; does not wait for anything. */
    public static ServerJvm satchel(List<String> jvmArgs, Map<String, String> env, String... args) throws IOException {
        return new ServerJvm(satchelCommand(jvmArgs, true, List.of(args)), env);
    }

    /**
     * Any {@code satchel} command line with production logging, its stderr written to {@code stderrFile}
     * (created or truncated), which {@link #close()} keeps; does not wait for anything.
     */
    public static ServerJvm satchel(List<String> jvmArgs, Map<String, String> env, Path stderrFile, List<String> args)
            throws IOException {
        return new ServerJvm(satchelCommand(jvmArgs, true, args), env, stderrFile);
    }

    /** Any command (a script, say) with this environment; does not wait for anything. */
    public static ServerJvm command(List<String> command, Map<String, String> env) throws IOException {
        return new ServerJvm(command, env);
    }

    /**
     * {@code satchel server args...} with production logging (the admin port on any free port unless given),
     * once it listens; fails with its stderr if it exits or does not listen within 60 s.
     */
    public static ServerJvm startServer(List<String> jvmArgs, String... args) throws Exception {
        List<String> all = new ArrayList<>();
        all.add("server");
        if (!List.of(args).contains("--admin-port")) {
            all.add("--admin-port"); // the admin HTTP port: any free one, not the default 1988
            all.add("0");
        }
        all.addAll(List.of(args));
        ServerJvm jvm = new ServerJvm(satchelCommand(jvmArgs, true, all), Map.of());
        try {
            jvm.awaitListening();
        } catch (Throwable e) {
            jvm.close();
            throw e;
        }
        return jvm;
    }

    /** Runs {@code satchel server args} expecting it to exit by itself (a start-up failure), with test logging. */
    public static ServerJvm runServerToExit(String... args) throws Exception {
        List<String> all = new ArrayList<>();
        all.add("server");
        if (!List.of(args).contains("--admin-port")) {
            all.add("--admin-port");
            all.add("0");
        }
        all.addAll(List.of(args));
        ServerJvm jvm = new ServerJvm(satchelCommand(List.of(), false, all), Map.of());
        if (!jvm.process.waitFor(60, TimeUnit.SECONDS)) {
            String err = jvm.stderr();
            jvm.close();
            throw new AssertionError("satchel server " + String.join(" ", args) + " did not exit; stderr:\n" + err);
        }
        return jvm;
    }

    /** A port nothing listens on right now. */
    public static int freePort() throws IOException {
        return freePort(0);
    }

    /**
     * A port that is free now, with {@code port + offset} free too (0: just the one), for a server that binds it
     * later. Chosen below the kernel's ephemeral range (ip_local_port_range), so no outgoing connection (of this
     * JVM, a member, anything) can take it between this check and the bind, as an ephemeral port from
     * {@code new ServerSocket(0)} could ("Address already in use", seen in CI). Random, so concurrent tests
     * rarely pick the same one; checked by binding.
     */
    public static synchronized int freePort(int offset) throws IOException {
        int low = ephemeralLow();
        int from = 10_000;
        int to = Math.max(from + 1000, low - 1 - offset);
        for (int attempt = 0; attempt < 500; attempt++) {
            int p = java.util.concurrent.ThreadLocalRandom.current().nextInt(from, to);
            if (RECENT.contains(p) || offset > 0 && RECENT.contains(p + offset)) {
                continue;
            }
            try (ServerSocket a = new ServerSocket(p); ServerSocket b = offset > 0 ? new ServerSocket(p + offset) : null) {
                RECENT.add(p);
                if (offset > 0) {
                    RECENT.add(p + offset);
                }
                return p;
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new IOException("no free port below " + low + (offset > 0 ? " with its +" + offset : ""));
    }

    /** Ports handed out by this JVM: not handed out twice. */
    private static final java.util.Set<Integer> RECENT = new java.util.HashSet<>();

    /** The first port of the kernel's ephemeral range (32768 if it cannot be read). */
    private static int ephemeralLow() {
        try {
            String r = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                    .trim();
            return Integer.parseInt(r.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }

    public Process process() {
        return process;
    }

    /** The operating system's process id. */
    public long pid() {
        return process.pid();
    }

    /** The file the process's stderr goes to. */
    public Path stderrFile() {
        return stderr;
    }

    /** What the process wrote on stderr so far. */
    public String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Waits for the banner (up to 60 s); returns the WebSocket port. */
    public int awaitListening() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (port < 0) {
            Matcher m = LISTENING.matcher(stderr());
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            } else if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the server did not start listening; exit "
                        + (process.isAlive() ? "-" : process.exitValue()) + "; stderr:\n" + stderr());
            } else {
                Thread.sleep(20);
            }
        }
        return port;
    }

    /** The WebSocket port, once {@link #awaitListening()} saw it. */
    public int port() {
        return port;
    }

    public int exitCode() {
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook runs, like a crash or an OOM kill. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the process did not die");
        }
    }

    /** SIGTERM (a graceful shutdown); returns the exit status. */
    public int terminate() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("no exit within 60 s of SIGTERM; stderr:\n" + stderr());
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
        if (!keepStderr) {
            try {
                Files.deleteIfExists(stderr);
            } catch (IOException e) {
                // a temporary file; never mind
            }
        }
    }
}
