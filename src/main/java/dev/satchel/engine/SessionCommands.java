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

    /** Puts the token of the shared session named {@code r.name} into the request (on the I/O thread). */
    static void deriveSharedToken(Tokens tokens, Request r) {
        long[] t = new long[2];
        tokens.shared(r.name, t); // the HMAC runs on the I/O thread that validates, never on the command loop
        r.tknHi = t[0];
        r.tknLo = t[1];
        r.tknState = Request.TOKEN_VALID;
    }

    /** SH_NEW: creates a session, random or shared (token derived from the name). */
    static final class New extends TableCommand {
        private final Tokens tokens;

        New(Tokens tokens) {
            super("SH_NEW");
            this.tokens = tokens;
        }

        @Override
        public void validate(Request r) {
            if (r.expiryType != Request.ABSENT) {
                if (r.expiryType != Request.OBJECT) {
                    invalid(r, Status.VALUE_TYPE_INVALID, "expiry must be an object");
                    return;
                }
                if (r.expiryStatus != null) {
                    invalid(r, r.expiryStatus, r.expiryMessage);
                    return;
                }
            }
            // table-row order: expiry, name, shared
            if (!checkName(r, false, MAX_NAME_BYTES)) {
                return;
            }
            if (r.sharedType != Request.ABSENT && r.sharedType != Request.BOOLEAN) {
                invalid(r, Status.VALUE_TYPE_INVALID, "shared must be a boolean");
                return;
            }
            boolean shared = r.sharedType == Request.BOOLEAN && r.shared;
            if (shared && r.nameType == Request.ABSENT) {
                invalid(r, Status.PARAM_MISSING, "name is required for a shared session");
                return;
            }
            if (shared) {
                deriveSharedToken(tokens, r);
            } else {
                r.tknState = Request.TOKEN_ABSENT;
            }
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            boolean expires = r.expiryType == Request.OBJECT && r.expiryDurationSeconds > 0;
            long duration = expires ? r.expiryDurationSeconds * 1000 : 0;
            boolean del = expires && r.expiryDeleteSession;
            boolean onSet = expires && r.expiryExtendOnSetAdd;
            boolean onGet = expires && r.expiryExtendOnGet;
            Session s;
            if (r.tknState == Request.TOKEN_VALID) {
                // the name is what must be free (a loaded shared session may hold it under another token); the
                // token is checked too, so that the table never holds two sessions with one token
                if (engine.findShared(r.name) != null || engine.exists(r.tknHi, r.tknLo)) {
                    error(out, Status.SESSION_NEW_FAIL, "a shared session with this name already exists");
                    return;
                }
                String problem = engine.newSessionProblem();
                if (problem != null) {
                    error(out, Status.LIMIT_EXCEEDED, problem);
                    return;
                }
                s = engine.create(r.tknHi, r.tknLo, r.name, true, duration, del, onSet, onGet);
            } else {
                String problem = engine.newSessionProblem();
                if (problem != null) {
                    error(out, Status.LIMIT_EXCEEDED, problem);
                    return;
                }
                s = engine.createRandom(r.name, duration, del, onSet, onGet);
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
        public void validate(Request r) {
            checkName(r, true, MAX_NAME_BYTES);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            Session s = engine.findShared(r.name);
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
        public void validate(Request r) {
            requireToken(r);
        }

        @Override
        public Outcome apply(Session s, Request r, CommandContext ctx, ResponseWriter out) {
            if (s == null) {
                out.begin(responsePrefix(), Status.SESSION_NOT_EXIST)
                        .raw(F_M).string("session does not exist").raw(F_TKN)
                        .token(r.tknHi, r.tknLo).end();
                return Outcome.KEEP;
            }
            out.begin(responsePrefix(), Status.OK).raw(F_TKN).token(r.tknHi, r.tknLo).end();
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
        public void validate(Request r) {
            if (r.tknsType == Request.ABSENT) {
                invalid(r, Status.PARAM_MISSING, "tkns is required");
            } else if (r.tknsType != Request.ARRAY) {
                invalid(r, Status.VALUE_TYPE_INVALID, "tkns must be an array");
            }
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            out.begin(responsePrefix(), Status.OK).raw(F_EXIST).rawByte('[');
            boolean first = true;
            for (int i = 0; i < r.tknsCount; i++) {
                if (r.tknsValid[i] && engine.exists(r.tknsHi[i], r.tknsLo[i])) {
                    if (!first) {
                        out.rawByte(',');
                    }
                    out.raw(r.tknsRaw[i]);
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
        public void validate(Request r) {
            requireToken(r);
        }

        @Override
        public Outcome apply(Session s, Request r, CommandContext ctx, ResponseWriter out) {
            if (s == null) {
                error(out, Status.SESSION_NOT_EXIST, "session does not exist");
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
