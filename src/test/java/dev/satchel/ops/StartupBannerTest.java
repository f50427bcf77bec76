package dev.satchel.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up banner says what the start-up load did and where the shared-session secret came from. */
class StartupBannerTest {
    @TempDir
    Path dir;

    @Test
    void aFailedStartUpLoadIsNotReportedAsLoaded() throws Exception {
        try (OpsFixture f = OpsFixture.start("--persist-path", dir.toString(), "--load", "sessions",
                "--start-empty-on-load-failure", "true", "--save-on-shutdown", "sessions")) {
            assertThat(f.service.banner())
                    .contains("persistence on, path " + dir.toAbsolutePath() + ", start-up load of 'sessions' failed,"
                            + " started empty: dataset 'sessions' does not exist in " + dir)
                    .doesNotContain("loaded 'sessions'")
                    .contains("shared secret generated");
        }
        try (OpsFixture f = OpsFixture.start("--persist-path", dir.toString(), "--load", "sessions",
                "--start-empty-on-load-failure", "true")) {
            assertThat(f.service.banner()).contains(", loaded 'sessions' (0 sessions, 0 keys)")
                    .contains("shared secret file").doesNotContain("failed");
        }
        try (OpsFixture f = OpsFixture.start("--shared-secret", "s")) {
            assertThat(f.service.banner()).contains("persistence saves off;").contains("shared secret configured");
        }
        try (OpsFixture f = OpsFixture.start()) {
            assertThat(f.service.banner()).contains("shared secret random per start");
        }
    }
}
