package dev.satchel.engine;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.json.ResponseWriter;
import dev.satchel.spec.CommandSpecs;
import dev.satchel.spec.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Session management: SH_NEW, SH_OPEN, SH_END, SH_END_ALL, SH_EXISTS, SH_INFO, SH_INFO_ALL. */
public final class SessionCommands {
    /** Longest session name accepted, in UTF-8 bytes (declared with the commands). */
    public static final int MAX_NAME_BYTES = CommandSpecs.MAX_SESSION_NAME_BYTES;

    static final byte[] F_TKN = field("tkn");
    static final byte[] F_NAME = field("name");
    static final byte[] F_CNT = field("cnt");
    static final byte[] F_M = field("m");

    private SessionCommands() {
    }

    public static List<Command> all(Tokens tokens) {
        return List.of(new New(tokens), new Open(), new End(), new EndAll(), new Exists(), new Info(),
                new InfoAll());
    }

    /** SH_NEW: creates a session, random or shared (token derived from the name). */
    static final class New extends TableCommand {
        private final Tokens tokens;

        New(Tokens tokens) {
            super("SH_NEW");
            this.tokens = tokens;
        }

        /**
         * The decoder checked expiry, name and shared in that order (the table row's); what is left spans them: a
         * shared session needs a name, and its token is derived from it here, on the I/O thread, so the command
         * loop never runs the HMAC.
         */
        @Override
        public Request request(Params p) {
            if (!p.shared()) {
                return new Request.NewSession(this, p);
            }
            if (p.name() == null) {
                return refuse(p, Status.PARAM_MISSING, "name is required for a shared session");
            }
            long[] t = new long[2];
            tokens.shared(p.name(), t);
            return new Request.NewSession(this, p, t[0], t[1]);
        }

        @Override
        public void execute(Engine engine, Request request, ResponseWriter out) {
            Request.NewSession r = (Request.NewSession) request;
            long duration = r.durationMillis();
            boolean del = r.deleteSession();
            boolean onSet = r.extendOnSetAdd();
            boolean onGet = r.extendOnGet();
            Session s;
            if (r.shared()) {
                // the name is what must be free (a loaded shared session may hold it under another token); the
                // token is checked too, so that the table never holds two sessions with one token
                if (engine.findShared(r.name()) != null || engine.exists(r.tokenHi(), r.tokenLo())) {
                    error(out, Status.SESSION_NEW_FAIL, "a shared session with this name already exists");
                    return;
                }
                Problem problem = engine.newSessionProblem();
                if (problem != null) {
                    error(out, problem);
                    return;
                }
                s = engine.create(r.tokenHi(), r.tokenLo(), r.name(), true, duration, del, onSet, onGet);
            } else {
                Problem problem = engine.newSessionProblem();
                if (problem != null) {
                    error(out, problem);
                    return;
                }
                s = engine.createRandom(r.name(), duration, del, onSet, onGet);
            }
            writeCreated(this, s, out);
        }
    }

    /** SH_NEW's answer for the session it created. */
    static void writeCreated(Command c, Session s, ResponseWriter out) {
        out.begin(c.responsePrefix(), Status.OK).raw(F_TKN);
        out.token(s.tokenHi, s.tokenLo);
        if (s.name != null) {
            out.raw(F_NAME).string(s.name);
        }
        out.end();
    }

    /** SH_OPEN's answer for the shared session it found. */
    static void writeOpened(Command c, Session s, ResponseWriter out) {
        out.begin(c.responsePrefix(), Status.OK).raw(F_TKN);
        out.token(s.tokenHi, s.tokenLo);
        out.raw(F_NAME).string(s.name).end();
    }

    /**
     * SH_OPEN: the token of an existing shared session, found by name in the engine's index of shared sessions
     * (not by recomputing the HMAC: a shared session loaded from a dataset keeps the token it was saved with,
     * whatever this server's secret). A lookup by name is the table's: the executor implements it.
     */
    static final class Open extends TableCommand {
        Open() {
            super("SH_OPEN");
        }

        @Override
        public Request request(Params p) {
            return new Request.Named(this, p);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            Session s = engine.findShared(((Request.Named) r).name());
            if (s == null) {
                error(out, Status.SESSION_OPEN_FAIL, "no shared session has this name");
                return;
            }
            writeOpened(this, s, out);
        }
    }

    /** SH_END: ends a session and drops its data. Echoes the token, also when it did not exist. */
    static final class End extends SessionCommand {
        End() {
            super("SH_END");
        }

        @Override
        public Outcome apply(Session s, Request r, CommandContext ctx, ResponseWriter out) {
            if (s == null) {
                out.begin(responsePrefix(), Problem.NO_SESSION.status())
                        .raw(F_M).string(Problem.NO_SESSION.message()).raw(F_TKN)
                        .token(r.tokenHi(), r.tokenLo()).end();
                return Outcome.KEEP;
            }
            out.begin(responsePrefix(), Status.OK).raw(F_TKN).token(r.tokenHi(), r.tokenLo()).end();
            return Outcome.END;
        }
    }

    /** SH_END_ALL: ends every session. */
    static final class EndAll extends TableCommand {
        EndAll() {
            super("SH_END_ALL");
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            int n = engine.endAll();
            out.begin(responsePrefix(), Status.OK).raw(F_CNT).number(n).end();
        }
    }

    /** SH_EXISTS: which of the given tokens are live, in request order, duplicates kept. */
    static final class Exists extends TableCommand {
        private static final byte[] F_EXIST = field("exist");

        Exists() {
            super("SH_EXISTS");
        }

        @Override
        public Request request(Params p) {
            return new Request.Tokens(this, p);
        }

        @Override
        public void execute(Engine engine, Request request, ResponseWriter out) {
            Request.Tokens r = (Request.Tokens) request;
            out.begin(responsePrefix(), Status.OK).raw(F_EXIST).rawByte('[');
            boolean first = true;
            for (int i = 0, n = r.count(); i < n; i++) {
                if (r.valid(i) && engine.exists(r.hi(i), r.lo(i))) {
                    if (!first) {
                        out.rawByte(',');
                    }
                    out.raw(r.text(i));
                    first = false;
                }
            }
            out.rawByte(']').end();
        }
    }

    /** SH_INFO: a session's key count, shared flag, name and expiry state. */
    static final class Info extends SessionCommand {
        private static final byte[] F_KEY_CNT = field("keyCnt");
        private static final byte[] F_SHARED = field("shared");
        private static final byte[] F_EXPIRES = field("expires");
        private static final byte[] F_EXPIRY_DURATION = ",\"expiry\":{\"duration\":".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] F_REMAINING = field("remaining");
        private static final byte[] F_DELETE_SESSION = field("deleteSession");
        private static final byte[] F_EXTEND_ON_SET_ADD = field("extendOnSetAdd");
        private static final byte[] F_EXTEND_ON_GET = field("extendOnGet");

        Info() {
            super("SH_INFO");
        }

        @Override
        public Outcome apply(Session s, Request r, CommandContext ctx, ResponseWriter out) {
            if (s == null) {
                error(out, Problem.NO_SESSION);
                return Outcome.KEEP;
            }
            out.begin(responsePrefix(), Status.OK).raw(F_TKN);
            out.token(s.tokenHi, s.tokenLo);
            out.raw(F_KEY_CNT).number(s.keyCount()).raw(F_SHARED).bool(s.shared).raw(F_EXPIRES).bool(s.expires());
            if (s.name != null) {
                out.raw(F_NAME).string(s.name);
            }
            if (s.expires()) {
                out.raw(F_EXPIRY_DURATION).number(s.durationMillis / 1000)
                        .raw(F_REMAINING).number(remainingSeconds(s, ctx.now()))
                        .raw(F_DELETE_SESSION).bool(s.deleteSession)
                        .raw(F_EXTEND_ON_SET_ADD).bool(s.extendOnSetAdd)
                        .raw(F_EXTEND_ON_GET).bool(s.extendOnGet)
                        .rawByte('}');
            }
            out.end();
            return Outcome.KEEP;
        }

        /** Seconds left in the session's period, rounded up; never negative. */
        private static long remainingSeconds(Session s, long now) {
            long left = s.deadline - now;
            return left <= 0 ? 0 : (left + 999) / 1000;
        }
    }

    /** SH_INFO_ALL: number of live sessions and of keys across them. */
    static final class InfoAll extends TableCommand {
        private static final byte[] F_TOTAL_SESSIONS = field("totalSessions");
        private static final byte[] F_TOTAL_KEYS = field("totalKeys");

        InfoAll() {
            super("SH_INFO_ALL");
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            engine.processExpiries(Integer.MAX_VALUE); // counts must not include expired sessions or data
            out.begin(responsePrefix(), Status.OK)
                    .raw(F_TOTAL_SESSIONS).number(engine.sessionCount())
                    .raw(F_TOTAL_KEYS).number(engine.sessionKeyCount())
                    .end();
        }
    }
}
