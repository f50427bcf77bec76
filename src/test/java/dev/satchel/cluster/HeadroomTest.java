package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When growing writes may be batched: the reserve every member must keep under limits.maxStoredBytes. */
class HeadroomTest {
    static final long MIB = 1L << 20;

    @Test
    void theReserveIsAnEighthOfTheLimitAndAtLeast64MiB() {
        assertThat(Headroom.reserve(1024 * MIB)).isEqualTo(128 * MIB);
        assertThat(Headroom.reserve(512 * MIB)).isEqualTo(64 * MIB);
        assertThat(Headroom.reserve(100 * MIB)).isEqualTo(64 * MIB);
        assertThat(Headroom.reserve(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE / 8);
    }

    @Test
    void sessionsNeedAnEighthOfTheLimitAndAtLeast65536Left() {
        assertThat(Headroom.sessionReserve(1_000_000)).isEqualTo(125_000);
        assertThat(Headroom.sessionReserve(100_000)).isEqualTo(65_536);
        assertThat(Headroom.hasSessionRoom(874_999, 1_000_000)).isTrue();
        assertThat(Headroom.hasSessionRoom(875_000, 1_000_000)).isFalse();
        assertThat(Headroom.hasSessionRoom(0, 65_536)).as("small limits stay exact").isFalse();
        assertThat(Headroom.hasSessionRoom(0, 10)).isFalse();
    }

    @Test
    void aMemberHasRoomUpToItsLimitLessTheReserve() {
        assertThat(Headroom.hasRoom(0, 1024 * MIB)).isTrue();
        assertThat(Headroom.hasRoom(896 * MIB - 1, 1024 * MIB)).isTrue();
        assertThat(Headroom.hasRoom(896 * MIB, 1024 * MIB)).isFalse();
        assertThat(Headroom.hasRoom(36 * MIB - 1, 100 * MIB)).as("under 512 MiB the reserve is 64 MiB").isTrue();
        assertThat(Headroom.hasRoom(36 * MIB, 100 * MIB)).isFalse();
        assertThat(Headroom.hasRoom(0, Long.MAX_VALUE)).isTrue();
        // small limits (every test's) are always decided exactly: even an empty member has no room
        assertThat(Headroom.hasRoom(0, 5000)).isFalse();
        assertThat(Headroom.hasRoom(0, 64 * MIB)).isFalse();
        assertThat(Headroom.hasRoom(1, 64 * MIB + 1)).isFalse();
        assertThat(Headroom.hasRoom(1, 65 * MIB)).isTrue();
    }
}
