package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandRegistry;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Request;
import dev.satchel.engine.TableCommand;
import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class CommandStatsTest {
    private static final class Noop extends TableCommand {
        Noop(String name) {
            super(name);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            ok(out);
        }
    }

    @Test
    void countsByCommandAndStatusIncludingLaterAndUnknownOnes() {
        Command a = new Noop("SH_NEW");
        Command b = new Noop("SH_END");
        CommandStats s = new CommandStats(new CommandRegistry(List.of(a, b)));
        assertThat(a.index()).isZero();
        assertThat(b.index()).isEqualTo(1);
        s.count(a, Status.OK);
        s.count(a, Status.OK);
        s.count(b, Status.SESSION_NOT_EXIST);
        s.count(null, Status.JSON_INVALID);
        s.count(b, null); // no status (a command that wrote nothing)
        CompletableFuture<byte[]> later = new CompletableFuture<>();
        s.countLater(a, later);
        assertThat(s.snapshot().total()).isEqualTo(5);
        later.complete("{\"SH_SAVE_RSP\":{\"st\":121}}".getBytes(StandardCharsets.UTF_8));
        CommandStats.Snapshot snap = s.snapshot();
        assertThat(snap.total()).isEqualTo(6);
        assertThat(snap.counts()).containsExactlyInAnyOrder(
                new CommandStats.Snapshot.Count("SH_NEW", 1, 2),
                new CommandStats.Snapshot.Count("SH_NEW", 121, 1),
                new CommandStats.Snapshot.Count("SH_END", 100, 1),
                new CommandStats.Snapshot.Count("SH_END", -1, 1),
                new CommandStats.Snapshot.Count(CommandStats.NO_COMMAND, 3, 1));
        assertThat(snap.withStatus(Status.OK.code())).isEqualTo(2);
    }

    @Test
    void serviceTimeIsSpreadOverTheCommandsOfABatch() {
        CommandStats s = new CommandStats(new CommandRegistry(List.of(new Noop("SV_INFO"))));
        s.served(8_000, 4);      // 2 us each: bucket le 2.5e-6
        s.served(3_000_000, 1);  // 3 ms: bucket le 5e-3
        s.served(0, 0);          // an empty group is ignored
        CommandStats.Snapshot snap = s.snapshot();
        long[] b = snap.buckets();
        assertThat(CommandStats.BOUNDS_SECONDS[4]).isEqualTo(2.5e-6);
        assertThat(b[4]).isEqualTo(4);
        assertThat(CommandStats.BOUNDS_SECONDS[14]).isEqualTo(5e-3);
        assertThat(b[14]).isEqualTo(1);
        assertThat(snap.timedCommands()).isEqualTo(5);
        assertThat(snap.groups()).isEqualTo(2);
        assertThat(snap.serviceNanos()).isEqualTo(3_008_000);
    }

    @Test
    void statusIsReadFromAResponse() {
        assertThat(CommandStats.statusOf("{\"X_RSP\":{\"st\":1}}".getBytes(StandardCharsets.UTF_8))).isEqualTo(1);
        assertThat(CommandStats.statusOf("{\"X_RSP\":{\"st\":142,\"m\":\"st\"}}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(142);
        assertThat(CommandStats.statusOf("{}".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
    }
}
