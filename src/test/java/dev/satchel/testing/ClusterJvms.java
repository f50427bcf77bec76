package dev.satchel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * A Satchel cluster of member JVMs on loopback, each a {@link ServerJvm} ({@code satchel server --cluster ...})
 * with its own free WebSocket, admin and cluster ports, one static members list, one secret (passed as
 * {@code SATCHEL_CLUSTER_SECRET}, the way a deployment hands it over) and a cluster name of its own, so that
 * clusters of different tests never meet. Members can be killed ({@code kill -9}), stopped (SIGTERM) and started
 * again on the same ports; {@link Member#awaitReady()} waits for {@code /health/ready} 200 on the admin port.
 *
 * <p>Logs: every incarnation of every member writes its stderr (production logging, INFO) to
 * {@code target/cluster-logs/<cluster>/member<i>-<n>.log}. Register {@link LogsOnFailure} on a test class: when a
 * test fails it prints where the logs are and the tail of each; when the whole class passed it deletes them.
 *
 * <p>Start-up is slow on a loaded 2-core machine (tens of seconds per member: JVM, Infinispan, join, state
 * transfer), hence the generous {@link #READY_TIMEOUT_MILLIS}.
 *
 * <p>DNS discovery ({@link Builder#dnsDiscovery}): instead of the members list, every member asks a DNS server
 * (a {@link DnsStub}) for one name, like pods behind a Kubernetes headless Service. Then, as there, every member
 * uses the same cluster port on an address of its own: member i binds {@code 127.0.0.<i+1>} (on Linux all of
 * 127.0.0.0/8 is loopback), and the DNS name must list those addresses.
 */
public final class ClusterJvms implements AutoCloseable {
    /** How long a member may take from process start to {@code /health/ready} 200. */
    public static final long READY_TIMEOUT_MILLIS = TimeUnit.SECONDS.toMillis(240);
    /** JGroups' FD_SOCK2 listens on the cluster port plus this (docs/cluster-design.md section 2). */
    public static final int FAILURE_DETECTION_PORT_OFFSET = 100;
    /** JVM options of test members: a small heap, and little JIT and GC work on a shared 2-core machine. */
    public static final List<String> TEST_JVM_ARGS =
            List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData");
    private static final Path LOG_ROOT = Path.of("target", "cluster-logs");
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    /** Clusters started since the last {@link LogsOnFailure} clean-up, for their logs. */
    private static final List<ClusterJvms> STARTED = new ArrayList<>();

    private final String name;
    private final String secret;
    private final int owners;
    private final List<String> jvmArgs;
    private final List<String> extraArgs;
    /** DNS discovery: the server (host:port) and the name every member asks; null = the static members list. */
    private final String dnsServer;
    private final String dnsQuery;
    private final Path logDir;
    private final List<Member> members = new ArrayList<>();
    private final List<Member> outsiders = new ArrayList<>();

    private ClusterJvms(Builder b) throws IOException {
        this.name = b.name != null ? b.name
                : "satchel-test-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        this.secret = b.secret;
        this.owners = b.owners;
        this.jvmArgs = List.copyOf(b.jvmArgs);
        this.extraArgs = List.copyOf(b.extraArgs);
        this.dnsServer = b.dnsServer;
        this.dnsQuery = b.dnsQuery;
        this.logDir = LOG_ROOT.resolve(name);
        Files.createDirectories(logDir);
        Set<Integer> taken = new HashSet<>();
        int sharedClusterPort = dnsServer == null ? 0 : freeClusterPort(taken); // free on every address
        for (int i = 0; i < b.size; i++) {
            if (dnsServer == null) {
                members.add(new Member(i, freePort(taken), freePort(taken), freeClusterPort(taken), "127.0.0.1",
                        secret, true));
            } else {
                members.add(new Member(i, freePort(taken), freePort(taken), sharedClusterPort, dnsBind(i), secret,
                        true));
            }
        }
        synchronized (STARTED) {
            STARTED.add(this);
        }
    }

    public static Builder builder(int members) {
        return new Builder(members);
    }

    /** Settings of a cluster; {@link #start()} starts every member at once and waits until all are ready. */
    public static final class Builder {
        private final int size;
        private String name;
        private String secret = "cluster secret of the tests, long enough";
        private int owners = 2;
        private List<String> jvmArgs = TEST_JVM_ARGS;
        private final List<String> extraArgs = new ArrayList<>();
        private String dnsServer;
        private String dnsQuery;

        private Builder(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("members: " + size);
            }
            this.size = size;
        }

        public Builder name(String clusterName) {
            this.name = clusterName;
            return this;
        }

        public Builder secret(String clusterSecret) {
            this.secret = clusterSecret;
            return this;
        }

        public Builder owners(int n) {
            this.owners = n;
            return this;
        }

        public Builder jvmArgs(List<String> args) {
            this.jvmArgs = args;
            return this;
        }

        /** More {@code satchel server} flags for every member ({@code --token-format uint64}, say). */
        public Builder serverArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /**
         * DNS discovery instead of the members list: every member runs with {@code --cluster-dns-query query
         * --cluster-dns-server server}, binds its cluster address to {@code 127.0.0.<index+1>} and uses one cluster
         * port shared by all (see the class comment).
         */
        public Builder dnsDiscovery(String server, String query) {
            this.dnsServer = server;
            this.dnsQuery = query;
            return this;
        }

        /** The cluster with its ports chosen, nothing started. */
        public ClusterJvms create() throws IOException {
            return new ClusterJvms(this);
        }

        /** Starts every member at once and waits until each answers {@code /health/ready} 200. */
        public ClusterJvms start() throws Exception {
            ClusterJvms cluster = create();
            try {
                cluster.startAll();
            } catch (Throwable e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }

    /** Starts every member that is not running, all at once, and waits until each is ready. */
    public void startAll() throws Exception {
        for (Member m : members) {
            if (!m.isAlive()) {
                m.start();
            }
        }
        awaitAllReady();
    }

    /**
     * Polls every member's {@code /health/ready} in turn until all answer 200, so each member's
     * {@link Member#readinessSeen()} covers its whole start; fails like {@link Member#awaitReady()}.
     */
    public void awaitAllReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        List<Member> waiting = new ArrayList<>(members);
        while (!waiting.isEmpty()) {
            for (Iterator<Member> it = waiting.iterator(); it.hasNext(); ) {
                if (it.next().pollReady(deadline, READY_TIMEOUT_MILLIS)) {
                    it.remove();
                }
            }
            if (!waiting.isEmpty()) {
                Thread.sleep(50);
            }
        }
    }

    public String name() {
        return name;
    }

    public int size() {
        return members.size();
    }

    public Member member(int i) {
        return members.get(i);
    }

    public List<Member> members() {
        return List.copyOf(members);
    }

    /** The members whose process runs. */
    public List<Member> running() {
        return members.stream().filter(Member::isAlive).collect(Collectors.toList());
    }

    /**
     * Every member's {@code <cluster address>:<cluster port>}, comma-separated: {@code cluster.members} with the
     * static list, and what SV_INFO's {@code cluster.members} shows either way.
     */
    public String membersList() {
        return members.stream().map(m -> m.clusterBind + ":" + m.clusterPort).collect(Collectors.joining(","));
    }

    /** The WebSocket URLs of all members, comma-separated (for clients that fail over between them). */
    public String urls() {
        return members.stream().map(m -> m.uri().toString()).collect(Collectors.joining(","));
    }

    /**
     * A process that is not in the members list but names every member as a peer and uses this cluster's name,
     * with {@code otherSecret} as its secret: an outsider trying to join. Started, not waited for.
     */
    public Member startOutsider(String otherSecret) throws IOException {
        Set<Integer> taken = new HashSet<>();
        for (Member m : members) {
            taken.add(m.port);
            taken.add(m.adminPort);
            taken.add(m.clusterPort);
        }
        Member m = new Member(members.size() + outsiders.size(), freePort(taken), freePort(taken),
                freeClusterPort(taken), "127.0.0.1", otherSecret, false);
        outsiders.add(m);
        m.start();
        return m;
    }

    /**
     * With {@link Builder#dnsDiscovery}: one more process with this cluster's name, secret and cluster port, bound
     * to {@code clusterBind}, that asks {@code server} for {@code query} (another DNS view of the cluster than the
     * members'). Not among {@link #members()}; not started.
     */
    public Member dnsOutsider(String clusterBind, String server, String query) throws IOException {
        if (dnsServer == null) {
            throw new IllegalStateException("not a DNS-discovery cluster");
        }
        Set<Integer> taken = new HashSet<>();
        for (Member m : members) {
            taken.add(m.port);
            taken.add(m.adminPort);
        }
        for (Member m : outsiders) {
            taken.add(m.port);
            taken.add(m.adminPort);
        }
        Member m = new Member(members.size() + outsiders.size(), freePort(taken), freePort(taken),
                members.get(0).clusterPort, clusterBind, secret, false);
        m.dns = List.of("--cluster-dns-query", query, "--cluster-dns-server", server);
        outsiders.add(m);
        return m;
    }

    /** The cluster addresses {@link Builder#dnsDiscovery} gives {@code n} members: 127.0.0.1, 127.0.0.2, ... */
    public static List<String> dnsBinds(int n) {
        List<String> binds = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            binds.add(dnsBind(i));
        }
        return binds;
    }

    private static String dnsBind(int index) {
        if (index > 250) {
            throw new IllegalArgumentException("member " + index);
        }
        return "127.0.0." + (index + 1);
    }

    /** The last lines of every log of every member (all incarnations), for a failure message. */
    public String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        for (Path log : logFiles()) {
            out.append("---- ").append(log).append(" (last ").append(lines).append(" lines)\n");
            try {
                List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
                for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
                    out.append(line).append('\n');
                }
            } catch (IOException | UncheckedIOException e) {
                out.append("(cannot read: ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    /** Every log file of this cluster, in name order. */
    public List<Path> logFiles() {
        if (!Files.isDirectory(logDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(logDir)) {
            return files.sorted().collect(Collectors.toList());
        } catch (IOException e) {
            return List.of();
        }
    }

    public Path logDir() {
        return logDir;
    }

    /** Kills every process (members and outsiders); keeps the logs. */
    @Override
    public void close() {
        for (Member m : members) {
            m.stopProcess();
        }
        for (Member m : outsiders) {
            m.stopProcess();
        }
    }

    private void deleteLogs() {
        try (Stream<Path> files = Files.walk(logDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // logs under target/; never mind
        }
    }

    /** One member: fixed ports for all its incarnations, so the others' members list stays right. */
    public final class Member {
        private final int index;
        private final int port;
        private final int adminPort;
        private final int clusterPort;
        private final String clusterBind;
        private final String memberSecret;
        private final boolean listed;
        /** The DNS discovery flags of this member; null = the cluster's (its DNS settings or the members list). */
        private List<String> dns;
        private ServerJvm jvm;
        private int incarnation;
        /** HTTP statuses of /health/ready seen by {@link #awaitReady()} in this incarnation, in order, deduplicated. */
        private final List<Integer> readinessSeen = new ArrayList<>();

        private Member(int index, int port, int adminPort, int clusterPort, String clusterBind, String memberSecret,
                boolean listed) {
            this.index = index;
            this.port = port;
            this.adminPort = adminPort;
            this.clusterPort = clusterPort;
            this.clusterBind = clusterBind;
            this.memberSecret = memberSecret;
            this.listed = listed;
        }

        public int index() {
            return index;
        }

        public int port() {
            return port;
        }

        public int adminPort() {
            return adminPort;
        }

        public int clusterPort() {
            return clusterPort;
        }

        /** {@code cluster.bind}: 127.0.0.1, or with DNS discovery an address of its own. */
        public String clusterBind() {
            return clusterBind;
        }

        public URI uri() {
            return URI.create("ws://127.0.0.1:" + port);
        }

        /** The current incarnation's process (null before the first start). */
        public ServerJvm jvm() {
            return jvm;
        }

        public long pid() {
            return jvm.pid();
        }

        public boolean isAlive() {
            return jvm != null && jvm.process().isAlive();
        }

        /** The {@code satchel server} arguments of this member. */
        public List<String> serverArgs() {
            List<String> discovery = dns;
            if (discovery == null && dnsServer != null) {
                discovery = List.of("--cluster-dns-query", dnsQuery, "--cluster-dns-server", dnsServer);
            } else if (discovery == null) {
                discovery = List.of("--cluster-members",
                        listed ? membersList() : membersList() + ",127.0.0.1:" + clusterPort);
            }
            List<String> args = new ArrayList<>(List.of("server",
                    "--bind", "127.0.0.1", "--port", Integer.toString(port),
                    "--admin-bind", "127.0.0.1", "--admin-port", Integer.toString(adminPort),
                    "--cluster", "--cluster-name", name,
                    "--cluster-bind", clusterBind, "--cluster-port", Integer.toString(clusterPort)));
            args.addAll(discovery);
            args.addAll(List.of("--cluster-owners", Integer.toString(owners)));
            args.addAll(extraArgs);
            return args;
        }

        /** Starts a new incarnation (the previous one must have exited); does not wait. */
        public void start() throws IOException {
            if (isAlive()) {
                throw new IllegalStateException("member " + index + " is running");
            }
            incarnation++;
            readinessSeen.clear();
            Map<String, String> env = new LinkedHashMap<>();
            env.put("SATCHEL_CLUSTER_SECRET", memberSecret);
            Path log = logDir.resolve("member" + index + "-" + incarnation + ".log");
            jvm = ServerJvm.satchel(jvmArgs, env, log, serverArgs());
        }

        /**
         * Polls {@code /health/ready} until 200; fails with the member's log when the process exits or
         * {@link #READY_TIMEOUT_MILLIS} passes.
         */
        public void awaitReady() throws Exception {
            awaitReady(READY_TIMEOUT_MILLIS);
        }

        public void awaitReady(long timeoutMillis) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (!pollReady(deadline, timeoutMillis)) {
                Thread.sleep(50);
            }
        }

        /** One look at {@code /health/ready}: true on 200; fails when the process exited or the deadline passed. */
        private boolean pollReady(long deadlineNanos, long timeoutMillis) {
            int status = readyStatus();
            if (readinessSeen.isEmpty() || readinessSeen.get(readinessSeen.size() - 1) != status) {
                readinessSeen.add(status);
            }
            if (status == 200) {
                return true;
            }
            if (!isAlive()) {
                throw new AssertionError("member " + index + " exited with " + jvm.exitCode()
                        + " before it was ready; log:\n" + tail(80));
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new AssertionError("member " + index + " not ready within " + timeoutMillis
                        + " ms (readiness seen: " + readinessSeen + "); log:\n" + tail(80));
            }
            return false;
        }

        /**
         * The distinct {@code /health/ready} answers seen by the last {@link #awaitReady()}, in order: -1 for
         * "admin port not open yet", then HTTP statuses.
         */
        public List<Integer> readinessSeen() {
            return List.copyOf(readinessSeen);
        }

        /** The HTTP status of {@code /health/ready}, or -1 when the admin port does not answer. */
        public int readyStatus() {
            return httpStatus("/health/ready");
        }

        /** GET of an admin path: the status, or -1 when nothing answers. */
        public int httpStatus(String path) {
            try {
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + adminPort + path)
                        .openConnection();
                c.setConnectTimeout(2000);
                c.setReadTimeout(5000);
                try {
                    int status = c.getResponseCode();
                    try (InputStream body = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                        if (body != null) {
                            body.readAllBytes();
                        }
                    }
                    return status;
                } finally {
                    c.disconnect();
                }
            } catch (IOException e) {
                return -1;
            }
        }

        /** GET of an admin path: the body (any status), or null when nothing answers. */
        public String httpBody(String path) {
            try {
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + adminPort + path)
                        .openConnection();
                c.setConnectTimeout(2000);
                c.setReadTimeout(5000);
                try {
                    int status = c.getResponseCode();
                    try (InputStream body = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                        return body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8);
                    }
                } finally {
                    c.disconnect();
                }
            } catch (IOException e) {
                return null;
            }
        }

        /** {@code kill -9}: no shutdown hook, no hand-off, like a crash or an OOM kill. */
        public void kill() throws InterruptedException {
            jvm.kill();
        }

        /** SIGTERM and wait for the exit (up to 60 s; fails with the log otherwise); returns the exit status. */
        public int terminate() throws Exception {
            return jvm.terminate();
        }

        /** SIGTERM, start again on the same ports, wait until ready; returns the exit status of the stop. */
        public int restart() throws Exception {
            int status = terminate();
            start();
            awaitReady();
            return status;
        }

        /** What this incarnation logged so far. */
        public String log() {
            try {
                return jvm == null ? "" : jvm.stderr();
            } catch (IOException e) {
                return "(cannot read the log: " + e + ")";
            }
        }

        /** The last lines of this incarnation's log. */
        public String tail(int lines) {
            List<String> all = log().lines().collect(Collectors.toList());
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        }

        private void stopProcess() {
            if (jvm != null) {
                jvm.close();
            }
        }

        @Override
        public String toString() {
            return "member " + index + " (ws " + port + ", admin " + adminPort + ", cluster " + clusterBind + ":"
                    + clusterPort + ")";
        }
    }

    /** A free TCP port on loopback that is not in {@code taken}; adds it. */
    private static int freePort(Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int p = ServerJvm.freePort();
            if (taken.add(p)) {
                return p;
            }
        }
        throw new IOException("no free port");
    }

    /** A cluster port: itself and the failure-detection port above it free, neither in {@code taken}. */
    private static int freeClusterPort(Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int p = ServerJvm.freePort(FAILURE_DETECTION_PORT_OFFSET);
            int fd = p + FAILURE_DETECTION_PORT_OFFSET;
            if (fd > 65535 || taken.contains(p) || taken.contains(fd) || !isFree(fd)) {
                continue;
            }
            taken.add(p);
            taken.add(fd);
            return p;
        }
        throw new IOException("no free pair of cluster ports");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Register on a test class that starts {@link ClusterJvms}: on a failed test, prints where the member logs
     * are and their last lines; after a class with no failure, deletes the logs of its clusters.
     */
    public static final class LogsOnFailure implements TestWatcher, AfterAllCallback {
        private boolean failed;

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            failed = true;
            List<ClusterJvms> clusters;
            synchronized (STARTED) {
                clusters = List.copyOf(STARTED);
            }
            printTails(context, clusters);
        }

        private static void printTails(ExtensionContext context, List<ClusterJvms> clusters) {
            for (ClusterJvms c : clusters) {
                System.err.println("==== " + context.getDisplayName() + " failed; logs of cluster " + c.name + " in "
                        + c.logDir.toAbsolutePath() + "\n" + c.logTails(60));
            }
        }

        @Override
        public void afterAll(ExtensionContext context) {
            List<ClusterJvms> clusters;
            synchronized (STARTED) {
                clusters = List.copyOf(STARTED);
                STARTED.clear();
            }
            if (context.getExecutionException().isPresent()) {
                printTails(context, clusters); // a failure outside a test: start-up in @BeforeAll, say
            } else if (!failed) {
                for (ClusterJvms c : clusters) {
                    c.deleteLogs();
                }
            }
        }
    }
}
