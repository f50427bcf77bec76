package dev.satchel.ops;

import dev.satchel.cluster.ClusterMember;
import dev.satchel.config.ServerConfig;
import dev.satchel.engine.Clock;
import dev.satchel.engine.Command;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.DataCommands;
import dev.satchel.engine.Engine;
import dev.satchel.engine.ServerCommands;
import dev.satchel.engine.SessionCommands;
import dev.satchel.engine.Tokens;
import dev.satchel.net.NetStats;
import dev.satchel.net.StartupException;
import dev.satchel.net.WebSocketServer;
import dev.satchel.persist.DatasetJobs;
import dev.satchel.persist.DatasetStore;
import dev.satchel.persist.JournalCompaction;
import dev.satchel.persist.JournalRestore;
import dev.satchel.persist.journal.JournalCorruptException;
import dev.satchel.persist.journal.JournalException;
import dev.satchel.persist.journal.JournalPolicy;
import dev.satchel.persist.journal.JournalWriter;
import dev.satchel.persist.PersistCommands;
import dev.satchel.persist.PersistException;
import dev.satchel.persist.Persistence;
import dev.satchel.persist.SharedSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Satchel server in this JVM, embeddable (the tests start many): the command loop owning the engine, the
 * commands, persistence, and the WebSocket front end ({@link WebSocketServer}) wired together. {@link #start()}
 * runs the start-up load and binds; {@link #close()} stops accepting, closes connections, runs the shutdown
 * save and stops the loop. {@code satchel server} runs one inside a {@link ManagedNode}, which adds the
 * admin port, health, metrics and the graceful shutdown.
 */
public final class SatchelNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SatchelNode.class);

    private final ServerConfig config;
    private final Engine engine;
    private final CommandLoop loop;
    private final CommandRegistry commands;
    private final Persistence persistence;
    private final WebSocketServer network;
    /** Cluster mode: this process as a member; null when standalone. */
    private final ClusterMember cluster;
    private final AtomicBoolean shutdownSaved = new AtomicBoolean();

    /** The shared-session secret and its source (configured, file in persist.path, or random). */
    private final SharedSecret sharedSecret;
    /** Why the secret could not be kept in persist.path; start() reports it (null: no problem). */
    private final PersistException sharedSecretProblem;
    /** What the start-up load did, for the banner (null: none configured). */
    private volatile String startupLoad;
    /** Adjusts the journal writer's options before start (tests inject faults through JournalIo). */
    private UnaryOperator<JournalWriter.Options> journalOptions = UnaryOperator.identity();
    /** The journal's change sink once started (null: journal off or not started). */
    private volatile JournalRestore.Restored journal;

    public SatchelNode(ServerConfig config, Clock clock) {
        this.config = config;
        SharedSecret secret;
        PersistException secretProblem = null;
        try {
            secret = SharedSecret.resolve(config.sharedSecret(), config.persistEnabled(), config.persistPath());
        } catch (PersistException e) {
            secret = SharedSecret.random(); // never used: start() refuses to run
            secretProblem = e;
        }
        this.sharedSecret = secret;
        this.sharedSecretProblem = secretProblem;
        Tokens tokens = new Tokens(config.tokenFormat(), secret.key());
        this.engine = new Engine(clock, tokens, config.expiryTickMillis(), version(), config.persistEnabled());
        engine.limits(config.limits().maxSessions(), config.limits().maxKeysPerSession(),
                config.limits().maxStoredBytes(), config.limits().maxResponseBytes());
        this.loop = new CommandLoop(engine, "satchel-loop");
        List<Command> all = new ArrayList<>();
        all.addAll(SessionCommands.all(tokens));
        all.addAll(DataCommands.all());
        all.addAll(ServerCommands.all());
        this.persistence = new Persistence(config.persistPath(), config.persistEnabled(), config.tokenFormat());
        all.addAll(PersistCommands.all(persistence, loop));
        this.commands = new CommandRegistry(all);
        if (config.ops().metricsEnabled()) {
            engine.observer(new CommandStats(commands)); // before the loop thread starts
        }
        if (config.cluster().enabled()) {
            this.cluster = new ClusterMember(config, commands, tokens, loop, persistence);
            engine.router(cluster.router()); // every command runs where its data lives
        } else {
            this.cluster = null;
        }
        this.network = new WebSocketServer(config, commands, loop);
    }

    /** This process as a cluster member, or null when standalone. */
    public ClusterMember cluster() {
        return cluster;
    }

    /** Adjusts the journal writer's options (call before {@link #start()}; tests inject faults here). */
    public void journalOptions(UnaryOperator<JournalWriter.Options> adjust) {
        this.journalOptions = adjust;
    }

    /** What the journal restored at start, and its writer; null when persist.journal is off or before start. */
    public JournalRestore.Restored journal() {
        return journal;
    }

    /**
     * Compacts the journal now (a new base from a snapshot, older segments deleted), unless a compaction runs:
     * then completes with that one. Completes exceptionally when the journal is off or the base cannot be
     * written. The server also compacts by itself when the journal passes persist.journalMaxBytes.
     */
    public CompletableFuture<JournalCompaction.Compacted> compactJournal() {
        JournalRestore.Restored j = journal;
        if (j == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the journal is off"));
        }
        return loop.call(e -> j.compaction().compact()).thenCompose(f -> f);
    }

    /** Where the shared-session secret came from. */
    public SharedSecret.Source sharedSecretSource() {
        return sharedSecret.source();
    }

    /**
     * What the start-up load did, one phrase for the banner ("loaded 'x' (3 sessions, 5 keys)", or "start-up
     * load of 'x' failed, started empty: ..."); null when none is configured or before start().
     */
    public String startupLoad() {
        return startupLoad;
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    public static String version() {
        String v = SatchelNode.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    public CommandLoop loop() {
        return loop;
    }

    public CommandRegistry commands() {
        return commands;
    }

    /** The WebSocket front end. */
    public WebSocketServer network() {
        return network;
    }

    /** "epoll" or "nio" (after {@link #start()}). */
    public String transport() {
        return network.transport();
    }

    /** Connection counters (thread-safe). */
    public NetStats netStats() {
        return network.netStats();
    }

    /** Connections open now (handshaking or WebSocket). */
    public int openConnections() {
        return network.openConnections();
    }

    /**
     * The first half of a graceful shutdown ({@link WebSocketServer#drainConnections}): every connection gets
     * the answers to what it sent, then Close 1001; returns how many had to be cut. Call {@link #close()}
     * afterwards for the shutdown save and to stop the loop.
     */
    public int drainConnections(long timeoutMillis) {
        return network.drainConnections(timeoutMillis);
    }

    /** Starts the loop, runs the start-up load and binds the WebSocket port; returns the bound port. */
    public int start() throws InterruptedException {
        loop.start();
        try {
            network.checkSecurity(); // protected mode and TLS files: refuse before anything else
            prepareData();
            if (cluster != null) {
                cluster.start(); // joins, receives this member's share of the data, agrees on the shared secret
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        int port;
        try {
            port = network.bind();
        } catch (Exception e) {
            close();
            throw e;
        }
        LOG.debug("Satchel {} listening on ws://{}:{} ({} transport, {} I/O threads, {} tokens, config: {})",
                version(), config.bind(), port, network.transport(), config.effectiveIoThreads(),
                config.tokenFormat().configName(), config.source());
        return port;
    }

    public int port() {
        return network.port();
    }

    @Override
    public void close() {
        network.close();
        if (cluster != null) {
            cluster.stop(); // the graceful leave: this member's data is handed to the others first
        }
        saveOnShutdown();
        loop.close();
        JournalRestore.Restored j = journal;
        if (j != null) {
            j.compaction().close(); // a base being written is finished (or abandoned: the next start drops it)
        }
        if (j != null && !j.sink().writer().close(30_000)) {
            LOG.error("the journal was not completely written at shutdown: {}", j.sink().writer().failure());
        }
        persistence.close();
    }

    /** Before the port opens: checks the dataset directory and runs the start-up load. */
    private void prepareData() throws InterruptedException {
        try {
            persistence.prepare();
        } catch (PersistException e) {
            throw new StartupException(e.getMessage(), e);
        }
        if (sharedSecretProblem != null) {
            throw new StartupException(sharedSecretProblem.getMessage(), sharedSecretProblem);
        }
        if (cluster == null) {
            LOG.info(sharedSecret.describe()); // a cluster member uses the cluster's secret: it logs that at start
        }
        if (config.journalOn()) {
            restoreJournal();
        }
        String name = config.loadOnStart();
        if (name.isEmpty()) {
            return;
        }
        try {
            DatasetJobs.Loaded l = DatasetJobs.load(persistence, loop, name).get();
            startupLoad = "loaded '" + name + "' (" + (l.sessions() ? l.count() + " sessions, " : "") + l.keys()
                    + " keys)";
        } catch (ExecutionException e) {
            PersistException p = Persistence.cause(e);
            if (!config.startEmptyOnLoadFailure()) {
                throw new StartupException("start-up load failed: " + p.getMessage() + " (to start without it, set"
                        + " persist.startEmptyOnLoadFailure or pass --start-empty-on-load-failure)", p);
            }
            LOG.warn("start-up load failed: {}; starting without it (persist.startEmptyOnLoadFailure)",
                    p.getMessage());
            startupLoad = "start-up load of '" + name + "' failed, started empty: " + p.getMessage();
        }
    }

    /** Before the port opens, on the loop: replays the journal into the engine and starts writing it. */
    private void restoreJournal() throws InterruptedException {
        JournalPolicy policy = JournalPolicy.fromConfigName(config.journal());
        JournalWriter.Options options = journalOptions.apply(JournalWriter.Options.defaults(policy));
        try {
            journal = loop.call(e -> {
                try {
                    return JournalRestore.run(e, config.persistPath(), config.tokenFormat(), policy,
                            config.journalRepair(), config.journalMaxBytes(), options, loop);
                } catch (IOException x) {
                    throw new UncheckedIOException(x);
                }
            }).get();
            startupLoad = journal.describe();
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
            String why = c instanceof JournalException ? c.getMessage()
                    : "cannot use the journal in " + JournalRestore.directory(config.persistPath()) + ": "
                    + DatasetStore.describe(c);
            boolean repairable = c instanceof JournalCorruptException && !config.journalRepair();
            throw new StartupException(why + (repairable
                    ? " (to start with the records before the damage, pass --journal-repair)" : ""), c);
        }
    }

    /** On graceful shutdown, after clients are gone: saves every session if persist.saveOnShutdown says so. */
    private void saveOnShutdown() {
        String name = config.saveOnShutdown();
        if (name.isEmpty() || !network.bound() || !shutdownSaved.compareAndSet(false, true)) {
            return; // nothing configured, never started, or already done
        }
        try {
            DatasetJobs.Saved s =
                    DatasetJobs.saveAllSessions(persistence, loop, name).get();
            LOG.info("shutdown save of {} sessions to dataset '{}' done in {} ms", s.sessions(), name, s.millis());
        } catch (ExecutionException e) {
            LOG.error("shutdown save to dataset '{}' failed: {}", name, Persistence.cause(e).getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.error("shutdown save to dataset '{}' interrupted", name);
        }
    }
}
