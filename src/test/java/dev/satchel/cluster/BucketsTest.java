package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The bucket of a global key is part of the members' wire format: every member, JVM run and version must put a
 * key in the same bucket. Fixed expected values catch any change of the function or of {@link Buckets#COUNT}.
 */
class BucketsTest {
    private static int of(String key) {
        return Buckets.of(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theBucketOfAKeyIsAFixedFunctionOfItsBytes() {
        assertThat(Buckets.COUNT).isEqualTo(64);
        assertThat(of("")).isEqualTo(EMPTY);
        assertThat(of("a")).isEqualTo(A);
        assertThat(of("user:1")).isEqualTo(USER1);
        assertThat(of("user:2")).isEqualTo(USER2);
        assertThat(of("späti \\u00e9 ☃")).isEqualTo(NON_ASCII);
    }

    @Test
    void keysSpreadOverEveryBucketAndBucketKeysNeverClashWithTheSecret() {
        int[] seen = new int[Buckets.COUNT];
        for (int i = 0; i < 64_000; i++) {
            seen[of("k" + i)]++;
        }
        for (int b = 0; b < Buckets.COUNT; b++) {
            assertThat(seen[b]).as("bucket %d", b).isBetween(800, 1200);
            assertThat(Buckets.index(Buckets.key(b))).isEqualTo(b);
            assertThat(Buckets.key(b)).isNotEqualTo(SessionKey.SHARED_SECRET);
        }
        assertThat(Buckets.index(SessionKey.SHARED_SECRET)).isEqualTo(-1);
        assertThat(Buckets.index(new SessionKey(0, 0))).isEqualTo(-1);
    }

    // 64-bit FNV-1a of the UTF-8 bytes, high half folded into the low, low 6 bits (computed apart from this code)
    private static final int EMPTY = 1;
    private static final int A = 0;
    private static final int USER1 = 1;
    private static final int USER2 = 52;
    private static final int NON_ASCII = 3;
}
