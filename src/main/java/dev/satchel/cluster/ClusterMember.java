package dev.satchel.cluster;

import dev.satchel.config.ServerConfig;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.Limits;
import dev.satchel.engine.OwnerExecutor;
import dev.satchel.engine.Request;
import dev.satchel.engine.Session;
import dev.satchel.engine.Tokens;
import dev.satchel.json.ResponseWriter;
import dev.satchel.net.StartupException;
import dev.satchel.persist.Persistence;
import dev.satchel.protocol.RequestDecoder;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.infinispan.AdvancedCache;
import org.infinispan.Cache;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.CacheMode;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.configuration.global.ShutdownHookBehavior;
import org.infinispan.conflict.MergePolicy;
import org.infinispan.distribution.DistributionManager;
import org.infinispan.factories.GlobalComponentRegistry;
import org.infinispan.distribution.LocalizedCacheTopology;
import org.infinispan.functional.FunctionalMap;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachelistener.annotation.TopologyChanged;
import org.infinispan.notifications.cachelistener.event.TopologyChangedEvent;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.partitionhandling.AvailabilityMode;
import org.infinispan.partitionhandling.PartitionHandling;
import org.infinispan.remoting.transport.Address;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;
import org.infinispan.topology.CacheTopology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process as a member of a Satchel cluster: the Infinispan cache manager over the channel
 * {@link ClusterStack} builds, the two distributed caches ({@value #SESSIONS}: sessions by token;
 * {@value #GLOBALS}: the global key space and the shared-session secret), the per-thread tools the owner-side
 * commands run with, the owner's expiry wheel, readiness and the graceful leave.
 *
 * <p>Start ({@link #start}): the cache manager joins the cluster, each cache returns once this member has
 * joined its topology and received its share of the data (initial state transfer), then the member waits
 * for the rebalance its join started to end, agrees on the shared-session secret with the cluster, and files
 * the sessions it holds in its expiry wheel. Stop ({@link #stop}): a graceful leave: the coordinator moves this
 * member's data to the others before it leaves (Infinispan 16.2), so a rolling restart loses no copy.
 */
public final class ClusterMember {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMember.class);
    static final String SESSIONS = "satchel-sessions";
    static final String GLOBALS = "satchel-globals";
    /** Segments of each cache: the unit of ownership and of state transfer. */
    static final int SEGMENTS = 256;
    /** How long a command waits for the owners' answers before it fails (then it is retried once). */
    static final long REMOTE_TIMEOUT_MILLIS = 5_000;
    /** How long a joining member may take to receive its share of the data. */
    static final long STATE_TRANSFER_TIMEOUT_MILLIS = 300_000;
    /** How often a member that waits for {@link #minMembers()} members says so in its log. */
    static final long WAITING_LOG_MILLIS = 30_000;
    /** How long a stopping member waits for its data to be handed off. */
    static final long LEAVE_TIMEOUT_MILLIS = 60_000;

    /** The members of this JVM by cache manager (tests run several), for commands that arrive from other members. */
    private static final Map<GlobalComponentRegistry, ClusterMember> MEMBERS = new ConcurrentHashMap<>();

    private final ServerConfig config;
    private final Persistence persistence;
    private final CommandRegistry commands;
    private final Tokens tokens;
    private final ThreadLocal<Tools> tools;
    private final OwnerExpiry expiry;
    private final OwnerBudget budget = new OwnerBudget(this);
    private final Headroom headroom = new Headroom(this);
    private final Stats stats = new Stats();
    private final ClusterRouter router;
    private volatile DefaultCacheManager cm;
    private volatile Cache<SessionKey, Box> sessions;
    private volatile Cache<SessionKey, Box> globals;
    private volatile FunctionalMap.ReadWriteMap<SessionKey, Box> sessionsRw;
    private volatile FunctionalMap.ReadWriteMap<SessionKey, Box> globalsRw;
    private volatile boolean started;
    private volatile boolean stopping;
    /** The view a starting member must reach before it starts its caches and becomes ready (see {@link #minMembers}). */
    private final int minMembers;
    private final long idPrefix = new SecureRandom().nextLong() & 0xFFFF_FFFF_0000_0000L;
    private final java.util.concurrent.atomic.AtomicLong idSequence = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param commands the server's commands (owners decode requests with them)
     * @param tokens   the server's tokens: their shared-session key becomes the cluster's at start
     * @param loop     the command loop, which dispatches requests to the owners ({@link ClusterRouter})
     */
    public ClusterMember(ServerConfig config, CommandRegistry commands, Tokens tokens, CommandLoop loop,
            Persistence persistence) {
        this.config = config;
        this.persistence = persistence;
        this.commands = commands;
        this.tokens = tokens;
        RequestDecoder.Limits limits = new RequestDecoder.Limits(config.maxDepth(), config.limits().maxStringBytes(),
                config.limits().maxNumberChars(), config.limits().maxKeyBytes(), config.limits().maxKeysPerRequest(),
                config.limits().maxValueBytes());
        this.tools = ThreadLocal.withInitial(() -> new Tools(new RequestDecoder(commands, config.tokenFormat(), limits),
                new ResponseWriter(config.tokenFormat()),
                new OwnerExecutor(new Limits(config.limits().maxSessions(), config.limits().maxKeysPerSession(),
                        config.limits().maxStoredBytes(), config.limits().maxResponseBytes()))));
        this.expiry = new OwnerExpiry(this, config.expiryTickMillis());
        this.router = new ClusterRouter(this, loop, tokens, config.tokenFormat());
        this.minMembers = minMembers(config.cluster());
    }

    /**
     * How many members a starting member must see in its cluster view before it starts its caches and becomes
     * ready: {@code cluster.minMembers}, or by default a majority of the static members list (this member
     * counted once, listed or not), or 2 with DNS discovery (the member cannot know the cluster's size then; 2 is
     * the smallest number a member alone cannot reach). A member alone (another secret, cut off from the
     * others, or a restart whose discovery missed the running members and made it a cluster of its own) never
     * reaches it, so it never serves its own empty copy of the data; a split-off minority never reaches a
     * majority. A whole cluster started together reaches it as soon as a majority found each other.
     */
    static int minMembers(ServerConfig.Cluster c) {
        if (c.minMembers() > 0) {
            return c.minMembers();
        }
        if (!c.dnsQuery().isEmpty()) {
            return 2;
        }
        boolean listed = c.members().stream().anyMatch(m -> m.port() == c.port() && sameHost(m.host(), c.bind()));
        int size = (int) c.members().stream().distinct().count() + (listed ? 0 : 1);
        return size / 2 + 1;
    }

    /** The cluster view a starting member waits for before it serves ({@link #minMembers(ServerConfig.Cluster)}). */
    public int minMembers() {
        return minMembers;
    }

    /** The router the engine hands every request to. */
    public ClusterRouter router() {
        return router;
    }

    /** The member whose cache manager this is (executor tasks get a wrapper of it: look up by its registry). */
    static ClusterMember of(EmbeddedCacheManager cm) {
        return MEMBERS.get(GlobalComponentRegistry.of(cm));
    }

    static ClusterMember of(GlobalComponentRegistry registry) {
        return MEMBERS.get(registry);
    }

    /** The one member of this JVM, for a command that was not handed its member (never expected). */
    static ClusterMember only() {
        if (MEMBERS.size() != 1) {
            throw new IllegalStateException("cluster command without its member (" + MEMBERS.size() + " in this JVM)");
        }
        return MEMBERS.values().iterator().next();
    }

    /**
     * Joins the cluster: returns when this member holds its share of the data and may serve (see the class
     * comment), or throws {@link StartupException} with one line for the operator.
     */
    public void start() {
        ServerConfig.Cluster c = config.cluster();
        GlobalConfigurationBuilder g = GlobalConfigurationBuilder.defaultClusteredBuilder();
        g.transport().clusterName(c.name()).nodeName(ClusterStack.memberName(c))
                .addProperty(JGroupsTransport.CHANNEL_CONFIGURATOR, new ClusterChannelConfigurator(c));
        g.serialization().addContextInitializer(new ClusterSchema());
        g.jmx().disable();
        g.metrics().gauges(false).histograms(false);
        g.shutdown().hookBehavior(ShutdownHookBehavior.DONT_REGISTER); // Satchel's SIGTERM path leaves gracefully
        ConfigurationBuilder b = new ConfigurationBuilder();
        b.clustering().cacheMode(CacheMode.DIST_SYNC)
                .hash().numOwners(c.owners()).numSegments(SEGMENTS)
                .clustering().remoteTimeout(REMOTE_TIMEOUT_MILLIS)
                .partitionHandling().whenSplit(PartitionHandling.DENY_READ_WRITES)
                .mergePolicy(MergePolicy.PREFERRED_ALWAYS)
                .stateTransfer().awaitInitialTransfer(true).timeout(STATE_TRANSFER_TIMEOUT_MILLIS).chunkSize(512);
        b.encoding().mediaType(MediaType.APPLICATION_OBJECT_TYPE);
        b.statistics().disable();
        long t0 = System.nanoTime();
        try {
            cm = new DefaultCacheManager(g.build(), false);
            MEMBERS.put(GlobalComponentRegistry.of(cm), this);
            cm.addListener(new ViewListener());
            cm.defineConfiguration(SESSIONS, b.build());
            cm.defineConfiguration(GLOBALS, b.build());
            cm.start(); // connects the channel: joins the running members, or forms a view of its own
        } catch (RuntimeException e) {
            stopNow();
            throw new StartupException("cannot join the cluster on cluster.bind/cluster.port "
                    + ClusterStack.memberName(c) + ": " + rootMessage(e), e);
        }
        try {
            // No cache starts in a view smaller than minMembers: a member that found nobody (yet) holds no
            // topology and no data of its own, so when discovery or MERGE3 brings it to the others it simply
            // joins their caches; nothing needs merging, and it never serves an empty, separate copy.
            awaitMembers();
        } catch (RuntimeException e) {
            stopNow();
            throw e;
        }
        try {
            sessions = cm.getCache(SESSIONS); // returns after the join and the initial state transfer
            globals = cm.getCache(GLOBALS);
        } catch (RuntimeException e) {
            stopNow();
            throw new StartupException("cannot join the cluster on cluster.bind/cluster.port "
                    + ClusterStack.memberName(c) + ": " + rootMessage(e), e);
        }
        sessionsRw = FunctionalMap.create(sessions.getAdvancedCache()).toReadWriteMap();
        globalsRw = FunctionalMap.create(globals.getAdvancedCache()).toReadWriteMap();
        sessions.addListener(new TopologyListener());
        try {
            awaitSettled();
            agreeOnSharedSecret();
        } catch (RuntimeException e) {
            stopNow();
            throw e;
        }
        expiry.start();
        expiry.fileLocalSessions();
        headroom.start();
        budget.topologyChanged();
        started = true;
        LOG.info("joined cluster '{}' as {}: {} member(s) {} (ready from {}), owners {}, {} sessions held here, in {}"
                + " ms", c.name(), ClusterStack.memberName(c), viewSize(), members(), minMembers, c.owners(), localEntries(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /**
     * Waits until the cluster view has at least {@link #minMembers()} members, saying every
     * {@value #WAITING_LOG_MILLIS} ms why it still waits. Returns at once when the view is big enough; throws
     * {@link StartupException} when the member is stopped meanwhile.
     */
    private void awaitMembers() {
        long start = System.currentTimeMillis();
        long nextLog = start + WAITING_LOG_MILLIS;
        while (viewSize() < minMembers) {
            pause("waiting for the other members");
            long now = System.currentTimeMillis();
            if (now >= nextLog) {
                nextLog = now + WAITING_LOG_MILLIS;
                LOG.warn("not ready: waiting {} s for a cluster of at least {} members (cluster.minMembers); the view"
                        + " has {}: {}. If the others run, check cluster.name, cluster.secret (a member with another"
                        + " secret is never answered) and cluster.members, or cluster.dnsQuery / cluster.dnsServer"
                        + " (does the DNS answer list the others, on cluster.port?)",
                        (now - start) / 1000, minMembers, viewSize(), members());
            }
        }
    }

    /**
     * Waits until the rebalance this member's join started has ended (this member holds its share of the data),
     * in a view and in cache topologies of at least {@link #minMembers()} members (a merge or a leave meanwhile
     * may change them).
     */
    private void awaitSettled() {
        long start = System.currentTimeMillis();
        boolean warned = false;
        while (phase(sessions) != CacheTopology.Phase.NO_REBALANCE || phase(globals) != CacheTopology.Phase.NO_REBALANCE
                || viewSize() < minMembers || topologySize(sessions) < minMembers || topologySize(globals) < minMembers) {
            if (!warned && System.currentTimeMillis() - start > WAITING_LOG_MILLIS) {
                LOG.info("still waiting for the cluster to finish rebalancing after this member joined (view {})",
                        members());
                warned = true;
            }
            pause("joining the cluster");
        }
    }

    /** Members in the current view; 0 before the channel is connected or after it closed. */
    int viewSize() {
        DefaultCacheManager m = cm;
        List<Address> view = m == null ? null : m.getMembers();
        return view == null ? 0 : view.size();
    }

    private void pause(String what) {
        if (stopping) {
            throw new StartupException("stopped while " + what, null);
        }
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException("interrupted while " + what, e);
        }
    }

    private static boolean sameHost(String a, String b) {
        try {
            return java.net.InetAddress.getByName(a).equals(java.net.InetAddress.getByName(b));
        } catch (java.net.UnknownHostException e) {
            return a.equals(b);
        }
    }

    private static CacheTopology.Phase phase(Cache<?, ?> cache) {
        return cache.getAdvancedCache().getDistributionManager().getCacheTopology().getPhase();
    }

    /**
     * Members of the cache's topology (not of the view). They differ when a member that was alone is merged into
     * the cluster: its caches may start while the coordinator still handles the merge view, in a topology of
     * their own holding none of the cluster's data (seen: topology 1, members [itself], in a view of 4), and
     * that topology is settled too. Waiting until it has {@link #minMembers()} members waits for the merge.
     */
    private static int topologySize(Cache<?, ?> cache) {
        return cache.getAdvancedCache().getDistributionManager().getCacheTopology().getMembers().size();
    }

    /**
     * Shared-session tokens must be the same on every member: the first member's secret (configured, or
     * random) is kept in the cluster, every later member uses it, and a configured secret that differs from the
     * cluster's refuses the start.
     */
    private void agreeOnSharedSecret() {
        String configured = config.sharedSecret();
        byte[] candidate;
        if (!configured.isEmpty()) {
            candidate = configured.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            candidate = new byte[32];
            new SecureRandom().nextBytes(candidate);
        }
        byte[] agreed;
        try {
            agreed = globalsRw.eval(SessionKey.SHARED_SECRET, new ClusterCommand(ClusterCommand.SECRET, nextId(),
                    System.currentTimeMillis(), candidate)).get(REMOTE_TIMEOUT_MILLIS * 4, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new StartupException("cannot agree on the shared-session secret with the cluster: " + rootMessage(e), e);
        }
        if (!configured.isEmpty() && !Arrays.equals(agreed, candidate)) {
            throw new StartupException("sessions.sharedSecret differs from the one the cluster uses: every member"
                    + " needs the same sessions.sharedSecret (or none, then the cluster keeps one)", null);
        }
        tokens.sharedKey(agreed);
        LOG.info("shared-session secret: the cluster's ({}), the same on every member", configured.isEmpty()
                ? "kept in the cluster since its first member" : "sessions.sharedSecret, agreed with the cluster");
    }

    /** True while this member serves: started, not stopping, and its part of the cluster may read and write. */
    public boolean ready() {
        Cache<SessionKey, Box> s = sessions;
        return started && !stopping && s != null && s.getStatus().allowInvocations()
                && s.getAdvancedCache().getAvailability() == AvailabilityMode.AVAILABLE;
    }

    /** Why this member does not serve, or null when {@link #ready()}. */
    public String notReadyReason() {
        if (!started) {
            if (sessions == null && viewSize() < minMembers) {
                return "waiting for a cluster of at least " + minMembers + " members (cluster.minMembers); the view has "
                        + viewSize();
            }
            return "joining the cluster (receiving this member's share of the data)";
        }
        if (stopping) {
            return "leaving the cluster";
        }
        Cache<SessionKey, Box> s = sessions;
        if (s == null || !s.getStatus().allowInvocations()) {
            return "cluster cache stopped";
        }
        if (s.getAdvancedCache().getAvailability() != AvailabilityMode.AVAILABLE) {
            return "cluster partitioned: this side has too few members to serve safely";
        }
        return null;
    }

    /**
     * The graceful leave: the coordinator moves this member's data to the others first (up to
     * {@link #LEAVE_TIMEOUT_MILLIS}), then it leaves. Safe to call twice.
     */
    public void stop() {
        if (stopping) {
            return;
        }
        stopping = true;
        expiry.stop();
        headroom.stop();
        DefaultCacheManager m = cm;
        if (m == null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            boolean others = started && m.getMembers() != null && m.getMembers().size() > 1;
            boolean clean = others ? m.stop(LEAVE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS) : stopPlain(m);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            if (!others) {
                LOG.info("left the cluster in {} ms as its last member: its data is gone unless it was saved", ms);
            } else if (clean) {
                LOG.info("left the cluster in {} ms (data handed off to the other members)", ms);
            } else {
                LOG.warn("left the cluster after {} ms without finishing the hand-off: the other members"
                        + " rebuild the missing copies from the remaining ones", ms);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopPlain(m);
        } catch (RuntimeException e) {
            LOG.warn("leaving the cluster failed: {}", e.toString());
            stopPlain(m);
        } finally {
            MEMBERS.remove(GlobalComponentRegistry.of(m), this);
        }
    }

    private static boolean stopPlain(DefaultCacheManager m) {
        try {
            m.stop();
        } catch (RuntimeException e) {
            LOG.warn("stopping the cache manager failed: {}", e.toString());
        }
        return true;
    }

    private void stopNow() {
        stopping = true;
        expiry.stop();
        headroom.stop();
        DefaultCacheManager m = cm;
        if (m != null) {
            stopPlain(m);
            MEMBERS.remove(GlobalComponentRegistry.of(m), this);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m != null ? m.replace('\n', ' ') : t.toString();
    }

    // ---- what the router and the commands use ----

    long nextId() {
        return idPrefix | (idSequence.incrementAndGet() & 0xFFFF_FFFFL);
    }

    FunctionalMap.ReadWriteMap<SessionKey, Box> sessionsRw() {
        return sessionsRw;
    }

    FunctionalMap.ReadWriteMap<SessionKey, Box> globalsRw() {
        return globalsRw;
    }

    AdvancedCache<SessionKey, Box> sessionsCache() {
        return sessions.getAdvancedCache();
    }

    AdvancedCache<SessionKey, Box> globalsCache() {
        return globals.getAdvancedCache();
    }

    EmbeddedCacheManager cacheManager() {
        return cm;
    }

    Tools tools() {
        return tools.get();
    }

    OwnerExpiry expiry() {
        return expiry;
    }

    Stats stats() {
        return stats;
    }

    /** True once the caches exist (from the join on). */
    boolean started() {
        return sessions != null;
    }

    /** Whether every member has room for batched writes that grow the data (see {@link Headroom}). */
    Headroom headroom() {
        return headroom;
    }

    /** Whether writes that grow the data run in batches now: every member had room at the last poll. */
    public boolean writeHeadroom() {
        return headroom.roomy();
    }

    /** What this member holds, for the member-wide limits. */
    OwnerBudget budget() {
        return budget;
    }

    ServerConfig config() {
        return config;
    }

    /** The dataset directory saves and loads use (this member's persist.path). */
    Persistence persistence() {
        return persistence;
    }

    CommandRegistry commands() {
        return commands;
    }

    /** This member's name in the cluster (its cluster address). */
    public String self() {
        return ClusterStack.memberName(config.cluster());
    }

    /** The members in the current view, by name. */
    public List<String> members() {
        DefaultCacheManager m = cm;
        List<String> names = new ArrayList<>();
        if (m != null && m.getMembers() != null) {
            for (Address a : m.getMembers()) {
                names.add(a.toString());
            }
        }
        return names;
    }

    /** Copies of sessions this member holds (primary and backup). */
    public long localEntries() {
        Cache<SessionKey, Box> s = sessions;
        return s == null ? 0 : s.getAdvancedCache().getDataContainer().sizeIncludingExpired();
    }

    /** True while data moves between members after a join or a leave. */
    public boolean rebalancing() {
        Cache<SessionKey, Box> s = sessions;
        if (s == null) {
            return false;
        }
        DistributionManager dm = s.getAdvancedCache().getDistributionManager();
        return dm.isRehashInProgress() || dm.getCacheTopology().getPhase() != CacheTopology.Phase.NO_REBALANCE;
    }

    /** Whether this member is the primary owner of {@code key} in the sessions cache now. */
    boolean isPrimary(AdvancedCache<SessionKey, Box> cache, SessionKey key) {
        LocalizedCacheTopology t = cache.getDistributionManager().getCacheTopology();
        return t.getDistribution(key).isPrimary();
    }

    /** Counters and the latency of commands sent to the owners, for metrics. */
    public Stats statistics() {
        return stats;
    }

    /** Counters of one member; thread-safe. */
    public static final class Stats {
        private final LongAdder duplicates = new LongAdder();
        private final LongAdder timeouts = new LongAdder();
        private final LongAdder retries = new LongAdder();
        private final LongAdder batches = new LongAdder();
        private final LongAdder batched = new LongAdder();
        private final LongAdder bounced = new LongAdder();
        private final LongAdder saveChunks = new LongAdder();
        private final java.util.concurrent.atomic.LongAccumulator saveChunkMax =
                new java.util.concurrent.atomic.LongAccumulator(Math::max, 0);
        private volatile java.util.function.LongConsumer latency;

        void duplicate() {
            duplicates.increment();
        }

        void timeout() {
            timeouts.increment();
        }

        void retry() {
            retries.increment();
        }

        void batch(int commands) {
            batches.increment();
            batched.add(commands);
        }

        void bounce() {
            bounced.increment();
        }

        void saveChunk(int bytes) {
            saveChunks.increment();
            saveChunkMax.accumulate(bytes);
        }

        void latency(long nanos) {
            java.util.function.LongConsumer l = latency;
            if (l != null) {
                l.accept(nanos);
            }
        }

        /** Where the latency of each command sent to the owners goes (nanoseconds), e.g. a Micrometer timer. */
        public void latencySink(java.util.function.LongConsumer sink) {
            this.latency = sink;
        }

        /** Commands answered from the ring because they had already been applied (retries). */
        public long duplicates() {
            return duplicates.sum();
        }

        /** Commands answered with 1000 because the owners did not answer in time. */
        public long timeouts() {
            return timeouts.sum();
        }

        /** Commands sent again after a timeout (deduplicated by their id). */
        public long retries() {
            return retries.sum();
        }

        /** Batches sent: several commands for one owner as one Infinispan command. */
        public long batches() {
            return batches.sum();
        }

        /** Commands sent in batches (the rest went one per {@code eval}); a bounced one counts each time sent. */
        public long batchedCommands() {
            return batched.sum();
        }

        /**
         * Writes a batch did not run because they would have grown the data its owner holds (a limit could
         * refuse them, and only the primary can decide that for every copy): each was sent again alone.
         */
        public long bounced() {
            return bounced.sum();
        }

        /** Answers (chunks) this member received for the cluster saves it ran (SH_SAVE through it). */
        public long saveChunks() {
            return saveChunks.sum();
        }

        /** The largest of those answers, in bytes (bounded by the save's chunk size plus one session). */
        public long saveChunkMaxBytes() {
            return saveChunkMax.get();
        }
    }

    /** What one thread needs to run commands on the owner: a decoder, a response writer, an executor. */
    final class Tools {
        private final RequestDecoder decoder;
        private final ResponseWriter out;
        private final OwnerExecutor executor;

        Tools(RequestDecoder decoder, ResponseWriter out, OwnerExecutor executor) {
            this.decoder = decoder;
            this.out = out;
            this.executor = executor;
        }

        Request decode(byte[] message) {
            return decoder.decode(message, message.length);
        }

        ResponseWriter out() {
            return out;
        }

        OwnerExecutor executor() {
            return executor;
        }

        /** A session from its binary form (SH_LOAD). */
        Session loadSession(byte[] blob) {
            try {
                return OwnerExecutor.read(new DataInputStream(new ByteArrayInputStream(blob)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @Listener(sync = false)
    public final class ViewListener {
        @ViewChanged
        public void viewChanged(ViewChangedEvent e) {
            LOG.info("cluster view: {} member(s) {}", e.getNewMembers().size(), e.getNewMembers());
        }
    }

    @Listener(sync = false)
    public final class TopologyListener {
        @TopologyChanged
        public void topologyChanged(TopologyChangedEvent<?, ?> e) {
            if (!e.isPre() && started && !stopping) {
                expiry.fileLocalSessions(); // segments this member gained: their sessions need filing here
                budget.topologyChanged(); // they count toward its limits; segments it lost no longer do
            }
        }
    }
}
