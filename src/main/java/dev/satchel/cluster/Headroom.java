package dev.satchel.cluster;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether every member of the cluster has room to spare under its limits.maxStoredBytes and limits.maxSessions,
 * so that writes which grow the data and new sessions may run in a batch ({@code OwnerExecutor.ROOMY}) instead of
 * each going alone to its primary.
 *
 * <p>Why: a batch reaches a key's backups before its primary runs it, so the primary cannot pass them its limit
 * verdict; a write that a member's byte budget could refuse therefore bounces out of a batch and goes alone by
 * {@code eval} (the primary decides, the backups replay). Most writes of a real workload add keys, so without this
 * almost every write would go alone. But a member far below its limit would never refuse a write for its bytes:
 * while every member is, the batch is formed {@code ROOMY}, growing writes run admitted for bytes on every copy
 * alike, and only limits.maxKeysPerSession (a function of the session and the command) can refuse one.
 *
 * <p>How: every {@link #PERIOD_MILLIS} a timer thread asks every member for its budget ({@link MemberTask#BUDGET}:
 * stored bytes and live sessions of all its copies, and its limits) and calls the cluster roomy until
 * {@link #FRESH_MILLIS} after that poll started if each member holds fewer bytes than its limit less
 * {@link #reserve} and fewer sessions than its limit less {@link #sessionReserve}. A poll that fails, misses a
 * member or is late makes the cluster not roomy, and every growing write in a batch bounces as before: the
 * limits are then decided exactly. What this trades: between two polls, ROOMY batches can add at most what the
 * cluster writes in {@link #FRESH_MILLIS} to a member that was below its limit by the reserve; only a member
 * written faster than the reserve per 2.5 s could go over its limit, by what it got in that time. Each poll is a
 * clustered-executor round trip to every member (~1 ms of CPU each, JFR): once a second costs nothing that
 * shows; four times a second was 2% of a 3-member cluster's CPU under load. Limits of
 * {@link #MIN_RESERVE_BYTES} or less stay exact (the reserve is the whole limit or more).
 */
final class Headroom {
    private static final Logger LOG = LoggerFactory.getLogger(Headroom.class);
    /** How often each member polls every member's budget. */
    static final long PERIOD_MILLIS = 1_000;
    /** How long one poll's all-clear lasts (from when it started). */
    static final long FRESH_MILLIS = 2_500;
    /** The smallest reserve: limits of this or less never batch growing writes. */
    static final long MIN_RESERVE_BYTES = 64L << 20;
    /** The smallest reserve of sessions: limits.maxSessions of this or less never batch SH_NEW. */
    static final long MIN_RESERVE_SESSIONS = 65_536;

    private final ClusterMember member;
    /** System.nanoTime() until which growing writes may be batched; stale = not roomy. */
    private volatile long roomyUntil;
    private volatile boolean everRoomy;
    private final AtomicBoolean polling = new AtomicBoolean();
    private ScheduledExecutorService timer;

    Headroom(ClusterMember member) {
        this.member = member;
        this.roomyUntil = System.nanoTime() - 1;
    }

    /**
     * The bytes a member must have left under its limit for growing writes to be batched: an eighth of the limit,
     * at least {@link #MIN_RESERVE_BYTES}.
     */
    static long reserve(long maxStoredBytes) {
        return Math.max(maxStoredBytes / 8, MIN_RESERVE_BYTES);
    }

    /** Whether a member holding {@code storedBytes} under {@code maxStoredBytes} leaves room for ROOMY batches. */
    static boolean hasRoom(long storedBytes, long maxStoredBytes) {
        return storedBytes < maxStoredBytes - reserve(maxStoredBytes);
    }

    /**
     * The sessions a member must have left under its limits.maxSessions for new sessions to be batched: an
     * eighth of the limit, at least {@link #MIN_RESERVE_SESSIONS}.
     */
    static long sessionReserve(long maxSessions) {
        return Math.max(maxSessions / 8, MIN_RESERVE_SESSIONS);
    }

    /** Whether a member holding {@code sessions} under {@code maxSessions} leaves room for ROOMY batches. */
    static boolean hasSessionRoom(long sessions, long maxSessions) {
        return sessions < maxSessions - sessionReserve(maxSessions);
    }

    /** Any thread: whether a batch formed now may run growing writes ({@code OwnerExecutor.ROOMY}). */
    boolean roomy() {
        return System.nanoTime() - roomyUntil < 0;
    }

    void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "satchel-cluster-headroom");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::poll, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** The timer thread: one poll of every member at a time; the next starts after this one's answers. */
    private void poll() {
        if (!polling.compareAndSet(false, true)) {
            return;
        }
        long started = System.nanoTime();
        AtomicInteger answered = new AtomicInteger();
        AtomicBoolean room = new AtomicBoolean(true);
        CompletableFuture<Void> f;
        try {
            f = member.cacheManager().executor().timeout(FRESH_MILLIS, TimeUnit.MILLISECONDS)
                    .submitConsumer(new MemberTask(MemberTask.BUDGET, 0), (address, value, err) -> {
                        if (err != null || value == null || !hasRoom(value)) {
                            room.set(false);
                        }
                        answered.incrementAndGet();
                    });
        } catch (RuntimeException e) { // stopping, or not joined
            polling.set(false);
            return;
        }
        f.whenComplete((v, err) -> {
            try {
                int members = member.viewSize();
                boolean roomy = err == null && room.get() && answered.get() >= members && members > 0;
                if (roomy) {
                    roomyUntil = started + TimeUnit.MILLISECONDS.toNanos(FRESH_MILLIS);
                    if (!everRoomy) {
                        everRoomy = true;
                        LOG.debug("every member has room under limits.maxStoredBytes: writes that add keys are batched");
                    }
                } else {
                    roomyUntil = started;
                }
            } finally {
                polling.set(false);
            }
        });
    }

    /** Whether a {@link MemberTask#BUDGET} answer leaves room for ROOMY batches. */
    private static boolean hasRoom(byte[] budget) {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(budget));
        try {
            in.readUTF(); // address
            long sessions = in.readLong();
            long stored = in.readLong();
            long maxSessions = in.readLong();
            in.readLong(); // limits.maxKeysPerSession
            return hasSessionRoom(sessions, maxSessions) && hasRoom(stored, in.readLong());
        } catch (IOException e) {
            return false;
        }
    }
}
