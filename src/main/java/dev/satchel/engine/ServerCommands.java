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

    /**
     * The fields of SV_INFO that come from this process (read on the command loop), to be written with the
     * data counts by {@link #writeInfo}: standalone at once, in cluster mode once every member has counted.
     */
    public record InfoFields(String version, boolean persistEnabled, String tokenFormat, long uptimeSeconds) {
        public static InfoFields of(Engine engine) {
            return new InfoFields(engine.version(), engine.persistEnabled(), engine.tokens().format().configName(),
                    engine.uptimeMillis() / 1000);
        }
    }

    /**
     * Writes SV_INFO's answer: the fields every server answers, with these counts, then what {@code more} adds
     * (cluster mode: the {@code cluster} member), if it is not null.
     */
    public static void writeInfo(Command c, InfoFields f, long sessions, long sessionKeys, long kvKeys,
            java.util.function.Consumer<ResponseWriter> more, ResponseWriter out) {
        out.begin(c.responsePrefix(), Status.OK)
                .raw(Info.F_VERSION).string(f.version())
                .raw(Info.F_PERSIST).bool(f.persistEnabled())
                .raw(Info.F_TOKEN_FORMAT).string(f.tokenFormat())
                .raw(Info.F_UPTIME).number(f.uptimeSeconds())
                .raw(Info.F_SESSIONS).number(sessions)
                .raw(Info.F_SESSION_KEYS).number(sessionKeys)
                .raw(Info.F_KV_KEYS).number(kvKeys);
        if (more != null) {
            more.accept(out);
        }
        out.end();
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
            writeInfo(this, InfoFields.of(engine), engine.sessionCount(), engine.sessionKeyCount(),
                    engine.global().size(), null, out);
        }
    }
}
