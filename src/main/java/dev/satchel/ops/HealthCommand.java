package dev.satchel.ops;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code satchel health}: asks a running server's admin port whether it is ready (or live), for container
 * health checks and scripts. Exit status 0 when it answers 200, 1 otherwise. No credentials are needed.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Check a running server's admin port: exit 0 if GET /health/ready (or /health/live)"
                + " answers 200, else 1. Needs no credentials (for Docker HEALTHCHECK and probes).")
public final class HealthCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--host", paramLabel = "HOST", description = "admin address to ask (default: 127.0.0.1)")
    String host = "127.0.0.1";
    @Option(names = "--port", paramLabel = "N",
            description = "admin port (default: $SATCHEL_ADMIN_PORT, else 1988)")
    Integer port;
    @Option(names = "--live", description = "check /health/live (the command loop answers) instead of /health/ready")
    boolean live;
    @Option(names = "--timeout", paramLabel = "S", description = "seconds to wait for the answer (default: 5)")
    int timeoutSeconds = 5;

    @Override
    public Integer call() {
        int p = port != null ? port : envPort();
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        URI uri = URI.create("http://" + h + ":" + p + (live ? "/health/live" : "/health/ready"));
        try {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(timeoutSeconds * 1000);
            c.setReadTimeout(timeoutSeconds * 1000);
            c.setInstanceFollowRedirects(false);
            int status = c.getResponseCode();
            String body;
            try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
                body = in == null ? "" : new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
            }
            out().println(uri + " " + status + " " + body);
            return status == 200 ? 0 : 1;
        } catch (IOException | RuntimeException e) {
            out().println(uri + " unreachable: " + e);
            return 1;
        }
    }

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private static int envPort() {
        String v = System.getenv("SATCHEL_ADMIN_PORT");
        if (v != null && !v.isBlank()) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n > 0 && n < 65536) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall back to the default
            }
        }
        return 1988;
    }
}
