package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.OwnerExecutor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The ring of a box: grown on demand, the oldest record dropped past {@link Box#RING}, and its binary form. */
class BoxTest {
    static byte[] response(long id) {
        return ("{\"SH_SET_RSP\":{\"st\":1,\"n\":" + id + "}}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theRingRemembersTheLastThirtyTwoCommandsWithTheirVerdictsAcrossItsBinaryForm() {
        Box b = new Box();
        assertThat(b.remembersAnything()).isFalse();
        for (long id = 1; id <= 40; id++) {
            b.remember(id * 1_000_003L, id % 5 == 0 ? OwnerExecutor.REFUSED_BYTES : OwnerExecutor.ADMITTED,
                    response(id));
            Box copy = Box.fromBlob(b.toBlob());
            for (Box x : new Box[] {b, copy}) {
                long oldest = Math.max(1, id - Box.RING + 1);
                assertThat(x.recall((oldest - 1) * 1_000_003L)).as("dropped or never there").isNull();
                for (long k = oldest; k <= id; k++) {
                    byte[] record = x.recall(k * 1_000_003L);
                    assertThat(record).as("command %d after %d", k, id).isNotNull();
                    assertThat(Box.response(record)).isEqualTo(response(k));
                    assertThat(Box.verdict(record)).isEqualTo(k % 5 == 0 ? OwnerExecutor.REFUSED_BYTES
                            : OwnerExecutor.ADMITTED);
                }
            }
        }
    }

    @Test
    void aBlobWrittenBeforeVerdictsIsReadWithItsCommandsAdmitted() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(2); // a tombstone, in the layout without the ring-records flag
        out.writeLong(1234L); // keepUntil
        out.writeByte(2);
        for (long id : new long[] {-7L, 99L}) {
            out.writeLong(id);
            out.writeInt(response(id).length);
            out.write(response(id));
        }
        Box b = Box.fromBlob(bytes.toByteArray());
        assertThat(b.isTombstone()).isTrue();
        assertThat(b.keepUntil).isEqualTo(1234L);
        assertThat(Box.response(b.recall(-7L))).isEqualTo(response(-7L));
        assertThat(Box.verdict(b.recall(99L))).isEqualTo(OwnerExecutor.ADMITTED);
    }
}
