package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testing.ClusterJvms;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 11 "Availability": a rolling restart of all three members (SIGTERM, start again on the same ports, wait
 * for {@code /health/ready} 200, next member) under the write load of {@link CounterLoad} loses no session and
 * no acknowledged write, and the clients see no error besides reconnects; each restarted member answers 503
 * before 200. Pauses and times are printed, never asserted. (That a process with another secret never reports
 * ready is checked by {@link MemberFailureTest}, which starts such a process anyway.)
 */
@Tag("cluster")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ClusterJvms.LogsOnFailure.class)
class RollingRestartTest {
    private static final int CONNECTIONS_PER_MEMBER = 2;
    private static final int LANES_PER_CONNECTION = 16;
    private static final int IDLE_SESSIONS = 300;

    private ClusterJvms cluster;

    @BeforeAll
    void start() throws Exception {
        cluster = ClusterJvms.builder(3).owners(2).start();
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @BeforeEach
    void everyMemberRunsAndIsReady() throws Exception {
        cluster.startAll();
    }

    @Test
    void rollingRestartUnderLoadLosesNoSessionAndNoWrite() throws Exception {
        try (CounterLoad load = CounterLoad.open(cluster, CONNECTIONS_PER_MEMBER, LANES_PER_CONNECTION)) {
            load.addIdleSessions(IDLE_SESSIONS);
            load.start();
            load.awaitProgressOnEveryConnection(20, 120);
            for (ClusterJvms.Member m : cluster.members()) {
                load.resetPauses();
                load.markEvent();
                long t0 = System.nanoTime();
                int exit = m.terminate();
                long stopped = System.nanoTime();
                assertThat(exit).as("exit status of %s after SIGTERM; log:\n%s", m, m.tail(40)).isZero();
                m.start();
                m.awaitReady();
                long ready = System.nanoTime();
                assertThat(m.readinessSeen()).as("/health/ready of the restarted %s", m).contains(503);
                load.awaitProgressOnEveryConnection(20, 120);
                // a view of its own before it found the others: harmless now (no cache starts below
                // cluster.minMembers, MERGE3 brings it in), but worth seeing how often discovery missed
                long alone = m.log().lines().filter(l -> l.contains("cluster view: 1 member(s)")).count();
                System.out.println("[cluster] rolling restart of " + m + ": SIGTERM to exit "
                        + TimeUnit.NANOSECONDS.toMillis(stopped - t0) + " ms, start to ready "
                        + TimeUnit.NANOSECONDS.toMillis(ready - stopped) + " ms" + (alone > 0 ? " (a view of its own"
                        + " first)" : "") + "; " + load.pauseReport());
            }
            load.stop();
            System.out.println("[cluster] rolling restart done: " + load.summary());
            assertThat(load.errors()).as("error responses or timeouts (only reconnects are allowed)").isEmpty();
            assertThat(load.verify()).as("read back after the rolling restart: %s", load.summary()).isEmpty();
        }
        CounterLoad.assertSameTotalsOnEveryMember(cluster);
    }

}
