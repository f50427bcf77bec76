package dev.satchel.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The harness's check of answered statuses against the declarations fires on an undeclared one. */
class DeclaredStatusesTest {
    @Test
    void anUndeclaredStatusFailsAndADeclaredOnePasses() {
        Command info = SessionCommands.all(new Tokens(TokenFormat.STRING, "s".getBytes(StandardCharsets.UTF_8)))
                .stream().filter(c -> c.name().equals("SH_INFO")).findFirst().orElseThrow();
        CommandHarness.DeclaredStatuses check = new CommandHarness.DeclaredStatuses();
        check.count(info, Status.SESSION_NOT_EXIST);
        check.count(null, Status.JSON_INVALID); // no command: nothing to check
        assertThatThrownBy(() -> check.count(info, Status.SAVE_COMPLETE))
                .isInstanceOf(AssertionError.class).hasMessageContaining("SH_INFO answered status 121");
        assertThat(info.spec().statuses()).doesNotContain(Status.SAVE_COMPLETE);
    }
}
