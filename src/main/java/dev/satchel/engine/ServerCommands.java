package dev.satchel.engine;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.Status;
import java.util.List;

/** Server-wide commands: SV_INFO. */
public final class ServerCommands {
    private ServerCommands() {
    }

    public static List<Command> all() {
        return List.of(new Info());
    }

    /** SV_INFO: version, persistence, and a few live figures. */
    static final class Info extends TableCommand {
        private static final byte[] F_VERSION = field("serverVersion");
        private static final byte[] F_PERSIST = field("persistEnabled");
        private static final byte[] F_TOKEN_FORMAT = field("tokenFormat");
        private static final byte[] F_UPTIME = field("uptimeSeconds");
        private static final byte[] F_SESSIONS = field("sessions");
        private static final byte[] F_SESSION_KEYS = field("sessionKeys");
        private static final byte[] F_KV_KEYS = field("kvKeys");

        Info() {
            super("SV_INFO");
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            engine.processExpiries(Integer.MAX_VALUE);
            out.begin(responsePrefix(), Status.OK)
                    .raw(F_VERSION).string(engine.version())
                    .raw(F_PERSIST).bool(engine.persistEnabled())
                    .raw(F_TOKEN_FORMAT).string(engine.tokens().format().configName())
                    .raw(F_UPTIME).number(engine.uptimeMillis() / 1000)
                    .raw(F_SESSIONS).number(engine.sessionCount())
                    .raw(F_SESSION_KEYS).number(engine.sessionKeyCount())
                    .raw(F_KV_KEYS).number(engine.global().size())
                    .end();
        }
    }
}
